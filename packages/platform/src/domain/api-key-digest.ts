import { createHash } from "node:crypto";

/**
 * The SHA-256 (hex) of an API key secret: the only form in which a key is stored, looked
 * up or used as a cache key. API keys carry at least 128 random bits, so a fast hash is
 * enough (no password stretching needed) and lookups stay O(1).
 */
export function apiKeyDigest(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/**
 * The Redis key under which the gateway caches the result of authenticating an API key.
 * The merchant service deletes it when the key is revoked or its merchant suspended, so
 * revocation takes effect at once (wherever gateway and merchant share a Redis).
 */
export function apiKeyCacheKey(digest: string): string {
  return `auth:api-key:${digest}`;
}
