import { Code } from "@connectrpc/connect";
import { PaymentStatus } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import type { Database } from "@kassa/platform";
import { rejectionOf } from "@kassa/platform/testing";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookEndpoints } from "../db/schema.js";
import {
  eventually,
  type GatewayPlatform,
  startGatewayPlatform,
  type TestMerchant,
} from "../testing/gateway-platform.test-support.js";
import { startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.test-support.js";

// Private addresses are refused here (no development flag). The injected resolver plays DNS:
// `shop.example` is public, `intranet.example` private, and `rebind.example` public when the
// endpoint is registered but 127.0.0.1 afterwards, as a rebinding attacker's DNS would answer.
let rebound = false;
let platform: GatewayPlatform;
let merchant: TestMerchant;
let other: TestMerchant;
let receiver: WebhookReceiver;
beforeAll(async () => {
  platform = await startGatewayPlatform(
    "gw_webhook_endpoints",
    { gateway: { WEBHOOK_BACKOFF_INITIAL_MS: "50", WEBHOOK_BACKOFF_MAX_MS: "200" } },
    undefined,
    {
      resolver: async (hostname) => {
        if (hostname === "shop.example") return [{ address: "93.184.215.14", family: 4 }];
        if (hostname === "intranet.example")
          return [
            { address: "93.184.215.14", family: 4 },
            { address: "10.1.2.3", family: 4 },
          ];
        if (hostname === "rebind.example")
          return [{ address: rebound ? "127.0.0.1" : "93.184.215.14", family: 4 }];
        throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
      },
    },
  );
  merchant = await platform.newMerchant("Endpoints Merchant");
  other = await platform.newMerchant("Another Merchant");
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await platform.stop();
  await receiver?.close();
});

const printed = (value: unknown) =>
  JSON.stringify(value, (_key, field) => (typeof field === "bigint" ? String(field) : field));
const create = (url: string, enabledEvents = ["payment.succeeded"], description = "") =>
  merchant.gateway.createWebhookEndpoint({ url, enabledEvents, description });

describe("CreateWebhookEndpoint", () => {
  it("registers an endpoint and shows its whsec_ secret once", async () => {
    const created = await create(
      "https://shop.example/hooks",
      ["payment.succeeded", "refund.failed"],
      "orders",
    );
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(created.webhookEndpoint).toMatchObject({
      url: "https://shop.example/hooks",
      enabledEvents: ["payment.succeeded", "refund.failed"],
      description: "orders",
      disabled: false,
    });
    const id = created.webhookEndpoint?.id ?? "";
    expect(id).toMatch(/^we_/);
    const { webhookEndpoint } = await merchant.gateway.getWebhookEndpoint({
      webhookEndpointId: id,
    });
    expect(printed(webhookEndpoint)).not.toContain(created.secret);
    // Stored encrypted: the secret is nowhere in the row.
    const db = platform.services.gateway.context.db as Database;
    const [row] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
    expect(printed(row)).not.toContain(created.secret.slice(6));
  });

  it("refuses a URL on a loopback, private, link-local or CGNAT address, or a name resolving to one", async () => {
    for (const url of [
      "http://127.0.0.1/hooks",
      "http://localhost:8080/hooks",
      "http://10.0.0.1/",
      "http://192.168.1.10/",
      "http://169.254.169.254/latest/meta-data",
      "http://100.64.0.1/",
      "http://[::1]/",
      "http://[fe80::1]/",
      "http://[fd00::1]/",
      "http://[::ffff:127.0.0.1]/",
      "http://0.0.0.0/",
      "https://intranet.example/hooks",
    ]) {
      const error = await rejectionOf(create(url));
      expect(error.code, url).toBe(Code.InvalidArgument);
      expect(error.rawMessage, url).toMatch(/^url: /);
    }
  });

  it("names the field of bad input", async () => {
    const cases: Array<[() => Promise<unknown>, RegExp]> = [
      [() => create("ftp://shop.example/"), /^url: must be an http or https URL/],
      [() => create("not a url"), /^url: must be an absolute URL/],
      [() => create(`https://shop.example/${"a".repeat(2100)}`), /^url: /],
      [() => create("https://user:pw@shop.example/"), /^url: must not carry/],
      [() => create("https://shop.example/", []), /^enabled_events: must name at least one/],
      [
        () => create("https://shop.example/", ["payment.succeeded", "payment.nope"]),
        /^enabled_events\[1\]: "payment.nope" is not an event type/,
      ],
      [() => create("https://shop.example/", ["*"], "x".repeat(501)), /^description: /],
      [
        () => merchant.gateway.getWebhookEndpoint({ webhookEndpointId: "pay_1" }),
        /^webhook_endpoint_id: /,
      ],
      [() => merchant.gateway.listEvents({ type: "settlement.completed" }), /^type: /],
      [() => merchant.gateway.getEvent({ eventId: "" }), /^event_id: is required/],
    ];
    for (const [call, message] of cases) {
      const error = await rejectionOf(call());
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toMatch(message);
    }
    const { webhookEndpoint } = await create("https://shop.example/roll");
    const error = await rejectionOf(
      merchant.gateway.rollWebhookEndpointSecret({
        webhookEndpointId: webhookEndpoint?.id ?? "",
        expiresInSeconds: -1n,
      }),
    );
    expect(error.rawMessage).toMatch(/^expires_in_seconds: /);
  });
});

describe("UpdateWebhookEndpoint, ListWebhookEndpoints and DeleteWebhookEndpoint", () => {
  it("changes only the fields set, pages the list, and deletes softly", async () => {
    const first = await create("https://shop.example/a");
    const second = await create("https://shop.example/b");
    const id = first.webhookEndpoint?.id ?? "";
    const { webhookEndpoint } = await merchant.gateway.updateWebhookEndpoint({
      webhookEndpointId: id,
      enabledEvents: ["refund.succeeded"],
      disabled: true,
    });
    expect(webhookEndpoint).toMatchObject({
      url: "https://shop.example/a",
      enabledEvents: ["refund.succeeded"],
      disabled: true,
      disabledReason: "disabled by request",
    });

    const page = await merchant.gateway.listWebhookEndpoints({ pageSize: 1 });
    expect(page.webhookEndpoints.map((endpoint) => endpoint.id)).toEqual([
      second.webhookEndpoint?.id,
    ]);
    const next = await merchant.gateway.listWebhookEndpoints({
      pageSize: 1,
      pageToken: page.nextPageToken,
    });
    expect(next.webhookEndpoints.map((endpoint) => endpoint.id)).toEqual([id]);

    await merchant.gateway.deleteWebhookEndpoint({ webhookEndpointId: id });
    const gone = await rejectionOf(merchant.gateway.getWebhookEndpoint({ webhookEndpointId: id }));
    expect(gone.code).toBe(Code.NotFound);
    const { webhookEndpoints: listed } = await merchant.gateway.listWebhookEndpoints({});
    expect(listed.map((endpoint) => endpoint.id)).not.toContain(id);
    const db = platform.services.gateway.context.db as Database;
    const [row] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id));
    expect(row?.deletedAt).toBeInstanceOf(Date);
  });
});

