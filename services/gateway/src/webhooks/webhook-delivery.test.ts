import { PaymentStatus, WebhookDeliveryStatus } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import type { Database } from "@kassa/platform";
import { verifyWebhookSignature, WebhookSignatureError } from "@kassa/webhooks";
import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookAttempts } from "../db/schema.js";
import {
  eventually,
  type GatewayPlatform,
  startGatewayPlatform,
  type TestMerchant,
} from "../testing/gateway-platform.test-support.js";
import {
  type ReceivedWebhook,
  startWebhookReceiver,
  type WebhookReceiver,
} from "./webhook-receiver.test-support.js";

// Endpoints are registered as http://merchant.example:<port>: the injected resolver answers
// 127.0.0.1 for that name (with the development flag on), so every delivery here also shows
// the gateway connecting to the address it resolved, not to whatever the name means elsewhere.
// The gateway's clock can be moved ahead, for what takes days.
let aheadMs = 0;
const clock = { now: () => new Date(Date.now() + aheadMs) };
let platform: GatewayPlatform;
const receivers: WebhookReceiver[] = [];
beforeAll(async () => {
  platform = await startGatewayPlatform(
    "gw_webhooks",
    {
      gateway: {
        WEBHOOK_ALLOW_PRIVATE_URLS: "true",
        WEBHOOK_BACKOFF_INITIAL_MS: "50",
        WEBHOOK_BACKOFF_MAX_MS: "200",
        WEBHOOK_MAX_ATTEMPTS: "3",
        WEBHOOK_TIMEOUT_MS: "3000",
        // The reconciler must not act on payments while the clock jumps days ahead.
        RECONCILE_AFTER_MS: "600000000",
        RECONCILE_PENDING_AFTER_MS: "600000000",
      },
    },
    undefined,
    {
      clock,
      resolver: async (hostname) => {
        if (hostname === "merchant.example") return [{ address: "127.0.0.1", family: 4 }];
        throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
      },
    },
  );
});
afterAll(async () => {
  await platform.stop();
  await Promise.all(receivers.map((receiver) => receiver.close()));
});

async function receiver(): Promise<WebhookReceiver> {
  const started = await startWebhookReceiver();
  receivers.push(started);
  return started;
}

async function endpointFor(
  merchant: TestMerchant,
  target: WebhookReceiver,
  enabledEvents: string[] = ["*"],
) {
  const created = await merchant.gateway.createWebhookEndpoint({
    url: `http://merchant.example:${target.port}/hooks`,
    enabledEvents,
  });
  return { id: created.webhookEndpoint?.id ?? "", secret: created.secret };
}

let sequence = 0;
async function pay(
  merchant: TestMerchant,
  paymentMethod = "tok_visa",
  manual = false,
): Promise<string> {
  sequence++;
  const { payment } = await merchant.gateway.createPayment({
    idempotencyKey: `webhooks-${sequence}-${Date.now()}`,
    merchantOrderNo: `webhooks-${sequence}-${Date.now()}`,
    amount: 2500n,
    currency: "USD",
    paymentMethod,
    ...(manual && { captureMethod: 2 }),
  });
  return payment?.id ?? "";
}

const typesOf = (received: readonly ReceivedWebhook[], subjectId: string) =>
  received
    .filter((webhook) => objectOf(webhook).id === subjectId)
    .map((webhook) => webhook.event.type);
const objectOf = (webhook: ReceivedWebhook) =>
  webhook.event.data.payment ?? webhook.event.data.refund ?? {};

