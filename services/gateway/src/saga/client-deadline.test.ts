import { Code, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ChannelService, ChargeStatus } from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { GatewayService, PaymentStatus } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { presentBearerToken, Secret } from "@kassa/platform";
import { rejectionOf } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  type GatewayPlatform,
  startGatewayPlatform,
  type TestMerchant,
} from "../testing/gateway-platform.test-support.js";

// A merchant's deadline travels into the saga: every dependency call gets at most what is left
// of it. Whatever it cuts, the payment ends as the money says: a charge that may have been sent
// is reconciled, one that never was is a plain failure.

let platform: GatewayPlatform;
let merchant: TestMerchant;
beforeAll(async () => {
  platform = await startGatewayPlatform("gw_deadline");
  merchant = await platform.newMerchant();
});
afterAll(() => platform.stop());

let sequence = 0;
const payment = (paymentMethod: string) => {
  sequence++;
  return {
    idempotencyKey: `deadline-${sequence}-${Date.now()}`,
    merchantOrderNo: `deadline-order-${sequence}-${Date.now()}`,
    amount: 1500n,
    currency: "USD",
    paymentMethod,
  };
};
const channel = () => platform.admin(ChannelService, "channel");

/** A gateway client whose every request arrives with a budget of 0 ms and waits for the answer. */
function spentBudgetGateway(apiKey: string) {
  const spentBudget: Interceptor = (next) => (request) => {
    request.header.set("connect-timeout-ms", "0");
    return next(request);
  };
  return createClient(
    GatewayService,
    createConnectTransport({
      baseUrl: platform.services.gateway.url,
      httpVersion: "1.1",
      interceptors: [presentBearerToken(new Secret(apiKey)), spentBudget],
    }),
  );
}

describe("a merchant's deadline in CreatePayment", () => {
  it("runs out while the charge is in flight: PROCESSING, then reconciled to SUCCEEDED, charged once", async () => {
    // tok_timeout charges, then answers only after its caller's deadline: the merchant's.
    const sent = payment("tok_timeout");
    const error = await rejectionOf(merchant.gateway.createPayment(sent, { timeoutMs: 4000 }));
    expect(error.code).toBe(Code.DeadlineExceeded);

    // The same request again, without a deadline, answers the payment as it is now.
    const { payment: cut } = await merchant.gateway.createPayment(sent);
    expect([PaymentStatus.PROCESSING, PaymentStatus.SUCCEEDED]).toContain(cut?.status);
    await eventually(async () => {
      const { payment: now } = await merchant.gateway.getPayment({ paymentId: cut?.id ?? "" });
      expect(now?.status).toBe(PaymentStatus.SUCCEEDED);
    });
    const { charge } = await channel().getCharge({
      channel: "sandbox",
      idempotencyKey: cut?.id ?? "",
    });
    expect(charge?.status).toBe(ChargeStatus.SUCCEEDED);
  });

  it("is spent when the request arrives: FAILED deadline_exceeded, no order, nothing sent to the channel", async () => {
    // The API key is checked once with time to spare, so the spent request gets past it.
    await merchant.gateway.listPayments({});
    const spent = spentBudgetGateway(merchant.apiKey);
    const sent = payment("tok_visa");
    // Connect still delivers the handler's answer: the payment, failed before anything was sent.
    const { payment: failed } = await spent.createPayment(sent);
    expect(failed).toMatchObject({
      status: PaymentStatus.FAILED,
      failureCode: "deadline_exceeded",
      orderId: "",
    });
    await expect(
      channel().getCharge({ channel: "sandbox", idempotencyKey: failed?.id ?? "" }),
    ).rejects.toMatchObject({ code: Code.NotFound });
    // A retry with the same key answers the same failed payment; it never charges.
    expect((await merchant.gateway.createPayment(sent)).payment).toEqual(failed);
  });

  it("is spent before the API key could be checked: DEADLINE_EXCEEDED, not UNAVAILABLE", async () => {
    const uncached = await platform.newMerchant("Never Authenticated");
    const error = await rejectionOf(
      spentBudgetGateway(uncached.apiKey).createPayment(payment("tok_visa")),
    );
    expect(error.code).toBe(Code.DeadlineExceeded);
  });
});
