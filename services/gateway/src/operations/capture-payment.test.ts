import { Code, ConnectError } from "@connectrpc/connect";
import { AccountingService } from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import { AuthorizationStatus, ChannelService } from "@kassa/contracts/kassa/channel/v1/channel_pb";
import {
  CaptureMethod,
  PaymentStatus,
  RefundStatus,
} from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { OrderService, OrderStatus } from "@kassa/contracts/kassa/order/v1/order_pb";
import { createId } from "@kassa/platform";
import { rejectionOf } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayDatabase } from "../db/gateway-database.js";
import { paymentRepository } from "../db/payment-repository.js";
import {
  eventually,
  type GatewayPlatform,
  startGatewayPlatform,
  type TestMerchant,
} from "../testing/gateway-platform.test-support.js";

let platform: GatewayPlatform;
beforeAll(async () => {
  platform = await startGatewayPlatform("gw_capture");
});
afterAll(() => platform.stop());

let sequence = 0;
const unique = (what: string) => `${what}-${++sequence}-${Date.now()}`;

/** A merchant of its own, so its ledger balance is its payments' alone. */
async function manualPayment(paymentMethod = "tok_visa", amount = 10_000n) {
  const merchant = await platform.newMerchant();
  const { payment } = await merchant.gateway.createPayment({
    idempotencyKey: unique("manual"),
    merchantOrderNo: unique("manual-order"),
    amount,
    currency: "EUR",
    paymentMethod,
    captureMethod: CaptureMethod.MANUAL,
  });
  return { merchant, payment, paymentId: payment?.id ?? "" };
}

const ledger = () => platform.admin(AccountingService, "accounting");
const balanceOf = async (merchant: TestMerchant) =>
  (await ledger().getBalance({ merchantId: merchant.merchantId, currency: "EUR" })).balance
    ?.balance ?? 0n;
const entriesOf = async (merchant: TestMerchant) =>
  (await ledger().listEntries({ merchantId: merchant.merchantId })).entries;
const orderOf = async (orderId: string) =>
  (await platform.admin(OrderService, "order").getOrder({ orderId })).order;
const authorizationOf = async (paymentId: string) =>
  (
    await platform
      .admin(ChannelService, "channel")
      .getAuthorization({ channel: "sandbox", idempotencyKey: paymentId })
  ).authorization;
async function history(merchant: TestMerchant, paymentId: string) {
  const { events } = await merchant.gateway.listPaymentEvents({ paymentId });
  return events.map(({ fromStatus, toStatus, reason }) => ({ fromStatus, toStatus, reason }));
}
const authorizedStory = [
  { fromStatus: "", toStatus: "PAYMENT_STATUS_PENDING", reason: "payment created" },
  {
    fromStatus: "PAYMENT_STATUS_PENDING",
    toStatus: "PAYMENT_STATUS_PROCESSING",
    reason: "order created; authorizing",
  },
  {
    fromStatus: "PAYMENT_STATUS_PROCESSING",
    toStatus: "PAYMENT_STATUS_REQUIRES_CAPTURE",
    reason: "authorization succeeded",
  },
];

/**
 * Refunds a captured payment's whole capture in `parts`, each SUCCEEDED; then a unit more is
 * refused, and the merchant's ledger is back to 0.
 */
async function refundsInFull(merchant: TestMerchant, paymentId: string, parts: bigint[]) {
  for (const amount of parts) {
    const { refund } = await merchant.gateway.createRefund({
      idempotencyKey: unique("refund"),
      paymentId,
      amount,
    });
    expect(refund).toMatchObject({ status: RefundStatus.SUCCEEDED, amount });
  }
  const captured = parts.reduce((sum, part) => sum + part, 0n);
  const { payment } = await merchant.gateway.getPayment({ paymentId });
  expect(payment).toMatchObject({ amountCaptured: captured, refundedAmount: captured });
  const more = await rejectionOf(
    merchant.gateway.createRefund({ idempotencyKey: unique("refund"), paymentId, amount: 1n }),
  );
  expect(more.code).toBe(Code.FailedPrecondition);
  expect(more.rawMessage).toContain("0 EUR");
  await eventually(async () => expect(await balanceOf(merchant)).toBe(0n));
}