describe("webhook delivery", () => {
  it("delivers every event type once, signed so verifyWebhookSignature accepts it and rejects tampering", async () => {
    const merchant = await platform.newMerchant();
    const target = await receiver();
    const { secret } = await endpointFor(merchant, target);

    const charged = await pay(merchant);
    const { refund } = await merchant.gateway.createRefund({
      idempotencyKey: `refund-${charged}`,
      paymentId: charged,
      amount: 500n,
    });
    const declined = await pay(merchant, "tok_chargeDeclined");
    const captured = await pay(merchant, "tok_visa", true);
    await merchant.gateway.capturePayment({
      paymentId: captured,
      idempotencyKey: `cap-${captured}`,
    });
    const cancelled = await pay(merchant, "tok_visa", true);
    await merchant.gateway.cancelPayment({ paymentId: cancelled });
    const refundFails = await pay(merchant, "tok_refundFails");
    const { refund: failedRefund } = await merchant.gateway.createRefund({
      idempotencyKey: `refund-${refundFails}`,
      paymentId: refundFails,
      amount: 100n,
    });

    const expected: Record<string, string[]> = {
      [charged]: ["payment.processing", "payment.succeeded"],
      [refund?.id ?? ""]: ["refund.succeeded"],
      [declined]: ["payment.processing", "payment.failed"],
      [captured]: ["payment.processing", "payment.requires_capture", "payment.captured"],
      [cancelled]: ["payment.processing", "payment.requires_capture", "payment.cancelled"],
      [refundFails]: ["payment.processing", "payment.succeeded"],
      [failedRefund?.id ?? ""]: ["refund.failed"],
    };
    const total = Object.values(expected).flat().length;
    await eventually(() => expect(target.received.length).toBeGreaterThanOrEqual(total));
    for (const [subjectId, types] of Object.entries(expected)) {
      expect(typesOf(target.received, subjectId).sort()).toEqual([...types].sort());
    }
    // Once each: every event id arrived exactly once.
    const ids = target.received.map((webhook) => webhook.headers["kassa-event-id"]);
    expect(new Set(ids).size).toBe(total);

    const now = clock.now();
    for (const webhook of target.received) {
      expect(webhook.event.id).toBe(webhook.headers["kassa-event-id"]);
      expect(webhook.event.apiVersion).toBe("2026-12-01");
      expect(verifyWebhookSignature(webhook.body, webhook.signature, secret, { now })).toBeTypeOf(
        "number",
      );
    }
    const sample = target.received.find((webhook) => webhook.event.type === "payment.succeeded");
    if (!sample) throw new Error("no payment.succeeded delivered");
    // The object as the public API shows it, in its JSON form.
    expect(sample.event.data.payment).toMatchObject({
      id: charged,
      status: "PAYMENT_STATUS_SUCCEEDED",
      amount: "2500",
    });
    const refused = (verify: () => unknown) => {
      try {
        verify();
      } catch (error) {
        return error instanceof WebhookSignatureError ? error.problem : error;
      }
      return "accepted";
    };
    expect(
      refused(() => verifyWebhookSignature(`${sample.body} `, sample.signature, secret, { now })),
    ).toBe("no_matching_signature");
    expect(
      refused(() => verifyWebhookSignature(sample.body, sample.signature, "whsec_wrong", { now })),
    ).toBe("no_matching_signature");
    const anHourLater = new Date(now.getTime() + 3_600_000);
    expect(
      refused(() =>
        verifyWebhookSignature(sample.body, sample.signature, secret, { now: anHourLater }),
      ),
    ).toBe("timestamp_outside_tolerance");

    // What a merchant missed can be read back.
    const { events } = await merchant.gateway.listEvents({ type: "payment.captured" });
    expect(events.map((event) => event.data?.object.value?.id)).toEqual([captured]);
  });

  it("sends an event again after a 500, with the same Kassa-Event-Id, and records both attempts", async () => {
    const merchant = await platform.newMerchant();
    const target = await receiver();
    target.answer = (_webhook, index) => (index === 0 ? 500 : 200);
    await endpointFor(merchant, target, ["payment.succeeded"]);
    await pay(merchant);

    await eventually(() => expect(target.received).toHaveLength(2));
    const [first, second] = target.received;
    expect(second?.headers["kassa-event-id"]).toBe(first?.headers["kassa-event-id"]);
    const eventId = String(first?.headers["kassa-event-id"]);
    const delivered = await eventually(async () => {
      const { deliveries } = await merchant.gateway.getEvent({ eventId });
      expect(deliveries[0]?.status).toBe(WebhookDeliveryStatus.DELIVERED);
      return deliveries[0];
    });
    expect(delivered?.attempts).toBe(2);
    const db = platform.services.gateway.context.db as Database;
    const attempts = await db
      .select()
      .from(webhookAttempts)
      .where(eq(webhookAttempts.eventId, eventId))
      .orderBy(asc(webhookAttempts.id));
    expect(attempts.map((attempt) => attempt.statusCode)).toEqual([500, 200]);
    expect(attempts[0]?.responseBody).toBe("answered 500");
  });

  it("keeps delivering to one receiver while another hangs", async () => {
    const merchant = await platform.newMerchant();
    const hanging = await receiver();
    hanging.answer = () => "hang";
    const healthy = await receiver();
    await endpointFor(merchant, hanging, ["payment.succeeded"]);
    await endpointFor(merchant, healthy, ["payment.succeeded"]);

    // More payments than the hanging endpoint's concurrency (4): its slots stay full.
    const payments = [];
    for (let i = 0; i < 6; i++) payments.push(await pay(merchant));
    await eventually(() => expect(healthy.received).toHaveLength(6));
    // Every one reached the healthy receiver while the hanging one still holds its first requests.
    expect(hanging.received.length).toBeLessThanOrEqual(4);
    expect(healthy.received.map((webhook) => objectOf(webhook).id).sort()).toEqual(payments.sort());
  });

  it("signs with both secrets after a roll, and with the new one alone once the old one expires", async () => {
    const merchant = await platform.newMerchant();
    const target = await receiver();
    const { id, secret: oldSecret } = await endpointFor(merchant, target, ["payment.succeeded"]);

    const rolled = await merchant.gateway.rollWebhookEndpointSecret({ webhookEndpointId: id });
    expect(rolled.secret).toMatch(/^whsec_/);
    expect(rolled.webhookEndpoint?.previousSecretExpiresAt).toBeDefined();
    await pay(merchant);
    await eventually(() => expect(target.received).toHaveLength(1));
    const [both] = target.received;
    if (!both) throw new Error("nothing delivered");
    expect(both.signature.match(/v1=/g)).toHaveLength(2);
    const now = clock.now();
    expect(() =>
      verifyWebhookSignature(both.body, both.signature, oldSecret, { now }),
    ).not.toThrow();
    expect(() =>
      verifyWebhookSignature(both.body, both.signature, rolled.secret, { now }),
    ).not.toThrow();

    const again = await merchant.gateway.rollWebhookEndpointSecret({
      webhookEndpointId: id,
      expiresInSeconds: 0n,
    });
    await pay(merchant);
    await eventually(() => expect(target.received).toHaveLength(2));
    const single = target.received[1];
    if (!single) throw new Error("nothing delivered");
    expect(single.signature.match(/v1=/g)).toHaveLength(1);
    expect(() =>
      verifyWebhookSignature(single.body, single.signature, again.secret, { now: clock.now() }),
    ).not.toThrow();
    expect(() =>
      verifyWebhookSignature(single.body, single.signature, rolled.secret, { now: clock.now() }),
    ).toThrow(WebhookSignatureError);
  });

  it("keeps a delivery FAILED after its last attempt, and RedeliverEvent sends it again", async () => {
    const merchant = await platform.newMerchant();
    const target = await receiver();
    target.answer = () => 503;
    const { id } = await endpointFor(merchant, target, ["payment.succeeded"]);
    await pay(merchant);

    await eventually(() => expect(target.received).toHaveLength(3));
    const eventId = String(target.received[0]?.headers["kassa-event-id"]);
    const failed = await eventually(async () => {
      const { deliveries } = await merchant.gateway.getEvent({ eventId });
      expect(deliveries[0]?.status).toBe(WebhookDeliveryStatus.FAILED);
      return deliveries[0];
    });
    expect(failed).toMatchObject({ attempts: 3, lastStatusCode: 503, webhookEndpointId: id });

    target.answer = () => 200;
    const { deliveries } = await merchant.gateway.redeliverEvent({
      eventId,
      webhookEndpointId: id,
    });
    expect(deliveries).toHaveLength(1);
    await eventually(() => expect(target.received).toHaveLength(4));
    expect(target.received[3]?.headers["kassa-event-id"]).toBe(eventId);
    await eventually(async () => {
      const { deliveries: all } = await merchant.gateway.getEvent({ eventId });
      expect(all.map((delivery) => delivery.status)).toEqual([
        WebhookDeliveryStatus.FAILED,
        WebhookDeliveryStatus.DELIVERED,
      ]);
    });
  });

  it("disables an endpoint whose deliveries have failed for three days, and says why", async () => {
    const merchant = await platform.newMerchant();
    const target = await receiver();
    target.answer = () => 500;
    const { id } = await endpointFor(merchant, target, ["payment.succeeded"]);
    const { payment } = await merchant.gateway.getPayment({ paymentId: await pay(merchant) });
    expect(payment?.status).toBe(PaymentStatus.SUCCEEDED);
    await eventually(() => expect(target.received.length).toBeGreaterThanOrEqual(1));

    // Failing since the first attempt; three days and more later, the next failure disables it.
    aheadMs = 3 * 24 * 3_600_000 + 60_000;
    try {
      await pay(merchant);
      const endpoint = await eventually(async () => {
        const { webhookEndpoint } = await merchant.gateway.getWebhookEndpoint({
          webhookEndpointId: id,
        });
        expect(webhookEndpoint?.disabled).toBe(true);
        return webhookEndpoint;
      });
      expect(endpoint?.disabledReason).toMatch(/failed for 72 h; last: HTTP 500/);

      // Enabled again by the merchant, it gets what waits once the receiver answers.
      target.answer = () => 200;
      const { webhookEndpoint } = await merchant.gateway.updateWebhookEndpoint({
        webhookEndpointId: id,
        disabled: false,
      });
      expect(webhookEndpoint?.disabledReason).toBe("");
    } finally {
      aheadMs = 0;
    }
  });
});
