import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { GatewayService } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { MerchantService } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { testClient, testTokens } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CliPlatform,
  eventually,
  runKassa,
  startCliPlatform,
} from "../testing/cli-platform.test-support.js";

// A merchant's receiver on loopback (the platform allows private URLs), the event ids it got.
const received: string[] = [];
const receiver = http.createServer((request, response) => {
  received.push(String(request.headers["kassa-event-id"]));
  request.resume();
  response.writeHead(200).end();
});
let platform: CliPlatform;
let eventId: string;
let endpointId: string;

beforeAll(async () => {
  receiver.listen(0, "127.0.0.1");
  await once(receiver, "listening");
  platform = await startCliPlatform("webhooks");
  const merchants = testClient(
    MerchantService,
    platform.services.merchant?.url ?? "",
    testTokens.admin,
  );
  const { merchant } = await merchants.createMerchant({ name: "Hooked Shop" });
  const { secret } = await merchants.createApiKey({ merchantId: merchant?.id ?? "" });
  const gateway = testClient(GatewayService, platform.services.gateway?.url ?? "", secret);
  const { webhookEndpoint } = await gateway.createWebhookEndpoint({
    url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`,
    enabledEvents: ["payment.succeeded"],
  });
  endpointId = webhookEndpoint?.id ?? "";
  await gateway.createPayment({
    idempotencyKey: "hooked-1",
    merchantOrderNo: "hooked-1",
    amount: 1500n,
    currency: "EUR",
    paymentMethod: "tok_visa",
  });
  eventId = await eventually(() => {
    expect(received).toHaveLength(1);
    return received[0] ?? "";
  });
});
afterAll(async () => {
  await platform?.stop();
  receiver.closeAllConnections();
  receiver.close();
});

const kassa = (...args: string[]) => runKassa(args, platform.cliEnv);

describe("kassa webhooks redeliver", () => {
  it("sends any merchant's event again, with the same event id", async () => {
    const run = await kassa("webhooks", "redeliver", eventId, "--endpoint", endpointId);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^${eventId} will be sent again:$`, "m"));
    expect(run.stdout).toMatch(new RegExp(`^whd_\\w+ +${endpointId} +pending$`, "m"));
    await eventually(() => expect(received).toEqual([eventId, eventId]));
  });

  it("refuses an id that is not an event's before calling the gateway", async () => {
    const run = await kassa("webhooks", "redeliver", "pay_123");
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/evt_/);
  });
});
