import type { DatabaseHandle } from "../storage/database.js";
import type { Checker, CheckResult } from "./checker.js";

/** Options for {@link createPostgresCheck}. */
export interface PostgresCheckOptions {
  /** A round trip slower than this degrades the service. Default 250 ms. */
  slowMs?: number;
  /** Pool use (in use / max) at or above this degrades the service. Default 0.8. */
  saturatedRatio?: number;
}

/**
 * Checks the service's database: a round-trip query and its latency, plus pool use on
 * Postgres. Unreachable is unhealthy; slow or nearly saturated is degraded.
 */
export function createPostgresCheck(
  database: DatabaseHandle<Record<string, unknown>>,
  options: PostgresCheckOptions = {},
): Checker {
  const slowMs = options.slowMs ?? 250;
  const saturatedRatio = options.saturatedRatio ?? 0.8;
  return {
    name: "postgres",
    critical: true,
    async check(): Promise<CheckResult> {
      const latencyMs = await database.ping();
      const pool = await database.poolUsage();
      const metadata = {
        kind: database.kind,
        latency_ms: latencyMs,
        ...(pool && { pool_open: pool.open, pool_in_use: pool.inUse, pool_max: pool.max }),
      };
      if (pool && pool.inUse / pool.max >= saturatedRatio) {
        return {
          status: "degraded",
          message: `pool nearly saturated: ${pool.inUse} of ${pool.max} connections in use`,
          metadata,
        };
      }
      if (latencyMs >= slowMs) {
        return { status: "degraded", message: `slow round trip: ${latencyMs} ms`, metadata };
      }
      const where = database.kind === "pglite" ? "embedded PGlite (development only)" : "postgres";
      return { status: "healthy", message: `${where} answered in ${latencyMs} ms`, metadata };
    },
  };
}
