import { Code } from "@connectrpc/connect";
import {
  type ApiKey,
  ApiKeyStatus,
  MerchantService,
} from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { createId } from "@kassa/platform";
import { rejectionOf, startTestService, testTokens } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { merchantService } from "../server.js";

const start = () => startTestService(merchantService, { label: "merchant_key_list" });
let service: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  service = await start();
});
afterAll(() => service.stop());

const admin = () => service.client(MerchantService, testTokens.admin);
const client = () => service.client(MerchantService, testTokens.internal);
/** A merchant with `count` keys, created one after another (oldest first). */
async function merchantWithKeys(count: number) {
  const { merchant } = await admin().createMerchant({ name: "Many Keys" });
  const merchantId = merchant?.id ?? "";
  const keys: { id: string; secret: string }[] = [];
  for (let i = 0; i < count; i++) {
    const { apiKey, secret } = await admin().createApiKey({ merchantId, name: `key ${i}` });
    keys.push({ id: apiKey?.id ?? "", secret });
  }
  return { merchantId, keys };
}
async function everyPage(request: {
  merchantId: string;
  pageSize: number;
  includeRevoked?: boolean;
}) {
  const pages: ApiKey[][] = [];
  let pageToken = "";
  do {
    const page = await client().listApiKeys({ ...request, pageToken });
    pages.push(page.apiKeys);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return pages;
}

describe("ListApiKeys", () => {
  it("pages through a merchant's keys newest first, page_size at a time", async () => {
    const { merchantId, keys } = await merchantWithKeys(5);
    await merchantWithKeys(1); // another merchant's key never shows up
    const pages = await everyPage({ merchantId, pageSize: 2 });
    expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
    expect(pages.flat().map((key) => key.id)).toEqual(keys.map((key) => key.id).reverse());
  });

  it("lists ACTIVE keys only, unless include_revoked", async () => {
    const { merchantId, keys } = await merchantWithKeys(3);
    await admin().revokeApiKey({ apiKeyId: keys[1]?.id ?? "" });
    const active = await client().listApiKeys({ merchantId });
    expect(active.apiKeys.map((key) => key.id)).toEqual([keys[2]?.id, keys[0]?.id]);
    const all = (await everyPage({ merchantId, pageSize: 1, includeRevoked: true })).flat();
    expect(all.map((key) => [key.id, key.status])).toEqual([
      [keys[2]?.id, ApiKeyStatus.ACTIVE],
      [keys[1]?.id, ApiKeyStatus.REVOKED],
      [keys[0]?.id, ApiKeyStatus.ACTIVE],
    ]);
  });

  it("shows metadata and the visible prefix, never a secret", async () => {
    const { merchantId, keys } = await merchantWithKeys(2);
    const response = await fetch(`${service.url}/kassa.merchant.v1.MerchantService/ListApiKeys`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${testTokens.internal}`,
      },
      body: JSON.stringify({ merchantId }),
    });
    const body = await response.text();
    for (const key of keys) {
      expect(body).toContain(key.secret.slice(0, 12));
      expect(body).not.toContain(key.secret);
      expect(body).not.toContain(key.secret.slice(12));
    }
  });

  it("rejects a page_token from another query, and a negative page_size", async () => {
    const { merchantId } = await merchantWithKeys(2);
    const other = await merchantWithKeys(2);
    const { nextPageToken } = await client().listApiKeys({ merchantId, pageSize: 1 });
    for (const request of [
      { merchantId, pageToken: nextPageToken, includeRevoked: true },
      { merchantId: other.merchantId, pageToken: nextPageToken },
      { merchantId, pageToken: "garbage" },
    ]) {
      const error = await rejectionOf(client().listApiKeys(request));
      expect([error.code, error.rawMessage]).toEqual([
        Code.InvalidArgument,
        "page_token: is malformed or belongs to another query",
      ]);
    }
    const negative = await rejectionOf(client().listApiKeys({ merchantId, pageSize: -5 }));
    expect([negative.code, negative.rawMessage]).toEqual([
      Code.InvalidArgument,
      "page_size: must not be negative",
    ]);
  });

  it("answers NOT_FOUND for an unknown merchant and INVALID_ARGUMENT for a malformed id", async () => {
    const unknown = createId("mer");
    const missing = await rejectionOf(client().listApiKeys({ merchantId: unknown }));
    expect([missing.code, missing.rawMessage]).toEqual([
      Code.NotFound,
      `merchant ${unknown} not found`,
    ]);
    for (const [merchantId, message] of [
      ["", "merchant_id: is required"],
      ["key_01JDZ8E4K3Q9V6T2W5X7Y8Z0AB", "merchant_id: must be a mer_… id"],
    ] as const) {
      const error = await rejectionOf(client().listApiKeys({ merchantId }));
      expect([error.code, error.rawMessage]).toEqual([Code.InvalidArgument, message]);
    }
  });

  it("answers UNAUTHENTICATED without the internal token", async () => {
    const { merchantId } = await merchantWithKeys(1);
    const error = await rejectionOf(service.client(MerchantService).listApiKeys({ merchantId }));
    expect(error.code).toBe(Code.Unauthenticated);
  });
});
