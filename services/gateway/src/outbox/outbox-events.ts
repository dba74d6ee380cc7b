import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import type { AccountingService } from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import type { OrderService } from "@kassa/contracts/kassa/order/v1/order_pb";
import { capturedAmount } from "../db/captured-amount.js";
import type { NewOutboxEvent } from "../db/outbox-repository.js";
import type { OutboxRow, PaymentRow, RefundRow } from "../db/schema.js";

/**
 * The events the gateway's sagas leave for other services, each delivered to an idempotent
 * RPC, so a delivery repeated after a crash or a lost answer changes nothing.
 */
export const outboxEvents = {
  /** OrderService.MarkOrderPaid for a SUCCEEDED payment. */
  orderPaid: (payment: PaymentRow): NewOutboxEvent => ({
    kind: "order.paid",
    subjectId: payment.id,
    payload: { orderId: required(payment.orderId, "orderId"), paymentId: payment.id },
  }),

  /** OrderService.CancelOrder for a payment that failed after its order was created. */
  orderCancelled: (payment: PaymentRow, reason: string): NewOutboxEvent => ({
    kind: "order.cancelled",
    subjectId: payment.id,
    payload: { orderId: required(payment.orderId, "orderId"), reason },
  }),

  /** AccountingService.RecordPayment of what was taken (a manual capture may be part): clearing → merchant. */
  paymentRecorded: (payment: PaymentRow, occurredAt: Date): NewOutboxEvent => ({
    kind: "ledger.payment",
    subjectId: payment.id,
    payload: {
      paymentId: payment.id,
      merchantId: payment.merchantId,
      amount: capturedAmount(payment).toString(),
      currency: payment.currency,
      occurredAt: occurredAt.toISOString(),
    },
  }),

  /** AccountingService.RecordRefund: merchant → clearing. */
  refundRecorded: (refund: RefundRow, occurredAt: Date): NewOutboxEvent => ({
    kind: "ledger.refund",
    subjectId: refund.id,
    payload: {
      refundId: refund.id,
      paymentId: refund.paymentId,
      merchantId: refund.merchantId,
      amount: refund.amount.toString(),
      currency: refund.currency,
      occurredAt: occurredAt.toISOString(),
    },
  }),
};

/** The services outbox events go to. */
export interface OutboxTargets {
  order: Client<typeof OrderService>;
  accounting: Client<typeof AccountingService>;
}

/** The event kinds each target receives. */
export const outboxKindsByTarget: Readonly<Record<keyof OutboxTargets, readonly string[]>> = {
  order: ["order.paid", "order.cancelled"],
  accounting: ["ledger.payment", "ledger.refund"],
};

/** Delivers one stored event; rejects with the target's error. */
export async function deliverOutboxEvent(targets: OutboxTargets, event: OutboxRow): Promise<void> {
  const p = event.payload;
  switch (event.kind) {
    case "order.paid":
      await targets.order.markOrderPaid({
        orderId: field(p, "orderId"),
        paymentId: field(p, "paymentId"),
      });
      return;
    case "order.cancelled":
      await targets.order.cancelOrder({ orderId: field(p, "orderId"), reason: field(p, "reason") });
      return;
    case "ledger.payment":
      await targets.accounting.recordPayment({
        paymentId: field(p, "paymentId"),
        merchantId: field(p, "merchantId"),
        amount: BigInt(field(p, "amount")),
        currency: field(p, "currency"),
        occurredAt: timestampFromDate(new Date(field(p, "occurredAt"))),
      });
      return;
    case "ledger.refund":
      await targets.accounting.recordRefund({
        refundId: field(p, "refundId"),
        paymentId: field(p, "paymentId"),
        merchantId: field(p, "merchantId"),
        amount: BigInt(field(p, "amount")),
        currency: field(p, "currency"),
        occurredAt: timestampFromDate(new Date(field(p, "occurredAt"))),
      });
      return;
    default:
      throw new ConnectError(`unknown outbox event kind ${event.kind}`, Code.InvalidArgument);
  }
}

function required(value: string | null, name: string): string {
  if (!value) throw new Error(`outbox event needs ${name}`);
  return value;
}

function field(payload: Record<string, string>, name: string): string {
  const value = payload[name];
  if (value === undefined)
    throw new ConnectError(`outbox payload lacks ${name}`, Code.InvalidArgument);
  return value;
}
