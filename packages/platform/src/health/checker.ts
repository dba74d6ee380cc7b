/** How healthy one check, or the whole service, is. */
export type HealthStatus = "healthy" | "degraded" | "unhealthy";

/** What a check found. */
export interface CheckResult {
  status: HealthStatus;
  /** One line for a person: what is wrong, or what was measured. */
  message: string;
  /** Measurements worth a look: latency, pool use, connection state. */
  metadata?: Record<string, unknown>;
}

/**
 * One thing a service depends on, probed on demand. Checks run concurrently, each under
 * its own timeout; a check that throws or times out counts as unhealthy.
 */
export interface Checker {
  /** Stable name, shown in `/health` and used as the metric label. */
  readonly name: string;
  /**
   * Whether this check failing makes the service unhealthy. A non-critical check can
   * only degrade the service. Default true.
   */
  readonly critical?: boolean;
  /** Overrides the monitor's per-check timeout (default 5 s). */
  readonly timeoutMs?: number;
  /** Probes the dependency. `signal` aborts when the check's timeout passes. */
  check(signal: AbortSignal): Promise<CheckResult>;
}

/**
 * One check's result as reported by `/health`. `status` is what the service believes after
 * hysteresis (what readiness follows); `observedStatus` is what this run of the check found.
 */
export interface CheckReport extends CheckResult {
  name: string;
  critical: boolean;
  observedStatus: HealthStatus;
  durationMs: number;
}

/** Everything `/health` reports. */
export interface HealthReport {
  status: HealthStatus;
  checks: CheckReport[];
  durationMs: number;
  checkedAt: Date;
}

/** Ranks statuses so the worst can be picked. */
export const healthRank: Readonly<Record<HealthStatus, number>> = {
  unhealthy: 0,
  degraded: 1,
  healthy: 2,
};
