import { Code } from "@connectrpc/connect";
import { MerchantService, MerchantStatus } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { apiKeyDigest } from "@kassa/platform";
import { rejectionOf, startTestService, testTokens } from "@kassa/platform/testing";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { merchantService } from "../server.js";
import { invalidApiKeyMessage } from "./authenticate-api-key.js";

const start = () => startTestService(merchantService, { label: "merchant_authenticate" });
let service: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  service = await start();
});
afterAll(() => service.stop());

const admin = () => service.client(MerchantService, testTokens.admin);
const client = () => service.client(MerchantService, testTokens.internal);
async function newKey() {
  const { merchant } = await admin().createMerchant({
    name: "Authenticated",
    feeSchedule: {
      defaultFee: { basisPoints: 250, fixedAmount: 20n },
      currencyFees: { JPY: { basisPoints: 320, fixedAmount: 0n } },
    },
  });
  const merchantId = merchant?.id ?? "";
  const { apiKey, secret } = await admin().createApiKey({ merchantId });
  return { merchant, merchantId, apiKeyId: apiKey?.id ?? "", secret };
}
async function expectInvalidKey(secret: string) {
  const error = await rejectionOf(client().authenticateApiKey({ secret }));
  expect([error.code, error.rawMessage]).toEqual([Code.Unauthenticated, invalidApiKeyMessage]);
}

/** Every `schema.table.column` of the merchant schema whose value, as text, contains `needle`. */
async function columnsContaining(needle: string): Promise<string[]> {
  const rows = async <T>(query: ReturnType<typeof sql>) => {
    const result = (await service.context.db.execute(query)) as unknown as T[] | { rows: T[] };
    return Array.isArray(result) ? result : result.rows;
  };
  const columns = await rows<{ table_name: string; column_name: string }>(sql`
    select c.table_name, c.column_name from information_schema.columns c
    join information_schema.tables t using (table_schema, table_name)
    where c.table_schema = 'merchant' and t.table_type = 'BASE TABLE'`);
  expect(columns.length).toBeGreaterThan(10);
  const hits: string[] = [];
  for (const { table_name: table, column_name: column } of columns) {
    const [found] = await rows<{ hits: number }>(sql`
      select count(*)::int as hits from ${sql.identifier("merchant")}.${sql.identifier(table)}
      where position(${needle} in ${sql.identifier(column)}::text) > 0`);
    if ((found?.hits ?? 0) > 0) hits.push(`merchant.${table}.${column}`);
  }
  return hits;
}

