import { formatAmount } from "./format-amount.js";

/**
 * A fee rule as a person reads it: `2.90% + 0.30 USD`, or `2.90% + 30` when the fixed part
 * is in the minor units of whichever currency is settled (a merchant's default rule).
 */
export function formatFeeRule(basisPoints: number, fixedAmount: bigint, currency?: string): string {
  const percent = `${Math.trunc(basisPoints / 100)}.${String(basisPoints % 100).padStart(2, "0")}%`;
  const fixed = currency ? formatAmount(fixedAmount, currency) : `${fixedAmount}`;
  return `${percent} + ${fixed}`;
}
