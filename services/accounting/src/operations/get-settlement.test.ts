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
  platform = await startAccountingPlatform("accounting_settle_get");
});
afterEach(() => expectLedgerBalanced(platform.db));
afterAll(() => platform.stop());

describe("GetSettlement", () => {
  it("returns the settlement as created, then as processed", async () => {
    const merchantId = await platform.newMerchant(noFee);
    await platform.pay(merchantId, 1_000n);
    const { settlement: created } = await platform.admin.createSettlement({
      merchantId,
      currency: "USD",
    });
    const settlementId = created?.id ?? "";
    expect((await platform.admin.getSettlement({ settlementId })).settlement).toEqual(created);
    const { settlement: processed } = await platform.admin.processSettlement({ settlementId });
    const read = await platform.admin.getSettlement({ settlementId });
    expect(read.settlement).toEqual(processed);
    expect(read.settlement?.status).toBe(SettlementStatus.COMPLETED);
  });

  it("answers NOT_FOUND for an unknown settlement", async () => {
    const settlementId = createId("stl");
    const error = await rejectionOf(platform.admin.getSettlement({ settlementId }));
    expect(error.code).toBe(Code.NotFound);
    expect(error.rawMessage).toBe(`settlement ${settlementId} not found`);
  });

  it.each([
    ["settlement_id", "", "settlement_id: is required"],
    ["settlement_id", createId("mer"), "settlement_id: must be a stl_… id"],
  ])("rejects a bad %s with INVALID_ARGUMENT naming it", async (_field, settlementId, message) => {
    const error = await rejectionOf(platform.admin.getSettlement({ settlementId }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe(message);
  });

  it("answers UNAUTHENTICATED with the internal token or none", async () => {
    for (const token of [testTokens.internal, undefined]) {
      const error = await rejectionOf(
        platform.client(token).getSettlement({ settlementId: createId("stl") }),
      );
      expect(error.code).toBe(Code.Unauthenticated);
    }
  });
});
