import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
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
  platform = await startAccountingPlatform("accounting_settle_create");
});
afterEach(() => expectLedgerBalanced(platform.db));
afterAll(() => platform.stop());

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);

describe("CreateSettlement", () => {
  it("gathers the unsettled payments and refunds into a PENDING settlement with the fee of the merchant's schedule", async () => {
    const merchantId = await platform.newMerchant({ basisPoints: 290, fixedAmount: 30n });
    await platform.pay(merchantId, 10_000n);
    await platform.pay(merchantId, 5_000n);
    await platform.refund(merchantId, 2_000n);
    const before = await platform.counts();

    const { settlement } = await platform.admin.createSettlement({ merchantId, currency: "USD" });
    expect(settlement?.id).toMatch(/^stl_[0-9A-Z]{26}$/);
    expect(settlement).toMatchObject({
      merchantId,
      currency: "USD",
      status: SettlementStatus.PENDING,
      paymentAmount: 15_000n,
      paymentCount: 2,
      refundAmount: 2_000n,
      refundCount: 1,
      grossAmount: 13_000n,
      // round(15 000 × 2.9 %) = 435, + 2 payments × 30.
      feeAmount: 495n,
      netAmount: 12_505n,
      feeBasisPoints: 290,
      feeFixedAmount: 30n,
      feeEntryId: "",
      payoutEntryId: "",
      payoutAmount: 0n,
      failureReason: "",
    });
    expect(settlement?.settledAt).toBeUndefined();
    // Nothing is posted yet: the three entries are recorded as its candidates, nothing else.
    const after = await platform.counts();
    expect(after).toEqual({
      ...before,
      settlements: before.settlements + 1,
      settlementCandidates: before.settlementCandidates + 3,
    });
    expect((await platform.balanceOf(merchantId)).balance).toBe(13_000n);
  });

  it("applies the merchant's rule for the currency over its default one, rounding half up", async () => {
    const merchantId = await platform.newMerchant(
      { basisPoints: 290, fixedAmount: 30n },
      { EUR: { basisPoints: 250, fixedAmount: 0n }, JPY: { basisPoints: 360, fixedAmount: 0n } },
    );
    await platform.pay(merchantId, 100n, { currency: "EUR" });
    await platform.pay(merchantId, 9_999n, { currency: "JPY" });
    const eur = await platform.admin.createSettlement({ merchantId, currency: "EUR" });
    // 100 × 2.5 % = 2.5 → 3.
    expect(eur.settlement).toMatchObject({
      feeBasisPoints: 250,
      feeFixedAmount: 0n,
      feeAmount: 3n,
    });
    const jpy = await platform.admin.createSettlement({ merchantId, currency: "JPY" });
    // 9 999 × 3.6 % = 359.964 → 360.
    expect(jpy.settlement).toMatchObject({
      feeBasisPoints: 360,
      feeAmount: 360n,
      netAmount: 9_639n,
    });
  });

  it("gathers only the entries that occurred up to up_to", async () => {
    const merchantId = await platform.newMerchant(noFee);
    await platform.pay(merchantId, 1_000n, { occurredAt: minutesAgo(120) });
    await platform.pay(merchantId, 2_000n, { occurredAt: minutesAgo(1) });
    const upTo = minutesAgo(60);
    const { settlement } = await platform.admin.createSettlement({
      merchantId,
      currency: "USD",
      upTo: timestampFromDate(upTo),
    });
    expect(settlement).toMatchObject({ paymentAmount: 1_000n, paymentCount: 1, netAmount: 1_000n });
    expect(settlement?.upTo && timestampDate(settlement.upTo)).toEqual(upTo);
  });

  it("answers FAILED_PRECONDITION when there is nothing to settle, writing nothing", async () => {
    const merchantId = await platform.newMerchant(noFee);
    await platform.pay(merchantId, 500n, { currency: "EUR" });
    const before = await platform.counts();
    const error = await rejectionOf(
      platform.admin.createSettlement({ merchantId, currency: "USD" }),
    );
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toMatch(
      new RegExp(`^nothing to settle: merchant ${merchantId} has no unsettled USD entries up to `),
    );
    expect(await platform.counts()).toEqual(before);
  });

  it("answers FAILED_PRECONDITION when refunds and fees leave nothing to pay, keeping the entries unsettled", async () => {
    const merchantId = await platform.newMerchant({ basisPoints: 0, fixedAmount: 30n });
    await platform.pay(merchantId, 100n);
    await platform.refund(merchantId, 80n);
    const before = await platform.counts();
    const error = await rejectionOf(
      platform.admin.createSettlement({ merchantId, currency: "USD" }),
    );
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toMatch(
      /is -10 \(payments 100, refunds 80, fee 30\); they stay unsettled for a later settlement$/,
    );
    expect(await platform.counts()).toEqual(before);
    expect((await platform.balanceOf(merchantId)).unsettled).toBe(20n);
  });

  it("keeps one open settlement per merchant and currency, also under concurrent calls", async () => {
    const merchantId = await platform.newMerchant(noFee);
    await platform.pay(merchantId, 1_000n);
    await platform.pay(merchantId, 1_000n, { currency: "EUR" });
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () =>
        platform.admin.createSettlement({ merchantId, currency: "USD" }),
      ),
    );
    const created = results.flatMap((r) => (r.status === "fulfilled" ? [r.value.settlement] : []));
    expect(created).toHaveLength(1);
    const open = created[0]?.id;
    for (const result of results) {
      if (result.status === "rejected") {
        expect(result.reason).toMatchObject({ code: Code.FailedPrecondition });
      }
    }
    const again = await rejectionOf(
      platform.admin.createSettlement({ merchantId, currency: "USD" }),
    );
    expect(again.rawMessage).toBe(
      `settlement ${open} of merchant ${merchantId} in USD is still PENDING; process it before creating another`,
    );
    // Another currency is another settlement.
    const eur = await platform.admin.createSettlement({ merchantId, currency: "EUR" });
    expect(eur.settlement?.status).toBe(SettlementStatus.PENDING);
  });

  it("answers NOT_FOUND for a merchant MerchantService does not know, writing nothing", async () => {
    const merchantId = createId("mer");
    await platform.pay(merchantId, 1_000n);
    const before = await platform.counts();
    const error = await rejectionOf(
      platform.admin.createSettlement({ merchantId, currency: "USD" }),
    );
    expect(error.code).toBe(Code.NotFound);
    expect(error.rawMessage).toBe(`merchant ${merchantId} not found`);
    expect(await platform.counts()).toEqual(before);
  });

  it.each([
    ["merchant_id", { merchantId: "" }, "merchant_id: is required"],
    ["merchant_id", { merchantId: createId("ref") }, "merchant_id: must be a mer_… id"],
    ["currency", { currency: "" }, "currency: is required"],
    ["currency", { currency: "US" }, "currency: must be an ISO 4217 currency code such as USD"],
    [
      "up_to",
      { upTo: timestampFromDate(new Date(Date.now() + 3_600_000)) },
      "up_to: must not be in the future",
    ],
  ])(
    "rejects a bad %s with INVALID_ARGUMENT naming it, writing nothing",
    async (_field, bad, message) => {
      const merchantId = await platform.newMerchant(noFee);
      await platform.pay(merchantId, 1_000n);
      const before = await platform.counts();
      const error = await rejectionOf(
        platform.admin.createSettlement({ merchantId, currency: "USD", ...bad }),
      );
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toBe(message);
      expect(await platform.counts()).toEqual(before);
    },
  );

  it("answers UNAUTHENTICATED with the internal token or none, writing nothing", async () => {
    const merchantId = await platform.newMerchant(noFee);
    await platform.pay(merchantId, 1_000n);
    const before = await platform.counts();
    for (const token of [testTokens.internal, undefined]) {
      const error = await rejectionOf(
        platform.client(token).createSettlement({ merchantId, currency: "USD" }),
      );
      expect(error.code).toBe(Code.Unauthenticated);
    }
    expect(await platform.counts()).toEqual(before);
  });
});

describe("CreateSettlement without MerchantService", () => {
  it("answers UNAVAILABLE when the merchant service is down, writing nothing", async () => {
    const alone = await startAccountingPlatform("accounting_settle_no_merchant");
    try {
      const merchantId = await alone.newMerchant(noFee);
      await alone.pay(merchantId, 1_000n);
      await alone.stopMerchant();
      const before = await alone.counts();
      const error = await rejectionOf(
        alone.admin.createSettlement({ merchantId, currency: "USD" }),
      );
      expect(error.code).toBe(Code.Unavailable);
      expect(await alone.counts()).toEqual(before);
    } finally {
      await alone.stop();
    }
  });
});
