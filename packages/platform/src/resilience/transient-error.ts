import { Code, ConnectError } from "@connectrpc/connect";

/**
 * Codes that say "the dependency is in trouble", as opposed to "the caller asked for
 * something wrong". Only these count against a breaker and only these are retried.
 */
export const transientCodes: ReadonlySet<Code> = new Set([
  Code.Unavailable,
  Code.DeadlineExceeded,
  Code.Internal,
  Code.Unknown,
  Code.ResourceExhausted,
]);

/** True for a ConnectError with one of the {@link transientCodes}. */
export function isTransientError(error: unknown): boolean {
  return error instanceof ConnectError && transientCodes.has(error.code);
}
