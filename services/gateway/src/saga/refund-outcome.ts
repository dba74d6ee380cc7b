import { ChannelRefundStatus } from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { outboxRepository } from "../db/outbox-repository.js";
import { paymentRepository } from "../db/payment-repository.js";
import { refundRepository } from "../db/refund-repository.js";
import type { RefundRow } from "../db/schema.js";
import { channelDecline, type Failure } from "../failure-catalogue.js";
import type { GatewayContext } from "../gateway-context.js";
import { outboxEvents } from "../outbox/outbox-events.js";

/** How a refund ended at the channel. */
export type RefundOutcome =
  /** The channel returned the money. */
  | { readonly kind: "refunded"; readonly channelRefundId: string }
  /** The channel declined, or never received it: nothing was refunded. */
  | { readonly kind: "not_refunded"; readonly failure: Failure; readonly channelRefundId?: string };

/**
 * What a Refund (or GetChannelRefund) answer means for a PENDING refund; undefined while the
 * channel has not decided, which leaves it PENDING, its amount reserved, for the reconciler.
 */
export function refundOutcome(
  refund:
    | { id: string; status: ChannelRefundStatus; failureCode: string; failureMessage: string }
    | undefined,
): RefundOutcome | undefined {
  if (refund?.status === ChannelRefundStatus.SUCCEEDED) {
    return { kind: "refunded", channelRefundId: refund.id };
  }
  if (refund?.status === ChannelRefundStatus.FAILED) {
    return {
      kind: "not_refunded",
      failure: channelDecline(refund.failureCode, refund.failureMessage),
      channelRefundId: refund.id,
    };
  }
  return undefined;
}

/**
 * Finishes a PENDING refund in one transaction: refunded → SUCCEEDED, the payment's
 * `refunded_amount` grows and the ledger event is queued; otherwise FAILED, freeing its amount.
 * A refund already finished is returned unchanged. If this write fails after the channel
 * succeeded, the refund stays PENDING and the reconciler finishes it. The history records it
 * with `actor`, and as reason `refund succeeded` or the failure code.
 */
export async function finishRefund(
  context: Pick<GatewayContext, "db" | "clock" | "metrics" | "outbox" | "webhooks">,
  refundId: string,
  outcome: RefundOutcome,
  actor: string,
): Promise<RefundRow> {
  const at = context.clock.now();
  const cause = {
    reason: outcome.kind === "refunded" ? "refund succeeded" : outcome.failure.code,
    actor,
  };
  const { refund, changed, delivering } = await context.db.transaction(async (tx) => {
    const current = await refundRepository.lock(tx, refundId);
    if (!current) throw new Error(`refund ${refundId} vanished`);
    if (current.status !== "PENDING") return { refund: current, changed: false, delivering: [] };
    if (outcome.kind === "refunded") {
      const succeeded = await refundRepository.succeed(
        tx,
        refundId,
        outcome.channelRefundId,
        at,
        cause,
      );
      if (!succeeded) return { refund: current, changed: false, delivering: [] };
      await paymentRepository.addRefunded(tx, succeeded.paymentId, succeeded.amount, at);
      const delivering = await outboxRepository.enqueue(
        tx,
        [outboxEvents.refundRecorded(succeeded, at)],
        at,
        { heldForMs: context.outbox.holdMs },
      );
      return { refund: succeeded, changed: true, delivering };
    }
    const failed = await refundRepository.fail(
      tx,
      refundId,
      {
        ...outcome.failure,
        ...(outcome.channelRefundId && { channelRefundId: outcome.channelRefundId }),
      },
      at,
      cause,
    );
    return { refund: failed ?? current, changed: failed !== undefined, delivering: [] };
  });
  if (changed) {
    context.metrics.refunds.inc({ status: refund.status, currency: refund.currency });
    context.outbox.deliver(delivering);
    context.webhooks.wake();
  }
  return refund;
}