describe("CreatePayment with capture_method MANUAL", () => {
  it("stops at REQUIRES_CAPTURE with the amount capturable and nothing in the ledger", async () => {
    const { merchant, payment, paymentId } = await manualPayment();
    expect(payment).toMatchObject({
      status: PaymentStatus.REQUIRES_CAPTURE,
      captureMethod: CaptureMethod.MANUAL,
      amountCapturable: 10_000n,
      amountCaptured: 0n,
    });
    expect(payment?.channelPaymentId).toMatch(/^au_/);
    expect(payment?.capturedAt).toBeUndefined();
    expect((await authorizationOf(paymentId))?.status).toBe(AuthorizationStatus.AUTHORIZED);
    expect((await orderOf(payment?.orderId ?? ""))?.status).toBe(OrderStatus.CREATED);
    expect(await entriesOf(merchant)).toEqual([]);
    expect(await history(merchant, paymentId)).toEqual(authorizedStory);
  });

  it("fails a declined authorization with its code and cancels the order", async () => {
    const { payment } = await manualPayment("tok_chargeDeclined");
    expect(payment).toMatchObject({ status: PaymentStatus.FAILED, failureCode: "card_declined" });
    await eventually(async () =>
      expect((await orderOf(payment?.orderId ?? ""))?.status).toBe(OrderStatus.CANCELLED),
    );
  });

  it("shows an automatic payment as captured in full", async () => {
    const merchant = await platform.newMerchant();
    const { payment } = await merchant.gateway.createPayment({
      idempotencyKey: unique("auto"),
      merchantOrderNo: unique("auto-order"),
      amount: 700n,
      currency: "EUR",
      paymentMethod: "tok_visa",
    });
    expect(payment).toMatchObject({
      status: PaymentStatus.SUCCEEDED,
      captureMethod: CaptureMethod.AUTOMATIC,
      amountCapturable: 0n,
      amountCaptured: 700n,
    });
    expect(payment?.capturedAt).toBeDefined();
  });
});

describe("CapturePayment", () => {
  it("captures in full: SUCCEEDED, the ledger credited with the amount, the order paid", async () => {
    const { merchant, payment, paymentId } = await manualPayment();
    const key = unique("capture");
    const { payment: captured } = await merchant.gateway.capturePayment({
      paymentId,
      idempotencyKey: key,
    });
    expect(captured).toMatchObject({
      status: PaymentStatus.SUCCEEDED,
      amountCapturable: 0n,
      amountCaptured: 10_000n,
    });
    expect(captured?.capturedAt).toBeDefined();
    expect(await authorizationOf(paymentId)).toMatchObject({
      status: AuthorizationStatus.CAPTURED,
      amountCaptured: 10_000n,
    });
    await eventually(async () => expect(await balanceOf(merchant)).toBe(10_000n));
    await eventually(async () =>
      expect((await orderOf(payment?.orderId ?? ""))?.status).toBe(OrderStatus.PAID),
    );

    // The same capture again is the payment as it is; another capture is refused.
    const again = await merchant.gateway.capturePayment({ paymentId, idempotencyKey: key });
    expect(again.payment?.status).toBe(PaymentStatus.SUCCEEDED);
    const second = await rejectionOf(
      merchant.gateway.capturePayment({ paymentId, idempotencyKey: unique("capture") }),
    );
    expect(second.code).toBe(Code.FailedPrecondition);
    const otherAmount = await rejectionOf(
      merchant.gateway.capturePayment({ paymentId, idempotencyKey: key, amountToCapture: 5n }),
    );
    expect(otherAmount.code).toBe(Code.AlreadyExists);

    expect(await history(merchant, paymentId)).toEqual([
      ...authorizedStory,
      {
        fromStatus: "PAYMENT_STATUS_REQUIRES_CAPTURE",
        toStatus: "PAYMENT_STATUS_PROCESSING",
        reason: "capture requested",
      },
      {
        fromStatus: "PAYMENT_STATUS_PROCESSING",
        toStatus: "PAYMENT_STATUS_SUCCEEDED",
        reason: "capture succeeded",
      },
    ]);
    await eventually(async () => expect(await balanceOf(merchant)).toBe(10_000n));
  });

  it("captures a part: SUCCEEDED for that part, refundable up to it, the rest released", async () => {
    const { merchant, paymentId } = await manualPayment();
    const { payment: captured } = await merchant.gateway.capturePayment({
      paymentId,
      amountToCapture: 6_000n,
      idempotencyKey: unique("capture"),
    });
    expect(captured).toMatchObject({
      status: PaymentStatus.SUCCEEDED,
      amount: 10_000n,
      amountCaptured: 6_000n,
      amountCapturable: 0n,
    });
    expect(await authorizationOf(paymentId)).toMatchObject({
      status: AuthorizationStatus.CAPTURED,
      amountCaptured: 6_000n,
      amountCapturable: 0n,
    });
    await eventually(async () => expect(await balanceOf(merchant)).toBe(6_000n));

    const above = await rejectionOf(
      merchant.gateway.createRefund({
        idempotencyKey: unique("refund"),
        paymentId,
        amount: 6_001n,
      }),
    );
    expect(above.code).toBe(Code.FailedPrecondition);
    expect(above.rawMessage).toContain("6000 EUR");

    // Within it, refunds go through the charge the channel recorded for the capture.
    expect(captured?.channelPaymentId).toBe((await authorizationOf(paymentId))?.chargeId);
    expect(captured?.channelPaymentId).toMatch(/^ch_/);
    await refundsInFull(merchant, paymentId, [2_500n, 3_500n]);
  });

  it("refuses a capture above the amount, naming the field", async () => {
    const { merchant, paymentId } = await manualPayment();
    const error = await rejectionOf(
      merchant.gateway.capturePayment({
        paymentId,
        amountToCapture: 10_001n,
        idempotencyKey: unique("capture"),
      }),
    );
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain("amount_to_capture");
  });

  it("refuses to capture a payment that is not REQUIRES_CAPTURE", async () => {
    const merchant = await platform.newMerchant();
    const { payment } = await merchant.gateway.createPayment({
      idempotencyKey: unique("auto"),
      merchantOrderNo: unique("auto-order"),
      amount: 700n,
      currency: "EUR",
      paymentMethod: "tok_visa",
    });
    const error = await rejectionOf(
      merchant.gateway.capturePayment({
        paymentId: payment?.id ?? "",
        idempotencyKey: unique("capture"),
      }),
    );
    expect(error.code).toBe(Code.FailedPrecondition);
  });

  it("fails a declined capture and cancels the order; nothing in the ledger", async () => {
    const { merchant, payment, paymentId } = await manualPayment("tok_captureDeclined");
    const { payment: declined } = await merchant.gateway.capturePayment({
      paymentId,
      idempotencyKey: unique("capture"),
    });
    expect(declined).toMatchObject({
      status: PaymentStatus.FAILED,
      failureCode: "capture_declined",
      amountCaptured: 0n,
    });
    await eventually(async () =>
      expect((await orderOf(payment?.orderId ?? ""))?.status).toBe(OrderStatus.CANCELLED),
    );
    expect(await entriesOf(merchant)).toEqual([]);
  });

  it("leaves a capture whose answer was lost PROCESSING; the reconciler finishes it, refundable", async () => {
    const { merchant, paymentId } = await manualPayment("tok_captureTimeout");
    const { payment: pending } = await merchant.gateway.capturePayment({
      paymentId,
      amountToCapture: 4_000n,
      idempotencyKey: unique("capture"),
    });
    expect(pending?.status).toBe(PaymentStatus.PROCESSING);
    await eventually(async () => {
      const { payment } = await merchant.gateway.getPayment({ paymentId });
      expect(payment).toMatchObject({
        status: PaymentStatus.SUCCEEDED,
        amountCaptured: 4_000n,
      });
    });
    await eventually(async () => expect(await balanceOf(merchant)).toBe(4_000n));
    const events = await merchant.gateway.listPaymentEvents({ paymentId });
    expect(events.events.at(-1)).toMatchObject({
      fromStatus: "PAYMENT_STATUS_PROCESSING",
      toStatus: "PAYMENT_STATUS_SUCCEEDED",
      reason: "capture succeeded",
      actor: "reconciler",
    });
    // The capture the reconciler finished is refundable as well.
    await refundsInFull(merchant, paymentId, [4_000n]);
  });
});

