import { Code } from "@connectrpc/connect";
import { GatewayService, PaymentStatus } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { rejectionOf, testClient } from "@kassa/platform/testing";
import { afterAll, describe, expect, it } from "vitest";
import {
  dependencyNames,
  eventually,
  type GatewayPlatform,
  startGatewayPlatform,
} from "../testing/gateway-platform.test-support.js";

// The gateway comes up first, as `kubectl apply` or a rolling deploy may bring it up: its
// dependencies appear later, in any order. Every breaker waits 10 minutes before half-opening,
// so a payment can only succeed if the breakers never opened or closed because the
// dependencies said SERVING.
const tenMinutes = "600000";
const halfOpenAfter = Object.fromEntries(
  dependencyNames.map((name) => [`${name.toUpperCase()}_BREAKER_HALF_OPEN_AFTER_MS`, tenMinutes]),
);

let platform: GatewayPlatform | undefined;
afterAll(() => platform?.stop());

let sequence = 0;
const paymentRequest = () => {
  sequence++;
  return {
    idempotencyKey: `out-of-order-${sequence}`,
    merchantOrderNo: `out-of-order-${sequence}`,
    amount: 2500n,
    currency: "USD",
    paymentMethod: "tok_visa",
  };
};

describe("a platform started in the wrong order", () => {
  it("fails payments cleanly while dependencies are missing, and takes the first one after every service is ready", async () => {
    platform = await startGatewayPlatform("gw_out_of_order", { gateway: halfOpenAfter }, [
      "gateway",
    ]);
    const { services } = platform;

    // The gateway alone: it cannot authenticate anyone, and says so.
    const stranger = testClient(
      GatewayService,
      services.gateway.url,
      "sk_test_000000000000000000000000000000000000",
    );
    for (let i = 0; i < 6; i++) {
      const error = await rejectionOf(stranger.createPayment(paymentRequest()));
      expect(error.code).toBe(Code.Unavailable);
    }

    // Merchants are up, nothing else: payments are refused in the saga before anything is sent.
    await services.merchant.start();
    const merchant = await platform.newMerchant();
    for (let i = 0; i < 10; i++) {
      const { payment } = await merchant.gateway.createPayment(paymentRequest());
      expect(payment).toMatchObject({
        status: PaymentStatus.FAILED,
        failureCode: "service_unavailable",
        channelPaymentId: "",
      });
    }

    // The rest, all at once and in no particular order.
    await Promise.all(
      (["accounting", "channel", "risk", "order"] as const).map((name) => services[name].start()),
    );
    await eventually(async () => {
      for (const service of Object.values(services)) {
        const ready = await fetch(`${service.url}/health/ready`);
        expect(ready.status, service.name).toBe(200);
      }
    }, 120_000);

    // The first payment once everything is ready succeeds, and so does every one after it.
    for (let i = 0; i < 5; i++) {
      const { payment } = await merchant.gateway.createPayment(paymentRequest());
      expect(payment?.status).toBe(PaymentStatus.SUCCEEDED);
    }
    const metrics = await (await fetch(`${services.gateway.url}/metrics`)).text();
    expect(metrics).not.toMatch(/kassa_breaker_transitions_total\{[^}]*to="open"/);
    expect(metrics).toMatch(/kassa_breaker_state\{dependency="risk",service="gateway"\} 0/);
  });
});
