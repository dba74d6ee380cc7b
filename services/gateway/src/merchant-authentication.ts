import { createHash, timingSafeEqual } from "node:crypto";
import {
  type Client,
  Code,
  ConnectError,
  createContextKey,
  type HandlerContext,
  type Interceptor,
} from "@connectrpc/connect";
import { GatewayService } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import type { MerchantService } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import {
  apiKeyCacheKey,
  apiKeyDigest,
  bearerToken,
  isCallerBudgetError,
  type Logger,
  type RedisStore,
  rpcErrors,
  type Secret,
  type WindowCounter,
} from "@kassa/platform";

/** The merchant a request was authenticated as. */
export interface AuthenticatedMerchant {
  readonly merchantId: string;
  readonly apiKeyId: string;
}

/** Who is calling: a merchant (API key), or an operator reading with the admin token. */
type Caller = { kind: "merchant"; merchant: AuthenticatedMerchant } | { kind: "operator" };

const callerKey = createContextKey<Caller | undefined>(undefined, {
  description: "kassa gateway caller",
});

/** The merchant the request was authenticated as; every RPC that creates something has one. */
export function authenticatedMerchant(context: HandlerContext): AuthenticatedMerchant {
  const caller = context.values.get(callerKey);
  if (caller?.kind !== "merchant") throw rpcErrors.unauthenticated("an API key is required");
  return caller.merchant;
}

/**
 * The merchant whose objects a read may see: the caller's own, or every merchant's
 * (undefined) for an operator presenting the admin token.
 */
export function readerScope(context: HandlerContext): string | undefined {
  const caller = context.values.get(callerKey);
  if (caller?.kind === "operator") return undefined;
  return authenticatedMerchant(context).merchantId;
}

// Operators may read any payment, refund or event with the admin token (`kassa payment pay_…`),
// and send an event again (`kassa webhooks redeliver evt_…`).
const operatorMethods = new Set([
  "GetPayment",
  "ListPayments",
  "GetRefund",
  "ListRefunds",
  "ListPaymentEvents",
  "GetEvent",
  "ListEvents",
  "RedeliverEvent",
]);

/** Options for {@link createMerchantAuthentication}. */
export interface MerchantAuthenticationOptions {
  merchants: Client<typeof MerchantService>;
  redis: RedisStore;
  /** How long a successful authentication is cached. */
  cacheTtlMs: number;
  /** Requests per merchant per clock minute (fixed windows; see {@link rateLimitCounter}). */
  rateLimitPerMinute: number;
  /** KASSA_ADMIN_TOKEN, when configured: lets an operator read payments and refunds. */
  adminToken?: Secret | undefined;
  logger: Logger;
}

/**
 * The Redis counter of a merchant's requests in the current minute: a field of the gateway's
 * `ratelimit` hash for that minute. Minutes are fixed (aligned to the clock), so a merchant at
 * its limit is served again when the next minute begins.
 */
export function rateLimitCounter(merchantId: string): WindowCounter {
  return { group: "ratelimit", member: merchantId, windowMs: 60_000 };
}

const keyRequired = "an API key is required: authorization: Bearer sk_test_…";
const keyInvalid = "API key is not valid";

/**
 * The gateway's interceptor for every GatewayService RPC: authenticates the API key in
 * `authorization: Bearer …` (MerchantService.AuthenticateApiKey, cached briefly in Redis under
 * the key's digest, which revocation evicts), then applies the merchant's rate limit. Redis
 * trouble never blocks a payment: the cache is skipped and the limit not enforced.
 */
export function createMerchantAuthentication(options: MerchantAuthenticationOptions): Interceptor {
  const { redis, logger } = options;
  let redisDown = false;
  const redisFailed = (error: unknown) => {
    if (!redisDown)
      logger.warn({ err: (error as Error).message }, "redis unavailable to the gateway");
    redisDown = true;
  };

  const authenticate = async (secret: string): Promise<AuthenticatedMerchant> => {
    const cacheKey = apiKeyCacheKey(apiKeyDigest(secret));
    const cached = await redis.get(cacheKey).catch(redisFailed);
    if (cached) return JSON.parse(cached) as AuthenticatedMerchant;
    let answer: Awaited<ReturnType<typeof options.merchants.authenticateApiKey>>;
    try {
      answer = await options.merchants.authenticateApiKey({ secret });
    } catch (error) {
      throw authenticationFailure(error);
    }
    const merchant = { merchantId: answer.merchant?.id ?? "", apiKeyId: answer.apiKeyId };
    await redis
      .set(cacheKey, JSON.stringify(merchant), { ttlMs: options.cacheTtlMs })
      .catch(redisFailed);
    return merchant;
  };

  const enforceRateLimit = async (merchantId: string) => {
    const [used] =
      (await redis.incrementWindows([rateLimitCounter(merchantId)]).catch(redisFailed)) ?? [];
    if (used !== undefined) redisDown = false;
    if (used !== undefined && used > options.rateLimitPerMinute) {
      throw rpcErrors.resourceExhausted(
        `rate limit of ${options.rateLimitPerMinute} requests per minute reached; retry in a minute`,
      );
    }
  };

  return (next) => async (request) => {
    if (request.service.typeName !== GatewayService.typeName) return next(request);
    const secret = bearerToken(request.header.get("authorization"));
    if (!secret) throw rpcErrors.unauthenticated(keyRequired);
    if (options.adminToken && sameSecret(secret, options.adminToken)) {
      if (!operatorMethods.has(request.method.name)) {
        throw rpcErrors.permissionDenied(
          `the admin token can read payments, refunds and events and redeliver events; ${request.method.name} takes a merchant's API key`,
        );
      }
      request.contextValues.set(callerKey, { kind: "operator" });
      return next(request);
    }
    const merchant = await authenticate(secret);
    await enforceRateLimit(merchant.merchantId);
    request.contextValues.set(callerKey, { kind: "merchant", merchant });
    return next(request);
  };
}

function sameSecret(presented: string, expected: Secret): boolean {
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(presented), digest(expected.reveal()));
}

/** What the caller hears when MerchantService did not accept the key; never the key itself. */
function authenticationFailure(error: unknown): ConnectError {
  // The caller's own deadline ran out: not an outage, so not UNAVAILABLE in its metrics.
  if (isCallerBudgetError(error)) {
    return rpcErrors.deadlineExceeded("the request's deadline ran out while checking the API key");
  }
  const cause = ConnectError.from(error);
  switch (cause.code) {
    case Code.Unauthenticated:
    case Code.InvalidArgument:
      return rpcErrors.unauthenticated(keyInvalid);
    case Code.PermissionDenied:
      return rpcErrors.permissionDenied("the merchant is suspended");
    default:
      return rpcErrors.unavailable("the API key cannot be checked right now; retry shortly");
  }
}
