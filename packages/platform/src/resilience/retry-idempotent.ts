import type { DescMethod } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel as IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { ExponentialBackoff, handleWhen, retry } from "cockatiel";
import { isCircuitOpenError } from "./dependency-breaker.js";
import { isTransientError } from "./transient-error.js";

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
 * Retries `call` on transient errors with exponential backoff and jitter, but only for a
 * method its contract marks idempotent: retrying anything else could, say, charge twice.
 * An open breaker is not retried (nothing was sent, and waiting will not help).
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
  return retry(
    handleWhen((error) => isTransientError(error) && !isCircuitOpenError(error)),
    {
      maxAttempts: maxRetries,
      backoff: new ExponentialBackoff({ initialDelay: initialDelayMs, maxDelay: maxDelayMs }),
    },
  ).execute(call);
}
