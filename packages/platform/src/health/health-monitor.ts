import { EventEmitter } from "node:events";
import type { Logger } from "../observability/logger.js";
import type { ServiceMetrics } from "../observability/metrics.js";
import {
  type Checker,
  type CheckReport,
  type HealthReport,
  type HealthStatus,
  healthRank,
} from "./checker.js";

/** Lifecycle of a service as health sees it. */
export type ServicePhase = "starting" | "serving" | "draining";

/** Options for {@link createHealthMonitor}. */
export interface HealthMonitorOptions {
  checks: readonly Checker[];
  /** Per-check timeout unless a check sets its own. Default 5000 ms, as DESIGN.md fixes. */
  timeoutMs?: number;
  /**
   * How long a report is reused. Probes from a kubelet, a load balancer and an operator can
   * arrive in bursts; reusing a fresh report keeps them from hammering the database.
   * Default 1000 ms.
   */
  cacheMs?: number;
  /**
   * How often checks run in the background so gRPC Watch streams and the health gauges see
   * changes without anyone asking. Default 5000 ms; 0 disables the background loop.
   */
  pollIntervalMs?: number;
  /**
   * Consecutive results worse than a check's current status before the worse one is believed,
   * e.g. three slow round trips in a row before `degraded`. A single slow answer under load is
   * not evidence of anything. Default 3. A check's first result is believed at once.
   */
  failureThreshold?: number;
  /**
   * Consecutive better results before a check is believed to have recovered. Default 2. At
   * start-up, until a check has been healthy once, a better result is believed at once.
   */
  successThreshold?: number;
  logger: Logger;
  metrics?: ServiceMetrics;
}

/** Emitted whenever readiness or the overall status changes. */
export interface HealthChange {
  ready: boolean;
  status: HealthStatus;
  phase: ServicePhase;
}

/**
 * Runs a service's checks and answers every health question from one place: `/health`,
 * `/health/ready`, and grpc.health.v1 Check, List and Watch all read it, so they agree.
 */
export interface HealthMonitor {
  /** The latest report, re-running the checks when the cached one is older than `cacheMs`. */
  report(): Promise<HealthReport>;
  /** True only while serving and healthy: what readiness probes and gRPC SERVING mean. */
  ready(): Promise<boolean>;
  /**
   * Re-runs the checks now, not at the next poll or when the cached report expires, and tells
   * watchers of any change: for something that just changed, such as a dependency's health.
   */
  refresh(): void;
  /** The current phase. */
  readonly phase: ServicePhase;
  /** Moves to `serving` (after start-up) or `draining` (on shutdown) and notifies watchers. */
  setPhase(phase: ServicePhase): void;
  /** Listens for changes; returns a function that stops listening. */
  onChange(listener: (change: HealthChange) => void): () => void;
  /** Events `change` (a {@link HealthChange}) and `close`; for `events.on` iteration. */
  readonly events: EventEmitter;
  /** Starts the background loop. */
  start(): void;
  /** Stops the background loop and ends every watcher. */
  close(): void;
}

const DEFAULT_TIMEOUT_MS = 5000;

/** What a monitor believes of one check, and how long the results have disagreed with it. */
interface Belief {
  status: HealthStatus;
  /** Consecutive results on one side (worse or better) of `status`. */
  streak: number;
  /** Whether that streak is of worse results. */
  worse: boolean;
  /** Whether it has been healthy since the service started: until then, better is believed at once. */
  beenHealthy: boolean;
}

