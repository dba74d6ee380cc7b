import type { DescMethod } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel as IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { ExponentialBackoff, handleWhen, retry } from "cockatiel";
import { isCircuitOpenError } from "./dependency-breaker.js";

/** How often and how patiently to retry. */
export interface RetryPolicy {
  /** Retries after the first attempt. Default 2 (three attempts in all). */
  maxRetries: number;
  /** First backoff; later ones grow exponentially with decorrelated jitter. Default 50 ms. */
  initialDelayMs: number;
  /** Largest backoff. Default 1000 ms. */
  maxDelayMs: number;
}

/** Defaults for {@link RetryPolicy}. */
export const defaultRetryPolicy: RetryPolicy = {
  maxRetries: 2,
  initialDelayMs: 50,
  maxDelayMs: 1000,
};

/**
 * Whether the contract says repeating `method` is safe: it is marked
 * `idempotency_level = NO_SIDE_EFFECTS` or `IDEMPOTENT` in its proto.
 */
export function isIdempotent(method: DescMethod): boolean {
  return method.idempotency !== IdempotencyLevel.IDEMPOTENCY_UNKNOWN;
}

/**
 * Whether an error is worth another attempt: UNAVAILABLE only, as gRPC's own retry policy
 * recommends. DEADLINE_EXCEEDED is not retried (the caller's time is spent, and the outcome
 * is for a reconciler to learn), nor is an open breaker (nothing was sent; waiting will not
 * help), nor any caller error.
 */
export function isRetryableError(error: unknown): boolean {
  return (
    error instanceof ConnectError && error.code === Code.Unavailable && !isCircuitOpenError(error)
  );
}

/**
 * Retries `call` on {@link isRetryableError} errors with exponential backoff and jitter, but
 * only for a method its contract marks idempotent: retrying anything else could, say, charge
 * twice.
 *
 * @throws Error at once when `method` is not idempotent: a programming error, not a runtime one.
 */
export function retryIdempotent<T>(
  method: DescMethod,
  call: () => Promise<T>,
  policy: Partial<RetryPolicy> = {},
): Promise<T> {
  if (!isIdempotent(method)) {
    throw new Error(
      `${method.parent.typeName}/${method.name} is not idempotent; refusing to retry`,
    );
  }
  const { maxRetries, initialDelayMs, maxDelayMs } = { ...defaultRetryPolicy, ...policy };
  return retry(handleWhen(isRetryableError), {
    maxAttempts: maxRetries,
    backoff: new ExponentialBackoff({ initialDelay: initialDelayMs, maxDelay: maxDelayMs }),
  }).execute(call);
}
