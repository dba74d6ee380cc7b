import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  FeeRuleSchema,
  type Merchant,
  MerchantSchema,
  MerchantStatus,
} from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import type { MerchantRecord } from "./db/merchant-repository.js";
import type { MerchantRow } from "./db/schema.js";
import { type FeeTerms, feeScheduleTermsOf } from "./fee-schedule-terms.js";

/** Row status → contract enum. */
export const merchantStatuses = {
  ACTIVE: MerchantStatus.ACTIVE,
  SUSPENDED: MerchantStatus.SUSPENDED,
} as const satisfies Record<MerchantRow["status"], MerchantStatus>;

const feeRule = (terms: FeeTerms) =>
  create(FeeRuleSchema, { basisPoints: terms.basisPoints, fixedAmount: terms.fixedAmount });

/** A merchant and its current fee rules as the contract's Merchant message. */
export function merchantMessage({ merchant, feeRules }: MerchantRecord): Merchant {
  const fees = feeScheduleTermsOf(feeRules);
  return create(MerchantSchema, {
    id: merchant.id,
    name: merchant.name,
    status: merchantStatuses[merchant.status],
    feeSchedule: {
      defaultFee: feeRule(fees.defaultFee),
      currencyFees: Object.fromEntries(
        [...fees.currencyFees].map(([currency, terms]) => [currency, feeRule(terms)]),
      ),
    },
    createdAt: timestampFromDate(merchant.createdAt),
    updatedAt: timestampFromDate(merchant.updatedAt),
  });
}