describe("AuthenticateApiKey", () => {
  it("follows a key's life: create, authenticate, revoke, then UNAUTHENTICATED", async () => {
    const { merchant, apiKeyId, secret } = await newKey();
    const answer = await client().authenticateApiKey({ secret });
    expect(answer.apiKeyId).toBe(apiKeyId);
    expect(answer.merchant).toEqual(merchant);
    await admin().revokeApiKey({ apiKeyId });
    await expectInvalidKey(secret);
  });

  it("answers PERMISSION_DENIED for a suspended merchant's key, and works again on reactivation", async () => {
    const { merchantId, apiKeyId, secret } = await newKey();
    await admin().updateMerchant({ merchantId, status: MerchantStatus.SUSPENDED });
    const error = await rejectionOf(client().authenticateApiKey({ secret }));
    expect([error.code, error.rawMessage]).toEqual([
      Code.PermissionDenied,
      `merchant ${merchantId} is suspended`,
    ]);
    await admin().updateMerchant({ merchantId, status: MerchantStatus.ACTIVE });
    const answer = await client().authenticateApiKey({ secret });
    expect([answer.apiKeyId, answer.merchant?.status]).toEqual([apiKeyId, MerchantStatus.ACTIVE]);
  });

  it("answers UNAUTHENTICATED, not PERMISSION_DENIED, for a revoked key of a suspended merchant", async () => {
    const { merchantId, apiKeyId, secret } = await newKey();
    await admin().revokeApiKey({ apiKeyId });
    await admin().updateMerchant({ merchantId, status: MerchantStatus.SUSPENDED });
    await expectInvalidKey(secret);
  });

  it("authenticates a key created while its merchant was suspended once it is active", async () => {
    const { merchantId } = await newKey();
    await admin().updateMerchant({ merchantId, status: MerchantStatus.SUSPENDED });
    const { apiKey, secret } = await admin().createApiKey({ merchantId });
    expect((await rejectionOf(client().authenticateApiKey({ secret }))).code).toBe(
      Code.PermissionDenied,
    );
    await admin().updateMerchant({ merchantId, status: MerchantStatus.ACTIVE });
    expect((await client().authenticateApiKey({ secret })).apiKeyId).toBe(apiKey?.id);
  });

  it.each([
    ["an empty secret", ""],
    ["an unknown secret of the right shape", `sk_test_${"A".repeat(33)}`],
    ["a secret with another prefix", `sk_live_${"A".repeat(33)}`],
    ["a secret with the Bearer scheme left on", `Bearer sk_test_${"A".repeat(33)}`],
    ["a secret over 255 characters", `sk_test_${"A".repeat(248)}`],
    ["the bare prefix", "sk_test_"],
  ])("answers %s with the one fixed UNAUTHENTICATED message", async (_case, secret) => {
    await expectInvalidKey(secret);
  });

  it("does not accept a real secret with a character changed or appended", async () => {
    const { secret } = await newKey();
    const last = secret.at(-1) === "a" ? "b" : "a";
    await expectInvalidKey(secret.slice(0, -1) + last);
    await expectInvalidKey(`${secret}0`);
    await expectInvalidKey(secret.toUpperCase());
  });

  it("keeps the secret out of the database: only its digest and 12-character prefix are stored", async () => {
    const { secret } = await newKey();
    // The scan finds what is there: the prefix and the digest, each in its own column.
    expect(await columnsContaining(secret.slice(0, 12))).toEqual(["merchant.api_keys.prefix"]);
    expect(await columnsContaining(apiKeyDigest(secret))).toEqual(["merchant.api_keys.digest"]);
    expect(await columnsContaining(secret)).toEqual([]);
    expect(await columnsContaining(secret.slice(12))).toEqual([]);
  });

  it("keeps secrets out of the logs, whatever the outcome", async () => {
    const { merchantId, apiKeyId, secret } = await newKey();
    const unknown = `sk_test_${"Z".repeat(33)}`;
    const before = service.logs.lines.length;
    await client().authenticateApiKey({ secret });
    await admin().updateMerchant({ merchantId, status: MerchantStatus.SUSPENDED });
    await rejectionOf(client().authenticateApiKey({ secret }));
    await admin().revokeApiKey({ apiKeyId });
    await rejectionOf(client().authenticateApiKey({ secret }));
    await rejectionOf(client().authenticateApiKey({ secret: unknown }));
    await rejectionOf(service.client(MerchantService).authenticateApiKey({ secret }));

    const lines = service.logs.lines.slice(before);
    expect(lines.filter((line) => line.includes("AuthenticateApiKey"))).toHaveLength(5);
    const logs = service.logs.lines.join("\n");
    for (const needle of [secret, secret.slice(12), apiKeyDigest(secret), unknown]) {
      expect(logs).not.toContain(needle);
    }
  });

  it("answers UNAUTHENTICATED without the internal token, never repeating the secret", async () => {
    const { secret } = await newKey();
    for (const token of [undefined, "wrong-token"]) {
      const error = await rejectionOf(
        service.client(MerchantService, token).authenticateApiKey({ secret }),
      );
      expect(error.code).toBe(Code.Unauthenticated);
      expect(error.rawMessage).not.toContain(secret);
      expect(error.rawMessage).not.toBe(invalidApiKeyMessage);
    }
  });

  it("answers the same merchant to 50 concurrent callers", async () => {
    const { merchantId, secret } = await newKey();
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => client().authenticateApiKey({ secret })),
    );
    expect(new Set(answers.map((answer) => answer.merchant?.id))).toEqual(new Set([merchantId]));
  });
});
