import { create } from "@bufbuild/protobuf";
import {
  type UpdateMerchantRequest,
  type UpdateMerchantResponse,
  UpdateMerchantResponseSchema,
} from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { type Logger, requestFields, rpcErrors } from "@kassa/platform";
import { apiKeyRepository } from "../db/api-key-repository.js";
import { type MerchantUpdate, merchantRepository } from "../db/merchant-repository.js";
import { evictApiKeyCache } from "../evict-api-key-cache.js";
import { feeScheduleTermsOf, sameFeeScheduleTerms } from "../fee-schedule-terms.js";
import { merchantMessage } from "../merchant-message.js";
import { feeScheduleField } from "./fee-schedule-field.js";
import type { MerchantContext } from "./merchant-context.js";
import { merchantStatusField } from "./merchant-status-field.js";

/**
 * UpdateMerchant: changes the name, status and/or fee schedule the request sets (a schedule
 * replaces the whole current one) and leaves the rest. Parts equal to what is stored change
 * nothing, so a retried update neither moves `updated_at` nor adds fee history.
 *
 * Setting a status also evicts the gateway's cached authentications of every key of the
 * merchant, so a suspension (or reactivation) takes effect at once; that happens after the
 * commit and a Redis failure there only logs.
 */
export async function updateMerchant(
  context: MerchantContext,
  request: UpdateMerchantRequest,
  log: Logger,
): Promise<UpdateMerchantResponse> {
  // Validate.
  const merchantId = requestFields.id("merchant_id", request.merchantId, "mer");
  const requested: MerchantUpdate = {
    ...(request.name !== undefined && {
      name: requestFields.text("name", request.name, { max: 200 }),
    }),
    ...(request.status !== undefined && {
      status: merchantStatusField("status", request.status),
    }),
    ...(request.feeSchedule && { fees: feeScheduleField("fee_schedule", request.feeSchedule) }),
  };
  if (Object.keys(requested).length === 0) {
    throw rpcErrors.invalidArgument("name, status, fee_schedule", "at least one must be set");
  }

  // Load, check, persist: under the merchant's row lock, so concurrent updates apply in turn.
  const record = await context.db.transaction(async (tx) => {
    const current = await merchantRepository.lock(tx, merchantId);
    if (!current) throw rpcErrors.notFound("merchant", merchantId);
    const rules = await merchantRepository.currentFeeRules(tx, [merchantId]);
    const changes: MerchantUpdate = {
      ...(requested.name !== undefined &&
        requested.name !== current.name && { name: requested.name }),
      ...(requested.status !== undefined &&
        requested.status !== current.status && { status: requested.status }),
      ...(requested.fees &&
        !sameFeeScheduleTerms(requested.fees, feeScheduleTermsOf(rules)) && {
          fees: requested.fees,
        }),
    };
    if (Object.keys(changes).length === 0) return { merchant: current, feeRules: rules };
    const merchant = await merchantRepository.update(tx, current, changes, context.clock.now());
    return {
      merchant,
      feeRules: changes.fees ? await merchantRepository.currentFeeRules(tx, [merchantId]) : rules,
    };
  });

  // Call out: the status is committed, so cached answers must go.
  if (requested.status !== undefined) {
    const digests = await apiKeyRepository.digestsOfMerchant(context.db, merchantId);
    await evictApiKeyCache(context.redis, log, digests, merchantId);
  }
  return create(UpdateMerchantResponseSchema, { merchant: merchantMessage(record) });
}