describe("CancelPayment", () => {
  it("voids an authorization: CANCELLED, the channel's authorization VOIDED, the order cancelled", async () => {
    const { merchant, payment, paymentId } = await manualPayment();
    const { payment: cancelled } = await merchant.gateway.cancelPayment({
      paymentId,
      cancellationReason: "requested_by_customer",
    });
    expect(cancelled).toMatchObject({
      status: PaymentStatus.CANCELLED,
      cancellationReason: "requested_by_customer",
      amountCapturable: 0n,
      amountCaptured: 0n,
    });
    expect(cancelled?.cancelledAt).toBeDefined();
    expect((await authorizationOf(paymentId))?.status).toBe(AuthorizationStatus.VOIDED);
    await eventually(async () =>
      expect((await orderOf(payment?.orderId ?? ""))?.status).toBe(OrderStatus.CANCELLED),
    );
    expect(await entriesOf(merchant)).toEqual([]);

    // Twice: the same answer.
    const again = await merchant.gateway.cancelPayment({ paymentId });
    expect(again.payment).toEqual(cancelled);

    // And it can no longer be captured.
    const capture = await rejectionOf(
      merchant.gateway.capturePayment({ paymentId, idempotencyKey: unique("capture") }),
    );
    expect(capture.code).toBe(Code.FailedPrecondition);

    expect(await history(merchant, paymentId)).toEqual([
      ...authorizedStory,
      {
        fromStatus: "PAYMENT_STATUS_REQUIRES_CAPTURE",
        toStatus: "PAYMENT_STATUS_PROCESSING",
        reason: "cancel requested",
      },
      {
        fromStatus: "PAYMENT_STATUS_PROCESSING",
        toStatus: "PAYMENT_STATUS_CANCELLED",
        reason: "authorization voided",
      },
    ]);
  });

  it("refuses to cancel a captured payment, pointing at CreateRefund", async () => {
    const { merchant, paymentId } = await manualPayment();
    await merchant.gateway.capturePayment({ paymentId, idempotencyKey: unique("capture") });
    const error = await rejectionOf(merchant.gateway.cancelPayment({ paymentId }));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toContain("CreateRefund");
  });

  it("answers NOT_FOUND for another merchant's payment", async () => {
    const { paymentId } = await manualPayment();
    const stranger = await platform.newMerchant();
    const error = await rejectionOf(stranger.gateway.cancelPayment({ paymentId }));
    expect(error.code).toBe(Code.NotFound);
  });
});

