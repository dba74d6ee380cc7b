import { create } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  type AuthorizeRequest,
  type AuthorizeResponse,
  AuthorizeResponseSchema,
} from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { createId, rpcErrors, Secret } from "@kassa/platform";
import { authorizationMessage } from "../authorization-message.js";
import { authorizationRepository } from "../db/authorization-repository.js";
import { isReleasedClaim } from "../db/released-claim.js";
import type { AuthorizationRow } from "../db/schema.js";
import { boundedProviderCall } from "../providers/bounded-provider-call.js";
import type { Provider } from "../providers/provider.js";
import { settlePendingAuthorization } from "../settle-pending-authorization.js";
import type { ChannelContext } from "./channel-context.js";
import { isSamePayment, paymentMethodRequest } from "./payment-method-request.js";

/**
 * Authorize: holds an amount on a payment method through a channel, once per (channel,
 * idempotency_key), exactly as Charge charges: the key is claimed with a PENDING authorization
 * before the provider is asked, outside any transaction, and the answer is persisted after. A
 * repeated request gets the first outcome; the key reused differently is ALREADY_EXISTS; a
 * provider that was not reached releases the claim and answers UNAVAILABLE.
 */
export async function authorize(
  context: ChannelContext,
  request: AuthorizeRequest,
  call: HandlerContext,
): Promise<AuthorizeResponse> {
  // Validate.
  const { idempotencyKey, provider, wanted } = paymentMethodRequest(context, request);

  // Persist the intent: claim the key, or find what holds it.
  const { authorization: found, claimed } = await authorizationRepository.claim(context.db, {
    id: createId("au"),
    channel: provider.name,
    idempotencyKey,
    ...wanted,
    at: context.clock.now(),
  });

  // Check a found authorization: the same request gets its first outcome, a released claim is retried.
  let attempt: AuthorizationRow | undefined = found;
  if (!claimed) {
    if (!isSamePayment(found, wanted)) {
      // Never echoes the stored request: its payment method is a secret.
      throw rpcErrors.alreadyExists(
        `idempotency_key ${idempotencyKey} was already used on channel ${provider.name} for a different authorization`,
      );
    }
    attempt = isReleasedClaim(found)
      ? await authorizationRepository.reclaim(context.db, found.id, context.clock.now())
      : undefined;
    if (!attempt) return answer(await firstOutcome(context, found, call.signal));
  }

  // Call out, then persist the result.
  const claim = attempt;
  return answer(
    await context.authorizeCalls.run(claim.id, () =>
      authorizeAtProvider(context, provider, claim, call),
    ),
  );
}

/** Asks the provider and records its answer; one that throws leaves the authorization PENDING. */
async function authorizeAtProvider(
  context: ChannelContext,
  provider: Provider,
  authorization: AuthorizationRow,
  call: HandlerContext,
): Promise<AuthorizationRow> {
  const outcome = await provider.authorize(
    {
      authorizationId: authorization.id,
      merchantId: authorization.merchantId,
      amount: authorization.amount,
      currency: authorization.currency,
      paymentMethod: new Secret(authorization.paymentMethod, "payment method"),
      description: authorization.description,
    },
    boundedProviderCall(call, context.providerCallTimeoutMs),
  );
  const at = context.clock.now();
  if (outcome.status === "UNAVAILABLE") {
    return authorizationRepository.release(context.db, authorization.id, outcome.message, at);
  }
  return authorizationRepository.settle(context.db, authorization.id, outcome, at);
}

/**
 * The outcome of an authorization some other call claimed: awaited when it runs here, else
 * asked for; also where a held one past its expiry is found EXPIRED.
 */
async function firstOutcome(
  context: ChannelContext,
  authorization: AuthorizationRow,
  signal: AbortSignal,
): Promise<AuthorizationRow> {
  if (authorization.status !== "PENDING" && !isReleasedClaim(authorization)) {
    return settlePendingAuthorization(context, authorization);
  }
  const waited = await context.authorizeCalls.waitFor(authorization.id, signal);
  const current = await authorizationRepository.findExisting(context.db, authorization.id);
  return waited ? current : settlePendingAuthorization(context, current);
}

function answer(authorization: AuthorizationRow): AuthorizeResponse {
  if (isReleasedClaim(authorization)) {
    throw rpcErrors.unavailable(
      `channel ${authorization.channel} could not be reached (${authorization.failureMessage}); nothing was authorized, and repeating the call with the same idempotency_key is safe`,
    );
  }
  return create(AuthorizeResponseSchema, { authorization: authorizationMessage(authorization) });
}
