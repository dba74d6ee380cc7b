import { Code } from "@connectrpc/connect";
import { ChannelService, ChargeStatus } from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { GatewayService, PaymentStatus } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { OrderService, OrderStatus } from "@kassa/contracts/kassa/order/v1/order_pb";
import { BlocklistEntryType, RiskService } from "@kassa/contracts/kassa/risk/v1/risk_pb";
import { rejectionOf } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { payments } from "../db/schema.js";
import {
  eventually,
  type GatewayPlatform,
  startGatewayPlatform,
  type TestMerchant,
} from "../testing/gateway-platform.test-support.js";

let platform: GatewayPlatform;
let merchant: TestMerchant;
beforeAll(async () => {
  platform = await startGatewayPlatform("gw_pay");
  merchant = await platform.newMerchant();
});
afterAll(() => platform.stop());

let sequence = 0;
const payment = (overrides: Record<string, unknown> = {}) => {
  sequence++;
  return {
    idempotencyKey: `key-${sequence}-${Date.now()}`,
    merchantOrderNo: `order-${sequence}-${Date.now()}`,
    amount: 2500n,
    currency: "USD",
    paymentMethod: "tok_visa",
    description: "a book",
    customer: { email: `buyer${sequence}@example.com`, ip: "203.0.113.10" },
    metadata: { cart: "42" },
    ...overrides,
  };
};
const orders = () => platform.admin(OrderService, "order");
const channel = () => platform.admin(ChannelService, "channel");
const paymentRows = () =>
  (platform.services.gateway.context.db as { $count(table: unknown): Promise<number> }).$count(
    payments,
  );