describe("CapturePayment racing CancelPayment", () => {
  it("lets exactly one of 20 captures and 20 cancels win; never both a capture and a void", async () => {
    const { merchant, paymentId } = await manualPayment();
    const captures = Array.from({ length: 20 }, () =>
      merchant.gateway.capturePayment({ paymentId, idempotencyKey: unique("race-capture") }),
    );
    const cancels = Array.from({ length: 20 }, () =>
      merchant.gateway.cancelPayment({ paymentId, cancellationReason: "race" }),
    );
    const results = await Promise.allSettled([...captures, ...cancels]);

    const rejections = results.flatMap((result) =>
      result.status === "rejected" ? [ConnectError.from(result.reason).code] : [],
    );
    expect(new Set(rejections)).toEqual(
      rejections.length ? new Set([Code.FailedPrecondition]) : new Set(),
    );

    await eventually(async () => {
      const { payment } = await merchant.gateway.getPayment({ paymentId });
      expect([PaymentStatus.SUCCEEDED, PaymentStatus.CANCELLED]).toContain(payment?.status);
    });
    const { payment: final } = await merchant.gateway.getPayment({ paymentId });
    const authorization = await authorizationOf(paymentId);
    const captureWon = final?.status === PaymentStatus.SUCCEEDED;
    expect(authorization?.status).toBe(
      captureWon ? AuthorizationStatus.CAPTURED : AuthorizationStatus.VOIDED,
    );

    // Every answer is the winner's state (or its claim in flight), never the loser's.
    const loserState = captureWon ? PaymentStatus.CANCELLED : PaymentStatus.SUCCEEDED;
    for (const result of results) {
      if (result.status === "fulfilled") expect(result.value.payment?.status).not.toBe(loserState);
    }
    // Exactly one claim in the history.
    const claims = (await history(merchant, paymentId)).filter(
      (event) => event.reason === "capture requested" || event.reason === "cancel requested",
    );
    expect(claims).toHaveLength(1);
    expect(claims[0]?.reason).toBe(captureWon ? "capture requested" : "cancel requested");
  });
});

describe("CancelPayment before the channel answered", () => {
  // Rows written straight through the repository, dated ahead so the reconciler leaves them be:
  // a saga caught between its steps, without waiting on one.
  const sagaCaughtAt = async (merchant: TestMerchant, processing: boolean) => {
    const db = platform.services.gateway.context.db as GatewayDatabase;
    const at = new Date(Date.now() + 3_600_000);
    const { payment } = await paymentRepository.createIfAbsent(
      db,
      {
        id: createId("pay"),
        merchantId: merchant.merchantId,
        idempotencyKey: unique("caught"),
        requestDigest: "digest",
        merchantOrderNo: unique("caught-order"),
        amount: 300n,
        currency: "EUR",
        channel: "sandbox",
        description: "",
        metadata: {},
        captureMethod: "MANUAL",
        at,
      },
      "test",
    );
    if (processing) {
      await paymentRepository.markProcessing(
        db,
        payment.id,
        { orderId: "ord_test", riskScore: 0, at },
        { reason: "order created; authorizing", actor: "test" },
      );
    }
    return payment.id;
  };

  it("cancels a PENDING payment at once: nothing was sent", async () => {
    const merchant = await platform.newMerchant();
    const paymentId = await sagaCaughtAt(merchant, false);
    const { payment } = await merchant.gateway.cancelPayment({
      paymentId,
      cancellationReason: "duplicate",
    });
    expect(payment).toMatchObject({
      status: PaymentStatus.CANCELLED,
      cancellationReason: "duplicate",
    });
    expect((await history(merchant, paymentId)).at(-1)).toEqual({
      fromStatus: "PAYMENT_STATUS_PENDING",
      toStatus: "PAYMENT_STATUS_CANCELLED",
      reason: "cancelled before sending",
    });
  });

  it("refuses a PROCESSING payment: its outcome is not known yet", async () => {
    const merchant = await platform.newMerchant();
    const paymentId = await sagaCaughtAt(merchant, true);
    const error = await rejectionOf(merchant.gateway.cancelPayment({ paymentId }));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toContain("PROCESSING");
  });
});
