import { databaseErrorOf } from "./db/database-error.js";

/**
 * Why a settlement's processing failed, as stored in `failure_reason` for operators:
 * `<code>: <what happened>`. Database refusals keep the server's message (it names our own
 * constraints and ids, never a query or its parameters).
 */
export function settlementFailureReason(error: unknown): string {
  const refusal = databaseErrorOf(error);
  if (refusal?.code === "23505" && refusal.constraint === "settlement_entries_pkey") {
    return "entry_already_settled: an entry of this settlement is already settled by another settlement";
  }
  if (refusal?.constraint === "entries_balanced") return `unbalanced_entry: ${refusal.message}`;
  if (refusal) return `ledger_write_refused: ${refusal.message}`;
  const message = error instanceof Error ? error.message : String(error);
  return `processing_failed: ${message}`;
}
