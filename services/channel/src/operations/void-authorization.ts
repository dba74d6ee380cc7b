import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type VoidAuthorizationRequest,
  type VoidAuthorizationResponse,
  VoidAuthorizationResponseSchema,
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
 * VoidAuthorization: releases an AUTHORIZED authorization, once. Like CaptureAuthorization,
 * the void is claimed by the guarded move AUTHORIZED → VOIDING before the provider is asked,
 * so it never races past a capture; a repeated void gets the first outcome, and any other
 * state is FAILED_PRECONDITION. A provider that was not reached moves it back to AUTHORIZED
 * and answers UNAVAILABLE.
 */
export async function voidAuthorization(
  context: ChannelContext,
  request: VoidAuthorizationRequest,
  call: HandlerContext,
): Promise<VoidAuthorizationResponse> {
  // Validate.
  const authorizationId = requestFields.id("authorization_id", request.authorizationId, "au");

  // Load the authorization.
  const found = await authorizationRepository.find(context.db, authorizationId);
  if (!found || isReleasedClaim(found)) throw rpcErrors.notFound("authorization", authorizationId);
  const provider = context.channels.channelOf(found);

  // Check the state and persist the intent; a lost claim is read again, as in a capture.
  let current = await settlePendingAuthorization(context, found);
  while (current.status === "AUTHORIZED") {
    const claim = await authorizationRepository.claimVoid(
      context.db,
      authorizationId,
      context.clock.now(),
    );
    if (claim) {
      // Call out, then persist the result.
      return answer(
        await context.captureOrVoidCalls.run(claim.id, () =>
          voidAtProvider(context, provider, claim, call),
        ),
      );
    }
    const reread = await authorizationRepository.findExisting(context.db, authorizationId);
    current = await settlePendingAuthorization(context, reread);
  }
  return answer(await earlierVoid(context, current, call.signal));
}

/** Asks the provider and records its answer; one that throws leaves the authorization VOIDING. */
async function voidAtProvider(
  context: ChannelContext,
  provider: Provider,
  authorization: AuthorizationRow,
  call: HandlerContext,
): Promise<AuthorizationRow> {
  const outcome = await provider.void(
    {
      authorizationId: authorization.id,
      authorizationReference: authorization.providerReference ?? authorization.id,
    },
    boundedProviderCall(call, context.providerCallTimeoutMs),
  );
  const at = context.clock.now();
  if (outcome.status === "UNAVAILABLE") {
    return authorizationRepository.releaseChange(context.db, authorization.id, "VOIDING", at);
  }
  // A provider still deciding leaves it VOIDING for GetAuthorization to settle.
  if (outcome.status === "PENDING") return authorization;
  return authorizationRepository.settleVoid(context.db, authorization.id, at);
}

/** The outcome of the void an earlier call claimed; any other state refuses the void. */
async function earlierVoid(
  context: ChannelContext,
  authorization: AuthorizationRow,
  signal: AbortSignal,
): Promise<AuthorizationRow> {
  const { id, status } = authorization;
  if (status === "VOIDED") return authorization;
  if (status !== "VOIDING") {
    throw rpcErrors.failedPrecondition(
      `authorization ${id} is ${status}; only an AUTHORIZED authorization can be voided`,
    );
  }
  const waited = await context.captureOrVoidCalls.waitFor(id, signal);
  const current = await authorizationRepository.findExisting(context.db, id);
  return waited ? current : settlePendingAuthorization(context, current);
}

function answer(authorization: AuthorizationRow): VoidAuthorizationResponse {
  // Back to AUTHORIZED after a void was claimed: its provider was not reached.
  if (authorization.status === "AUTHORIZED") {
    throw rpcErrors.unavailable(
      `channel ${authorization.channel} could not be reached; nothing was voided, and repeating the call is safe`,
    );
  }
  return create(VoidAuthorizationResponseSchema, {
    authorization: authorizationMessage(authorization),
  });
}
