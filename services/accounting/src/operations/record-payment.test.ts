import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { EntryKind } from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import { createId } from "@kassa/platform";
import { rejectionOf, testTokens } from "@kassa/platform/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type AccountingPlatform,
  expectLedgerBalanced,
  startAccountingPlatform,
} from "../testing/accounting-platform.test-support.js";

let platform: AccountingPlatform;
beforeAll(async () => {
  platform = await startAccountingPlatform("accounting_pay");
});
afterEach(() => expectLedgerBalanced(platform.db));
afterAll(() => platform.stop());

const occurredAt = new Date("2026-03-01T12:00:00Z");
const request = (overrides: Record<string, unknown> = {}) => ({
  paymentId: createId("pay"),
  merchantId: createId("mer"),
  amount: 2500n,
  currency: "USD",
  occurredAt: timestampFromDate(occurredAt),
  ...overrides,
});

describe("RecordPayment", () => {
  it("books the payment from clearing to the merchant's balance", async () => {
    const payment = request();
    const { entry } = await platform.internal.recordPayment(payment);
    expect(entry?.id).toMatch(/^ent_[0-9A-Z]{26}$/);
    expect(entry).toMatchObject({
      merchantId: payment.merchantId,
      kind: EntryKind.PAYMENT,
      referenceId: payment.paymentId,
      paymentId: payment.paymentId,
      amount: 2500n,
      currency: "USD",
      settlementId: "",
      correctsEntryId: "",
      occurredAt: timestampFromDate(occurredAt),
    });
    expect(entry?.postings.map((p) => [p.account, p.amount, p.currency])).toEqual([
      ["platform:clearing", -2500n, "USD"],
      [`merchant:${payment.merchantId}`, 2500n, "USD"],
    ]);
    expect(await platform.balanceOf(payment.merchantId)).toMatchObject({
      balance: 2500n,
      unsettled: 2500n,
      payments: 2500n,
    });
  });

  it("returns the first entry for 10 replays, one after another, writing nothing more", async () => {
    const payment = request();
    const first = await platform.internal.recordPayment(payment);
    const before = await platform.counts();
    for (let i = 0; i < 10; i++) {
      const again = await platform.internal.recordPayment({
        ...payment,
        occurredAt: timestampFromDate(new Date()),
      });
      expect(again.entry).toEqual(first.entry);
    }
    expect(await platform.counts()).toEqual(before);
    expect((await platform.balanceOf(payment.merchantId)).balance).toBe(2500n);
  });

  it("writes one entry for 10 concurrent deliveries of the same payment", async () => {
    const payment = request();
    const before = await platform.counts();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => platform.internal.recordPayment(payment)),
    );
    expect(new Set(answers.map((a) => a.entry?.id)).size).toBe(1);
    const after = await platform.counts();
    expect(after.entries - before.entries).toBe(1);
    expect(after.postings - before.postings).toBe(2);
    expect((await platform.balanceOf(payment.merchantId)).balance).toBe(2500n);
  });

  it("answers ALREADY_EXISTS for the same payment_id with another merchant, amount or currency", async () => {
    const payment = request();
    const { entry } = await platform.internal.recordPayment(payment);
    const before = await platform.counts();
    for (const conflict of [
      { amount: 2501n },
      { currency: "EUR" },
      { merchantId: createId("mer") },
    ]) {
      const error = await rejectionOf(platform.internal.recordPayment({ ...payment, ...conflict }));
      expect(error.code).toBe(Code.AlreadyExists);
      expect(error.rawMessage).toBe(
        `payment_id ${payment.paymentId} is already recorded as entry ${entry?.id} with a different merchant, amount or currency`,
      );
    }
    expect(await platform.counts()).toEqual(before);
  });

  it("keeps one merchant's balance exact under 100 concurrent payments", async () => {
    const merchantId = createId("mer");
    const amounts = Array.from({ length: 100 }, (_, i) => BigInt(100 + i));
    await Promise.all(
      amounts.map((amount) => platform.internal.recordPayment(request({ merchantId, amount }))),
    );
    const sum = amounts.reduce((total, amount) => total + amount, 0n);
    expect(await platform.balanceOf(merchantId)).toMatchObject({
      balance: sum,
      unsettled: sum,
      payments: sum,
    });
  });

  it.each([
    ["payment_id", { paymentId: "" }, "payment_id: is required"],
    ["payment_id", { paymentId: createId("ref") }, "payment_id: must be a pay_… id"],
    ["merchant_id", { merchantId: "" }, "merchant_id: is required"],
    ["merchant_id", { merchantId: "mer_short" }, "merchant_id: must be a mer_… id"],
    ["amount", { amount: 0n }, "amount: must be greater than 0"],
    ["amount", { amount: -1n }, "amount: must be greater than 0"],
    ["amount", { amount: 10n ** 15n + 1n }, "amount: must be at most 1000000000000000"],
    ["currency", { currency: "" }, "currency: is required"],
    ["currency", { currency: "usd" }, "currency: must be an ISO 4217 currency code such as USD"],
    ["currency", { currency: "ABC" }, "currency: must be an ISO 4217 currency code such as USD"],
    ["occurred_at", { occurredAt: undefined }, "occurred_at: is required"],
  ])(
    "rejects a bad %s with INVALID_ARGUMENT naming it, writing nothing",
    async (_field, bad, message) => {
      const before = await platform.counts();
      const error = await rejectionOf(platform.internal.recordPayment(request(bad)));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toBe(message);
      expect(await platform.counts()).toEqual(before);
    },
  );

  it("answers UNAUTHENTICATED without a token or with a wrong one, writing nothing", async () => {
    const before = await platform.counts();
    for (const token of [undefined, "not-the-internal-token-0123456789abcdef"]) {
      const error = await rejectionOf(platform.client(token).recordPayment(request()));
      expect(error.code).toBe(Code.Unauthenticated);
    }
    expect(await platform.counts()).toEqual(before);
  });

  it("accepts the admin token too", async () => {
    const { entry } = await platform.client(testTokens.admin).recordPayment(request());
    expect(entry?.kind).toBe(EntryKind.PAYMENT);
  });
});
