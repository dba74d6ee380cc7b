import { Code } from "@connectrpc/connect";
import { OrderStatus } from "@kassa/contracts/kassa/order/v1/order_pb";
import { createId } from "@kassa/platform";
import { rejectionOf } from "@kassa/platform/testing";
import { describe, expect, it } from "vitest";
import { useOrderService } from "../testing/order-service.test-support.js";

const { client, newOrder } = useOrderService("order_pay_many", { amount: 500n, currency: "EUR" });

describe("MarkOrdersPaid", () => {
  it("marks each order paid as MarkOrderPaid does, in order, and is idempotent", async () => {
    const orders = await Promise.all(
      [1, 2, 3].map(async () => ({ orderId: await newOrder(), paymentId: createId("pay") })),
    );
    const { orders: paid } = await client().markOrdersPaid({ orders });
    expect(paid.map((order) => [order.id, order.status, order.paymentId])).toEqual(
      orders.map(({ orderId, paymentId }) => [orderId, OrderStatus.PAID, paymentId]),
    );
    const again = await client().markOrdersPaid({ orders });
    expect(again.orders).toEqual(paid);
    for (const { orderId } of orders) {
      expect((await client().getOrder({ orderId })).transitions).toHaveLength(2);
    }
  });

  it("changes nothing when one order cannot be paid, and says why", async () => {
    const payable = await newOrder();
    const cancelled = await newOrder();
    await client().cancelOrder({ orderId: cancelled, reason: "test" });
    const refused = await rejectionOf(
      client().markOrdersPaid({
        orders: [
          { orderId: payable, paymentId: createId("pay") },
          { orderId: cancelled, paymentId: createId("pay") },
        ],
      }),
    );
    expect(refused.code).toBe(Code.FailedPrecondition);
    expect(refused.rawMessage).toBe(`order ${cancelled} is CANCELLED; it cannot be paid`);
    const { order, transitions } = await client().getOrder({ orderId: payable });
    expect(order?.status).toBe(OrderStatus.CREATED);
    expect(transitions).toHaveLength(1);
  });

  it("answers INVALID_ARGUMENT naming the batch, or the item's field", async () => {
    const none = await rejectionOf(client().markOrdersPaid({ orders: [] }));
    expect([none.code, none.rawMessage]).toEqual([
      Code.InvalidArgument,
      "orders: must hold 1 to 100 items",
    ]);
    const tooMany = Array.from({ length: 101 }, () => ({
      orderId: createId("ord"),
      paymentId: createId("pay"),
    }));
    expect((await rejectionOf(client().markOrdersPaid({ orders: tooMany }))).code).toBe(
      Code.InvalidArgument,
    );
    const orderId = await newOrder();
    const bad = await rejectionOf(
      client().markOrdersPaid({
        orders: [
          { orderId, paymentId: createId("pay") },
          { orderId: await newOrder(), paymentId: "nope" },
        ],
      }),
    );
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(bad.rawMessage).toMatch(/^orders\[1\]\.payment_id: /);
    expect((await client().getOrder({ orderId })).order?.status).toBe(OrderStatus.CREATED);
  });
});
