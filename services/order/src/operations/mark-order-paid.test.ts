import { Code } from "@connectrpc/connect";
import { OrderService, OrderStatus } from "@kassa/contracts/kassa/order/v1/order_pb";
import { createId } from "@kassa/platform";
import { rejectionOf } from "@kassa/platform/testing";
import { describe, expect, it } from "vitest";
import { orderTransitions } from "../db/schema.js";
import { useOrderService } from "../testing/order-service.test-support.js";

const { client, newOrder, service } = useOrderService("order_pay", {
  amount: 500n,
  currency: "EUR",
});

describe("MarkOrderPaid", () => {
  it("moves CREATED to PAID by the payment and records the transition", async () => {
    const orderId = await newOrder();
    const paymentId = createId("pay");
    const { order } = await client().markOrderPaid({ orderId, paymentId });
    expect(order).toMatchObject({ status: OrderStatus.PAID, paymentId });
    expect(order?.paidAt).toBeDefined();
    const { transitions } = await client().getOrder({ orderId });
    expect(transitions.map((t) => [t.fromStatus, t.toStatus, t.paymentId])).toEqual([
      [OrderStatus.UNSPECIFIED, OrderStatus.CREATED, ""],
      [OrderStatus.CREATED, OrderStatus.PAID, paymentId],
    ]);
  });

  it("is idempotent for the same payment", async () => {
    const orderId = await newOrder();
    const paymentId = createId("pay");
    const first = await client().markOrderPaid({ orderId, paymentId });
    const again = await client().markOrderPaid({ orderId, paymentId });
    expect(again.order).toEqual(first.order);
    expect((await client().getOrder({ orderId })).transitions).toHaveLength(2);
  });

  it("refuses a second payment, and a CANCELLED order, with FAILED_PRECONDITION", async () => {
    const paid = await newOrder();
    const firstPayment = createId("pay");
    await client().markOrderPaid({ orderId: paid, paymentId: firstPayment });
    const twice = await rejectionOf(
      client().markOrderPaid({ orderId: paid, paymentId: createId("pay") }),
    );
    expect(twice.code).toBe(Code.FailedPrecondition);
    expect(twice.rawMessage).toBe(`order ${paid} is already PAID by payment ${firstPayment}`);

    const cancelled = await newOrder();
    await client().cancelOrder({ orderId: cancelled, reason: "payment failed: card_declined" });
    const error = await rejectionOf(
      client().markOrderPaid({ orderId: cancelled, paymentId: createId("pay") }),
    );
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toBe(`order ${cancelled} is CANCELLED; it cannot be paid`);
    expect((await client().getOrder({ orderId: cancelled })).order?.status).toBe(
      OrderStatus.CANCELLED,
    );
  });

  it("writes no transition when it refuses, nor when it repeats", async () => {
    const paid = await newOrder();
    const paymentId = createId("pay");
    await client().markOrderPaid({ orderId: paid, paymentId });
    await client().markOrderPaid({ orderId: paid, paymentId });
    await rejectionOf(client().markOrderPaid({ orderId: paid, paymentId: createId("pay") }));
    await rejectionOf(client().cancelOrder({ orderId: paid, reason: "too late" }));
    const cancelled = await newOrder();
    await client().cancelOrder({ orderId: cancelled, reason: "customer gave up" });
    await rejectionOf(client().markOrderPaid({ orderId: cancelled, paymentId }));
    await client().cancelOrder({ orderId: cancelled, reason: "again" });

    const paidHistory = (await client().getOrder({ orderId: paid })).transitions;
    expect(paidHistory.map((t) => [t.fromStatus, t.toStatus])).toEqual([
      [OrderStatus.UNSPECIFIED, OrderStatus.CREATED],
      [OrderStatus.CREATED, OrderStatus.PAID],
    ]);
    const cancelledHistory = await client().getOrder({ orderId: cancelled });
    expect(cancelledHistory.order).toMatchObject({ cancelReason: "customer gave up" });
    expect(cancelledHistory.transitions.map((t) => [t.fromStatus, t.toStatus, t.reason])).toEqual([
      [OrderStatus.UNSPECIFIED, OrderStatus.CREATED, ""],
      [OrderStatus.CREATED, OrderStatus.CANCELLED, "customer gave up"],
    ]);
  });

  it("leaves exactly one terminal state when 20 pay and cancel calls race", async () => {
    const orderId = await newOrder();
    const paymentId = createId("pay");
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0
          ? client().markOrderPaid({ orderId, paymentId })
          : client().cancelOrder({ orderId, reason: "customer gave up" }),
      ),
    );
    const { order, transitions } = await client().getOrder({ orderId });
    const terminal = order?.status;
    expect([OrderStatus.PAID, OrderStatus.CANCELLED]).toContain(terminal);
    // Every call that succeeded saw that one state; every other one was refused.
    for (const result of results) {
      if (result.status === "fulfilled") expect(result.value.order?.status).toBe(terminal);
      else expect(result.reason).toMatchObject({ code: Code.FailedPrecondition });
    }
    expect(transitions).toHaveLength(2);
    expect(transitions[1]?.toStatus).toBe(terminal);
  });

  it("answers NOT_FOUND for an unknown order", async () => {
    const orderId = createId("ord");
    const error = await rejectionOf(
      client().markOrderPaid({ orderId, paymentId: createId("pay") }),
    );
    expect(error.code).toBe(Code.NotFound);
    expect(error.rawMessage).toBe(`order ${orderId} not found`);
  });

  it.each([
    ["order_id", { orderId: "" }, "order_id: is required"],
    ["order_id", { orderId: "ord_nope" }, "order_id: must be a ord_… id"],
    ["payment_id", { paymentId: "" }, "payment_id: is required"],
    [
      "payment_id",
      { paymentId: "ref_01JDZ8E4K3Q9V6T2W5X7Y8Z0AB" },
      "payment_id: must be a pay_… id",
    ],
  ])(
    "rejects a bad %s with INVALID_ARGUMENT naming it, changing nothing",
    async (_field, bad, message) => {
      const orderId = await newOrder();
      const before = await service().context.db.$count(orderTransitions);
      const error = await rejectionOf(
        client().markOrderPaid({ orderId, paymentId: createId("pay"), ...bad }),
      );
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toBe(message);
      expect(await service().context.db.$count(orderTransitions)).toBe(before);
      expect((await client().getOrder({ orderId })).order?.status).toBe(OrderStatus.CREATED);
    },
  );

  it("answers UNAUTHENTICATED without the internal token", async () => {
    const orderId = await newOrder();
    const error = await rejectionOf(
      service()
        .client(OrderService, "wrong-token")
        .markOrderPaid({ orderId, paymentId: createId("pay") }),
    );
    expect(error.code).toBe(Code.Unauthenticated);
    expect((await client().getOrder({ orderId })).order?.status).toBe(OrderStatus.CREATED);
  });
});
