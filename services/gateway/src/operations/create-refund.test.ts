import { Code } from "@connectrpc/connect";
import { AccountingService } from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import { ChannelService } from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { PaymentStatus, RefundStatus } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { rejectionOf } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refunds } from "../db/schema.js";
import {
  eventually,
  type GatewayPlatform,
  startGatewayPlatform,
  type TestMerchant,
} from "../testing/gateway-platform.test-support.js";

let platform: GatewayPlatform;
let merchant: TestMerchant;
beforeAll(async () => {
  platform = await startGatewayPlatform("gw_refund");
  merchant = await platform.newMerchant();
});
afterAll(() => platform.stop());

let sequence = 0;
async function paidPayment(amount = 10_000n, paymentMethod = "tok_visa") {
  sequence++;
  const { payment } = await merchant.gateway.createPayment({
    idempotencyKey: `refund-pay-${sequence}-${Date.now()}`,
    merchantOrderNo: `refund-order-${sequence}-${Date.now()}`,
    amount,
    currency: "EUR",
    paymentMethod,
  });
  expect(payment?.status).toBe(PaymentStatus.SUCCEEDED);
  return payment?.id ?? "";
}
const refund = (paymentId: string, amount: bigint, key = `refund-${++sequence}-${Date.now()}`) =>
  merchant.gateway.createRefund({
    idempotencyKey: key,
    paymentId,
    amount,
    reason: "customer returned it",
  });
const refundRows = () =>
  (platform.services.gateway.context.db as { $count(table: unknown): Promise<number> }).$count(
    refunds,
  );

