import { z } from "zod";

const id = z.string().min(1);
/** Minor units as JSON carries them: a decimal string, since JSON numbers cannot hold int64. */
const minorUnits = z
  .string()
  .regex(/^-?\d+$/, "must be an integer in minor units")
  .transform((value) => BigInt(value));
const instant = z.iso.datetime().transform((value) => new Date(value));

/**
 * What each outbox event kind carries, as stored (JSON) and as delivered (parsed). Stored rows
 * outlive deployments, so a kind's shape only ever gains optional fields; a row that does not
 * parse is refused by its delivery (retried, then kept EXHAUSTED for an operator).
 */
export const outboxPayloadSchemas = {
  /** OrderService.MarkOrderPaid for a SUCCEEDED payment. */
  "order.paid": z.object({ orderId: id, paymentId: id }),
  /** OrderService.CancelOrder for a payment that ended without taking money. */
  "order.cancelled": z.object({ orderId: id, reason: z.string() }),
  /** AccountingService.RecordPayment of what was taken: clearing → merchant. */
  "ledger.payment": z.object({
    paymentId: id,
    merchantId: id,
    amount: minorUnits,
    currency: z.string().length(3),
    occurredAt: instant,
  }),
  /** AccountingService.RecordRefund: merchant → clearing. */
  "ledger.refund": z.object({
    refundId: id,
    paymentId: id,
    merchantId: id,
    amount: minorUnits,
    currency: z.string().length(3),
    occurredAt: instant,
  }),
} as const;

/** The kinds of event the outbox carries. */
export type OutboxKind = keyof typeof outboxPayloadSchemas;

/** A kind's payload as its row stores it. */
export type StoredOutboxPayload<K extends OutboxKind = OutboxKind> = z.input<
  (typeof outboxPayloadSchemas)[K]
>;

/** A kind's payload as its delivery reads it. */
export type OutboxPayload<K extends OutboxKind> = z.output<(typeof outboxPayloadSchemas)[K]>;

/** An event to deliver, before it is stored: its kind, what it is about, and its payload. */
export type NewOutboxEvent = {
  [K in OutboxKind]: {
    readonly kind: K;
    /** The payment or refund the event is about. */
    readonly subjectId: string;
    readonly payload: StoredOutboxPayload<K>;
  };
}[OutboxKind];

/** Whether a stored kind is one this gateway delivers. */
export function isOutboxKind(kind: string): kind is OutboxKind {
  return Object.hasOwn(outboxPayloadSchemas, kind);
}
