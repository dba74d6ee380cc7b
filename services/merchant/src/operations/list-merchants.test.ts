import { Code } from "@connectrpc/connect";
import {
  type Merchant,
  MerchantService,
  MerchantStatus,
} from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { rejectionOf, startTestService, testTokens } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { merchantService } from "../server.js";

const start = () => startTestService(merchantService, { label: "merchant_list" });
let service: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  service = await start();
});
afterAll(() => service.stop());

const admin = () => service.client(MerchantService, testTokens.admin);
const client = () => service.client(MerchantService, testTokens.internal);
async function newMerchants(count: number): Promise<string[]> {
  const ids: string[] = [];
  // One at a time, so creation order is the order of `ids`.
  for (let i = 0; i < count; i++) {
    const { merchant } = await admin().createMerchant({ name: `Shop ${i}` });
    ids.push(merchant?.id ?? "");
  }
  return ids;
}
async function everyPage(request: { pageSize: number; status?: MerchantStatus }) {
  const pages: Merchant[][] = [];
  let pageToken = "";
  do {
    const page = await client().listMerchants({ ...request, pageToken });
    pages.push(page.merchants);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return pages;
}

describe("ListMerchants", () => {
  it("pages through every merchant newest first, page_size at a time", async () => {
    const created = await newMerchants(5);
    const pages = await everyPage({ pageSize: 2 });
    const ids = pages.flat().map((merchant) => merchant.id);
    expect(pages.slice(0, -1).every((page) => page.length === 2)).toBe(true);
    expect(pages.at(-1)?.length).toBeGreaterThan(0);
    expect(ids).toEqual([...ids].sort().reverse());
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => created.includes(id))).toEqual([...created].reverse());
    const all = await client().listMerchants({ pageSize: 200 });
    expect(all.merchants.map((merchant) => merchant.id)).toEqual(ids);
    expect(all.nextPageToken).toBe("");
  });

  it("returns merchants with their fee schedules", async () => {
    const { merchant } = await admin().createMerchant({
      name: "Listed",
      feeSchedule: {
        defaultFee: { basisPoints: 111, fixedAmount: 1n },
        currencyFees: { GBP: { basisPoints: 222, fixedAmount: 2n } },
      },
    });
    const { merchants } = await client().listMerchants({ pageSize: 1 });
    expect(merchants).toEqual([merchant]);
  });

  it("filters by status", async () => {
    const [kept, suspended] = await newMerchants(2);
    await admin().updateMerchant({
      merchantId: suspended ?? "",
      status: MerchantStatus.SUSPENDED,
    });
    const onlySuspended = (await everyPage({ pageSize: 1, status: MerchantStatus.SUSPENDED }))
      .flat()
      .map((merchant) => merchant.id);
    expect(onlySuspended).toEqual([suspended]);
    const active = (await everyPage({ pageSize: 3, status: MerchantStatus.ACTIVE })).flat();
    expect(active.map((merchant) => merchant.id)).toContain(kept);
    expect(active.map((merchant) => merchant.id)).not.toContain(suspended);
    expect(active.every((merchant) => merchant.status === MerchantStatus.ACTIVE)).toBe(true);
  });

  it("uses 50 for page_size 0 and caps it at 200", async () => {
    const existing = (await client().listMerchants({ pageSize: 200 })).merchants.length;
    // Order does not matter here, so the missing merchants are created 20 at a time.
    for (let missing = 201 - existing; missing > 0; missing -= 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, missing) }, () =>
          admin().createMerchant({ name: "Filler" }),
        ),
      );
    }
    const page = await client().listMerchants({ pageSize: 0 });
    expect(page.merchants).toHaveLength(50);
    expect(page.nextPageToken).not.toBe("");
    const capped = await client().listMerchants({ pageSize: 10_000 });
    expect(capped.merchants).toHaveLength(200);
    expect(capped.nextPageToken).not.toBe("");
  });

  it("rejects a page_token from another query or made up, and a negative page_size", async () => {
    await newMerchants(2);
    const { nextPageToken } = await client().listMerchants({ pageSize: 1 });
    expect(nextPageToken).not.toBe("");
    for (const request of [
      { pageToken: nextPageToken, status: MerchantStatus.ACTIVE },
      { pageToken: "not-a-token" },
      { pageToken: Buffer.from('{"after":"mer_x","query":"x"}').toString("base64url") },
    ]) {
      const error = await rejectionOf(client().listMerchants(request));
      expect([error.code, error.rawMessage]).toEqual([
        Code.InvalidArgument,
        "page_token: is malformed or belongs to another query",
      ]);
    }
    const negative = await rejectionOf(client().listMerchants({ pageSize: -1 }));
    expect([negative.code, negative.rawMessage]).toEqual([
      Code.InvalidArgument,
      "page_size: must not be negative",
    ]);
    const status = await rejectionOf(client().listMerchants({ status: 7 as MerchantStatus }));
    expect([status.code, status.rawMessage]).toEqual([
      Code.InvalidArgument,
      "status: must be ACTIVE, SUSPENDED or unset",
    ]);
  });

  it("answers UNAUTHENTICATED without the internal token", async () => {
    const error = await rejectionOf(service.client(MerchantService).listMerchants({}));
    expect(error.code).toBe(Code.Unauthenticated);
  });
});
