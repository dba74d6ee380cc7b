import { Code } from "@connectrpc/connect";
import { SettlementStatus } from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import { createId } from "@kassa/platform";
import { rejectionOf, testTokens } from "@kassa/platform/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type AccountingPlatform,
  expectLedgerBalanced,
  noFee,
  startAccountingPlatform,
} from "../testing/accounting-platform.test-support.js";

let platform: AccountingPlatform;
beforeAll(async () => {
  platform = await startAccountingPlatform("accounting_settle_list");
});
afterEach(() => expectLedgerBalanced(platform.db));
afterAll(() => platform.stop());

async function settle(merchantId: string, currency: string, process: boolean) {
  await platform.pay(merchantId, 1_000n, { currency });
  const { settlement } = await platform.admin.createSettlement({ merchantId, currency });
  const settlementId = settlement?.id ?? "";
  if (process) await platform.admin.processSettlement({ settlementId });
  return settlementId;
}

describe("ListSettlements", () => {
  it("pages through settlements newest first, filtered by merchant, status and currency", async () => {
    const merchantId = await platform.newMerchant(noFee);
    const other = await platform.newMerchant(noFee);
    const usdDone = await settle(merchantId, "USD", true);
    const eurOpen = await settle(merchantId, "EUR", false);
    const usdOpen = await settle(merchantId, "USD", false);
    const othersId = await settle(other, "USD", true);

    const first = await platform.admin.listSettlements({ merchantId, pageSize: 2 });
    const second = await platform.admin.listSettlements({
      merchantId,
      pageSize: 2,
      pageToken: first.nextPageToken,
    });
    expect([...first.settlements, ...second.settlements].map((s) => s.id)).toEqual([
      usdOpen,
      eurOpen,
      usdDone,
    ]);
    expect(second.nextPageToken).toBe("");

    const pending = await platform.admin.listSettlements({
      merchantId,
      status: SettlementStatus.PENDING,
    });
    expect(pending.settlements.map((s) => s.id)).toEqual([usdOpen, eurOpen]);
    const pendingUsd = await platform.admin.listSettlements({
      merchantId,
      status: SettlementStatus.PENDING,
      currency: "USD",
    });
    expect(pendingUsd.settlements.map((s) => s.id)).toEqual([usdOpen]);
    const everyone = await platform.admin.listSettlements({ status: SettlementStatus.COMPLETED });
    expect(everyone.settlements.map((s) => s.id)).toEqual(
      expect.arrayContaining([usdDone, othersId]),
    );
  });

  it.each([
    ["merchant_id", { merchantId: createId("stl") }, "merchant_id: must be a mer_… id"],
    ["currency", { currency: "Usd" }, "currency: must be an ISO 4217 currency code such as USD"],
    ["status", { status: 9 }, "status: must be PENDING, PROCESSING, COMPLETED, FAILED or unset"],
    ["page_size", { pageSize: -5 }, "page_size: must not be negative"],
    ["page_token", { pageToken: "bm9wZQ" }, "page_token: is malformed or belongs to another query"],
  ])("rejects a bad %s with INVALID_ARGUMENT naming it", async (_field, bad, message) => {
    const error = await rejectionOf(platform.admin.listSettlements(bad));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe(message);
  });

  it("answers UNAUTHENTICATED with the internal token or none", async () => {
    for (const token of [testTokens.internal, undefined]) {
      const error = await rejectionOf(platform.client(token).listSettlements({}));
      expect(error.code).toBe(Code.Unauthenticated);
    }
  });
});
