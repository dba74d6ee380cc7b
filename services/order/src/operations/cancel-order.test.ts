import { Code } from "@connectrpc/connect";
import { OrderService, OrderStatus } from "@kassa/contracts/kassa/order/v1/order_pb";
import { createId } from "@kassa/platform";
import { rejectionOf } from "@kassa/platform/testing";
import { describe, expect, it } from "vitest";
import { useOrderService } from "../testing/order-service.test-support.js";

const { client, newOrder, service } = useOrderService("order_cancel", {
  amount: 100n,
  currency: "JPY",
});

describe("CancelOrder", () => {
  it("moves CREATED to CANCELLED with its reason, and is idempotent", async () => {
    const orderId = await newOrder();
    const { order } = await client().cancelOrder({
      orderId,
      reason: "payment failed: card_declined",
    });
    expect(order).toMatchObject({
      status: OrderStatus.CANCELLED,
      cancelReason: "payment failed: card_declined",
    });
    const again = await client().cancelOrder({ orderId, reason: "another reason" });
    expect(again.order?.cancelReason).toBe("payment failed: card_declined");
    const { transitions } = await client().getOrder({ orderId });
    expect(transitions.map((t) => [t.toStatus, t.reason])).toEqual([
      [OrderStatus.CREATED, ""],
      [OrderStatus.CANCELLED, "payment failed: card_declined"],
    ]);
  });

  it("refuses to cancel a PAID order with FAILED_PRECONDITION", async () => {
    const orderId = await newOrder();
    await client().markOrderPaid({ orderId, paymentId: createId("pay") });
    const error = await rejectionOf(client().cancelOrder({ orderId }));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toBe(`order ${orderId} is PAID; it cannot be cancelled`);
    expect((await client().getOrder({ orderId })).order?.status).toBe(OrderStatus.PAID);
  });

  it("answers NOT_FOUND for an unknown order and INVALID_ARGUMENT for bad fields", async () => {
    expect((await rejectionOf(client().cancelOrder({ orderId: createId("ord") }))).code).toBe(
      Code.NotFound,
    );
    const orderId = await newOrder();
    const empty = await rejectionOf(client().cancelOrder({ orderId: "" }));
    expect([empty.code, empty.rawMessage]).toEqual([Code.InvalidArgument, "order_id: is required"]);
    const long = await rejectionOf(client().cancelOrder({ orderId, reason: "r".repeat(501) }));
    expect([long.code, long.rawMessage]).toEqual([
      Code.InvalidArgument,
      "reason: must be at most 500 characters",
    ]);
    expect((await client().getOrder({ orderId })).order?.status).toBe(OrderStatus.CREATED);
  });

  it("answers UNAUTHENTICATED without the internal token", async () => {
    const orderId = await newOrder();
    const error = await rejectionOf(service().client(OrderService).cancelOrder({ orderId }));
    expect(error.code).toBe(Code.Unauthenticated);
  });
});
