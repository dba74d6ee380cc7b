import { Code, ConnectError } from "@connectrpc/connect";
import { trace } from "@opentelemetry/api";
import {
  BrokenCircuitError,
  CircuitState,
  circuitBreaker,
  handleWhen,
  SamplingBreaker,
} from "cockatiel";
import type { DependencyHealth } from "../health/dependency-health.js";
import type { Logger } from "../observability/logger.js";
import type { ServiceMetrics } from "../observability/metrics.js";
import { isCallerBudgetError } from "./deadline-budget.js";
import { isTransientError } from "./transient-error.js";

/** A breaker's state, as logged and reported. */
export type BreakerState = "closed" | "open" | "half_open";

/**
 * The breaker policy. Defaults are the Go platform's: trip when at least 60% of at least
 * 5 calls within 60 s fail, half-open after 30 s, close after 3 successful trial calls.
 * It governs a dependency that fails while it says it is healthy; one that went away and
 * comes back closes its breaker by saying so (see {@link DependencyBreakerOptions.health}).
 */
export interface BreakerPolicy {
  /** Fraction of failed calls in the window that trips the breaker. Default 0.6 (≥ 60%). */
  failureRatio: number;
  /** Fewest calls in the window before the breaker may trip. Default 5. */
  minimumCalls: number;
  /** The sliding window failures are counted over. Default 60 000 ms. */
  windowMs: number;
  /**
   * How long the breaker stays open before letting trial calls through. Default 30 000 ms. A
   * breaker that watches its dependency's health closes sooner, when the dependency says SERVING.
   */
  halfOpenAfterMs: number;
  /** Successful trial calls needed to close again; one failing trial reopens. Default 3. */
  halfOpenCalls: number;
}

/** The Go platform's breaker policy. */
export const defaultBreakerPolicy: BreakerPolicy = {
  failureRatio: 0.6,
  minimumCalls: 5,
  windowMs: 60_000,
  halfOpenAfterMs: 30_000,
  halfOpenCalls: 3,
};

/** A circuit breaker guarding every call to one dependency. */
export interface DependencyBreaker {
  /** The dependency's name, e.g. `order`. */
  readonly dependency: string;
  /** Current state. An open breaker reports `open` until the next call after the wait. */
  readonly state: BreakerState;
  /**
   * Runs `call` through the breaker. While open it throws ConnectError UNAVAILABLE
   * `circuit open: <dependency>` without running `call`. Only transient errors count as
   * failures; caller errors (INVALID_ARGUMENT, NOT_FOUND…) and deadlines the caller's budget
   * imposed ({@link isCallerBudgetError}) pass through untouched.
   */
  execute<T>(call: () => Promise<T>): Promise<T>;
}

/** Options for {@link createDependencyBreaker}. */
export interface DependencyBreakerOptions {
  policy?: Partial<BreakerPolicy>;
  logger: Logger;
  metrics?: ServiceMetrics;
  /**
   * The dependency's own health, watched. With it, failures before the dependency was first
   * seen SERVING do not count (a dependency still starting is not an outage), and an open or
   * half-open breaker closes the moment the dependency reports SERVING again: the half-open
   * wait is the ceiling, not the floor. Without it the breaker follows its policy alone.
   */
  health?: DependencyHealth;
}

const stateNames: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: "closed",
  [CircuitState.Open]: "open",
  [CircuitState.HalfOpen]: "half_open",
  [CircuitState.Isolated]: "open",
};

const stateGaugeValues: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

/** Creates the breaker for one dependency, built on cockatiel's sampling breaker. */
export function createDependencyBreaker(
  dependency: string,
  options: DependencyBreakerOptions,
): DependencyBreaker {
  const policy = { ...defaultBreakerPolicy, ...options.policy };
  const { health } = options;
  // A failure counts only once the dependency has been seen up: until then it is starting,
  // and the calls fail on their own (connection refused) without tripping anything.
  // Nor does a deadline the caller's budget imposed: it says nothing about the dependency.
  const counts = (error: unknown) =>
    isTransientError(error) && !isCallerBudgetError(error) && (health?.everServing ?? true);
  const newPolicy = () =>
    circuitBreaker(handleWhen(counts), {
      halfOpenAfter: policy.halfOpenAfterMs,
      // cockatiel trips on a strict `failures > threshold × calls`; a hair under the ratio
      // makes that `≥ ratio` for any realistic number of calls.
      breaker: new SamplingBreaker({
        threshold: policy.failureRatio - 1e-9,
        duration: policy.windowMs,
        // cockatiel expresses the minimum as a rate over the window; half a call under the
        // minimum keeps float rounding from moving the boundary.
        minimumRps: ((policy.minimumCalls - 0.5) * 1000) / policy.windowMs,
      }),
      halfOpenSampling: { calls: policy.halfOpenCalls, threshold: 0 },
    });

  let state: BreakerState = "closed";
  options.metrics?.breakerState.set({ dependency }, stateGaugeValues.closed);
  const become = (to: BreakerState, why?: string) => {
    if (to === state) return;
    const line = `breaker ${dependency}: ${state.replace("_", "-")} -> ${to.replace("_", "-")}${why ? ` (${why})` : ""}`;
    if (to === "open") options.logger.warn({ dependency, from: state, to }, line);
    else options.logger.info({ dependency, from: state, to }, line);
    options.metrics?.breakerState.set({ dependency }, stateGaugeValues[to]);
    options.metrics?.breakerTransitions.inc({ dependency, from: state, to });
    state = to;
  };

  let breaker = newPolicy();
  const follow = (followed: typeof breaker) =>
    followed.onStateChange((next) => {
      // A breaker replaced below may still report the end of a call it ran: not ours any more.
      if (followed === breaker) become(stateNames[next]);
    });
  follow(breaker);

  // Back as soon as the dependency says so: a fresh breaker, closed, with an empty window.
  health?.onChange((status) => {
    if (status !== "serving" || state === "closed") return;
    breaker = newPolicy();
    follow(breaker);
    become("closed", `${dependency} reports SERVING`);
  });

  return {
    dependency,
    get state() {
      return state;
    },
    async execute(call) {
      try {
        return await breaker.execute(call);
      } catch (error) {
        // IsolatedCircuitError (a manually held breaker) is a BrokenCircuitError too.
        if (error instanceof BrokenCircuitError) {
          // On the caller's span (a saga step, a delivery): why this call never left.
          trace.getActiveSpan()?.addEvent("breaker.rejected", {
            "kassa.dependency": dependency,
            "kassa.breaker.state": state,
          });
          throw new ConnectError(
            `circuit open: ${dependency}`,
            Code.Unavailable,
            undefined,
            undefined,
            error,
          );
        }
        throw error;
      }
    },
  };
}

/** True when `error` is a breaker refusing a call (nothing was sent). */
export function isCircuitOpenError(error: unknown): boolean {
  return error instanceof ConnectError && error.cause instanceof BrokenCircuitError;
}
