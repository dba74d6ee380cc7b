import { create } from "@bufbuild/protobuf";
import {
  type CreateMerchantRequest,
  type CreateMerchantResponse,
  CreateMerchantResponseSchema,
} from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { createId, requestFields } from "@kassa/platform";
import { merchantRepository } from "../db/merchant-repository.js";
import type { FeeScheduleTerms } from "../fee-schedule-terms.js";
import { merchantMessage } from "../merchant-message.js";
import { feeScheduleField } from "./fee-schedule-field.js";
import type { MerchantContext } from "./merchant-context.js";

/**
 * CreateMerchant: registers an ACTIVE merchant with the requested fee schedule, or the
 * configured default (MERCHANT_DEFAULT_FEE_BPS + MERCHANT_DEFAULT_FEE_FIXED, no per-currency
 * rules) when the request has none. Not idempotent: each call is a new merchant.
 */
export async function createMerchant(
  context: MerchantContext,
  request: CreateMerchantRequest,
): Promise<CreateMerchantResponse> {
  const name = requestFields.text("name", request.name, { max: 200 });
  const fees = request.feeSchedule
    ? feeScheduleField("fee_schedule", request.feeSchedule)
    : defaultFees(context);

  const record = await merchantRepository.create(context.db, {
    id: createId("mer"),
    name,
    fees,
    at: context.clock.now(),
  });
  return create(CreateMerchantResponseSchema, { merchant: merchantMessage(record) });
}

function defaultFees(context: MerchantContext): FeeScheduleTerms {
  return {
    defaultFee: {
      basisPoints: context.config.MERCHANT_DEFAULT_FEE_BPS,
      fixedAmount: BigInt(context.config.MERCHANT_DEFAULT_FEE_FIXED),
    },
    currencyFees: new Map(),
  };
}
