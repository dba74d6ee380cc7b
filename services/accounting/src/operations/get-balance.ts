import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  BalanceSchema,
  type GetBalanceRequest,
  type GetBalanceResponse,
  GetBalanceResponseSchema,
} from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import { requestFields } from "@kassa/platform";
import { ledgerRepository } from "../db/ledger-repository.js";
import type { AccountingContext } from "./accounting-context.js";

/**
 * GetBalance: a merchant's balance, unsettled amount and totals in one currency, summed from
 * the postings in one statement (so the figures agree with each other). A merchant with no
 * entries has zeros, not NOT_FOUND: the ledger does not know which merchants exist.
 */
export async function getBalance(
  context: AccountingContext,
  request: GetBalanceRequest,
): Promise<GetBalanceResponse> {
  const merchantId = requestFields.id("merchant_id", request.merchantId, "mer");
  const currency = requestFields.currency("currency", request.currency);
  const asOf = context.clock.now();
  const figures = await ledgerRepository.balance(context.db, merchantId, currency);
  return create(GetBalanceResponseSchema, {
    balance: create(BalanceSchema, {
      merchantId,
      currency,
      ...figures,
      asOf: timestampFromDate(asOf),
    }),
  });
}