describe("webhook endpoints and events of another merchant", () => {
  it("are NOT_FOUND, exactly like ones that do not exist", async () => {
    const { webhookEndpoint } = await create("https://shop.example/mine", ["*"]);
    const id = webhookEndpoint?.id ?? "";
    const { payment } = await merchant.gateway.createPayment({
      idempotencyKey: `isolation-${Date.now()}`,
      merchantOrderNo: `isolation-${Date.now()}`,
      amount: 700n,
      currency: "USD",
      paymentMethod: "tok_visa",
    });
    expect(payment?.status).toBe(PaymentStatus.SUCCEEDED);
    const { events } = await merchant.gateway.listEvents({});
    const eventId = events[0]?.id ?? "";
    expect(eventId).toMatch(/^evt_/);

    for (const call of [
      () => other.gateway.getWebhookEndpoint({ webhookEndpointId: id }),
      () => other.gateway.updateWebhookEndpoint({ webhookEndpointId: id, description: "mine" }),
      () => other.gateway.deleteWebhookEndpoint({ webhookEndpointId: id }),
      () => other.gateway.rollWebhookEndpointSecret({ webhookEndpointId: id }),
      () => other.gateway.getEvent({ eventId }),
      () => other.gateway.redeliverEvent({ eventId }),
    ]) {
      expect((await rejectionOf(call())).code).toBe(Code.NotFound);
    }
    expect((await other.gateway.listEvents({})).events).toEqual([]);
    expect((await other.gateway.listWebhookEndpoints({})).webhookEndpoints).toEqual([]);
  });
});

describe("webhook delivery to an address that became private", () => {
  it("is refused at delivery when the name resolves to loopback by then, and nothing is sent", async () => {
    rebound = false;
    const merchantB = await platform.newMerchant("Rebinding Merchant");
    const { webhookEndpoint } = await merchantB.gateway.createWebhookEndpoint({
      url: `http://rebind.example:${receiver.port}/hooks`,
      enabledEvents: ["payment.succeeded"],
    });
    rebound = true;
    await merchantB.gateway.createPayment({
      idempotencyKey: `rebind-${Date.now()}`,
      merchantOrderNo: `rebind-${Date.now()}`,
      amount: 900n,
      currency: "USD",
      paymentMethod: "tok_visa",
    });
    const { events } = await merchantB.gateway.listEvents({ type: "payment.succeeded" });
    const eventId = events[0]?.id ?? "";
    const delivery = await eventually(async () => {
      const { deliveries } = await merchantB.gateway.getEvent({ eventId });
      expect(deliveries[0]?.attempts).toBeGreaterThanOrEqual(1);
      return deliveries[0];
    });
    expect(delivery).toMatchObject({ webhookEndpointId: webhookEndpoint?.id, lastStatusCode: 0 });
    expect(delivery?.lastError).toMatch(
      /not sent: rebind.example resolves to 127.0.0.1, which is a loopback address/,
    );
    expect(receiver.received).toEqual([]);
  });
});
