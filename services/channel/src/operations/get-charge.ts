import { create } from "@bufbuild/protobuf";
import {
  type GetChargeRequest,
  type GetChargeResponse,
  GetChargeResponseSchema,
} from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { requestFields, rpcErrors } from "@kassa/platform";
import { chargeMessage } from "../charge-message.js";
import { chargeRepository } from "../db/charge-repository.js";
import { isReleasedClaim } from "../db/released-claim.js";
import { settlePendingCharge } from "../settle-pending-charge.js";
import type { ChannelContext } from "./channel-context.js";

/**
 * GetCharge: the charge made under the caller's idempotency key, for a caller that never got
 * Charge's answer. A PENDING charge is settled with what the provider did first, so a charge
 * whose answer was held past the deadline shows its outcome. NOT_FOUND means nothing was
 * charged under the key (including a claim released because the provider was not reached).
 */
export async function getCharge(
  context: ChannelContext,
  request: GetChargeRequest,
): Promise<GetChargeResponse> {
  const provider = context.channels.requireChannel("channel", request.channel);
  const idempotencyKey = requestFields.text("idempotency_key", request.idempotencyKey);

  const found = await chargeRepository.findByKey(context.db, provider.name, idempotencyKey);
  const charge = found && (await settlePendingCharge(context, found));
  if (!charge || isReleasedClaim(charge)) {
    throw rpcErrors.notFound(
      `charge on channel ${provider.name} with idempotency_key`,
      idempotencyKey,
    );
  }
  return create(GetChargeResponseSchema, { charge: chargeMessage(charge) });
}
