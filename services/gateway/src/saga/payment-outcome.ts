import { ChargeStatus } from "@kassa/contracts/kassa/channel/v1/channel_pb";
import type { GatewayDatabase } from "../db/gateway-database.js";
import { outboxRepository } from "../db/outbox-repository.js";
import { paymentRepository } from "../db/payment-repository.js";
import type { OutboxRow, PaymentRow } from "../db/schema.js";
import type { TransitionEffects } from "../db/transition-repository.js";
import { channelDecline, type Failure } from "../failure-catalogue.js";
import type { GatewayContext } from "../gateway-context.js";
import { outboxEvents } from "../outbox/outbox-events.js";
import type { NewOutboxEvent } from "../outbox/outbox-payloads.js";

/** How a payment's charge ended, as the saga or the reconciler learned it. */
export type ChargeOutcome =
  /** The channel charged it. */
  | { readonly kind: "charged"; readonly chargeId: string }
  /** The channel holds it (manual capture): nothing taken yet, nothing in the ledger. */
  | { readonly kind: "authorized"; readonly authorizationId: string }
  /** The channel declined it: nothing was charged. */
  | { readonly kind: "declined"; readonly chargeId: string; readonly failure: Failure }
  /** It never reached the channel (risk rejected, a service or the channel unreachable). */
  | { readonly kind: "not_charged"; readonly failure: Failure; readonly riskScore?: number };

/**
 * Finishes a payment with its outcome, in one transaction with the events that follow from it:
 * charged → SUCCEEDED, order paid, ledger record; authorized → REQUIRES_CAPTURE, no event (the
 * capture brings them); otherwise FAILED and, if an order was created, order cancelled. Each
 * change applies only from PENDING or PROCESSING, under the row's lock; a payment already
 * finished (by the saga, the reconciler or another replica) is returned unchanged, so every
 * outcome applies exactly once.
 * The history records it with `actor`, and as reason `charge succeeded` or the failure code.
 */
export async function finishPayment(
  context: Pick<GatewayContext, "db" | "clock" | "metrics" | "outbox" | "webhooks">,
  paymentId: string,
  outcome: ChargeOutcome,
  actor: string,
): Promise<PaymentRow> {
  const at = context.clock.now();
  const reasons = { charged: "charge succeeded", authorized: "authorization succeeded" } as const;
  const cause = {
    reason:
      outcome.kind === "charged" || outcome.kind === "authorized"
        ? reasons[outcome.kind]
        : outcome.failure.code,
    actor,
  };
  // Whether a webhook delivery was written with the change, for the webhook relay to wake.
  const effects: TransitionEffects = { webhookDeliveries: 0 };
  const { payment, changed, delivering } = await context.db.transaction(async (tx) => {
    // Each transition applies only from the statuses it expects, under the row's lock: a
    // payment finished meanwhile (by the saga, the reconciler or another replica) is left as it
    // is and read back below.
    let finished: PaymentRow | undefined;
    const events: NewOutboxEvent[] = [];
    if (outcome.kind === "charged") {
      finished = await paymentRepository.succeed(
        tx,
        paymentId,
        outcome.chargeId,
        at,
        cause,
        effects,
      );
      if (finished)
        events.push(outboxEvents.orderPaid(finished), outboxEvents.paymentRecorded(finished, at));
    } else if (outcome.kind === "authorized") {
      finished = await paymentRepository.authorize(
        tx,
        paymentId,
        outcome.authorizationId,
        at,
        cause,
        effects,
      );
    } else {
      finished = await paymentRepository.fail(
        tx,
        paymentId,
        ["PENDING", "PROCESSING"],
        {
          ...outcome.failure,
          ...(outcome.kind === "not_charged" &&
            outcome.riskScore !== undefined && { riskScore: outcome.riskScore }),
          ...(outcome.kind === "declined" && { channelPaymentId: outcome.chargeId }),
        },
        at,
        cause,
        effects,
      );
      if (finished?.orderId)
        events.push(
          outboxEvents.orderCancelled(finished, `payment failed: ${outcome.failure.code}`),
        );
    }
    if (!finished) return unchanged(tx, paymentId);
    const delivering = await outboxRepository.enqueue(tx, events, at, {
      heldForMs: context.outbox.holdMs,
    });
    return { payment: finished, changed: true, delivering };
  });
  if (changed) announce(context, payment, delivering, effects.webhookDeliveries > 0);
  return payment;
}

/** A finish that changed nothing: the payment as it is, and nothing to announce. */
export async function unchanged(
  tx: GatewayDatabase,
  paymentId: string,
): Promise<{ payment: PaymentRow; changed: false; delivering: OutboxRow[] }> {
  const payment = await paymentRepository.find(tx, undefined, paymentId);
  if (!payment) throw new Error(`payment ${paymentId} vanished`);
  return { payment, changed: false, delivering: [] };
}

/**
 * What follows a payment's committed finish: its status counted, the events it wrote delivered
 * by this process, and the webhook relay woken when the change may have written deliveries
 * (`wakeWebhooks`; callers that do not track it wake it always).
 */
export function announce(
  context: Pick<GatewayContext, "metrics" | "outbox" | "webhooks">,
  payment: PaymentRow,
  delivering: readonly OutboxRow[],
  wakeWebhooks = true,
): void {
  context.metrics.payments.inc({
    status: payment.status,
    channel: payment.channel,
    currency: payment.currency,
  });
  context.outbox.deliver(delivering);
  if (wakeWebhooks) context.webhooks.wake();
}

/**
 * What a charge answer means for the payment; undefined while the channel has not decided
 * (PENDING), which leaves the payment PROCESSING for the reconciler.
 */
export function chargeOutcome(
  charge:
    | { id: string; status: ChargeStatus; failureCode: string; failureMessage: string }
    | undefined,
): ChargeOutcome | undefined {
  if (charge?.status === ChargeStatus.SUCCEEDED) return { kind: "charged", chargeId: charge.id };
  if (charge?.status === ChargeStatus.FAILED) {
    return {
      kind: "declined",
      chargeId: charge.id,
      failure: channelDecline(charge.failureCode, charge.failureMessage),
    };
  }
  return undefined;
}
