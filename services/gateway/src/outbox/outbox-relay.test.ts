import { AccountingService } from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import { PaymentStatus } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { OrderService, OrderStatus } from "@kassa/contracts/kassa/order/v1/order_pb";
import type { Database } from "@kassa/platform";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outbox } from "../db/schema.js";
import {
  eventually,
  type GatewayPlatform,
  startGatewayPlatform,
  type TestMerchant,
} from "../testing/gateway-platform.test-support.js";

let platform: GatewayPlatform;
let merchant: TestMerchant;
beforeAll(async () => {
  platform = await startGatewayPlatform("gw_outbox", {
    gateway: {
      // The order service goes down before the reconciler settles the tok_timeout payment.
      RECONCILE_AFTER_MS: "10000",
    },
  });
  merchant = await platform.newMerchant();
});
afterAll(() => platform.stop());

const events = async (subjectId: string) => {
  const db = platform.services.gateway.context.db as Database<{ outbox: typeof outbox }>;
  return db.select().from(outbox).where(eq(outbox.subjectId, subjectId));
};
let sequence = 0;
const paymentRequest = (paymentMethod: string) => {
  sequence++;
  return {
    idempotencyKey: `outbox-${sequence}-${Date.now()}`,
    merchantOrderNo: `outbox-order-${sequence}-${Date.now()}`,
    amount: 5150n,
    currency: "USD",
    paymentMethod,
  };
};

describe("outbox relay", () => {
  it("keeps the event while the order service is down, then delivers it once it is back, once", async () => {
    // tok_timeout leaves the payment PROCESSING; the order service goes down before the
    // reconciler settles it, so the order-paid event meets a dead order service.
    const { payment } = await merchant.gateway.createPayment(paymentRequest("tok_timeout"));
    expect(payment?.status).toBe(PaymentStatus.PROCESSING);
    await platform.services.order.stop();
    await eventually(async () => {
      const orderPaid = (await events(payment?.id ?? "")).find(
        (event) => event.kind === "order.paid",
      );
      // Waiting for the order service to say SERVING again (the relay does not call a target
      // it knows is down; see outbox-relay-health.test.ts): never dropped.
      expect(orderPaid?.status).toBe("PENDING");
    });
    const { payment: settled } = await merchant.gateway.getPayment({
      paymentId: payment?.id ?? "",
    });
    expect(settled?.status).toBe(PaymentStatus.SUCCEEDED);

    await platform.services.order.start();
    await eventually(async () => {
      const orderPaid = (await events(payment?.id ?? "")).find(
        (event) => event.kind === "order.paid",
      );
      expect(orderPaid?.status).toBe("DELIVERED");
    });
    const { order, transitions } = await platform
      .admin(OrderService, "order")
      .getOrder({ orderId: settled?.orderId ?? "" });
    expect(order?.status).toBe(OrderStatus.PAID);
    expect(transitions.filter((t) => t.toStatus === OrderStatus.PAID)).toHaveLength(1);
  });

  it("keeps the ledger event while accounting is down, then records the payment exactly once", async () => {
    await platform.services.accounting.stop();
    const { payment } = await merchant.gateway.createPayment({
      ...paymentRequest("tok_visa"),
      currency: "EUR",
    });
    expect(payment?.status).toBe(PaymentStatus.SUCCEEDED);
    await eventually(async () => {
      const recorded = (await events(payment?.id ?? "")).find(
        (event) => event.kind === "ledger.payment",
      );
      expect(recorded?.status).toBe("PENDING");
    });

    await platform.services.accounting.start();
    await eventually(async () => {
      const recorded = (await events(payment?.id ?? "")).find(
        (event) => event.kind === "ledger.payment",
      );
      expect(recorded?.status).toBe("DELIVERED");
    });
    const { balance } = await platform
      .admin(AccountingService, "accounting")
      .getBalance({ merchantId: merchant.merchantId, currency: "EUR" });
    expect(balance?.balance).toBe(payment?.amount);
  });

  it("sends the events that queued up for a target together: one call, each recorded once", async () => {
    await platform.services.accounting.stop();
    const payments = await Promise.all(
      Array.from({ length: 6 }, () =>
        merchant.gateway.createPayment({ ...paymentRequest("tok_visa"), currency: "CHF" }),
      ),
    );
    const ids = payments.map(({ payment }) => payment?.id ?? "");
    const ledgerEvents = async () =>
      (await Promise.all(ids.map(events)))
        .flat()
        .filter((event) => event.kind === "ledger.payment");
    await eventually(async () => {
      const waiting = await ledgerEvents();
      expect(waiting.map((event) => event.status)).toEqual(ids.map(() => "PENDING"));
    });

    await platform.services.accounting.start();
    await eventually(async () => {
      const delivered = await ledgerEvents();
      expect(delivered.map((event) => event.status)).toEqual(ids.map(() => "DELIVERED"));
    });
    const { balance } = await platform
      .admin(AccountingService, "accounting")
      .getBalance({ merchantId: merchant.merchantId, currency: "CHF" });
    expect(balance?.balance).toBe(5150n * 6n);
    // Fewer calls than events: the ones that waited went in RecordPayments.
    const metrics = await (await fetch(`${platform.services.accounting.url}/metrics`)).text();
    const calls = (method: string) =>
      [
        ...metrics.matchAll(
          new RegExp(
            `kassa_rpc_requests_total\\{[^}]*method="[^"]*/${method}"[^}]*\\} (\\d+)`,
            "g",
          ),
        ),
      ]
        .map((match) => Number(match[1]))
        .reduce((sum, count) => sum + count, 0);
    expect(calls("RecordPayments")).toBeGreaterThanOrEqual(1);
    expect(calls("RecordPayment") + calls("RecordPayments")).toBeLessThan(6);
  });
});
