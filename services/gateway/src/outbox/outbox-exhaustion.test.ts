import { AccountingService } from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import { createId, type Database } from "@kassa/platform";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outboxRepository } from "../db/outbox-repository.js";
import * as schema from "../db/schema.js";
import {
  eventually,
  type GatewayPlatform,
  startGatewayPlatform,
} from "../testing/gateway-platform.test-support.js";

let platform: GatewayPlatform;
beforeAll(async () => {
  platform = await startGatewayPlatform("gw_exhaust");
});
afterAll(() => platform.stop());

describe("an outbox event its target refuses for good", () => {
  it("is kept as EXHAUSTED, counted in /metrics, and makes health degraded", async () => {
    // An order.paid event for an order the order service never made (a corrupted payload, an
    // operator's mistake): NOT_FOUND will not go away by retrying.
    const db = platform.services.gateway.context.db as Database<typeof schema>;
    const orderId = createId("ord");
    const paymentId = createId("pay");
    await outboxRepository.enqueue(
      db,
      [{ kind: "order.paid", subjectId: paymentId, payload: { orderId, paymentId } }],
      new Date(),
    );
    await eventually(async () => {
      const rows = await db
        .select()
        .from(schema.outbox)
        .where(eq(schema.outbox.subjectId, paymentId));
      expect(rows[0]).toMatchObject({
        status: "EXHAUSTED",
        attempts: 1,
        lastError: expect.stringContaining(orderId),
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
      const exhausted = await db.$count(schema.outbox, eq(schema.outbox.status, "EXHAUSTED"));
      const metrics = await (await fetch(`${platform.services.gateway.url}/metrics`)).text();
      expect(metrics).toContain(`kassa_outbox_exhausted{service="gateway"} ${exhausted}`);
    });
    expect((await fetch(`${platform.services.gateway.url}/health/ready`)).status).toBe(503);
  });
});

describe("a stored outbox event whose payload does not parse", () => {
  it("is refused before it reaches its target, naming the field, and kept as EXHAUSTED", async () => {
    // A row written by another version or by hand: the amount is not whole minor units.
    const db = platform.services.gateway.context.db as Database<typeof schema>;
    const paymentId = createId("pay");
    const merchantId = createId("mer");
    await db.insert(schema.outbox).values({
      kind: "ledger.payment",
      subjectId: paymentId,
      payload: {
        paymentId,
        merchantId,
        amount: "12.50",
        currency: "EUR",
        occurredAt: new Date().toISOString(),
      },
      nextAttemptAt: new Date(),
      createdAt: new Date(),
    });
    await eventually(async () => {
      const [row] = await db
        .select()
        .from(schema.outbox)
        .where(eq(schema.outbox.subjectId, paymentId));
      expect(row).toMatchObject({
        status: "EXHAUSTED",
        attempts: 1,
        lastError: expect.stringMatching(/ledger\.payment payload: amount must be an integer/),
      });
    });
    const ledger = platform.admin(AccountingService, "accounting");
    expect((await ledger.listEntries({ merchantId })).entries).toEqual([]);
  });

  it("fails alone when it is due with others of its kind: they are delivered together without it", async () => {
    const db = platform.services.gateway.context.db as Database<typeof schema>;
    const merchantId = createId("mer");
    const payload = (paymentId: string, amount: string) => ({
      paymentId,
      merchantId,
      amount,
      currency: "EUR",
      occurredAt: new Date().toISOString(),
    });
    const good = [createId("pay"), createId("pay"), createId("pay")];
    const bad = createId("pay");
    // All due in one round: the first goes alone, the rest in one call that the bad one spoils.
    await db.insert(schema.outbox).values(
      [...good.map((id) => payload(id, "700")), payload(bad, "7.5")].map((row) => ({
        kind: "ledger.payment",
        subjectId: row.paymentId,
        payload: row,
        nextAttemptAt: new Date(),
        createdAt: new Date(),
      })),
    );
    const statusOf = async (id: string) =>
      (await db.select().from(schema.outbox).where(eq(schema.outbox.subjectId, id)))[0]?.status;
    await eventually(async () => {
      expect(await Promise.all([...good, bad].map(statusOf))).toEqual([
        "DELIVERED",
        "DELIVERED",
        "DELIVERED",
        "EXHAUSTED",
      ]);
    });
    const ledger = platform.admin(AccountingService, "accounting");
    const { entries } = await ledger.listEntries({ merchantId });
    expect(entries.map((entry) => entry.paymentId).sort()).toEqual([...good].sort());
  });
});
