import { Code, ConnectError } from "@connectrpc/connect";
import { isBudgetSpentBeforeCall, isCallerBudgetError, isCircuitOpenError } from "@kassa/platform";
import { type Failure, failure } from "../failure-catalogue.js";

/**
 * What a failed call to the channel (a charge, an authorization, a refund) proves was never
 * sent, as a failure; undefined when it may have reached the channel. Only an open breaker, a
 * caller's deadline spent before the call, or the channel refusing the request itself prove
 * nothing moved. Anything else (a deadline, even the caller's cutting the call in flight, a
 * connection lost after sending, an internal error) may have moved money, so the saga leaves
 * its subject in flight and the reconciler asks the channel.
 */
export function unsentCallFailure(error: unknown): Failure | undefined {
  if (isCircuitOpenError(error)) return failure("channel_unavailable");
  if (isBudgetSpentBeforeCall(error)) return failure("deadline_exceeded");
  const cause = ConnectError.from(error);
  if (cause.code === Code.InvalidArgument || cause.code === Code.FailedPrecondition) {
    return failure("invalid_request", `the channel said: ${cause.rawMessage}`);
  }
  return undefined;
}

/**
 * Why a payment failed when a step before the charge (`risk`, `order`) did: nothing was sent
 * to the channel, so it fails at once.
 */
export function failureBeforeCharge(step: string, error: unknown): Failure {
  if (isCallerBudgetError(error)) return failure("deadline_exceeded", `at the ${step} step`);
  const cause = ConnectError.from(error);
  if (cause.code === Code.InvalidArgument || cause.code === Code.AlreadyExists) {
    return failure("invalid_request", `the ${step} service said: ${cause.rawMessage}`);
  }
  return failure("service_unavailable", `the ${step} service`);
}
