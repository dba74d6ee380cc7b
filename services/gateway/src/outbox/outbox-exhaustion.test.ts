import { PaymentStatus } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import type { Database } from "@kassa/platform";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outbox } from "../db/schema.js";
import {
  eventually,
  type GatewayPlatform,
  startGatewayPlatform,
} from "../testing/gateway-platform.test-support.js";

let platform: GatewayPlatform;
beforeAll(async () => {
  // One attempt only, so the test can watch an event run out of retries.
  platform = await startGatewayPlatform("gw_exhaust", {
    gateway: { CHANNEL_TIMEOUT_MS: "300", OUTBOX_MAX_ATTEMPTS: "1" },
  });
});
afterAll(() => platform.stop());

describe("an outbox event that runs out of attempts", () => {
  it("is kept as EXHAUSTED, counted in /metrics, and makes health degraded", async () => {
    const merchant = await platform.newMerchant();
    const { payment } = await merchant.gateway.createPayment({
      idempotencyKey: "exhaust-1",
      merchantOrderNo: "exhaust-order-1",
      amount: 999n,
      currency: "USD",
      paymentMethod: "tok_timeout",
    });
    expect(payment?.status).toBe(PaymentStatus.PROCESSING);
    await platform.services.order.stop();

    const db = platform.services.gateway.context.db as Database<{ outbox: typeof outbox }>;
    await eventually(async () => {
      const rows = await db
        .select()
        .from(outbox)
        .where(eq(outbox.subjectId, payment?.id ?? ""));
      expect(rows.find((row) => row.kind === "order.paid")).toMatchObject({
        status: "EXHAUSTED",
        attempts: 1,
        lastError: expect.stringMatching(/unavailable/i),
      });
    });
    await eventually(async () => {
      const health = await fetch(`${platform.services.gateway.url}/health`);
      const body = (await health.json()) as {
        status: string;
        checks: Array<{ name: string; status: string }>;
      };
      expect(health.status).toBe(200);
      expect(body.status).toBe("degraded");
      expect(body.checks.find((check) => check.name === "outbox")?.status).toBe("degraded");
      const exhausted = await db.$count(outbox, eq(outbox.status, "EXHAUSTED"));
      const metrics = await (await fetch(`${platform.services.gateway.url}/metrics`)).text();
      expect(metrics).toContain(`kassa_outbox_exhausted{service="gateway"} ${exhausted}`);
    });
    expect((await fetch(`${platform.services.gateway.url}/health/ready`)).status).toBe(503);
  });
});
