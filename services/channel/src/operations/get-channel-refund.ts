import { create } from "@bufbuild/protobuf";
import {
  type GetChannelRefundRequest,
  type GetChannelRefundResponse,
  GetChannelRefundResponseSchema,
} from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { requestFields, rpcErrors } from "@kassa/platform";
import { channelRefundMessage } from "../channel-refund-message.js";
import { refundRepository } from "../db/refund-repository.js";
import { isReleasedClaim } from "../db/released-claim.js";
import { settlePendingRefund } from "../settle-pending-refund.js";
import type { ChannelContext } from "./channel-context.js";

/**
 * GetChannelRefund: the refund made under the caller's idempotency key. A PENDING refund is
 * settled with what the provider did first. NOT_FOUND means nothing was refunded under the key
 * (including a claim released because the provider was not reached).
 */
export async function getChannelRefund(
  context: ChannelContext,
  request: GetChannelRefundRequest,
): Promise<GetChannelRefundResponse> {
  const provider = context.channels.requireChannel("channel", request.channel);
  const idempotencyKey = requestFields.text("idempotency_key", request.idempotencyKey);

  const found = await refundRepository.findByKey(context.db, provider.name, idempotencyKey);
  const refund = found && (await settlePendingRefund(context, found));
  if (!refund || isReleasedClaim(refund)) {
    throw rpcErrors.notFound(
      `refund on channel ${provider.name} with idempotency_key`,
      idempotencyKey,
    );
  }
  return create(GetChannelRefundResponseSchema, { refund: channelRefundMessage(refund) });
}