/** Creates a {@link HealthMonitor} over the given checks. */
export function createHealthMonitor(options: HealthMonitorOptions): HealthMonitor {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const cacheMs = options.cacheMs ?? 1000;
  const pollIntervalMs = options.pollIntervalMs ?? 5000;
  const failureThreshold = options.failureThreshold ?? 3;
  const successThreshold = options.successThreshold ?? 2;
  const beliefs = new Map<string, Belief>();
  const events = new EventEmitter();
  events.setMaxListeners(0);

  let phase: ServicePhase = "starting";
  let cached: { report: HealthReport; at: number } | undefined;
  let inFlight: Promise<HealthReport> | undefined;
  let last: HealthChange | undefined;
  let timer: NodeJS.Timeout | undefined;

  /**
   * Hysteresis: a check's reported status moves only on sustained evidence, so readiness
   * follows the ability to serve and not one slow answer. `observedStatus` keeps the raw one.
   */
  const believe = (observed: CheckReport): CheckReport => {
    let belief = beliefs.get(observed.name);
    if (!belief) {
      belief = { status: observed.status, streak: 0, worse: false, beenHealthy: false };
      beliefs.set(observed.name, belief);
    }
    const worse = healthRank[observed.status] < healthRank[belief.status];
    // Same as believed, or a first recovery at start-up (a dependency answering for the first
    // time): nothing to be sceptical about. Otherwise, only a long enough streak counts.
    let convinced = observed.status === belief.status || (!worse && !belief.beenHealthy);
    if (!convinced) {
      belief.streak = worse === belief.worse ? belief.streak + 1 : 1;
      belief.worse = worse;
      convinced = belief.streak >= (worse ? failureThreshold : successThreshold);
      if (convinced) {
        options.logger.info(
          { check: observed.name, from: belief.status, to: observed.status },
          `check ${observed.name}: ${belief.status} -> ${observed.status} (${observed.message})`,
        );
      }
    }
    if (convinced) {
      belief.status = observed.status;
      belief.streak = 0;
      belief.beenHealthy ||= observed.status === "healthy";
    }
    return { ...observed, status: belief.status };
  };

  const runCheck = async (checker: Checker): Promise<CheckReport> => {
    const critical = checker.critical ?? true;
    const limitMs = checker.timeoutMs ?? timeoutMs;
    const controller = new AbortController();
    const started = performance.now();
    let timeout: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timeout = setTimeout(() => {
        controller.abort();
        reject(new Error(`timed out after ${limitMs} ms`));
      }, limitMs);
    });
    try {
      const result = await Promise.race([checker.check(controller.signal), timedOut]);
      const status = !critical && result.status === "unhealthy" ? "degraded" : result.status;
      return {
        ...result,
        status,
        observedStatus: status,
        name: checker.name,
        critical,
        durationMs: elapsed(started),
      };
    } catch (error) {
      const status = critical ? "unhealthy" : "degraded";
      return {
        name: checker.name,
        critical,
        status,
        observedStatus: status,
        message: error instanceof Error ? error.message : String(error),
        durationMs: elapsed(started),
      };
    } finally {
      clearTimeout(timeout);
    }
  };

  const evaluate = async (): Promise<HealthReport> => {
    const started = performance.now();
    const checks = (await Promise.all(options.checks.map(runCheck))).map(believe);
    const status = checks.reduce<HealthStatus>(
      (worst, check) => (healthRank[check.status] < healthRank[worst] ? check.status : worst),
      "healthy",
    );
    const report = { status, checks, durationMs: elapsed(started), checkedAt: new Date() };
    if (options.metrics) {
      options.metrics.healthStatus.set(healthRank[status]);
      for (const check of checks) {
        options.metrics.healthCheckStatus.set({ check: check.name }, healthRank[check.status]);
      }
    }
    for (const check of checks) {
      if (check.observedStatus !== "healthy") {
        options.logger.debug({ check: check.name, status: check.observedStatus }, check.message);
      }
    }
    cached = { report, at: performance.now() };
    publish(report.status);
    return report;
  };

  const publish = (status: HealthStatus): void => {
    const change = { ready: phase === "serving" && status === "healthy", status, phase };
    if (
      last &&
      last.ready === change.ready &&
      last.status === change.status &&
      last.phase === phase
    ) {
      return;
    }
    if (last && last.status !== change.status) {
      options.logger.info(`health ${last.status} -> ${change.status}`);
    }
    last = change;
    events.emit("change", change);
  };

  const report = (): Promise<HealthReport> => {
    if (cached && performance.now() - cached.at < cacheMs) return Promise.resolve(cached.report);
    inFlight ??= evaluate().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };

  return {
    report,
    refresh() {
      // After any evaluation already running, which may have read the old state.
      void (inFlight ?? Promise.resolve())
        .catch(() => {})
        .then(() => {
          cached = undefined;
          return report();
        });
    },
    async ready() {
      if (phase !== "serving") return false;
      return (await report()).status === "healthy";
    },
    get phase() {
      return phase;
    },
    setPhase(next) {
      if (next === phase) return;
      options.logger.info(`phase ${phase} -> ${next}`);
      phase = next;
      if (cached) publish(cached.report.status);
      else if (next !== "serving") publish(last?.status ?? "unhealthy");
      // Going live: evaluate now so watchers learn SERVING without waiting for the loop.
      if (next === "serving") void report();
    },
    onChange(listener) {
      events.on("change", listener);
      return () => events.off("change", listener);
    },
    events,
    start() {
      if (timer || pollIntervalMs === 0) return;
      timer = setInterval(() => {
        cached = undefined;
        void report();
      }, pollIntervalMs);
      timer.unref();
    },
    close() {
      clearInterval(timer);
      timer = undefined;
      events.emit("close");
    },
  };
}

function elapsed(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 100) / 100;
}
