import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  type CreateSettlementRequest,
  type CreateSettlementResponse,
  CreateSettlementResponseSchema,
} from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import { createId, requestFields, rpcErrors } from "@kassa/platform";
import { settlementRepository } from "../db/settlement-repository.js";
import { feeRuleFor, type SettlementFeeRule, settlementFee } from "../settlement-fee.js";
import { settlementMessage } from "../settlement-message.js";
import type { AccountingContext } from "./accounting-context.js";

/**
 * CreateSettlement: gathers the merchant's unsettled PAYMENT and REFUND entries in a currency
 * up to a cut-off into a PENDING settlement, with its fee from the merchant's fee schedule.
 * Nothing is posted yet. The fee schedule is read before the transaction opens; opening the
 * settlement, recording exactly which entries it gathered and its totals then commit together
 * or not at all.
 */
export async function createSettlement(
  context: AccountingContext,
  request: CreateSettlementRequest,
): Promise<CreateSettlementResponse> {
  // Validate.
  const merchantId = requestFields.id("merchant_id", request.merchantId, "mer");
  const currency = requestFields.currency("currency", request.currency);
  const now = context.clock.now();
  const upTo = request.upTo ? timestampDate(request.upTo) : now;
  if (upTo > now) throw rpcErrors.invalidArgument("up_to", "must not be in the future");

  // Call out, with no transaction open: the fee rule.
  const rule = await merchantFeeRule(context, merchantId, currency);

  // Persist: open the settlement, gather its entries, check there is something to pay.
  const settlement = await context.db.transaction(async (tx) => {
    const opened = await settlementRepository.open(tx, {
      id: createId("stl"),
      merchantId,
      currency,
      upTo,
      feeBasisPoints: rule.basisPoints,
      feeFixedAmount: rule.fixedAmount,
      at: now,
    });
    if (!opened) {
      const open = await settlementRepository.findOpen(tx, merchantId, currency);
      throw rpcErrors.failedPrecondition(
        open
          ? `settlement ${open.id} of merchant ${merchantId} in ${currency} is still ${open.status}; process it before creating another`
          : `another settlement of merchant ${merchantId} in ${currency} was open; try again`,
      );
    }
    const gathered = await settlementRepository.gather(tx, opened);
    const cutOff = upTo.toISOString();
    if (gathered.paymentCount + gathered.refundCount === 0) {
      throw rpcErrors.failedPrecondition(
        `nothing to settle: merchant ${merchantId} has no unsettled ${currency} entries up to ${cutOff}`,
      );
    }
    const feeAmount = settlementFee(rule, {
      amount: gathered.paymentAmount,
      count: gathered.paymentCount,
    });
    const net = gathered.paymentAmount - gathered.refundAmount - feeAmount;
    if (net <= 0n) {
      // Rolled back: the entries stay unsettled and roll into a later settlement.
      throw rpcErrors.failedPrecondition(
        `nothing to settle: the net of merchant ${merchantId}'s unsettled ${currency} entries up to ${cutOff} is ${net} (payments ${gathered.paymentAmount}, refunds ${gathered.refundAmount}, fee ${feeAmount}); they stay unsettled for a later settlement`,
      );
    }
    return settlementRepository.recordTotals(tx, opened.id, { ...gathered, feeAmount });
  });
  context.metrics.settlements.inc({ status: "PENDING" });
  return create(CreateSettlementResponseSchema, { settlement: settlementMessage(settlement) });
}

/**
 * The merchant's fee rule for the currency, from MerchantService. An unknown merchant is
 * NOT_FOUND; an unreachable service (or its open breaker) is UNAVAILABLE as it came.
 */
async function merchantFeeRule(
  context: AccountingContext,
  merchantId: string,
  currency: string,
): Promise<SettlementFeeRule> {
  let answer: Awaited<ReturnType<AccountingContext["merchant"]["getMerchant"]>>;
  try {
    answer = await context.merchant.getMerchant({ merchantId });
  } catch (error) {
    const failure = ConnectError.from(error);
    if (failure.code === Code.NotFound) throw rpcErrors.notFound("merchant", merchantId);
    if (failure.code === Code.Unavailable) throw failure;
    context.logger.warn({ err: failure }, "merchant service failed to return a fee schedule");
    throw rpcErrors.unavailable(
      `merchant service could not return the fee schedule of merchant ${merchantId}; nothing was written`,
    );
  }
  const rule = answer.merchant && feeRuleFor(answer.merchant, currency);
  if (!rule) {
    throw rpcErrors.failedPrecondition(
      `merchant ${merchantId} has no fee rule for ${currency} and no default one`,
    );
  }
  return rule;
}
