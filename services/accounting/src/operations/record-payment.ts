import { create } from "@bufbuild/protobuf";
import {
  type RecordPaymentRequest,
  type RecordPaymentResponse,
  RecordPaymentResponseSchema,
} from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import { createId, requestFields, rpcErrors } from "@kassa/platform";
import { ledgerRepository } from "../db/ledger-repository.js";
import { journalEntryMessage } from "../journal-entry-message.js";
import { ledgerAccounts } from "../ledger-accounts.js";
import type { AccountingContext } from "./accounting-context.js";
import { requiredTimestamp } from "./required-timestamp.js";

/**
 * RecordPayment: books a SUCCEEDED payment, clearing → merchant. Idempotent on payment_id (the
 * gateway's outbox delivers it at least once, possibly concurrently): a replay returns the
 * first entry; the same id with another merchant, amount or currency is ALREADY_EXISTS.
 * Only INSERTs, so a merchant's payments never queue behind each other.
 */
export async function recordPayment(
  context: AccountingContext,
  request: RecordPaymentRequest,
): Promise<RecordPaymentResponse> {
  // Validate.
  const paymentId = requestFields.id("payment_id", request.paymentId, "pay");
  const merchantId = requestFields.id("merchant_id", request.merchantId, "mer");
  const amount = requestFields.amount("amount", request.amount);
  const currency = requestFields.currency("currency", request.currency);
  const occurredAt = requiredTimestamp("occurred_at", request.occurredAt);

  // Persist (or find what an earlier delivery persisted).
  const { record, created } = await ledgerRepository.recordIfAbsent(context.db, {
    id: createId("ent"),
    merchantId,
    kind: "PAYMENT",
    referenceId: paymentId,
    paymentId,
    amount,
    currency,
    occurredAt,
    createdAt: context.clock.now(),
    postings: [
      { account: ledgerAccounts.clearing, amount: -amount },
      { account: ledgerAccounts.merchant(merchantId), amount },
    ],
  });
  if (created) context.metrics.entriesWritten.inc({ kind: "PAYMENT" });

  // Check that a found entry records the same payment.
  const { entry } = record;
  if (
    !created &&
    (entry.merchantId !== merchantId || entry.amount !== amount || entry.currency !== currency)
  ) {
    throw rpcErrors.alreadyExists(
      `payment_id ${paymentId} is already recorded as entry ${entry.id} with a different merchant, amount or currency`,
    );
  }
  return create(RecordPaymentResponseSchema, { entry: journalEntryMessage(record) });
}
