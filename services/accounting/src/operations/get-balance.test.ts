import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { createId } from "@kassa/platform";
import { rejectionOf } from "@kassa/platform/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type AccountingPlatform,
  expectLedgerBalanced,
  startAccountingPlatform,
} from "../testing/accounting-platform.test-support.js";

// The real time unless a test pins it.
let pinned: Date | undefined;
let platform: AccountingPlatform;
beforeAll(async () => {
  platform = await startAccountingPlatform("accounting_balance", {
    clock: { now: () => pinned ?? new Date() },
  });
});
afterEach(async () => {
  pinned = undefined;
  await expectLedgerBalanced(platform.db);
});
afterAll(() => platform.stop());

describe("GetBalance", () => {
  it("answers zeros for a merchant without entries, not NOT_FOUND, as of the service's time", async () => {
    const merchantId = createId("mer");
    pinned = new Date("2026-05-05T10:00:00Z");
    const { balance } = await platform.internal.getBalance({ merchantId, currency: "JPY" });
    expect(balance).toMatchObject({
      merchantId,
      currency: "JPY",
      balance: 0n,
      unsettledAmount: 0n,
      totalPayments: 0n,
      totalRefunds: 0n,
      totalFees: 0n,
      totalPayouts: 0n,
    });
    expect(balance?.asOf && timestampDate(balance.asOf)).toEqual(new Date("2026-05-05T10:00:00Z"));
  });

  it("is payments − refunds − fees − payouts after a mixed scenario of payments, refunds and settlements", async () => {
    // 2.9 % + 30 per payment.
    const merchantId = await platform.newMerchant({ basisPoints: 290, fixedAmount: 30n });
    await platform.pay(merchantId, 10_000n);
    await platform.pay(merchantId, 5_000n);
    await platform.refund(merchantId, 2_000n);
    const { settlement } = await platform.admin.createSettlement({ merchantId, currency: "USD" });
    await platform.admin.processSettlement({ settlementId: settlement?.id ?? "" });
    await platform.pay(merchantId, 3_000n);
    await platform.refund(merchantId, 500n);

    const figures = await platform.balanceOf(merchantId);
    // Fee: round(15 000 × 2.9 %) = 435, + 2 × 30 = 495; payout 13 000 − 495 = 12 505.
    expect(figures).toEqual({
      balance: 2_500n,
      unsettled: 2_500n,
      payments: 18_000n,
      refunds: 2_500n,
      fees: 495n,
      payouts: 12_505n,
    });
    expect(figures.balance).toBe(
      (figures.payments ?? 0n) -
        (figures.refunds ?? 0n) -
        (figures.fees ?? 0n) -
        (figures.payouts ?? 0n),
    );
  });

  it("keeps each currency and each merchant apart", async () => {
    const merchantId = createId("mer");
    await platform.pay(merchantId, 100n, { currency: "USD" });
    await platform.pay(merchantId, 9_000n, { currency: "JPY" });
    await platform.pay(createId("mer"), 55n, { currency: "USD" });
    expect((await platform.balanceOf(merchantId, "USD")).balance).toBe(100n);
    expect((await platform.balanceOf(merchantId, "JPY")).balance).toBe(9_000n);
  });

  it.each([
    ["merchant_id", { merchantId: "" }, "merchant_id: is required"],
    ["merchant_id", { merchantId: createId("pay") }, "merchant_id: must be a mer_… id"],
    ["currency", { currency: "" }, "currency: is required"],
    ["currency", { currency: "XXX" }, "currency: must be an ISO 4217 currency code such as USD"],
  ])("rejects a bad %s with INVALID_ARGUMENT naming it", async (_field, bad, message) => {
    const error = await rejectionOf(
      platform.internal.getBalance({ merchantId: createId("mer"), currency: "USD", ...bad }),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe(message);
  });

  it("answers UNAUTHENTICATED without the internal token", async () => {
    const error = await rejectionOf(
      platform.client().getBalance({ merchantId: createId("mer"), currency: "USD" }),
    );
    expect(error.code).toBe(Code.Unauthenticated);
  });
});
