import { create } from "@bufbuild/protobuf";
import {
  type RecordRefundRequest,
  type RecordRefundResponse,
  RecordRefundResponseSchema,
} from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import { createId, requestFields, rpcErrors } from "@kassa/platform";
import { ledgerRepository } from "../db/ledger-repository.js";
import { journalEntryMessage } from "../journal-entry-message.js";
import { ledgerAccounts } from "../ledger-accounts.js";
import type { AccountingContext } from "./accounting-context.js";
import { requiredTimestamp } from "./required-timestamp.js";

/**
 * RecordRefund: books a SUCCEEDED refund, merchant → clearing. The balance may go below zero
 * (a refund after a settlement; the next settlement nets it), and the payment need not be
 * recorded yet (outbox deliveries may arrive out of order). Idempotent on refund_id like
 * RecordPayment.
 */
export async function recordRefund(
  context: AccountingContext,
  request: RecordRefundRequest,
): Promise<RecordRefundResponse> {
  // Validate.
  const refundId = requestFields.id("refund_id", request.refundId, "ref");
  const paymentId = requestFields.id("payment_id", request.paymentId, "pay");
  const merchantId = requestFields.id("merchant_id", request.merchantId, "mer");
  const amount = requestFields.amount("amount", request.amount);
  const currency = requestFields.currency("currency", request.currency);
  const occurredAt = requiredTimestamp("occurred_at", request.occurredAt);

  // Persist (or find what an earlier delivery persisted).
  const { record, created } = await ledgerRepository.recordIfAbsent(context.db, {
    id: createId("ent"),
    merchantId,
    kind: "REFUND",
    referenceId: refundId,
    paymentId,
    amount,
    currency,
    occurredAt,
    createdAt: context.clock.now(),
    postings: [
      { account: ledgerAccounts.merchant(merchantId), amount: -amount },
      { account: ledgerAccounts.clearing, amount },
    ],
  });
  if (created) context.metrics.entriesWritten.inc({ kind: "REFUND" });

  // Check that a found entry records the same refund.
  const { entry } = record;
  if (
    !created &&
    (entry.paymentId !== paymentId ||
      entry.merchantId !== merchantId ||
      entry.amount !== amount ||
      entry.currency !== currency)
  ) {
    throw rpcErrors.alreadyExists(
      `refund_id ${refundId} is already recorded as entry ${entry.id} with a different payment, merchant, amount or currency`,
    );
  }
  return create(RecordRefundResponseSchema, { entry: journalEntryMessage(record) });
}
