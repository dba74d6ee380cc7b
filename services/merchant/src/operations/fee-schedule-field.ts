import type { FeeRule, FeeSchedule } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { isCurrency, maxAmount, rpcErrors } from "@kassa/platform";
import type { FeeScheduleTerms, FeeTerms } from "../fee-schedule-terms.js";

/** At most this many per-currency rules, as the contract says. */
export const maxCurrencyFees = 50;

/**
 * Checks a request's fee schedule, throwing INVALID_ARGUMENT that names the offending field
 * (`fee_schedule.default_fee.basis_points`, `fee_schedule.currency_fees[JPY].fixed_amount`…),
 * and returns its terms.
 */
export function feeScheduleField(field: string, schedule: FeeSchedule): FeeScheduleTerms {
  if (!schedule.defaultFee) throw rpcErrors.invalidArgument(`${field}.default_fee`, "is required");
  const defaultFee = feeRuleField(`${field}.default_fee`, schedule.defaultFee);
  const entries = Object.entries(schedule.currencyFees);
  if (entries.length > maxCurrencyFees) {
    throw rpcErrors.invalidArgument(
      `${field}.currency_fees`,
      `must have at most ${maxCurrencyFees} entries`,
    );
  }
  const currencyFees = new Map<string, FeeTerms>();
  for (const [currency, rule] of entries) {
    // The key is caller text of any length, so it is named only once known to be a code.
    if (!isCurrency(currency)) {
      throw rpcErrors.invalidArgument(
        `${field}.currency_fees`,
        "keys must be ISO 4217 currency codes such as USD",
      );
    }
    currencyFees.set(currency, feeRuleField(`${field}.currency_fees[${currency}]`, rule));
  }
  return { defaultFee, currencyFees };
}

function feeRuleField(field: string, rule: FeeRule): FeeTerms {
  const { basisPoints, fixedAmount } = rule;
  if (!Number.isInteger(basisPoints) || basisPoints < 0 || basisPoints > 10_000) {
    throw rpcErrors.invalidArgument(`${field}.basis_points`, "must be between 0 and 10000");
  }
  if (fixedAmount < 0n) {
    throw rpcErrors.invalidArgument(`${field}.fixed_amount`, "must not be negative");
  }
  if (fixedAmount > maxAmount) {
    throw rpcErrors.invalidArgument(`${field}.fixed_amount`, `must be at most ${maxAmount}`);
  }
  return { basisPoints, fixedAmount };
}
