import { create, type DescEnum } from "@bufbuild/protobuf";
import {
  CaptureMethodSchema,
  GatewayService,
  GetPaymentResponseSchema,
  GetRefundResponseSchema,
  ListRefundsResponseSchema,
  type Payment,
  type PaymentEvent,
  PaymentStatusSchema,
  type Refund,
  RefundStatusSchema,
} from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import type { Command } from "commander";
import { integerIn, prefixedId } from "../argument-parsers.js";
import { collectPages } from "../collect-pages.js";
import { enumLabel } from "../enum-label.js";
import { formatAmount } from "../format-amount.js";
import { formatTime } from "../format-time.js";
import { messageJson } from "../json-output.js";
import { adminClient, type OperatorContext } from "../operator-context.js";
import { renderFields, renderTable } from "../text-table.js";

/**
 * `kassa payment`, `kassa refund`, `kassa refunds`: look payments and refunds up through the
 * gateway, which lets the admin token read any merchant's. A payment is shown with its history,
 * because "how did it get here, and who moved it" is the question an operator looks it up for.
 */
export function registerPaymentsCommand(program: Command, context: OperatorContext): void {
  program
    .command("payment")
    .description("Show one payment and its history, its refunds' included (gateway).")
    .argument("<payment-id>", "payment, pay_…", prefixedId("pay_"))
    .option("--json", "print the GetPaymentResponse as JSON")
    .action(async (paymentId: string, options: { json?: boolean }) => {
      const gateway = await adminClient(context, GatewayService, "gateway");
      const response = await gateway.getPayment({ paymentId });
      if (options.json) {
        context.out.write(messageJson(GetPaymentResponseSchema, response));
        return;
      }
      if (!response.payment) return;
      context.out.write(paymentDetails(response.payment));
      const { items } = await collectPages(
        Number.POSITIVE_INFINITY,
        async (pageSize, pageToken) => {
          const page = await gateway.listPaymentEvents({ paymentId, pageSize, pageToken });
          return { items: page.events, nextPageToken: page.nextPageToken };
        },
      );
      context.out.write(`\nHistory\n${paymentHistory(items)}`);
    });

  program
    .command("refund")
    .description("Show one refund (gateway).")
    .argument("<refund-id>", "refund, ref_…", prefixedId("ref_"))
    .option("--json", "print the GetRefundResponse as JSON")
    .action(async (refundId: string, options: { json?: boolean }) => {
      const gateway = await adminClient(context, GatewayService, "gateway");
      const response = await gateway.getRefund({ refundId });
      if (options.json) {
        context.out.write(messageJson(GetRefundResponseSchema, response));
        return;
      }
      if (response.refund) context.out.write(refundDetails(response.refund));
    });

  program
    .command("refunds")
    .description("List a payment's refunds, newest first (gateway).")
    .argument("<payment-id>", "payment, pay_…", prefixedId("pay_"))
    .option("--limit <n>", "show at most this many", integerIn(1, 10_000), 50)
    .option("--json", "print the ListRefundsResponse as JSON")
    .action(async (paymentId: string, options: { limit: number; json?: boolean }) => {
      const gateway = await adminClient(context, GatewayService, "gateway");
      const { items, nextPageToken } = await collectPages(
        options.limit,
        async (pageSize, pageToken) => {
          const page = await gateway.listRefunds({ paymentId, pageSize, pageToken });
          return { items: page.refunds, nextPageToken: page.nextPageToken };
        },
      );
      if (options.json) {
        const response = create(ListRefundsResponseSchema, { refunds: items, nextPageToken });
        context.out.write(messageJson(ListRefundsResponseSchema, response));
        return;
      }
      if (items.length === 0) {
        // The gateway answers an empty page for an unknown payment too, so say both.
        context.out.write(`No refunds of ${paymentId} (or no such payment).\n`);
        return;
      }
      context.out.write(
        renderTable(
          ["id", "amount", "status", "reason", "created", "failure"],
          items.map((refund) => [
            refund.id,
            formatAmount(refund.amount, refund.currency),
            enumLabel(RefundStatusSchema, refund.status),
            refund.reason || "-",
            formatTime(refund.createdAt),
            refund.failureCode || "-",
          ]),
        ),
      );
      if (nextPageToken) context.out.write("(more refunds exist; raise --limit to see them)\n");
    });
}

function paymentDetails(payment: Payment): string {
  const money = (amount: bigint) => formatAmount(amount, payment.currency);
  return renderFields(`Payment ${payment.id}`, [
    ["merchant", payment.merchantId],
    ["order no", payment.merchantOrderNo],
    ["order", payment.orderId || undefined],
    ["amount", money(payment.amount)],
    ["refunded", money(payment.refundedAmount)],
    ["status", enumLabel(PaymentStatusSchema, payment.status)],
    ["failure", failure(payment.failureCode, payment.failureMessage)],
    ["channel", [payment.channel, payment.channelPaymentId].filter(Boolean).join(" ") || "-"],
    ["risk score", String(payment.riskScore)],
    ["capture", enumLabel(CaptureMethodSchema, payment.captureMethod)],
    ["capturable", payment.amountCapturable > 0n ? money(payment.amountCapturable) : undefined],
    [
      "captured",
      payment.capturedAt && `${money(payment.amountCaptured)} at ${formatTime(payment.capturedAt)}`,
    ],
    [
      "cancelled",
      payment.cancelledAt &&
        [formatTime(payment.cancelledAt), payment.cancellationReason].filter(Boolean).join(" "),
    ],
    ["description", payment.description || undefined],
    ...Object.entries(payment.metadata).map(([key, value]): [string, string] => [
      `metadata.${key}`,
      value,
    ]),
    ["created", formatTime(payment.createdAt)],
    ["updated", formatTime(payment.updatedAt)],
  ]);
}

/** A payment's transitions, oldest first: when, whose, from → to, why, by whom. */
function paymentHistory(events: readonly PaymentEvent[]): string {
  return renderTable(
    ["when", "subject", "transition", "reason", "actor"],
    events.map((event) => [
      formatTime(event.occurredAt),
      event.subjectId,
      `${statusLabel(event.fromStatus)} → ${statusLabel(event.toStatus)}`,
      event.reason,
      event.actor,
    ]),
  );
}

const statusEnums: readonly DescEnum[] = [PaymentStatusSchema, RefundStatusSchema];

/**
 * A history status, which travels as its enum value name (`REFUND_STATUS_PENDING`), as a
 * person reads it (`pending`); `-` for none, the state before a creation.
 */
function statusLabel(name: string): string {
  if (name === "") return "-";
  for (const schema of statusEnums) {
    const value = schema.values.find((candidate) => candidate.name === name);
    if (value) return enumLabel(schema, value.number);
  }
  return name;
}

function refundDetails(refund: Refund): string {
  return renderFields(`Refund ${refund.id}`, [
    ["payment", refund.paymentId],
    ["merchant", refund.merchantId],
    ["amount", formatAmount(refund.amount, refund.currency)],
    ["status", enumLabel(RefundStatusSchema, refund.status)],
    ["failure", failure(refund.failureCode, refund.failureMessage)],
    ["reason", refund.reason || undefined],
    ["channel", refund.channelRefundId || undefined],
    ["created", formatTime(refund.createdAt)],
    ["updated", formatTime(refund.updatedAt)],
  ]);
}

function failure(code: string, message: string): string | undefined {
  if (!code) return undefined;
  return message ? `${code}: ${message}` : code;
}