describe("CreatePayment", () => {
  it("charges tok_visa: SUCCEEDED, and the outbox marks its order PAID", async () => {
    const { payment: paid } = await merchant.gateway.createPayment(payment());
    expect(paid).toMatchObject({
      status: PaymentStatus.SUCCEEDED,
      merchantId: merchant.merchantId,
      amount: 2500n,
      currency: "USD",
      channel: "sandbox",
      refundedAmount: 0n,
      failureCode: "",
      metadata: { cart: "42" },
    });
    expect(paid?.id).toMatch(/^pay_/);
    expect(paid?.channelPaymentId).toMatch(/^ch_/);
    await eventually(async () => {
      const { order } = await orders().getOrder({ orderId: paid?.orderId ?? "" });
      expect(order).toMatchObject({ status: OrderStatus.PAID, paymentId: paid?.id });
    });
  });

  it("records tok_chargeDeclined as FAILED card_declined, keeps it, and the outbox cancels its order", async () => {
    const { payment: declined } = await merchant.gateway.createPayment(
      payment({ paymentMethod: "tok_chargeDeclined" }),
    );
    expect(declined).toMatchObject({ status: PaymentStatus.FAILED, failureCode: "card_declined" });
    await eventually(async () => {
      const { order } = await orders().getOrder({ orderId: declined?.orderId ?? "" });
      expect(order?.status).toBe(OrderStatus.CANCELLED);
    });
    const { payment: kept } = await merchant.gateway.getPayment({ paymentId: declined?.id ?? "" });
    expect(kept).toMatchObject({ status: PaymentStatus.FAILED, failureCode: "card_declined" });
  });

  it("fails with risk_rejected for a blocklisted email, and never creates an order", async () => {
    await platform.admin(RiskService, "risk").addBlocklistEntry({
      type: BlocklistEntryType.EMAIL,
      value: "fraudster@example.com",
      reason: "chargebacks",
    });
    const sent = payment({ customer: { email: "Fraudster@example.com" } });
    const { payment: rejected } = await merchant.gateway.createPayment(sent);
    expect(rejected).toMatchObject({
      status: PaymentStatus.FAILED,
      failureCode: "risk_rejected",
      orderId: "",
      riskScore: 100,
    });
    // The order service has nothing under this merchant order number: creating it now makes a new one.
    const probe = await orders().createOrder({
      merchantId: merchant.merchantId,
      merchantOrderNo: sent.merchantOrderNo,
      amount: sent.amount,
      currency: sent.currency,
    });
    expect(probe.created).toBe(true);
    await expect(
      channel().getCharge({ channel: "sandbox", idempotencyKey: rejected?.id ?? "" }),
    ).rejects.toMatchObject({
      code: Code.NotFound,
    });
  });

  it("answers PROCESSING for tok_timeout, then the reconciler makes it SUCCEEDED and the order PAID", async () => {
    const { payment: slow } = await merchant.gateway.createPayment(
      payment({ paymentMethod: "tok_timeout" }),
    );
    expect(slow?.status).toBe(PaymentStatus.PROCESSING);
    const settled = await eventually(async () => {
      const { payment: now } = await merchant.gateway.getPayment({ paymentId: slow?.id ?? "" });
      expect(now?.status).toBe(PaymentStatus.SUCCEEDED);
      return now;
    });
    expect(settled?.channelPaymentId).toMatch(/^ch_/);
    await eventually(async () => {
      const { order } = await orders().getOrder({ orderId: slow?.orderId ?? "" });
      expect(order?.status).toBe(OrderStatus.PAID);
    });
  });

  it("returns the same payment for the same key and request, and charges once", async () => {
    const sent = payment();
    const first = await merchant.gateway.createPayment(sent);
    const again = await merchant.gateway.createPayment(sent);
    expect(again.payment).toEqual(first.payment);
    const { charge } = await channel().getCharge({
      channel: "sandbox",
      idempotencyKey: first.payment?.id ?? "",
    });
    expect(charge?.status).toBe(ChargeStatus.SUCCEEDED);
  });

  it("makes exactly one payment and one charge for 50 concurrent requests with one key", async () => {
    const sent = payment();
    const before = await paymentRows();
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => merchant.gateway.createPayment(sent)),
    );
    const ids = new Set(answers.map((answer) => answer.payment?.id));
    expect(ids.size).toBe(1);
    expect(await paymentRows()).toBe(before + 1);
    const [id] = ids;
    await eventually(async () => {
      const { payment: settled } = await merchant.gateway.getPayment({ paymentId: id ?? "" });
      expect(settled?.status).toBe(PaymentStatus.SUCCEEDED);
    });
    // The channel was asked once: its only charge under the key is this one.
    const { charge } = await channel().getCharge({ channel: "sandbox", idempotencyKey: id ?? "" });
    expect(charge?.amount).toBe(sent.amount);
  });

  it("answers ALREADY_EXISTS for the same key with a different request, or a used order number", async () => {
    const sent = payment();
    const { payment: first } = await merchant.gateway.createPayment(sent);
    const before = await paymentRows();
    const otherAmount = await rejectionOf(
      merchant.gateway.createPayment({ ...sent, amount: 9999n }),
    );
    expect([otherAmount.code, otherAmount.rawMessage]).toEqual([
      Code.AlreadyExists,
      `idempotency_key ${sent.idempotencyKey} was already used for a different payment`,
    ]);
    const otherMethod = await rejectionOf(
      merchant.gateway.createPayment({ ...sent, paymentMethod: "tok_mastercard" }),
    );
    expect(otherMethod.code).toBe(Code.AlreadyExists);
    const sameOrder = await rejectionOf(
      merchant.gateway.createPayment({ ...payment(), merchantOrderNo: sent.merchantOrderNo }),
    );
    expect([sameOrder.code, sameOrder.rawMessage]).toEqual([
      Code.AlreadyExists,
      `merchant_order_no ${sent.merchantOrderNo} already has payment ${first?.id}`,
    ]);
    expect(await paymentRows()).toBe(before);
  });

  it.each([
    ["idempotency_key", { idempotencyKey: "" }, "idempotency_key: is required"],
    [
      "idempotency_key",
      { idempotencyKey: "has space" },
      "idempotency_key: must be printable ASCII without spaces",
    ],
    [
      "idempotency_key",
      { idempotencyKey: "k".repeat(256) },
      "idempotency_key: must be at most 255 characters",
    ],
    ["merchant_order_no", { merchantOrderNo: "" }, "merchant_order_no: is required"],
    [
      "merchant_order_no",
      { merchantOrderNo: "n".repeat(65) },
      "merchant_order_no: must be at most 64 characters",
    ],
    ["amount", { amount: 0n }, "amount: must be greater than 0"],
    ["amount", { amount: -100n }, "amount: must be greater than 0"],
    ["currency", { currency: "" }, "currency: is required"],
    ["currency", { currency: "EURO" }, "currency: must be an ISO 4217 currency code such as USD"],
    ["currency", { currency: "ISK" }, "currency: is not accepted by channel sandbox"],
    ["channel", { channel: "stripe" }, "channel: unknown channel stripe"],
    ["payment_method", { paymentMethod: "" }, "payment_method: is required"],
    [
      "description",
      { description: "d".repeat(1001) },
      "description: must be at most 1000 characters",
    ],
    [
      "customer.email",
      { customer: { email: "not-an-email" } },
      "customer.email: must be an email address",
    ],
    [
      "customer.ip",
      { customer: { ip: "300.1.1.1" } },
      "customer.ip: must be an IPv4 or IPv6 address",
    ],
    [
      "metadata",
      { metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, "v"])) },
      "metadata: must have at most 20 entries",
    ],
  ])(
    "rejects a bad %s with INVALID_ARGUMENT naming it, writing nothing",
    async (_field, bad, message) => {
      const before = await paymentRows();
      const error = await rejectionOf(merchant.gateway.createPayment(payment(bad)));
      expect([error.code, error.rawMessage]).toEqual([Code.InvalidArgument, message]);
      expect(await paymentRows()).toBe(before);
    },
  );
});

describe("CancelPayment", () => {
  it("refuses to cancel a succeeded (automatically captured) payment, pointing at CreateRefund", async () => {
    const { payment: paid } = await merchant.gateway.createPayment(payment());
    const error = await rejectionOf(merchant.gateway.cancelPayment({ paymentId: paid?.id ?? "" }));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toContain("CreateRefund");
  });
});

describe("GatewayService over the wire", () => {
  it("answers Connect JSON as curl would send it", async () => {
    const response = await fetch(
      `${platform.services.gateway.url}/kassa.gateway.v1.GatewayService/CreatePayment`,
      {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${merchant.apiKey}` },
        body: JSON.stringify({
          idempotencyKey: "curl-1",
          merchantOrderNo: "curl-order-1",
          amount: "1999",
          currency: "USD",
          paymentMethod: "tok_visa",
        }),
      },
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as { payment: Record<string, unknown> };
    expect(body.payment).toMatchObject({
      amount: "1999",
      currency: "USD",
      status: "PAYMENT_STATUS_SUCCEEDED",
    });
    expect(GatewayService.typeName).toBe("kassa.gateway.v1.GatewayService");
  });
});
