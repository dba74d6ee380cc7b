import type { Merchant } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";

/** The fee rule a settlement applies: basis points of the payment volume + a fixed fee per payment. */
export interface SettlementFeeRule {
  /** 0..10000; 290 is 2.9 %. */
  readonly basisPoints: number;
  /** Minor units of the settled currency, >= 0. */
  readonly fixedAmount: bigint;
}

/**
 * The merchant's fee rule for a currency: its rule for that currency, else its default one;
 * undefined when the merchant has neither (MerchantService always sets a default).
 */
export function feeRuleFor(merchant: Merchant, currency: string): SettlementFeeRule | undefined {
  const schedule = merchant.feeSchedule;
  const rule = schedule?.currencyFees[currency] ?? schedule?.defaultFee;
  return rule && { basisPoints: rule.basisPoints, fixedAmount: rule.fixedAmount };
}

/**
 * round_half_up(payment_amount × basis_points / 10000) + fixed_amount × payment_count, in
 * integer minor units (the payment volume is never negative, so half up is `+ 5000` before
 * the division).
 */
export function settlementFee(
  rule: SettlementFeeRule,
  payments: { readonly amount: bigint; readonly count: number },
): bigint {
  const percentage = (payments.amount * BigInt(rule.basisPoints) + 5_000n) / 10_000n;
  return percentage + rule.fixedAmount * BigInt(payments.count);
}
