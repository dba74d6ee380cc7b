import { refundRepository } from "./db/refund-repository.js";
import type { RefundRow } from "./db/schema.js";
import type { ChannelContext } from "./operations/channel-context.js";
import { abandonedClaimMessage } from "./settle-pending-charge.js";

/**
 * The refund once its provider has been asked about it: a PENDING refund whose answer was
 * lost is settled (with its charge's amounts) by what the provider did under its id. One the
 * provider has no record of stays PENDING (its amount reserved) while its call may still be
 * running, and is released (its amount freed) once older than the claim timeout, as for
 * charges (see `settlePendingCharge`).
 */
export async function settlePendingRefund(
  context: Pick<ChannelContext, "db" | "clock" | "channels" | "claimTimeoutMs">,
  refund: RefundRow,
): Promise<RefundRow> {
  if (refund.status !== "PENDING") return refund;
  const outcome = await context.channels.channelOf(refund).getRefund(refund.id);
  const now = context.clock.now();
  if (!outcome && now.getTime() - refund.updatedAt.getTime() >= context.claimTimeoutMs) {
    return refundRepository.release(context.db, refund, abandonedClaimMessage, now);
  }
  if (!outcome || outcome.status === "UNAVAILABLE") return refund;
  return refundRepository.settle(context.db, refund, outcome, now);
}
