import { apiKeyCacheKey, type Logger, type RedisStore } from "@kassa/platform";

// One DEL per batch keeps a merchant with many keys to a few round trips.
const batchSize = 500;

/**
 * Deletes the gateway's cached authentications of the keys with these digests, so a revocation
 * or suspension takes effect at once. The change is already committed when this runs, so a
 * Redis failure must not fail the RPC: it is logged (naming `subject`, an id, never a key or
 * digest) and the cached answers live on until their short TTL runs out. Calling the RPC again
 * retries the eviction.
 */
export async function evictApiKeyCache(
  redis: RedisStore,
  logger: Logger,
  digests: readonly string[],
  subject: string,
): Promise<void> {
  try {
    for (let start = 0; start < digests.length; start += batchSize) {
      await redis.del(...digests.slice(start, start + batchSize).map(apiKeyCacheKey));
    }
  } catch (error) {
    // Only the message: a Redis error object can carry the command and its arguments (the keys).
    logger.warn(
      { subject, err: error instanceof Error ? error.message : "unknown error" },
      "could not evict cached API key authentications; they expire on their own",
    );
  }
}
