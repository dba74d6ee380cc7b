import { create } from "@bufbuild/protobuf";
import {
  type RecordPaymentsRequest,
  type RecordPaymentsResponse,
  RecordPaymentsResponseSchema,
} from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import { eachInOneTransaction } from "@kassa/platform";
import type { AccountingContext } from "./accounting-context.js";
import { recordPayment } from "./record-payment.js";

/**
 * RecordPayments: each payment exactly as RecordPayment books it, all in one transaction (the
 * gateway's outbox sends the payments that finished together); all or nothing.
 */
export async function recordPayments(
  context: AccountingContext,
  request: RecordPaymentsRequest,
): Promise<RecordPaymentsResponse> {
  const recorded = await eachInOneTransaction(
    context.db,
    "payments",
    request.payments,
    (db, payment) => recordPayment({ ...context, db }, payment),
  );
  return create(RecordPaymentsResponseSchema, {
    entries: recorded.flatMap((answer) => answer.entry ?? []),
  });
}
