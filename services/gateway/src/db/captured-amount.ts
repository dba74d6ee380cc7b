import type { PaymentRow } from "./schema.js";

/**
 * What a payment took from the customer, the limit of its refunds and what the ledger records:
 * the whole amount of a SUCCEEDED automatic payment, the claimed capture of a SUCCEEDED manual
 * one, nothing otherwise.
 */
export function capturedAmount(
  payment: Pick<PaymentRow, "status" | "amount" | "captureAmount">,
): bigint {
  if (payment.status !== "SUCCEEDED") return 0n;
  return payment.captureAmount ?? payment.amount;
}
