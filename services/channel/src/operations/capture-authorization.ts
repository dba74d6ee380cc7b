import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type CaptureAuthorizationRequest,
  type CaptureAuthorizationResponse,
  CaptureAuthorizationResponseSchema,
} from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { requestFields, rpcErrors } from "@kassa/platform";
import { authorizationMessage } from "../authorization-message.js";
import { authorizationRepository } from "../db/authorization-repository.js";
import { isReleasedClaim } from "../db/released-claim.js";
import type { AuthorizationRow } from "../db/schema.js";
import { boundedProviderCall } from "../providers/bounded-provider-call.js";
import type { Provider } from "../providers/provider.js";
import { settlePendingAuthorization } from "../settle-pending-authorization.js";
import type { ChannelContext } from "./channel-context.js";

/**
 * CaptureAuthorization: takes all or part of an AUTHORIZED authorization, once. The capture is
 * claimed by the guarded move AUTHORIZED → CAPTURING before the provider is asked, outside any
 * transaction, so of racing captures and voids exactly one reaches the provider; the answer is
 * persisted after. A repeated capture of the same amount gets the first outcome; anything else
 * on an authorization that is not AUTHORIZED is FAILED_PRECONDITION. A provider that was not
 * reached moves it back to AUTHORIZED and answers UNAVAILABLE, so repeating retries.
 */
export async function captureAuthorization(
  context: ChannelContext,
  request: CaptureAuthorizationRequest,
  call: HandlerContext,
): Promise<CaptureAuthorizationResponse> {
  // Validate.
  const authorizationId = requestFields.id("authorization_id", request.authorizationId, "au");
  const requested =
    request.amountToCapture === undefined
      ? undefined
      : requestFields.amount("amount_to_capture", request.amountToCapture);

  // Load the authorization; the amount is checked against it.
  const found = await authorizationRepository.find(context.db, authorizationId);
  if (!found || isReleasedClaim(found)) throw rpcErrors.notFound("authorization", authorizationId);
  if (requested !== undefined && requested > found.amount) {
    throw rpcErrors.invalidArgument(
      "amount_to_capture",
      `must be at most the authorized amount, ${found.amount} ${found.currency}`,
    );
  }
  const amount = requested ?? found.amount;
  const provider = context.channels.channelOf(found);

  // Check the state and persist the intent. Losing the claim means a racing capture or void
  // won (or the hold expired): the state read again says which.
  let current = await settlePendingAuthorization(context, found);
  while (current.status === "AUTHORIZED") {
    const claim = await authorizationRepository.claimCapture(
      context.db,
      authorizationId,
      amount,
      context.clock.now(),
    );
    if (claim) {
      // Call out, then persist the result.
      return answer(
        await context.captureOrVoidCalls.run(claim.id, () =>
          captureAtProvider(context, provider, claim, amount, call),
        ),
      );
    }
    const reread = await authorizationRepository.findExisting(context.db, authorizationId);
    current = await settlePendingAuthorization(context, reread);
  }
  return answer(await earlierCapture(context, current, amount, call.signal));
}

/**
 * Asks the provider and records its answer. A provider that throws leaves the authorization
 * CAPTURING: the outcome is unknown, and GetAuthorization asks the provider again later.
 */
async function captureAtProvider(
  context: ChannelContext,
  provider: Provider,
  authorization: AuthorizationRow,
  amount: bigint,
  call: HandlerContext,
): Promise<AuthorizationRow> {
  const outcome = await provider.capture(
    {
      authorizationId: authorization.id,
      authorizationReference: authorization.providerReference ?? authorization.id,
      amount,
      currency: authorization.currency,
    },
    boundedProviderCall(call, context.providerCallTimeoutMs),
  );
  const at = context.clock.now();
  if (outcome.status === "UNAVAILABLE") {
    return authorizationRepository.releaseChange(context.db, authorization.id, "CAPTURING", at);
  }
  return authorizationRepository.settleCapture(context.db, authorization.id, outcome, at);
}

/**
 * The outcome of the capture an earlier call claimed, when this request asks for the same
 * amount: awaited when it runs here, else asked for. Any other state refuses the capture.
 */
async function earlierCapture(
  context: ChannelContext,
  authorization: AuthorizationRow,
  amount: bigint,
  signal: AbortSignal,
): Promise<AuthorizationRow> {
  const { id, status, captureAmount, currency } = authorization;
  // Only a capture sets the capture amount: CAPTURING, CAPTURED, or FAILED by its decline.
  if (captureAmount === null) {
    throw rpcErrors.failedPrecondition(
      `authorization ${id} is ${status}; only an AUTHORIZED authorization can be captured`,
    );
  }
  if (captureAmount !== amount) {
    throw rpcErrors.failedPrecondition(
      `authorization ${id} was already captured for ${captureAmount} ${currency}; it is captured once`,
    );
  }
  if (status !== "CAPTURING") return authorization;
  const waited = await context.captureOrVoidCalls.waitFor(id, signal);
  const current = await authorizationRepository.findExisting(context.db, id);
  return waited ? current : settlePendingAuthorization(context, current);
}

function answer(authorization: AuthorizationRow): CaptureAuthorizationResponse {
  // Back to AUTHORIZED after a capture was claimed: its provider was not reached.
  if (authorization.status === "AUTHORIZED") {
    throw rpcErrors.unavailable(
      `channel ${authorization.channel} could not be reached; nothing was captured, and repeating the call is safe`,
    );
  }
  return create(CaptureAuthorizationResponseSchema, {
    authorization: authorizationMessage(authorization),
  });
}
