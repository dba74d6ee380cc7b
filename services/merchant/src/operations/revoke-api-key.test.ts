import { Code } from "@connectrpc/connect";
import { ApiKeyStatus, MerchantService } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { apiKeyCacheKey, apiKeyDigest, createId } from "@kassa/platform";
import { rejectionOf, startTestService, testTokens } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { merchantService } from "../server.js";

// A clock the tests move by hand, so `revoked_at` can be asserted exactly.
let now = new Date("2030-06-01T12:00:00Z");
const advance = () => {
  now = new Date(now.getTime() + 60_000);
  return now;
};
const clock = { now: () => now };
const start = () => startTestService(merchantService, { label: "merchant_key_revoke", clock });
let service: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  service = await start();
});
afterAll(() => service.stop());

const admin = () => service.client(MerchantService, testTokens.admin);
const client = () => service.client(MerchantService, testTokens.internal);
async function newKey(target = service) {
  const owner = target.client(MerchantService, testTokens.admin);
  const { merchant } = await owner.createMerchant({ name: "Revoker" });
  const { apiKey, secret } = await owner.createApiKey({ merchantId: merchant?.id ?? "" });
  return { apiKeyId: apiKey?.id ?? "", secret };
}

describe("RevokeApiKey", () => {
  it("stops the key authenticating at once", async () => {
    const { apiKeyId, secret } = await newKey();
    expect((await client().authenticateApiKey({ secret })).apiKeyId).toBe(apiKeyId);
    const at = advance();
    const { apiKey } = await admin().revokeApiKey({ apiKeyId });
    expect(apiKey?.status).toBe(ApiKeyStatus.REVOKED);
    expect(apiKey?.revokedAt?.seconds).toBe(BigInt(at.getTime() / 1000));
    const error = await rejectionOf(client().authenticateApiKey({ secret }));
    expect(error.code).toBe(Code.Unauthenticated);
  });

  it("returns a revoked key unchanged when revoked again, first revoked_at kept", async () => {
    const { apiKeyId } = await newKey();
    advance();
    const first = await admin().revokeApiKey({ apiKeyId });
    advance();
    const again = await admin().revokeApiKey({ apiKeyId });
    expect(again.apiKey).toEqual(first.apiKey);
  });

  it("leaves other keys of the merchant working", async () => {
    const { merchant } = await admin().createMerchant({ name: "Rotator" });
    const merchantId = merchant?.id ?? "";
    const old = await admin().createApiKey({ merchantId });
    const fresh = await admin().createApiKey({ merchantId });
    await admin().revokeApiKey({ apiKeyId: old.apiKey?.id ?? "" });
    const { apiKeyId } = await client().authenticateApiKey({ secret: fresh.secret });
    expect(apiKeyId).toBe(fresh.apiKey?.id);
  });

  it("deletes the gateway's cached authentication of the key, and only that", async () => {
    const revoked = await newKey();
    const kept = await newKey();
    const cacheKeys = [revoked, kept].map((key) => apiKeyCacheKey(apiKeyDigest(key.secret)));
    for (const key of cacheKeys) await service.context.redis.set(key, "cached", { ttlMs: 60_000 });

    await admin().revokeApiKey({ apiKeyId: revoked.apiKeyId });
    expect(await service.context.redis.get(cacheKeys[0] ?? "")).toBeNull();
    expect(await service.context.redis.get(cacheKeys[1] ?? "")).toBe("cached");

    // A repeat evicts again: the way to retry an eviction that failed.
    await service.context.redis.set(cacheKeys[0] ?? "", "cached again", { ttlMs: 60_000 });
    await admin().revokeApiKey({ apiKeyId: revoked.apiKeyId });
    expect(await service.context.redis.get(cacheKeys[0] ?? "")).toBeNull();
  });

  it("still revokes when Redis fails, logging the failure without the key", async () => {
    const broken = await startTestService(merchantService, { label: "merchant_key_revoke_redis" });
    try {
      const { apiKeyId, secret } = await newKey(broken);
      await broken.context.redis.close();
      const { apiKey } = await broken
        .client(MerchantService, testTokens.admin)
        .revokeApiKey({ apiKeyId });
      expect(apiKey?.status).toBe(ApiKeyStatus.REVOKED);
      const error = await rejectionOf(
        broken.client(MerchantService, testTokens.internal).authenticateApiKey({ secret }),
      );
      expect(error.code).toBe(Code.Unauthenticated);
      const warning = broken.logs.lines.find((line) => line.includes("could not evict"));
      expect(warning).toContain(apiKeyId);
      const logs = broken.logs.lines.join("\n");
      expect(logs).not.toContain(secret);
      expect(logs).not.toContain(apiKeyDigest(secret));
    } finally {
      await broken.stop();
    }
  });

  it("answers NOT_FOUND for an unknown key and INVALID_ARGUMENT for a malformed id", async () => {
    const unknown = createId("key");
    const missing = await rejectionOf(admin().revokeApiKey({ apiKeyId: unknown }));
    expect([missing.code, missing.rawMessage]).toEqual([
      Code.NotFound,
      `API key ${unknown} not found`,
    ]);
    const { secret } = await newKey();
    for (const [apiKeyId, message] of [
      ["", "api_key_id: is required"],
      ["mer_01JDZ8E4K3Q9V6T2W5X7Y8Z0AB", "api_key_id: must be a key_… id"],
      // The secret is not the id; the answer must not repeat it.
      [secret, "api_key_id: must be a key_… id"],
    ] as const) {
      const error = await rejectionOf(admin().revokeApiKey({ apiKeyId }));
      expect([error.code, error.rawMessage]).toEqual([Code.InvalidArgument, message]);
    }
    expect((await client().authenticateApiKey({ secret })).apiKeyId).toMatch(/^key_/);
  });

  it("answers UNAUTHENTICATED with the internal token or none, revoking nothing", async () => {
    const { apiKeyId, secret } = await newKey();
    for (const token of [testTokens.internal, undefined]) {
      const error = await rejectionOf(
        service.client(MerchantService, token).revokeApiKey({ apiKeyId }),
      );
      expect(error.code).toBe(Code.Unauthenticated);
    }
    expect((await client().authenticateApiKey({ secret })).apiKeyId).toBe(apiKeyId);
  });
});
