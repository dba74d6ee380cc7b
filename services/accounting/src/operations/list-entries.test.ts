import { Code } from "@connectrpc/connect";
import { EntryKind } from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import { createId } from "@kassa/platform";
import { rejectionOf } from "@kassa/platform/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type AccountingPlatform,
  expectLedgerBalanced,
  startAccountingPlatform,
} from "../testing/accounting-platform.test-support.js";

let platform: AccountingPlatform;
beforeAll(async () => {
  platform = await startAccountingPlatform("accounting_entries");
});
afterEach(() => expectLedgerBalanced(platform.db));
afterAll(() => platform.stop());

describe("ListEntries", () => {
  it("pages through a merchant's entries newest first, with their postings", async () => {
    const merchantId = createId("mer");
    const written: string[] = [];
    for (let i = 1; i <= 5; i++) written.push(await platform.pay(merchantId, BigInt(i * 100)));
    await platform.pay(createId("mer"), 999n);

    const first = await platform.internal.listEntries({ merchantId, pageSize: 2 });
    const second = await platform.internal.listEntries({
      merchantId,
      pageSize: 2,
      pageToken: first.nextPageToken,
    });
    const third = await platform.internal.listEntries({
      merchantId,
      pageSize: 2,
      pageToken: second.nextPageToken,
    });
    const listed = [...first.entries, ...second.entries, ...third.entries];
    expect(listed.map((e) => e.id)).toEqual([...written].reverse());
    expect(third.nextPageToken).toBe("");
    expect(listed[0]?.postings).toHaveLength(2);
    expect(listed.every((e) => e.merchantId === merchantId)).toBe(true);
  });

  it("filters by currency and by kind, and shows the settlement that settled or made each entry", async () => {
    const merchantId = await platform.newMerchant({ basisPoints: 100, fixedAmount: 0n });
    const paid = await platform.pay(merchantId, 1_000n, { currency: "GBP" });
    await platform.pay(merchantId, 2_000n, { currency: "CHF" });
    const refunded = await platform.refund(merchantId, 300n, { currency: "GBP" });
    const { settlement } = await platform.admin.createSettlement({ merchantId, currency: "GBP" });
    const settlementId = settlement?.id ?? "";
    await platform.admin.processSettlement({ settlementId });

    const gbp = await platform.internal.listEntries({ merchantId, currency: "GBP" });
    expect(gbp.entries.map((e) => [e.kind, e.amount, e.settlementId])).toEqual([
      [EntryKind.PAYOUT, 690n, settlementId],
      [EntryKind.FEE, 10n, settlementId],
      [EntryKind.REFUND, 300n, settlementId],
      [EntryKind.PAYMENT, 1_000n, settlementId],
    ]);
    expect(gbp.entries.slice(2).map((e) => e.id)).toEqual([refunded, paid]);

    const refunds = await platform.internal.listEntries({ merchantId, kind: EntryKind.REFUND });
    expect(refunds.entries.map((e) => e.id)).toEqual([refunded]);
    const chf = await platform.internal.listEntries({ merchantId, currency: "CHF" });
    expect(chf.entries.map((e) => [e.kind, e.settlementId])).toEqual([[EntryKind.PAYMENT, ""]]);
  });

  it("refuses a page token used with other filters", async () => {
    const merchantId = createId("mer");
    await platform.pay(merchantId, 1n);
    await platform.pay(merchantId, 2n);
    const { nextPageToken } = await platform.internal.listEntries({ merchantId, pageSize: 1 });
    const error = await rejectionOf(
      platform.internal.listEntries({
        merchantId,
        pageSize: 1,
        pageToken: nextPageToken,
        currency: "USD",
      }),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe("page_token: is malformed or belongs to another query");
  });

  it.each([
    ["merchant_id", { merchantId: "" }, "merchant_id: is required"],
    [
      "merchant_id",
      { merchantId: "ent_01JDZ8E4K3Q9V6T2W5X7Y8Z0AB" },
      "merchant_id: must be a mer_… id",
    ],
    ["currency", { currency: "eur" }, "currency: must be an ISO 4217 currency code such as USD"],
    ["kind", { kind: 42 }, "kind: must be PAYMENT, REFUND, FEE, PAYOUT, CORRECTION or unset"],
    ["page_size", { pageSize: -1 }, "page_size: must not be negative"],
    [
      "page_token",
      { pageToken: "garbage" },
      "page_token: is malformed or belongs to another query",
    ],
  ])("rejects a bad %s with INVALID_ARGUMENT naming it", async (_field, bad, message) => {
    const error = await rejectionOf(
      platform.internal.listEntries({ merchantId: createId("mer"), ...bad }),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe(message);
  });

  it("answers UNAUTHENTICATED without the internal token", async () => {
    const error = await rejectionOf(platform.client().listEntries({ merchantId: createId("mer") }));
    expect(error.code).toBe(Code.Unauthenticated);
  });
});
