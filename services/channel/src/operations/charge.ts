import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type ChargeRequest,
  type ChargeResponse,
  ChargeResponseSchema,
} from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { createId, rpcErrors, Secret } from "@kassa/platform";
import { chargeMessage } from "../charge-message.js";
import { chargeRepository } from "../db/charge-repository.js";
import { isReleasedClaim } from "../db/released-claim.js";
import type { ChargeRow } from "../db/schema.js";
import { boundedProviderCall } from "../providers/bounded-provider-call.js";
import type { Provider } from "../providers/provider.js";
import { settlePendingCharge } from "../settle-pending-charge.js";
import type { ChannelContext } from "./channel-context.js";
import { isSamePayment, paymentMethodRequest } from "./payment-method-request.js";

/**
 * Charge: charges a payment method through a channel, once per (channel, idempotency_key).
 * The key is claimed with a PENDING charge before the provider is asked, outside any
 * transaction, and the answer is persisted after. A repeated request gets the first outcome
 * (waiting for it while the first call runs here); the key reused for a different charge is
 * ALREADY_EXISTS. A provider that was not reached releases the claim and answers UNAVAILABLE,
 * so the same request repeated asks the provider again.
 */
export async function charge(
  context: ChannelContext,
  request: ChargeRequest,
  call: HandlerContext,
): Promise<ChargeResponse> {
  // Validate.
  const { idempotencyKey, provider, wanted } = paymentMethodRequest(context, request);

  // Persist the intent: claim the key, or find what holds it.
  const { charge: found, claimed } = await chargeRepository.claim(context.db, {
    id: createId("ch"),
    channel: provider.name,
    idempotencyKey,
    ...wanted,
    at: context.clock.now(),
  });

  // Check a found charge: the same request gets its first outcome, a released claim is retried.
  let attempt: ChargeRow | undefined = found;
  if (!claimed) {
    if (!isSamePayment(found, wanted)) {
      // Never echoes the stored request: its payment method is a secret.
      throw rpcErrors.alreadyExists(
        `idempotency_key ${idempotencyKey} was already used on channel ${provider.name} for a different charge`,
      );
    }
    attempt = isReleasedClaim(found)
      ? await chargeRepository.reclaim(context.db, found.id, context.clock.now())
      : undefined;
    if (!attempt) return answer(await firstOutcome(context, found, call.signal));
  }

  // Call out, then persist the result.
  const claim = attempt;
  return answer(
    await context.chargeCalls.run(claim.id, () => chargeAtProvider(context, provider, claim, call)),
  );
}

/**
 * Asks the provider and records its answer: with the provider's own record, in its statement
 * or transaction, when it keeps that in this database (the sandbox), else after the call. A provider that throws
 * leaves the charge PENDING: its outcome is unknown, and GetCharge or a repeated Charge asks
 * the provider again later.
 */
async function chargeAtProvider(
  context: ChannelContext,
  provider: Provider,
  charge: ChargeRow,
  call: HandlerContext,
): Promise<ChargeRow> {
  let settled: ChargeRow | undefined;
  const outcome = await provider.charge(
    {
      chargeId: charge.id,
      merchantId: charge.merchantId,
      amount: charge.amount,
      currency: charge.currency,
      paymentMethod: new Secret(charge.paymentMethod, "payment method"),
      description: charge.description,
    },
    boundedProviderCall(call, context.providerCallTimeoutMs),
    {
      async inStatement(db, decision, recorded) {
        const at = context.clock.now();
        settled = await chargeRepository.settleAlongside(db, charge.id, decision, at, recorded);
        return settled !== undefined;
      },
      async inTransaction(tx, decision) {
        settled = await chargeRepository.settle(tx, charge.id, decision, context.clock.now());
      },
    },
  );
  const at = context.clock.now();
  if (outcome.status === "UNAVAILABLE") {
    return chargeRepository.release(context.db, charge.id, outcome.message, at);
  }
  return settled ?? chargeRepository.settle(context.db, charge.id, outcome, at);
}

/** The outcome of a charge some other call claimed: awaited when it runs here, else asked for. */
async function firstOutcome(
  context: ChannelContext,
  charge: ChargeRow,
  signal: AbortSignal,
): Promise<ChargeRow> {
  // A final outcome is stored; a PENDING one, or a released claim another retry just took, is not yet.
  if (charge.status !== "PENDING" && !isReleasedClaim(charge)) return charge;
  const waited = await context.chargeCalls.waitFor(charge.id, signal);
  const current = await chargeRepository.findExisting(context.db, charge.id);
  return waited ? current : settlePendingCharge(context, current);
}

function answer(charge: ChargeRow): ChargeResponse {
  if (isReleasedClaim(charge)) {
    throw rpcErrors.unavailable(
      `channel ${charge.channel} could not be reached (${charge.failureMessage}); nothing was charged, and repeating the call with the same idempotency_key is safe`,
    );
  }
  return create(ChargeResponseSchema, { charge: chargeMessage(charge) });
}
