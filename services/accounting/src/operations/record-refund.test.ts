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
  platform = await startAccountingPlatform("accounting_refund");
});
afterEach(() => expectLedgerBalanced(platform.db));
afterAll(() => platform.stop());

const request = (overrides: Record<string, unknown> = {}) => ({
  refundId: createId("ref"),
  paymentId: createId("pay"),
  merchantId: createId("mer"),
  amount: 700n,
  currency: "EUR",
  occurredAt: timestampFromDate(new Date("2026-03-02T08:30:00Z")),
  ...overrides,
});

describe("RecordRefund", () => {
  it("books the refund from the merchant's balance back to clearing", async () => {
    const merchantId = createId("mer");
    await platform.pay(merchantId, 1000n, { currency: "EUR" });
    const refund = request({ merchantId });
    const { entry } = await platform.internal.recordRefund(refund);
    expect(entry).toMatchObject({
      kind: EntryKind.REFUND,
      referenceId: refund.refundId,
      paymentId: refund.paymentId,
      merchantId,
      amount: 700n,
      currency: "EUR",
      settlementId: "",
    });
    expect(entry?.postings.map((p) => [p.account, p.amount])).toEqual([
      [`merchant:${merchantId}`, -700n],
      ["platform:clearing", 700n],
    ]);
    expect(await platform.balanceOf(merchantId, "EUR")).toMatchObject({
      balance: 300n,
      unsettled: 300n,
      payments: 1000n,
      refunds: 700n,
    });
  });

  it("books a refund whose payment is not recorded yet, taking the balance below zero", async () => {
    const refund = request();
    await platform.internal.recordRefund(refund);
    expect(await platform.balanceOf(refund.merchantId, "EUR")).toMatchObject({
      balance: -700n,
      unsettled: -700n,
      refunds: 700n,
    });
  });

  it("writes one entry for 10 concurrent deliveries and returns it on every replay", async () => {
    const refund = request();
    const before = await platform.counts();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => platform.internal.recordRefund(refund)),
    );
    const again = await platform.internal.recordRefund(refund);
    expect(new Set([...answers, again].map((a) => a.entry?.id)).size).toBe(1);
    const after = await platform.counts();
    expect(after.entries - before.entries).toBe(1);
    expect(after.postings - before.postings).toBe(2);
  });

  it("answers ALREADY_EXISTS for the same refund_id with another payment, merchant, amount or currency", async () => {
    const refund = request();
    const { entry } = await platform.internal.recordRefund(refund);
    const before = await platform.counts();
    for (const conflict of [
      { paymentId: createId("pay") },
      { merchantId: createId("mer") },
      { amount: 1n },
      { currency: "USD" },
    ]) {
      const error = await rejectionOf(platform.internal.recordRefund({ ...refund, ...conflict }));
      expect(error.code).toBe(Code.AlreadyExists);
      expect(error.rawMessage).toBe(
        `refund_id ${refund.refundId} is already recorded as entry ${entry?.id} with a different payment, merchant, amount or currency`,
      );
    }
    expect(await platform.counts()).toEqual(before);
  });

  it("keeps refunds and payments apart: a refund id never replays a payment's entry", async () => {
    const merchantId = createId("mer");
    const paymentId = createId("pay");
    await platform.internal.recordPayment({
      paymentId,
      merchantId,
      amount: 700n,
      currency: "EUR",
      occurredAt: timestampFromDate(new Date()),
    });
    const { entry } = await platform.internal.recordRefund(request({ paymentId, merchantId }));
    expect(entry?.kind).toBe(EntryKind.REFUND);
    expect((await platform.balanceOf(merchantId, "EUR")).balance).toBe(0n);
  });

  it.each([
    ["refund_id", { refundId: "" }, "refund_id: is required"],
    ["refund_id", { refundId: createId("pay") }, "refund_id: must be a ref_… id"],
    ["payment_id", { paymentId: "" }, "payment_id: is required"],
    ["payment_id", { paymentId: createId("ref") }, "payment_id: must be a pay_… id"],
    ["merchant_id", { merchantId: "" }, "merchant_id: is required"],
    ["merchant_id", { merchantId: createId("stl") }, "merchant_id: must be a mer_… id"],
    ["amount", { amount: 0n }, "amount: must be greater than 0"],
    ["amount", { amount: -700n }, "amount: must be greater than 0"],
    ["currency", { currency: "" }, "currency: is required"],
    ["currency", { currency: "EURO" }, "currency: must be an ISO 4217 currency code such as USD"],
    ["occurred_at", { occurredAt: undefined }, "occurred_at: is required"],
  ])(
    "rejects a bad %s with INVALID_ARGUMENT naming it, writing nothing",
    async (_field, bad, message) => {
      const before = await platform.counts();
      const error = await rejectionOf(platform.internal.recordRefund(request(bad)));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toBe(message);
      expect(await platform.counts()).toEqual(before);
    },
  );

  it("answers UNAUTHENTICATED without the internal token, writing nothing", async () => {
    const before = await platform.counts();
    const error = await rejectionOf(platform.client().recordRefund(request()));
    expect(error.code).toBe(Code.Unauthenticated);
    expect(await platform.counts()).toEqual(before);
  });
});
