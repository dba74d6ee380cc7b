import type { DescService } from "@bufbuild/protobuf";
import {
  type CallOptions,
  type Client,
  Code,
  ConnectError,
  createClient,
  type Transport,
} from "@connectrpc/connect";
import { errorCodeName } from "../observability/error-code-name.js";
import type { ServiceMetrics } from "../observability/metrics.js";
import {
  budgetCutInFlightError,
  budgetSpentBeforeCallError,
  remainingBudgetMs,
  spentBudgetFloorMs,
} from "./deadline-budget.js";
import type { DependencyBreaker } from "./dependency-breaker.js";
import { isIdempotent, type RetryPolicy, retryIdempotent } from "./retry-idempotent.js";

/** Options for {@link createResilientClient}. */
export interface ResilientClientOptions {
  /** The breaker every unary call to this dependency goes through. */
  breaker: DependencyBreaker;
  /**
   * Deadline of each call unless the caller passes its own `timeoutMs`. Default 2000 ms.
   * It is Connect's own deadline, so it travels to the dependency (`grpc-timeout`) and the
   * dependency stops working on a call nobody waits for. Inside an inbound call with a
   * deadline, what is left of that deadline caps it (see {@link createResilientClient}).
   */
  timeoutMs?: number;
  /**
   * Retries for methods the contract marks idempotent; other methods are never retried.
   * Default {@link defaultRetryPolicy}; `false` turns retries off.
   */
  retry?: Partial<RetryPolicy> | false;
  metrics?: ServiceMetrics;
}

/**
 * A generated Connect client for one dependency with every unary call wrapped: a deadline,
 * the dependency's circuit breaker, and (for idempotent methods only) retries. An open
 * breaker fails at once with UNAVAILABLE `circuit open: <dependency>`, touching no network.
 * Streaming methods pass through with the deadline applied.
 *
 * The deadline is min(configured, what is left of the inbound call's budget). With less than
 * {@link spentBudgetFloorMs} left a unary call fails DEADLINE_EXCEEDED without being sent,
 * and a retry is never attempted past the budget. A DEADLINE_EXCEEDED the budget caused
 * (refused, or cut in flight because the budget was the smaller deadline) does not count
 * against the breaker: the breaker is shared by every caller, and one client sending tiny
 * deadlines must not open it for all the others. A dependency that hangs is still caught by
 * calls with the full configured deadline (background work, callers without a deadline,
 * budgets larger than the configured deadline) and by its own health.
 */
export function createResilientClient<S extends DescService>(
  service: S,
  transport: Transport,
  options: ResilientClientOptions,
): Client<S> {
  const inner = createClient(service, transport) as Record<string, unknown>;
  const timeoutMs = options.timeoutMs ?? 2000;
  const { breaker, metrics } = options;
  const wrapped: Record<string, unknown> = {};

  for (const method of service.methods) {
    const call = inner[method.localName] as (
      request: unknown,
      callOptions?: CallOptions,
    ) => unknown;
    if (method.methodKind !== "unary") {
      // No Kassa dependency streams today; a stream opened on a spent budget gets a 1 ms
      // deadline (0 would mean none) and fails DEADLINE_EXCEEDED from the transport.
      wrapped[method.localName] = (request: unknown, callOptions?: CallOptions) =>
        call(request, {
          ...callOptions,
          timeoutMs: Math.max(1, deadlineOf(callOptions?.timeoutMs ?? timeoutMs).timeoutMs),
        });
      continue;
    }
    const once = async (request: unknown, callOptions?: CallOptions) => {
      try {
        const deadline = deadlineOf(callOptions?.timeoutMs ?? timeoutMs);
        if (deadline.cutByBudget && deadline.timeoutMs < spentBudgetFloorMs) {
          throw budgetSpentBeforeCallError(breaker.dependency, method.name);
        }
        const response = await breaker.execute(async () => {
          try {
            return await call(request, { ...callOptions, timeoutMs: deadline.timeoutMs });
          } catch (error) {
            const cause = ConnectError.from(error);
            if (deadline.cutByBudget && cause.code === Code.DeadlineExceeded) {
              throw budgetCutInFlightError(breaker.dependency, method.name, cause);
            }
            throw error;
          }
        });
        metrics?.dependencyCalls.inc({
          dependency: breaker.dependency,
          method: method.name,
          code: "ok",
        });
        return response;
      } catch (error) {
        metrics?.dependencyCalls.inc({
          dependency: breaker.dependency,
          method: method.name,
          code: errorCodeName(error),
        });
        throw error;
      }
    };
    wrapped[method.localName] =
      options.retry !== false && isIdempotent(method)
        ? (request: unknown, callOptions?: CallOptions) =>
            retryIdempotent(method, () => once(request, callOptions), options.retry || {})
        : once;
  }
  return wrapped as Client<S>;
}

/**
 * A call's deadline: `configuredMs`, or what is left of the inbound call's budget when that is
 * smaller. Whole milliseconds, as `grpc-timeout` carries them.
 */
function deadlineOf(configuredMs: number): { timeoutMs: number; cutByBudget: boolean } {
  const budgetMs = remainingBudgetMs();
  if (budgetMs === undefined || budgetMs >= configuredMs) {
    return { timeoutMs: configuredMs, cutByBudget: false };
  }
  return { timeoutMs: Math.floor(budgetMs), cutByBudget: true };
}
