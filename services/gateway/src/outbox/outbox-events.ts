import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import type { AccountingService } from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import type { OrderService } from "@kassa/contracts/kassa/order/v1/order_pb";
import { capturedAmount } from "../db/captured-amount.js";
import type { OutboxRow, PaymentRow, RefundRow } from "../db/schema.js";
import type { Money } from "../money.js";
import {
  isOutboxKind,
  type NewOutboxEvent,
  type OutboxKind,
  type OutboxPayload,
  outboxPayloadSchemas,
} from "./outbox-payloads.js";

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

  /** OrderService.CancelOrder for a payment that ended without taking money. */
  orderCancelled: (payment: PaymentRow, reason: string): NewOutboxEvent => ({
    kind: "order.cancelled",
    subjectId: payment.id,
    payload: { orderId: required(payment.orderId, "orderId"), reason },
  }),

  /** AccountingService.RecordPayment of what was taken (a manual capture may be part). */
  paymentRecorded: (payment: PaymentRow, occurredAt: Date): NewOutboxEvent => ({
    kind: "ledger.payment",
    subjectId: payment.id,
    payload: {
      paymentId: payment.id,
      merchantId: payment.merchantId,
      ...storedMoney(capturedAmount(payment)),
      occurredAt: occurredAt.toISOString(),
    },
  }),

  /** AccountingService.RecordRefund of a SUCCEEDED refund. */
  refundRecorded: (refund: RefundRow, occurredAt: Date): NewOutboxEvent => ({
    kind: "ledger.refund",
    subjectId: refund.id,
    payload: {
      refundId: refund.id,
      paymentId: refund.paymentId,
      merchantId: refund.merchantId,
      ...storedMoney(refund),
      occurredAt: occurredAt.toISOString(),
    },
  }),
};

/** The services outbox events go to. */
export interface OutboxTargets {
  order: Client<typeof OrderService>;
  accounting: Client<typeof AccountingService>;
}

/**
 * Where each kind goes and the call that delivers its parsed payload there; `deliverMany`, for
 * the kinds a target takes several of in one call (one transaction there), is all or nothing.
 */
const routes: {
  readonly [K in OutboxKind]: {
    readonly target: keyof OutboxTargets;
    deliver(targets: OutboxTargets, payload: OutboxPayload<K>): Promise<unknown>;
    deliverMany?(targets: OutboxTargets, payloads: OutboxPayload<K>[]): Promise<unknown>;
  };
} = {
  "order.paid": {
    target: "order",
    deliver: (to, payload) => to.order.markOrderPaid(payload),
    deliverMany: (to, orders) => to.order.markOrdersPaid({ orders }),
  },
  "order.cancelled": {
    target: "order",
    deliver: (to, payload) => to.order.cancelOrder(payload),
  },
  "ledger.payment": {
    target: "accounting",
    deliver: (to, payload) => to.accounting.recordPayment(recordPaymentRequest(payload)),
    deliverMany: (to, payloads) =>
      to.accounting.recordPayments({ payments: payloads.map(recordPaymentRequest) }),
  },
  "ledger.refund": {
    target: "accounting",
    deliver: (to, { occurredAt, ...payload }) =>
      to.accounting.recordRefund({ ...payload, occurredAt: timestampFromDate(occurredAt) }),
  },
};

function recordPaymentRequest({ occurredAt, ...payload }: OutboxPayload<"ledger.payment">) {
  return { ...payload, occurredAt: timestampFromDate(occurredAt) };
}

/** The event kinds each target receives. */
export const outboxKindsByTarget: Readonly<Record<keyof OutboxTargets, readonly OutboxKind[]>> = {
  order: kindsFor("order"),
  accounting: kindsFor("accounting"),
};

/**
 * Delivers one stored event; rejects with the target's error, or with INVALID_ARGUMENT for a
 * kind this gateway does not know or a payload that does not parse (retried, then EXHAUSTED).
 */
export async function deliverOutboxEvent(targets: OutboxTargets, event: OutboxRow): Promise<void> {
  const { kind, payload } = parseOutboxEvent(event);
  await routes[kind].deliver(targets, payload as never);
}

/**
 * Whether events of this kind can go to their target several in one call
 * ({@link deliverOutboxEvents}).
 */
export function deliversTogether(kind: string): boolean {
  return isOutboxKind(kind) && routes[kind].deliverMany !== undefined;
}

/**
 * Delivers stored events of one kind that {@link deliversTogether} in one call, all or
 * nothing; rejects like {@link deliverOutboxEvent} (a payload that does not parse fails the
 * call before anything is sent).
 */
export async function deliverOutboxEvents(
  targets: OutboxTargets,
  events: readonly OutboxRow[],
): Promise<void> {
  const parsed = events.map(parseOutboxEvent);
  const kind = parsed[0]?.kind;
  if (!kind) return;
  const route = routes[kind];
  if (!route.deliverMany || parsed.some((event) => event.kind !== kind)) {
    throw new Error(`outbox events of ${kind} cannot be delivered together`);
  }
  await route.deliverMany(targets, parsed.map((event) => event.payload) as never);
}

/** The event's kind and its payload as its kind's schema reads it. */
function parseOutboxEvent(event: OutboxRow): { kind: OutboxKind; payload: unknown } {
  const { kind } = event;
  if (!isOutboxKind(kind)) {
    throw new ConnectError(`unknown outbox event kind ${kind}`, Code.InvalidArgument);
  }
  const parsed = outboxPayloadSchemas[kind].safeParse(event.payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConnectError(
      `outbox ${kind} payload: ${issue?.path.join(".") || "payload"} ${issue?.message ?? "is malformed"}`,
      Code.InvalidArgument,
    );
  }
  return { kind, payload: parsed.data };
}

function kindsFor(target: keyof OutboxTargets): OutboxKind[] {
  return (Object.keys(routes) as OutboxKind[]).filter((kind) => routes[kind].target === target);
}

/** Money as a stored payload carries it: JSON has no int64, so the amount is a decimal string. */
function storedMoney(value: Money): { amount: string; currency: string } {
  return { amount: value.amount.toString(), currency: value.currency };
}

function required(value: string | null, name: string): string {
  if (!value) throw new Error(`outbox event needs ${name}`);
  return value;
}
