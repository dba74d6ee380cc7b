import { AsyncLocalStorage } from "node:async_hooks";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

/**
 * Below this many milliseconds left, a dependency call is refused instead of sent. 5 ms is about
 * a round trip plus a database query between two services on one network; a call given less
 * would almost always be cut in flight, after the dependency started work it must abandon, and
 * a non-idempotent one (a charge) would leave an outcome to reconcile where refusing leaves a
 * plain failure. It also stays clear of what the deadline header cannot carry: `grpc-timeout`
 * is whole milliseconds, and Connect sends a timeout of 0 as no deadline at all.
 */
export const spentBudgetFloorMs = 5;

/** The absolute deadline (on `performance.now()`'s monotonic clock) of the inbound call. */
const inboundDeadline = new AsyncLocalStorage<number>();

const grpcTimeoutUnitsMs: Record<string, number> = {
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 0.001,
  n: 0.000_001,
};

/**
 * The timeout the caller sent, in ms: `grpc-timeout` (gRPC, gRPC-Web) or `connect-timeout-ms`
 * (Connect); undefined when it sent none. A malformed value is Connect's to refuse
 * (INVALID_ARGUMENT, before any interceptor runs), so here it simply means no budget.
 */
function inboundTimeoutMs(header: Headers): number | undefined {
  const grpc = /^(\d{1,8})([HMSmun])$/.exec(header.get("grpc-timeout") ?? "");
  if (grpc) return Number(grpc[1]) * (grpcTimeoutUnitsMs[grpc[2] as string] as number);
  const connect = /^\d{1,10}$/.exec(header.get("connect-timeout-ms") ?? "");
  return connect ? Number(connect[0]) : undefined;
}

/**
 * A server interceptor that makes the inbound call's deadline the budget of every dependency
 * call made while handling it (see {@link remainingBudgetMs}), without threading it through
 * the handlers. The budget starts when the interceptor runs, after Connect has read a unary
 * request's body, so it is generous by that read; the dependency still gets at most what the
 * caller gave. Work started outside a call (relays, reconcilers) has no budget.
 */
export function createDeadlineBudgetInterceptor(): Interceptor {
  return (next) => (request) => {
    const timeoutMs = inboundTimeoutMs(request.header);
    if (timeoutMs === undefined) return next(request);
    return inboundDeadline.run(performance.now() + timeoutMs, () => next(request));
  };
}

/**
 * What is left of the current inbound call's deadline, in ms (≤ 0 once spent); undefined
 * outside a call, or when the caller set no deadline.
 */
export function remainingBudgetMs(): number | undefined {
  const deadline = inboundDeadline.getStore();
  return deadline === undefined ? undefined : deadline - performance.now();
}

/**
 * The cause of a DEADLINE_EXCEEDED that the caller's budget brought about, not the dependency.
 * `sent` says whether the call reached the network before the budget ended it.
 */
class CallerBudgetSpent extends Error {
  constructor(
    readonly sent: boolean,
    options?: ErrorOptions,
  ) {
    super("the caller's deadline budget is spent", options);
  }
}

/** DEADLINE_EXCEEDED for a call refused because the caller's budget is spent: nothing was sent. */
export function budgetSpentBeforeCallError(dependency: string, method: string): ConnectError {
  return new ConnectError(
    `deadline budget spent before calling ${dependency} ${method}`,
    Code.DeadlineExceeded,
    undefined,
    undefined,
    new CallerBudgetSpent(false),
  );
}

/**
 * DEADLINE_EXCEEDED for a call the caller's budget cut short in flight (the dependency may
 * have acted on it), keeping the transport's error as the cause.
 */
export function budgetCutInFlightError(
  dependency: string,
  method: string,
  error: ConnectError,
): ConnectError {
  return new ConnectError(
    `deadline budget spent while calling ${dependency} ${method}`,
    Code.DeadlineExceeded,
    undefined,
    undefined,
    new CallerBudgetSpent(true, { cause: error }),
  );
}

/**
 * True when the caller's deadline budget, not the dependency, ended the call (before or during
 * it): such an error says nothing about the dependency's health.
 */
export function isCallerBudgetError(error: unknown): boolean {
  return error instanceof ConnectError && error.cause instanceof CallerBudgetSpent;
}

/** True when a call was refused because the caller's budget was spent: nothing was sent. */
export function isBudgetSpentBeforeCall(error: unknown): boolean {
  return (
    error instanceof ConnectError && error.cause instanceof CallerBudgetSpent && !error.cause.sent
  );
}
