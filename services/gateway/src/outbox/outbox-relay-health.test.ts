import { type Client, Code, ConnectError } from "@connectrpc/connect";
import type { AccountingService } from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import type { OrderService } from "@kassa/contracts/kassa/order/v1/order_pb";
import {
  createDependencyStatus,
  createLogger,
  type DatabaseHandle,
  openDatabase,
  systemClock,
  tracingOff,
} from "@kassa/platform";
import { createTestDatabase, eventually, type TestDatabase } from "@kassa/platform/testing";
import { eq } from "drizzle-orm";
import { Registry } from "prom-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { outboxRepository } from "../db/outbox-repository.js";
import * as schema from "../db/schema.js";
import { createGatewayMetrics } from "../gateway-metrics.js";
import { gatewayService } from "../server.js";
import type { NewOutboxEvent } from "./outbox-payloads.js";
import { startOutboxRelay } from "./outbox-relay.js";

// The relay against a real gateway database, with the two target services scripted: what
// matters here is which calls it makes, and when.

let database: TestDatabase;
let handle: DatabaseHandle<typeof schema>;
beforeAll(async () => {
  database = await createTestDatabase("gw_relay_health");
  handle = await openDatabase({ url: database.url, schema, applicationName: "relay-test" });
  await handle.migrate(gatewayService.database);
});
afterAll(async () => {
  await handle.close();
  await database.drop();
});

const stops: AbortController[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop.abort();
});

/** A relay whose order and accounting count their calls; order answers `orderAnswer`. */
function startRelay(
  options: { orderAnswer?: () => Promise<object>; maxAttempts?: number; leaseMs?: number } = {},
) {
  const calls = { order: 0, accounting: 0 };
  const order = {
    async markOrderPaid() {
      calls.order++;
      return (options.orderAnswer ?? (async () => ({})))();
    },
  };
  const accounting = {
    async recordPayment() {
      calls.accounting++;
      return {};
    },
  };
  const health = {
    order: createDependencyStatus("order"),
    accounting: createDependencyStatus("accounting"),
  };
  const stop = new AbortController();
  stops.push(stop);
  const relay = startOutboxRelay({
    db: handle.db,
    clock: systemClock,
    logger: createLogger({ service: "test", level: "silent" }),
    metrics: createGatewayMetrics(new Registry()),
    tracing: tracingOff(),
    targets: {
      order: order as unknown as Client<typeof OrderService>,
      accounting: accounting as unknown as Client<typeof AccountingService>,
    },
    targetHealth: health,
    // A poll far longer than any test: rounds happen only when woken.
    pollIntervalMs: 600_000,
    batchSize: 50,
    maxAttempts: options.maxAttempts ?? 5,
    backoffInitialMs: 10,
    backoffMaxMs: 10,
    leaseMs: options.leaseMs ?? 30_000,
    signal: stop.signal,
  });
  return { calls, health, wake: relay.wake, deliver: relay.deliver };
}

const stored = async (subjectId: string, kind: string) => {
  const [row] = await handle.db
    .select()
    .from(schema.outbox)
    .where(eq(schema.outbox.subjectId, subjectId));
  return row?.kind === kind ? row : undefined;
};

/** An event of `kind` about the payment `subjectId`, with a payload its target accepts. */
const eventFor = (kind: "order.paid" | "ledger.payment", subjectId: string): NewOutboxEvent =>
  kind === "order.paid"
    ? { kind, subjectId, payload: { orderId: "ord_1", paymentId: subjectId } }
    : {
        kind,
        subjectId,
        payload: {
          paymentId: subjectId,
          merchantId: "mer_1",
          amount: "100",
          currency: "USD",
          occurredAt: new Date().toISOString(),
        },
      };

/** A ledger event as a saga writes it: held for its writer to deliver. */
const held = (subjectId: string, heldForMs: number) =>
  outboxRepository.enqueue(handle.db, [eventFor("ledger.payment", subjectId)], new Date(), {
    heldForMs,
  });

/** Stores an event due at once, then wakes the relay. */
const enqueue = async (
  relay: { wake(): void },
  kind: "order.paid" | "ledger.payment",
  subjectId: string,
) => {
  await outboxRepository.enqueue(handle.db, [eventFor(kind, subjectId)], new Date());
  relay.wake();
};

describe("outbox relay and its targets' health", () => {
  it("calls no target before it says SERVING, spends no attempt, and delivers the moment it does", async () => {
    const relay = startRelay();
    relay.health.accounting.become("serving");
    relay.health.order.become("unreachable", "connect ECONNREFUSED");

    await enqueue(relay, "order.paid", "pay_waits_for_order");
    // A later event for a serving target is delivered: the relay has been round since.
    await enqueue(relay, "ledger.payment", "pay_recorded_meanwhile");
    await eventually(async () =>
      expect((await stored("pay_recorded_meanwhile", "ledger.payment"))?.status).toBe("DELIVERED"),
    );
    // Wake it a few more times: a target that is down is still not called.
    for (let round = 0; round < 3; round++) {
      await enqueue(relay, "ledger.payment", `pay_round_${round}`);
      await eventually(async () =>
        expect((await stored(`pay_round_${round}`, "ledger.payment"))?.status).toBe("DELIVERED"),
      );
    }
    expect(relay.calls.order).toBe(0);
    expect(await stored("pay_waits_for_order", "order.paid")).toMatchObject({
      status: "PENDING",
      attempts: 0,
      lastError: null,
    });

    relay.health.order.become("serving");
    await eventually(async () =>
      expect(await stored("pay_waits_for_order", "order.paid")).toMatchObject({
        status: "DELIVERED",
        attempts: 1,
      }),
    );
    expect(relay.calls.order).toBe(1);
  });

  it("spends attempts on a target that fails while it says SERVING, until EXHAUSTED", async () => {
    const relay = startRelay({
      maxAttempts: 3,
      orderAnswer: async () => {
        throw new ConnectError("order's database is gone", Code.Unavailable);
      },
    });
    relay.health.order.become("serving");
    relay.health.accounting.become("serving");
    await enqueue(relay, "order.paid", "pay_failing_order");
    // Each retry comes due after the (10 ms) backoff; wake the relay until it has given up.
    await eventually(async () => {
      relay.wake();
      expect(await stored("pay_failing_order", "order.paid")).toMatchObject({
        status: "EXHAUSTED",
        attempts: 3,
        lastError: expect.stringMatching(/database is gone/),
      });
    });
    expect(relay.calls.order).toBe(3);
  });

  it("delivers events its process just committed at once, with no round, and marks them", async () => {
    const relay = startRelay();
    relay.health.accounting.become("serving");
    relay.deliver(await held("pay_delivered_at_once", 30_000));
    // The poll is ten minutes and nobody wakes the relay: only the direct delivery can send it.
    await eventually(async () =>
      expect(await stored("pay_delivered_at_once", "ledger.payment")).toMatchObject({
        status: "DELIVERED",
        attempts: 1,
      }),
    );
    expect(relay.calls.accounting).toBe(1);
  });

  it("leaves a held event alone until its hold lapses, then delivers it (its writer died)", async () => {
    const relay = startRelay();
    relay.health.accounting.become("serving");
    // Written held, and never handed to deliver(): the process that wrote it is gone.
    await held("pay_writer_died", 1500);
    relay.wake();
    await new Promise((resolve) => setTimeout(resolve, 500));
    relay.wake();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(relay.calls.accounting).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await eventually(async () => {
      relay.wake();
      expect((await stored("pay_writer_died", "ledger.payment"))?.status).toBe("DELIVERED");
    });
    expect(relay.calls.accounting).toBe(1);
  });
});