describe("CreateRefund", () => {
  it("refunds half, then the rest; a third refund is FAILED_PRECONDITION; the ledger is back to 0", async () => {
    // A merchant of its own, so its ledger balance is this payment's alone.
    const solo = await platform.newMerchant("Ledger Merchant");
    const { payment: paid } = await solo.gateway.createPayment({
      idempotencyKey: `ledger-${Date.now()}`,
      merchantOrderNo: `ledger-order-${Date.now()}`,
      amount: 10_000n,
      currency: "EUR",
      paymentMethod: "tok_visa",
    });
    const ledger = platform.admin(AccountingService, "accounting");
    const balance = async () =>
      (await ledger.getBalance({ merchantId: solo.merchantId, currency: "EUR" })).balance;
    await eventually(async () => expect((await balance())?.balance).toBe(10_000n));

    const paymentId = paid?.id ?? "";
    const refund = (amount: bigint) =>
      solo.gateway.createRefund({
        idempotencyKey: `ledger-refund-${++sequence}`,
        paymentId,
        amount,
      });
    const half = await refund(5_000n);
    expect(half.refund).toMatchObject({
      status: RefundStatus.SUCCEEDED,
      amount: 5_000n,
      currency: "EUR",
      paymentId,
    });
    expect(half.refund?.channelRefundId).toMatch(/^chr_/);
    const rest = await refund(5_000n);
    expect(rest.refund?.status).toBe(RefundStatus.SUCCEEDED);
    const { payment } = await solo.gateway.getPayment({ paymentId });
    expect(payment?.refundedAmount).toBe(10_000n);

    const before = await refundRows();
    const third = await rejectionOf(refund(1n));
    expect([third.code, third.rawMessage]).toEqual([
      Code.FailedPrecondition,
      `amount 1 exceeds what is left to refund of payment ${paymentId}: 0 EUR`,
    ]);
    expect(await refundRows()).toBe(before);
    await eventually(async () => {
      const now = await balance();
      expect([now?.balance, now?.totalPayments, now?.totalRefunds]).toEqual([0n, 10_000n, 10_000n]);
    });
  });

  it("lets exactly 10 of 50 concurrent refunds of a tenth succeed", async () => {
    const paymentId = await paidPayment(10_000n);
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () => refund(paymentId, 1_000n)),
    );
    // Exactly ten are accepted (reserved against the payment); every other one is refused.
    const accepted = results.flatMap((r) =>
      r.status === "fulfilled" && r.value.refund ? [r.value.refund] : [],
    );
    expect(accepted).toHaveLength(10);
    for (const result of results) {
      if (result.status === "rejected")
        expect(result.reason).toMatchObject({ code: Code.FailedPrecondition });
    }
    // On a loaded machine a channel answer can miss its deadline: that refund stays PENDING (its
    // amount reserved) until the reconciler finishes it. All ten end SUCCEEDED, none more.
    await eventually(async () => {
      for (const made of accepted) {
        const { refund: now } = await merchant.gateway.getRefund({ refundId: made.id });
        expect(now?.status).toBe(RefundStatus.SUCCEEDED);
      }
    });
    const { payment } = await merchant.gateway.getPayment({ paymentId });
    expect(payment?.refundedAmount).toBe(10_000n);
  });

  it("returns the same refund for a replayed key, and ALREADY_EXISTS for a different request", async () => {
    const paymentId = await paidPayment();
    const key = `replay-${Date.now()}`;
    const first = await refund(paymentId, 300n, key);
    const again = await refund(paymentId, 300n, key);
    expect(again.refund).toEqual(first.refund);
    const conflict = await rejectionOf(refund(paymentId, 301n, key));
    expect([conflict.code, conflict.rawMessage]).toEqual([
      Code.AlreadyExists,
      `idempotency_key ${key} was already used for a different refund`,
    ]);
    const { payment } = await merchant.gateway.getPayment({ paymentId });
    expect(payment?.refundedAmount).toBe(300n);
  });

  it("records a declined refund as FAILED refund_declined and frees its amount", async () => {
    const paymentId = await paidPayment(2_000n, "tok_refundFails");
    const declined = await refund(paymentId, 2_000n);
    expect(declined.refund).toMatchObject({
      status: RefundStatus.FAILED,
      failureCode: "refund_declined",
    });
    // The amount is refundable again (and declined again, by this token).
    const retried = await refund(paymentId, 2_000n);
    expect(retried.refund?.status).toBe(RefundStatus.FAILED);
    const { payment } = await merchant.gateway.getPayment({ paymentId });
    expect(payment?.refundedAmount).toBe(0n);
  });

  it("refuses a payment that did not succeed, and another merchant's payment", async () => {
    const { payment: declined } = await merchant.gateway.createPayment({
      idempotencyKey: `declined-${Date.now()}`,
      merchantOrderNo: `declined-order-${Date.now()}`,
      amount: 100n,
      currency: "EUR",
      paymentMethod: "tok_chargeDeclined",
    });
    const notPaid = await rejectionOf(refund(declined?.id ?? "", 50n));
    expect([notPaid.code, notPaid.rawMessage]).toEqual([
      Code.FailedPrecondition,
      `payment ${declined?.id} is FAILED; only a SUCCEEDED payment can be refunded`,
    ]);
    const other = await platform.newMerchant("Other Merchant");
    const paymentId = await paidPayment();
    const foreign = await rejectionOf(
      other.gateway.createRefund({ idempotencyKey: "foreign", paymentId, amount: 1n }),
    );
    expect([foreign.code, foreign.rawMessage]).toEqual([
      Code.NotFound,
      `payment ${paymentId} not found`,
    ]);
  });

  it.each([
    ["idempotency_key", { idempotencyKey: "" }, "idempotency_key: is required"],
    ["payment_id", { paymentId: "" }, "payment_id: is required"],
    [
      "payment_id",
      { paymentId: "ord_01JDZ8E4K3Q9V6T2W5X7Y8Z0AB" },
      "payment_id: must be a pay_… id",
    ],
    ["amount", { amount: 0n }, "amount: must be greater than 0"],
    ["amount", { amount: -1n }, "amount: must be greater than 0"],
    ["reason", { reason: "r".repeat(501) }, "reason: must be at most 500 characters"],
  ])(
    "rejects a bad %s with INVALID_ARGUMENT naming it, writing nothing",
    async (_field, bad, message) => {
      const paymentId = await paidPayment();
      const before = await refundRows();
      const error = await rejectionOf(
        merchant.gateway.createRefund({
          idempotencyKey: `bad-${Date.now()}`,
          paymentId,
          amount: 10n,
          ...bad,
        }),
      );
      expect([error.code, error.rawMessage]).toEqual([Code.InvalidArgument, message]);
      expect(await refundRows()).toBe(before);
    },
  );
});

describe("GetRefund and ListRefunds", () => {
  it("return the caller's refunds only", async () => {
    const paymentId = await paidPayment();
    const { refund: made } = await refund(paymentId, 10n);
    const { refund: got } = await merchant.gateway.getRefund({ refundId: made?.id ?? "" });
    expect(got).toEqual(made);
    const { refunds: listed } = await merchant.gateway.listRefunds({ paymentId });
    expect(listed.map((r) => r.id)).toEqual([made?.id]);
    const other = await platform.newMerchant("Nosy Merchant");
    const error = await rejectionOf(other.gateway.getRefund({ refundId: made?.id ?? "" }));
    expect(error.code).toBe(Code.NotFound);
    expect((await other.gateway.listRefunds({ paymentId })).refunds).toEqual([]);
    const channel = platform.admin(ChannelService, "channel");
    const { refund: atChannel } = await channel.getChannelRefund({
      channel: "sandbox",
      idempotencyKey: made?.id ?? "",
    });
    expect(atChannel?.id).toBe(made?.channelRefundId);
  });
});
