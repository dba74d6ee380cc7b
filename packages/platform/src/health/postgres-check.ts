import type { DatabaseHandle } from "../storage/database.js";
import type { Checker, CheckResult } from "./checker.js";

/** Options for {@link createPostgresCheck}. */
export interface PostgresCheckOptions {
  /**
   * A round trip slower than this degrades the service. Default 1000 ms: a query that waits
   * for a busy pool's next free connection takes milliseconds, so only a database in trouble
   * crosses it (and only three evaluations running take readiness away).
   */
  slowMs?: number;
}

/**
 * Checks the service's database: a round-trip query and its latency, plus pool use where
 * the server shows it (the embedded Postgres does not). Unreachable is unhealthy; slow is degraded. A busy pool is reported but is not a
 * fault: every connection in use is what a pool under load looks like, and it still serves.
 */
export function createPostgresCheck(
  database: DatabaseHandle<Record<string, unknown>>,
  options: PostgresCheckOptions = {},
): Checker {
  const slowMs = options.slowMs ?? 1000;
  return {
    name: "postgres",
    critical: true,
    async check(): Promise<CheckResult> {
      const latencyMs = await database.ping();
      const pool = await database.poolUsage();
      const metadata = {
        kind: "postgres",
        latency_ms: latencyMs,
        ...(pool && { pool_open: pool.open, pool_in_use: pool.inUse, pool_max: pool.max }),
      };
      if (latencyMs >= slowMs) {
        return { status: "degraded", message: `slow round trip: ${latencyMs} ms`, metadata };
      }
      const busy = pool ? `, ${pool.inUse} of ${pool.max} connections in use` : "";
      return {
        status: "healthy",
        message: `postgres answered in ${latencyMs} ms${busy}`,
        metadata,
      };
    },
  };
}
