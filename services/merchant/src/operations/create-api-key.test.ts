import { Code } from "@connectrpc/connect";
import {
  ApiKeyStatus,
  MerchantService,
  MerchantStatus,
} from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { apiKeyDigest, createId } from "@kassa/platform";
import { rejectionOf, startTestService, testTokens } from "@kassa/platform/testing";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeys } from "../db/schema.js";
import { merchantService } from "../server.js";

const start = () => startTestService(merchantService, { label: "merchant_key_create" });
let service: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  service = await start();
});
afterAll(() => service.stop());

const admin = () => service.client(MerchantService, testTokens.admin);
async function newMerchant() {
  const { merchant } = await admin().createMerchant({ name: "Key Holder" });
  return merchant?.id ?? "";
}
// `sk_test_` and 33 base62 characters: 24 random bytes (192 bits) in base62.
const secretFormat = /^sk_test_[0-9A-Za-z]{33}$/;

describe("CreateApiKey", () => {
  it("returns an ACTIVE key and its secret, storing only the digest and the prefix", async () => {
    const merchantId = await newMerchant();
    const { apiKey, secret } = await admin().createApiKey({
      merchantId,
      name: "production server",
    });
    expect(secret).toMatch(secretFormat);
    expect(apiKey).toMatchObject({
      merchantId,
      name: "production server",
      prefix: secret.slice(0, 12),
      status: ApiKeyStatus.ACTIVE,
    });
    expect(apiKey?.id).toMatch(/^key_[0-9A-Z]{26}$/);
    expect(apiKey?.revokedAt).toBeUndefined();
    const [row] = await service.context.db
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.id, apiKey?.id ?? ""));
    expect(row).toMatchObject({ digest: apiKeyDigest(secret), prefix: secret.slice(0, 12) });
  });

  it("issues 1000 distinct secrets of the documented format (at least 128 random bits each)", async () => {
    const merchantId = await newMerchant();
    const secrets: string[] = [];
    // 20 callers at a time, so the keys are issued concurrently as well.
    for (let batch = 0; batch < 50; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => admin().createApiKey({ merchantId })),
      );
      secrets.push(...answers.map((answer) => answer.secret));
    }
    expect(secrets.every((secret) => secretFormat.test(secret))).toBe(true);
    expect(new Set(secrets).size).toBe(1000);
    // Each random position must actually vary. The first encoded character (index 8) is the
    // top of a 192-bit number, which spans only 0-3 of base62's 62 digits, so it is skipped.
    for (let position = 9; position < 41; position++) {
      expect(new Set(secrets.map((secret) => secret[position])).size).toBeGreaterThan(40);
    }
  });

  it("lets a merchant hold several active keys", async () => {
    const merchantId = await newMerchant();
    const first = await admin().createApiKey({ merchantId });
    const second = await admin().createApiKey({ merchantId });
    const { apiKeys: listed } = await admin().listApiKeys({ merchantId });
    expect(listed.map((key) => key.id)).toEqual([second.apiKey?.id, first.apiKey?.id]);
  });

  it("issues keys for a SUSPENDED merchant too", async () => {
    const merchantId = await newMerchant();
    await admin().updateMerchant({ merchantId, status: MerchantStatus.SUSPENDED });
    const { apiKey } = await admin().createApiKey({ merchantId });
    expect(apiKey?.status).toBe(ApiKeyStatus.ACTIVE);
  });

  it("answers NOT_FOUND for an unknown merchant, writing nothing", async () => {
    const before = await service.context.db.$count(apiKeys);
    const merchantId = createId("mer");
    const error = await rejectionOf(admin().createApiKey({ merchantId }));
    expect([error.code, error.rawMessage]).toEqual([
      Code.NotFound,
      `merchant ${merchantId} not found`,
    ]);
    expect(await service.context.db.$count(apiKeys)).toBe(before);
  });

  it.each([
    ["merchant_id", { merchantId: "" }, "merchant_id: is required"],
    [
      "merchant_id",
      { merchantId: "key_01JDZ8E4K3Q9V6T2W5X7Y8Z0AB" },
      "merchant_id: must be a mer_… id",
    ],
    ["name", { name: "n".repeat(101) }, "name: must be at most 100 characters"],
    ["name", { name: "trailing " }, "name: must not start or end with whitespace"],
  ])(
    "rejects a bad %s with INVALID_ARGUMENT naming it, writing nothing",
    async (_field, bad, message) => {
      const merchantId = await newMerchant();
      const before = await service.context.db.$count(apiKeys);
      const error = await rejectionOf(admin().createApiKey({ merchantId, ...bad }));
      expect([error.code, error.rawMessage]).toEqual([Code.InvalidArgument, message]);
      expect(await service.context.db.$count(apiKeys)).toBe(before);
    },
  );

  it("answers UNAUTHENTICATED with the internal token or none, writing nothing", async () => {
    const merchantId = await newMerchant();
    const before = await service.context.db.$count(apiKeys);
    for (const token of [testTokens.internal, undefined]) {
      const error = await rejectionOf(
        service.client(MerchantService, token).createApiKey({ merchantId }),
      );
      expect(error.code).toBe(Code.Unauthenticated);
    }
    expect(await service.context.db.$count(apiKeys)).toBe(before);
  });
});
