import { Code } from "@connectrpc/connect";
import { SettlementStatus } from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import { rejectionOf } from "@kassa/platform/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type AccountingPlatform,
  expectLedgerBalanced,
  startAccountingPlatform,
} from "../testing/accounting-platform.test-support.js";
import type { SettlementStepHook } from "./accounting-context.js";

// `npm start` without DATABASE_URL runs the ledger on PGlite: the same savepoint, deferred
// checks and locks must hold there.

let afterFeeEntry: SettlementStepHook | undefined;
let platform: AccountingPlatform;
beforeAll(async () => {
  platform = await startAccountingPlatform("accounting_pglite", {
    pglite: true,
    service: { afterFeeEntry: (step) => afterFeeEntry?.(step) },
  });
});
afterEach(async () => {
  afterFeeEntry = undefined;
  await expectLedgerBalanced(platform.db);
});
afterAll(() => platform.stop());

describe("ProcessSettlement on PGlite", () => {
  it("rolls back an injected fault, then settles and pays out with a new settlement", async () => {
    const merchantId = await platform.newMerchant({ basisPoints: 290, fixedAmount: 30n });
    await platform.pay(merchantId, 10_000n);
    await platform.refund(merchantId, 1_000n);
    const failing = await platform.admin.createSettlement({ merchantId, currency: "USD" });
    const before = await platform.counts();
    afterFeeEntry = () => {
      throw new Error("injected fault");
    };
    const failed = await platform.admin.processSettlement({
      settlementId: failing.settlement?.id ?? "",
    });
    expect(failed.settlement).toMatchObject({
      status: SettlementStatus.FAILED,
      failureReason: "processing_failed: injected fault",
    });
    expect(await platform.counts()).toEqual(before);

    afterFeeEntry = undefined;
    const { settlement } = await platform.admin.createSettlement({ merchantId, currency: "USD" });
    const settlementId = settlement?.id ?? "";
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => platform.admin.processSettlement({ settlementId })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const refused = await rejectionOf(platform.admin.processSettlement({ settlementId }));
    expect(refused.code).toBe(Code.FailedPrecondition);
    expect(await platform.balanceOf(merchantId)).toEqual({
      balance: 0n,
      unsettled: 0n,
      payments: 10_000n,
      refunds: 1_000n,
      fees: 320n,
      payouts: 8_680n,
    });
  });
});
