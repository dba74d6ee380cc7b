import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type RefundRequest,
  type RefundResponse,
  RefundResponseSchema,
} from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { createId, requestFields, rpcErrors } from "@kassa/platform";
import { channelRefundMessage } from "../channel-refund-message.js";
import { chargeRepository } from "../db/charge-repository.js";
import { refundRepository } from "../db/refund-repository.js";
import { isReleasedClaim } from "../db/released-claim.js";
import type { ChargeRow, RefundRow } from "../db/schema.js";
import { boundedProviderCall } from "../providers/bounded-provider-call.js";
import type { Provider } from "../providers/provider.js";
import { settlePendingRefund } from "../settle-pending-refund.js";
import type { ChannelContext } from "./channel-context.js";

/**
 * Refund: returns money of a SUCCEEDED charge, once per (charge's channel, idempotency_key).
 * Under the charge's row lock the refund is claimed PENDING only if the charge's refunded and
 * pending refunds plus this amount stay within the charge, so concurrent refunds can never
 * exceed it; the provider is asked outside the transaction; its answer and the charge's
 * amounts are persisted together. Repeats, conflicts and an unreached provider behave as in
 * Charge.
 */
export async function refund(
  context: ChannelContext,
  request: RefundRequest,
  call: HandlerContext,
): Promise<RefundResponse> {
  // Validate.
  const idempotencyKey = requestFields.text("idempotency_key", request.idempotencyKey);
  const chargeId = requestFields.id("charge_id", request.chargeId, "ch");
  const amount = requestFields.amount("amount", request.amount);
  const currency = requestFields.currency("currency", request.currency);
  const reason = requestFields.text("reason", request.reason, { max: 500, optional: true });

  // Load the charge: its channel performs the refund and scopes the key.
  const charge = await chargeRepository.find(context.db, chargeId);
  if (!charge || isReleasedClaim(charge)) throw rpcErrors.notFound("charge", chargeId);
  if (currency !== charge.currency) {
    throw rpcErrors.invalidArgument(
      "currency",
      `must be the charge's currency, ${charge.currency}`,
    );
  }
  const provider = context.channels.channelOf(charge);
  const wanted = { chargeId, amount, currency, reason };

  // Check the charge and persist the intent under its lock, unless the key is taken.
  const { refund: found, claimed } = await context.db.transaction(async (tx) => {
    const locked = await chargeRepository.lock(tx, chargeId);
    if (!locked) throw rpcErrors.notFound("charge", chargeId);
    const at = context.clock.now();
    const existing = await refundRepository.findByKey(tx, provider.name, idempotencyKey);
    if (existing && !(isReleasedClaim(existing) && sameRefund(existing, wanted))) {
      return { refund: existing, claimed: false };
    }
    requireRefundable(locked, amount);
    const claim = existing
      ? await reclaimed(tx, existing, at)
      : await refundRepository.claim(tx, {
          id: createId("chr"),
          channel: provider.name,
          idempotencyKey,
          merchantId: locked.merchantId,
          ...wanted,
          at,
        });
    if (claim.claimed) await chargeRepository.reserveRefund(tx, chargeId, amount);
    return claim;
  });

  // A found refund: the same request gets its first outcome.
  if (!claimed) {
    if (!sameRefund(found, wanted)) {
      throw rpcErrors.alreadyExists(
        `idempotency_key ${idempotencyKey} was already used on channel ${provider.name} for a different refund`,
      );
    }
    return answer(await firstOutcome(context, found, call.signal));
  }

  // Call out, then persist the result.
  return answer(
    await context.refundCalls.run(found.id, () =>
      refundAtProvider(context, provider, charge, found, call),
    ),
  );
}

/** The refund limit: only a SUCCEEDED charge, and never beyond what is left of it. */
function requireRefundable(charge: ChargeRow, amount: bigint): void {
  if (charge.status !== "SUCCEEDED") {
    throw rpcErrors.failedPrecondition(
      `charge ${charge.id} is ${charge.status}; only a SUCCEEDED charge can be refunded`,
    );
  }
  const left = charge.amount - charge.refundedAmount - charge.refundingAmount;
  if (amount > left) {
    throw rpcErrors.failedPrecondition(
      `amount ${amount} exceeds what is left to refund of charge ${charge.id}: ${left} ${charge.currency} (its amount minus succeeded and pending refunds)`,
    );
  }
}

async function reclaimed(
  tx: ChannelContext["db"],
  refund: RefundRow,
  at: Date,
): Promise<{ refund: RefundRow; claimed: boolean }> {
  const again = await refundRepository.reclaim(tx, refund.id, at);
  return again ? { refund: again, claimed: true } : { refund, claimed: false };
}

/**
 * Asks the provider and records its answer with the charge's amounts. A provider that throws
 * leaves the refund PENDING (still counted against the charge): its outcome is unknown.
 */
async function refundAtProvider(
  context: ChannelContext,
  provider: Provider,
  charge: ChargeRow,
  refund: RefundRow,
  call: HandlerContext,
): Promise<RefundRow> {
  const outcome = await provider.refund(
    {
      refundId: refund.id,
      chargeId: charge.id,
      chargeReference: charge.providerReference ?? charge.id,
      amount: refund.amount,
      currency: refund.currency,
      reason: refund.reason,
    },
    boundedProviderCall(call, context.providerCallTimeoutMs),
  );
  const at = context.clock.now();
  if (outcome.status === "UNAVAILABLE") {
    return refundRepository.release(context.db, refund, outcome.message, at);
  }
  return refundRepository.settle(context.db, refund, outcome, at);
}

/** The outcome of a refund some other call claimed: awaited when it runs here, else asked for. */
async function firstOutcome(
  context: ChannelContext,
  refund: RefundRow,
  signal: AbortSignal,
): Promise<RefundRow> {
  // A final outcome is stored; a PENDING one, or a released claim another retry just took, is not yet.
  if (refund.status !== "PENDING" && !isReleasedClaim(refund)) return refund;
  const waited = await context.refundCalls.waitFor(refund.id, signal);
  const current = await refundRepository.findExisting(context.db, refund.id);
  return waited ? current : settlePendingRefund(context, current);
}

function sameRefund(
  refund: RefundRow,
  wanted: Pick<RefundRow, "chargeId" | "amount" | "currency" | "reason">,
): boolean {
  return (
    refund.chargeId === wanted.chargeId &&
    refund.amount === wanted.amount &&
    refund.currency === wanted.currency &&
    refund.reason === wanted.reason
  );
}

function answer(refund: RefundRow): RefundResponse {
  if (isReleasedClaim(refund)) {
    throw rpcErrors.unavailable(
      `channel ${refund.channel} could not be reached (${refund.failureMessage}); nothing was refunded, and repeating the call with the same idempotency_key is safe`,
    );
  }
  return create(RefundResponseSchema, { refund: channelRefundMessage(refund) });
}
