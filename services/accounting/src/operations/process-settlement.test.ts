import { Code } from "@connectrpc/connect";
import { EntryKind, SettlementStatus } from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import { createId } from "@kassa/platform";
import { rejectionOf, testTokens } from "@kassa/platform/testing";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { entries, postings, settlementCandidates, settlementEntries } from "../db/schema.js";
import {
  type AccountingPlatform,
  expectLedgerBalanced,
  noFee,
  startAccountingPlatform,
} from "../testing/accounting-platform.test-support.js";
import type { SettlementStepHook } from "./accounting-context.js";

// What runs right after the fee entry; a test sets it to inject a fault.
let afterFeeEntry: SettlementStepHook | undefined;
let platform: AccountingPlatform;
beforeAll(async () => {
  platform = await startAccountingPlatform("accounting_settle_process", {
    service: { afterFeeEntry: (step) => afterFeeEntry?.(step) },
  });
});
afterEach(async () => {
  afterFeeEntry = undefined;
  await expectLedgerBalanced(platform.db);
});
afterAll(() => platform.stop());

async function createSettlement(merchantId: string, currency = "USD") {
  const { settlement } = await platform.admin.createSettlement({ merchantId, currency });
  return settlement?.id ?? "";
}
const process = (settlementId: string) => platform.admin.processSettlement({ settlementId });
const settledBy = async (settlementId: string) =>
  (
    await platform.db
      .select({ entryId: settlementEntries.entryId })
      .from(settlementEntries)
      .where(eq(settlementEntries.settlementId, settlementId))
  )
    .map((row) => row.entryId)
    .sort();
const entriesOf = async (referenceId: string) =>
  platform.db.select().from(entries).where(eq(entries.referenceId, referenceId));

