import { refundRepository } from "./db/refund-repository.js";
import type { RefundRow } from "./db/schema.js";
import type { ChannelContext } from "./operations/channel-context.js";

/**
 * The refund once its provider has been asked about it: a PENDING refund whose answer was
 * lost is settled (with its charge's amounts) by what the provider did under its id; one the
 * provider never saw, or cannot report on now, stays PENDING.
 */
export async function settlePendingRefund(
  context: Pick<ChannelContext, "db" | "clock" | "channels">,
  refund: RefundRow,
): Promise<RefundRow> {
  if (refund.status !== "PENDING") return refund;
  const outcome = await context.channels.channelOf(refund).getRefund(refund.id);
  if (!outcome || outcome.status === "UNAVAILABLE") return refund;
  return refundRepository.settle(context.db, refund, outcome, context.clock.now());
}
