import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { WebhookDeliveryStatus } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { verifyWebhookSignature } from "@kassa/webhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  type GatewayPlatform,
  spawnGatewayProcess,
  startGatewayPlatform,
  type TestMerchant,
} from "../testing/gateway-platform.test-support.js";
import { startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.test-support.js";

// The gateway as a real process, killed with SIGKILL while a delivery is in flight: claimed
// (leased), sent, not yet marked. The restarted gateway's clock is moved past the lease.

let aheadMs = 0;
let platform: GatewayPlatform;
let merchant: TestMerchant;
let receiver: WebhookReceiver;
const children: ChildProcess[] = [];
beforeAll(async () => {
  platform = await startGatewayPlatform(
    "gw_webhook_crash",
    { gateway: { WEBHOOK_ALLOW_PRIVATE_URLS: "true" } },
    undefined,
    { clock: { now: () => new Date(Date.now() + aheadMs) } },
  );
  merchant = await platform.newMerchant();
  receiver = await startWebhookReceiver();
  await platform.services.gateway.stop();
});
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await platform.stop();
  await receiver.close();
});

describe("a gateway killed mid-delivery", () => {
  it("loses nothing: the event arrives, with the same id, from the restarted gateway", async () => {
    const child = await spawnGatewayProcess(platform);
    children.push(child);
    const { secret } = await merchant.gateway.createWebhookEndpoint({
      url: `http://127.0.0.1:${receiver.port}/hooks`,
      enabledEvents: ["payment.succeeded"],
    });
    // The first request is held unanswered; the gateway dies waiting for it.
    receiver.answer = (_webhook, index) => (index === 0 ? "hang" : 200);
    await merchant.gateway.createPayment({
      idempotencyKey: `crash-${Date.now()}`,
      merchantOrderNo: `crash-${Date.now()}`,
      amount: 1234n,
      currency: "USD",
      paymentMethod: "tok_visa",
    });
    await eventually(() => expect(receiver.received).toHaveLength(1));
    child.kill("SIGKILL");
    await once(child, "exit");

    // Restarted in-process on the same database, past the dead gateway's lease.
    aheadMs = 5 * 60_000;
    await platform.services.gateway.start();
    await eventually(() => expect(receiver.received).toHaveLength(2));
    const [lost, delivered] = receiver.received;
    expect(delivered?.headers["kassa-event-id"]).toBe(lost?.headers["kassa-event-id"]);
    expect(() =>
      verifyWebhookSignature(delivered?.body ?? "", delivered?.signature, secret, {
        now: new Date(Date.now() + aheadMs),
      }),
    ).not.toThrow();
    const eventId = String(delivered?.headers["kassa-event-id"]);
    await eventually(async () => {
      const { deliveries } = await merchant.gateway.getEvent({ eventId });
      expect(deliveries).toHaveLength(1);
      expect(deliveries[0]?.status).toBe(WebhookDeliveryStatus.DELIVERED);
    });
  });
});
