import { PaymentStatus } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  type GatewayPlatform,
  startGatewayPlatform,
  type TestMerchant,
} from "../testing/gateway-platform.test-support.js";

let platform: GatewayPlatform;
let merchant: TestMerchant;
beforeAll(async () => {
  // The default 30 s half-open wait: the breaker must close because the channel says SERVING.
  platform = await startGatewayPlatform("gw_outage");
  merchant = await platform.newMerchant();
});
afterAll(() => platform.stop());

let sequence = 0;
const pay = async () => {
  sequence++;
  const { payment } = await merchant.gateway.createPayment({
    idempotencyKey: `outage-${sequence}-${Date.now()}`,
    merchantOrderNo: `outage-order-${sequence}-${Date.now()}`,
    amount: 1200n,
    currency: "USD",
    paymentMethod: "tok_visa",
  });
  if (!payment) throw new Error("no payment");
  return payment;
};
const breakerState = async () => {
  const metrics = await (await fetch(`${platform.services.gateway.url}/metrics`)).text();
  return metrics.match(/kassa_breaker_state\{dependency="channel",service="gateway"\} (\d)/)?.[1];
};

describe("channel outage", () => {
  it("opens the breaker, fails fast with channel_unavailable, and recovers once the channel is back", async () => {
    expect((await pay()).status).toBe(PaymentStatus.SUCCEEDED);

    await platform.services.channel.stop();
    // While the breaker is closed, a charge that cannot be delivered leaves the payment PROCESSING:
    // the gateway cannot know whether the channel got it.
    const unknown = await pay();
    expect(unknown.status).toBe(PaymentStatus.PROCESSING);
    const failedFast = await eventually(async () => {
      const payment = await pay();
      expect(payment).toMatchObject({
        status: PaymentStatus.FAILED,
        failureCode: "channel_unavailable",
      });
      return payment;
    });
    expect(failedFast.channelPaymentId).toBe("");
    expect(await breakerState()).toBe("2");

    await platform.services.channel.start();
    // As soon as the channel reports SERVING its breaker closes, without the half-open wait.
    await eventually(async () => expect(await breakerState()).toBe("0"));
    expect((await pay()).status).toBe(PaymentStatus.SUCCEEDED);

    // The payment whose charge never arrived is finished by the reconciler: nothing was charged.
    await eventually(async () => {
      const { payment } = await merchant.gateway.getPayment({ paymentId: unknown.id });
      expect(payment).toMatchObject({
        status: PaymentStatus.FAILED,
        failureCode: "channel_unavailable",
      });
    });
  });
});
