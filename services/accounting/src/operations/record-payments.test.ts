import { timestampFromDate } from "@bufbuild/protobuf/wkt";
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
  platform = await startAccountingPlatform("accounting_pay_many");
});
afterEach(() => expectLedgerBalanced(platform.db));
afterAll(() => platform.stop());

const payment = (merchantId: string, overrides: Record<string, unknown> = {}) => ({
  paymentId: createId("pay"),
  merchantId,
  amount: 1000n,
  currency: "USD",
  occurredAt: timestampFromDate(new Date("2026-03-01T12:00:00Z")),
  ...overrides,
});

describe("RecordPayments", () => {
  it("books each payment as RecordPayment does, in order, and a replay books nothing", async () => {
    const merchantId = createId("mer");
    const payments = [payment(merchantId), payment(merchantId, { amount: 250n })];
    const { entries } = await platform.internal.recordPayments({ payments });
    expect(entries.map((entry) => [entry.kind, entry.paymentId, entry.amount])).toEqual([
      [EntryKind.PAYMENT, payments[0]?.paymentId, 1000n],
      [EntryKind.PAYMENT, payments[1]?.paymentId, 250n],
    ]);
    const again = await platform.internal.recordPayments({ payments });
    expect(again.entries.map((entry) => entry.id)).toEqual(entries.map((entry) => entry.id));
    expect(await platform.balanceOf(merchantId)).toMatchObject({ balance: 1250n });
  });

  it("books nothing when one payment is refused, and names it", async () => {
    const merchantId = createId("mer");
    const recorded = payment(merchantId);
    await platform.internal.recordPayment(recorded);
    const fresh = payment(merchantId);
    const refused = await rejectionOf(
      platform.internal.recordPayments({ payments: [fresh, { ...recorded, amount: 999n }] }),
    );
    expect(refused.code).toBe(Code.AlreadyExists);
    const invalid = await rejectionOf(
      platform.internal.recordPayments({ payments: [fresh, payment(merchantId, { amount: 0n })] }),
    );
    expect(invalid.code).toBe(Code.InvalidArgument);
    expect(invalid.rawMessage).toMatch(/^payments\[1\]\.amount: /);
    expect(await platform.balanceOf(merchantId)).toMatchObject({ balance: 1000n });
    const none = await rejectionOf(platform.internal.recordPayments({ payments: [] }));
    expect([none.code, none.rawMessage]).toEqual([
      Code.InvalidArgument,
      "payments: must hold 1 to 100 items",
    ]);
  });
});
