import { outboxRepository } from "../db/outbox-repository.js";
import { paymentRepository } from "../db/payment-repository.js";
import { refundRepository } from "../db/refund-repository.js";
import type { RefundRow } from "../db/schema.js";
import type { GatewayContext } from "../gateway-context.js";
import { outboxEvents } from "../outbox/outbox-events.js";

/** How a refund ended at the channel. */
export type RefundOutcome =
  /** The channel returned the money. */
  | { readonly kind: "refunded"; readonly channelRefundId: string }
  /** The channel declined, or never received it: nothing was refunded. */
  | {
      readonly kind: "not_refunded";
      readonly code: string;
      readonly message: string;
      readonly channelRefundId?: string;
    };

/**
 * Finishes a PENDING refund in one transaction: refunded → SUCCEEDED, the payment's
 * `refunded_amount` grows and the ledger event is queued; otherwise FAILED, freeing its amount.
 * A refund already finished is returned unchanged. If this write fails after the channel
 * succeeded, the refund stays PENDING and the reconciler finishes it. The history records it
 * with `actor`, and as reason `refund succeeded` or the failure code.
 */
export async function finishRefund(
  context: Pick<GatewayContext, "db" | "clock" | "metrics" | "wakeOutbox">,
  refundId: string,
  outcome: RefundOutcome,
  actor: string,
): Promise<RefundRow> {
  const at = context.clock.now();
  const cause = { reason: outcome.kind === "refunded" ? "refund succeeded" : outcome.code, actor };
  const { refund, changed } = await context.db.transaction(async (tx) => {
    const current = await refundRepository.lock(tx, refundId);
    if (!current) throw new Error(`refund ${refundId} vanished`);
    if (current.status !== "PENDING") return { refund: current, changed: false };
    if (outcome.kind === "refunded") {
      const succeeded = await refundRepository.succeed(
        tx,
        refundId,
        outcome.channelRefundId,
        at,
        cause,
      );
      if (!succeeded) return { refund: current, changed: false };
      await paymentRepository.addRefunded(tx, succeeded.paymentId, succeeded.amount, at);
      await outboxRepository.enqueue(tx, [outboxEvents.refundRecorded(succeeded, at)], at);
      return { refund: succeeded, changed: true };
    }
    const failed = await refundRepository.fail(
      tx,
      refundId,
      {
        code: outcome.code,
        message: outcome.message,
        ...(outcome.channelRefundId && { channelRefundId: outcome.channelRefundId }),
      },
      at,
      cause,
    );
    return { refund: failed ?? current, changed: failed !== undefined };
  });
  if (changed) {
    context.metrics.refunds.inc({ status: refund.status, currency: refund.currency });
    context.wakeOutbox();
  }
  return refund;
}
