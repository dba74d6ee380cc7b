import { create } from "@bufbuild/protobuf";
import {
  type GetAuthorizationRequest,
  type GetAuthorizationResponse,
  GetAuthorizationResponseSchema,
} from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { requestFields, rpcErrors } from "@kassa/platform";
import { authorizationMessage } from "../authorization-message.js";
import { authorizationRepository } from "../db/authorization-repository.js";
import { isReleasedClaim } from "../db/released-claim.js";
import { settlePendingAuthorization } from "../settle-pending-authorization.js";
import type { ChannelContext } from "./channel-context.js";

/**
 * GetAuthorization: the authorization made under the caller's idempotency key, with its
 * capture or void, for a caller that never got an answer. A step still pending is settled with
 * what the provider did, so a capture whose answer was held past the deadline shows CAPTURED.
 * NOT_FOUND means nothing was authorized under the key (including a released claim).
 */
export async function getAuthorization(
  context: ChannelContext,
  request: GetAuthorizationRequest,
): Promise<GetAuthorizationResponse> {
  const provider = context.channels.requireChannel("channel", request.channel);
  const idempotencyKey = requestFields.text("idempotency_key", request.idempotencyKey);

  const found = await authorizationRepository.findByKey(context.db, provider.name, idempotencyKey);
  const authorization = found && (await settlePendingAuthorization(context, found));
  if (!authorization || isReleasedClaim(authorization)) {
    throw rpcErrors.notFound(
      `authorization on channel ${provider.name} with idempotency_key`,
      idempotencyKey,
    );
  }
  return create(GetAuthorizationResponseSchema, {
    authorization: authorizationMessage(authorization),
  });
}