describe("ProcessSettlement", () => {
  it("posts the fee and the payout, settles the gathered entries and completes", async () => {
    const merchantId = await platform.newMerchant({ basisPoints: 290, fixedAmount: 30n });
    const gathered = [
      await platform.pay(merchantId, 10_000n),
      await platform.pay(merchantId, 5_000n),
      await platform.refund(merchantId, 2_000n),
    ];
    const settlementId = await createSettlement(merchantId);
    const later = await platform.pay(merchantId, 700n);

    const { settlement } = await process(settlementId);
    expect(settlement).toMatchObject({
      status: SettlementStatus.COMPLETED,
      feeAmount: 495n,
      netAmount: 12_505n,
      payoutAmount: 12_505n,
      failureReason: "",
    });
    expect(settlement?.settledAt).toBeDefined();
    expect(await settledBy(settlementId)).toEqual([...gathered].sort());

    const { entries: listed } = await platform.internal.listEntries({ merchantId, pageSize: 2 });
    expect(listed.map((e) => [e.id, e.kind, e.amount, e.referenceId])).toEqual([
      [settlement?.payoutEntryId, EntryKind.PAYOUT, 12_505n, settlementId],
      [settlement?.feeEntryId, EntryKind.FEE, 495n, settlementId],
    ]);
    expect(listed.map((e) => e.postings.map((p) => [p.account, p.amount]))).toEqual([
      [
        [`merchant:${merchantId}`, -12_505n],
        ["platform:payouts", 12_505n],
      ],
      [
        [`merchant:${merchantId}`, -495n],
        ["platform:fee_revenue", 495n],
      ],
    ]);
    // The payment recorded after the settlement was created is left for the next one.
    expect(await platform.balanceOf(merchantId)).toEqual({
      balance: 700n,
      unsettled: 700n,
      payments: 15_700n,
      refunds: 2_000n,
      fees: 495n,
      payouts: 12_505n,
    });
    const next = await platform.admin.createSettlement({ merchantId, currency: "USD" });
    expect(next.settlement).toMatchObject({ paymentAmount: 700n, paymentCount: 1 });
    expect(await settledBy(settlementId)).not.toContain(later);
  });

  it("lets one of 10 concurrent calls complete; the other nine get FAILED_PRECONDITION and post nothing", async () => {
    const merchantId = await platform.newMerchant({ basisPoints: 100, fixedAmount: 10n });
    await platform.pay(merchantId, 4_000n);
    await platform.pay(merchantId, 6_000n);
    const settlementId = await createSettlement(merchantId);
    const before = await platform.counts();

    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => process(settlementId)),
    );
    const completed = results.filter((r) => r.status === "fulfilled");
    expect(completed).toHaveLength(1);
    expect(completed[0]?.value.settlement?.status).toBe(SettlementStatus.COMPLETED);
    for (const result of results) {
      if (result.status === "rejected") {
        expect(result.reason).toMatchObject({
          code: Code.FailedPrecondition,
          rawMessage: `settlement ${settlementId} is COMPLETED; only a PENDING settlement can be processed`,
        });
      }
    }
    // One FEE and one PAYOUT entry, two postings each, two entries settled: written once.
    expect(await platform.counts()).toEqual({
      ...before,
      entries: before.entries + 2,
      postings: before.postings + 4,
      settlementEntries: before.settlementEntries + 2,
    });
    expect((await entriesOf(settlementId)).map((e) => e.kind).sort()).toEqual(["FEE", "PAYOUT"]);
    expect((await platform.balanceOf(merchantId)).balance).toBe(0n);
  });

  it("rolls everything back when the step after the fee entry fails, marks the settlement FAILED, and a new settlement settles the entries", async () => {
    const merchantId = await platform.newMerchant({ basisPoints: 290, fixedAmount: 30n });
    await platform.pay(merchantId, 10_000n);
    await platform.refund(merchantId, 1_000n);
    const settlementId = await createSettlement(merchantId);
    const before = await platform.counts();
    const balanceBefore = await platform.balanceOf(merchantId);

    afterFeeEntry = () => {
      throw new Error("injected fault: disk full");
    };
    const { settlement } = await process(settlementId);
    expect(settlement).toMatchObject({
      status: SettlementStatus.FAILED,
      failureReason: "processing_failed: injected fault: disk full",
      feeEntryId: "",
      payoutEntryId: "",
      payoutAmount: 0n,
    });
    expect(settlement?.settledAt).toBeUndefined();
    // Nothing posted, nothing settled; only the settlement's status changed.
    expect(await platform.counts()).toEqual(before);
    expect(await platform.balanceOf(merchantId)).toEqual(balanceBefore);
    expect(await entriesOf(settlementId)).toEqual([]);
    expect(await settledBy(settlementId)).toEqual([]);
    const read = await platform.admin.getSettlement({ settlementId });
    expect(read.settlement).toEqual(settlement);
    expect(platform.logs.messages()).toContain("settlement processing failed and was rolled back");

    // FAILED is final…
    const again = await rejectionOf(process(settlementId));
    expect(again.code).toBe(Code.FailedPrecondition);
    // …and frees its entries: a new settlement gathers the same ones and settles them.
    afterFeeEntry = undefined;
    const retryId = await createSettlement(merchantId);
    const retried = await process(retryId);
    expect(retried.settlement).toMatchObject({
      status: SettlementStatus.COMPLETED,
      paymentAmount: 10_000n,
      refundAmount: 1_000n,
      feeAmount: 320n,
      payoutAmount: 8_680n,
    });
    expect((await platform.balanceOf(merchantId)).balance).toBe(0n);
  });

  it("rolls back and records the reason when the database refuses an unbalanced entry written after the fee entry", async () => {
    const merchantId = await platform.newMerchant({ basisPoints: 100, fixedAmount: 0n });
    await platform.pay(merchantId, 2_000n);
    const settlementId = await createSettlement(merchantId);
    const before = await platform.counts();
    const stray = createId("ent");
    afterFeeEntry = async ({ tx }) => {
      // A well-formed entry with one leg: only the deferred balance check can refuse it.
      const paymentId = createId("pay");
      await tx.insert(entries).values({
        id: stray,
        merchantId,
        kind: "PAYMENT",
        referenceId: paymentId,
        paymentId,
        amount: 5n,
        currency: "USD",
        occurredAt: new Date(),
        createdAt: new Date(),
      });
      await tx
        .insert(postings)
        .values({ entryId: stray, account: `merchant:${merchantId}`, currency: "USD", amount: 5n });
    };
    const { settlement } = await process(settlementId);
    expect(settlement).toMatchObject({
      status: SettlementStatus.FAILED,
      failureReason: `unbalanced_entry: journal entry ${stray} has 1 posting(s); an entry needs at least 2`,
    });
    expect(await platform.counts()).toEqual(before);
    expect(await entriesOf(settlementId)).toEqual([]);
  });

  it("never settles an entry twice: the database refuses a later settlement that gathered a settled entry", async () => {
    const merchantId = await platform.newMerchant(noFee);
    const first = await platform.pay(merchantId, 1_000n);
    const firstId = await createSettlement(merchantId);
    await process(firstId);
    const second = await platform.pay(merchantId, 500n);
    const secondId = await createSettlement(merchantId);
    const candidates = await platform.db
      .select({ entryId: settlementCandidates.entryId })
      .from(settlementCandidates)
      .where(eq(settlementCandidates.settlementId, secondId));
    expect(candidates.map((c) => c.entryId)).toEqual([second]);

    // Smuggle the settled entry into the second settlement's candidates, as a bug might.
    await platform.db
      .insert(settlementCandidates)
      .values({ settlementId: secondId, entryId: first });
    const before = await platform.counts();
    const { settlement } = await process(secondId);
    expect(settlement).toMatchObject({
      status: SettlementStatus.FAILED,
      failureReason:
        "entry_already_settled: an entry of this settlement is already settled by another settlement",
    });
    expect(await platform.counts()).toEqual(before);
    expect(await settledBy(firstId)).toEqual([first]);
    expect(await settledBy(secondId)).toEqual([]);
  });

  it("pays nothing while refunds recorded since its creation leave the merchant owing, and the next settlement pays what was left", async () => {
    const merchantId = await platform.newMerchant(noFee);
    await platform.pay(merchantId, 1_000n);
    const firstId = await createSettlement(merchantId);
    await platform.refund(merchantId, 1_500n);

    const { settlement: first } = await process(firstId);
    expect(first).toMatchObject({
      status: SettlementStatus.COMPLETED,
      netAmount: 1_000n,
      payoutAmount: 0n,
      payoutEntryId: "",
    });
    expect(await platform.balanceOf(merchantId)).toMatchObject({
      balance: -500n,
      unsettled: -1_500n,
    });

    // While the merchant owes, there is nothing to settle…
    const owing = await rejectionOf(
      platform.admin.createSettlement({ merchantId, currency: "USD" }),
    );
    expect(owing.code).toBe(Code.FailedPrecondition);
    // …until payments cover it: the next settlement nets the refund and pays the rest.
    await platform.pay(merchantId, 2_000n);
    const { settlement: second } = await process(await createSettlement(merchantId));
    expect(second).toMatchObject({ grossAmount: 500n, netAmount: 500n, payoutAmount: 1_500n });
    expect(await platform.balanceOf(merchantId)).toMatchObject({
      balance: 0n,
      unsettled: 0n,
      payouts: 1_500n,
    });
  });

  it("nets a refund recorded after a settlement in the next settlement", async () => {
    const merchantId = await platform.newMerchant(noFee);
    await platform.pay(merchantId, 1_000n);
    await process(await createSettlement(merchantId));
    await platform.refund(merchantId, 400n);
    expect((await platform.balanceOf(merchantId)).balance).toBe(-400n);

    await platform.pay(merchantId, 1_000n);
    const { settlement } = await process(await createSettlement(merchantId));
    expect(settlement).toMatchObject({ grossAmount: 600n, payoutAmount: 600n });
    expect(await platform.balanceOf(merchantId)).toMatchObject({
      balance: 0n,
      payments: 2_000n,
      refunds: 400n,
      payouts: 1_600n,
    });
  });

  it("counts entries written and settlement outcomes in /metrics", async () => {
    const merchantId = await platform.newMerchant({ basisPoints: 100, fixedAmount: 0n });
    await platform.pay(merchantId, 10_000n);
    await process(await createSettlement(merchantId));
    const metrics = await (await fetch(`${platform.url}/metrics`)).text();
    expect(metrics).toMatch(
      /^kassa_ledger_entries_written_total\{kind="PAYMENT",service="accounting"\} [1-9]/m,
    );
    expect(metrics).toMatch(
      /^kassa_ledger_entries_written_total\{kind="FEE",service="accounting"\} [1-9]/m,
    );
    expect(metrics).toMatch(
      /^kassa_settlements_total\{status="COMPLETED",service="accounting"\} [1-9]/m,
    );
  });

  it("answers NOT_FOUND for an unknown settlement", async () => {
    const settlementId = createId("stl");
    const error = await rejectionOf(process(settlementId));
    expect(error.code).toBe(Code.NotFound);
    expect(error.rawMessage).toBe(`settlement ${settlementId} not found`);
  });

  it.each([
    ["settlement_id", "", "settlement_id: is required"],
    ["settlement_id", "stl_123", "settlement_id: must be a stl_… id"],
    ["settlement_id", createId("ent"), "settlement_id: must be a stl_… id"],
  ])(
    "rejects a bad %s with INVALID_ARGUMENT naming it, writing nothing",
    async (_field, id, message) => {
      const before = await platform.counts();
      const error = await rejectionOf(process(id));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toBe(message);
      expect(await platform.counts()).toEqual(before);
    },
  );

  it("answers UNAUTHENTICATED with the internal token or none, leaving the settlement PENDING", async () => {
    const merchantId = await platform.newMerchant(noFee);
    await platform.pay(merchantId, 1_000n);
    const settlementId = await createSettlement(merchantId);
    for (const token of [testTokens.internal, undefined]) {
      const error = await rejectionOf(platform.client(token).processSettlement({ settlementId }));
      expect(error.code).toBe(Code.Unauthenticated);
    }
    const { settlement } = await platform.admin.getSettlement({ settlementId });
    expect(settlement?.status).toBe(SettlementStatus.PENDING);
    expect(await entriesOf(settlementId)).toEqual([]);
  });
});
