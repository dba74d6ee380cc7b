import { Counter, type Registry } from "prom-client";

/** The accounting service's own metrics, on the service's registry (`/metrics`). */
export interface AccountingMetrics {
  /** Journal entries written, by kind (a replayed RecordPayment writes none). */
  readonly entriesWritten: Counter<"kind">;
  /** Settlements reaching a status: PENDING when created, then COMPLETED or FAILED. */
  readonly settlements: Counter<"status">;
}

/** Registers the accounting metrics on a service registry. */
export function createAccountingMetrics(registry: Registry): AccountingMetrics {
  const registers = [registry];
  return {
    entriesWritten: new Counter({
      name: "kassa_ledger_entries_written_total",
      help: "Journal entries written, by kind.",
      labelNames: ["kind"],
      registers,
    }),
    settlements: new Counter({
      name: "kassa_settlements_total",
      help: "Settlements reaching a status (PENDING on creation, then COMPLETED or FAILED).",
      labelNames: ["status"],
      registers,
    }),
  };
}
