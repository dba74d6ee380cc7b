import { type Money, money } from "../money.js";
import type { PaymentRow } from "./schema.js";

/**
 * What a payment took from the customer, the limit of its refunds and what the ledger records:
 * the whole amount of a SUCCEEDED automatic payment, the claimed capture of a SUCCEEDED manual
 * one, nothing otherwise.
 */
export function capturedAmount(
  payment: Pick<PaymentRow, "status" | "amount" | "captureAmount" | "currency">,
): Money {
  if (payment.status !== "SUCCEEDED") return money.zero(payment.currency);
  return { amount: payment.captureAmount ?? payment.amount, currency: payment.currency };
}
