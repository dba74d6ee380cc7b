import { Code } from "@connectrpc/connect";
import { OrderService } from "@kassa/contracts/kassa/order/v1/order_pb";
import { createId } from "@kassa/platform";
import { rejectionOf, startTestService, testTokens } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orderService } from "../server.js";

const start = () => startTestService(orderService, { label: "order_get" });
let service: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  service = await start();
});
afterAll(() => service.stop());

const client = () => service.client(OrderService, testTokens.internal);

describe("GetOrder", () => {
  it("returns the order as created, with amounts as exact int64", async () => {
    const created = await client().createOrder({
      merchantId: createId("mer"),
      merchantOrderNo: "BIG-1",
      amount: 999_999_999_999_999n,
      currency: "KWD",
    });
    const { order } = await client().getOrder({ orderId: created.order?.id ?? "" });
    expect(order).toEqual(created.order);
    expect(order?.amount).toBe(999_999_999_999_999n);
  });

  it("answers NOT_FOUND for an unknown id and INVALID_ARGUMENT for a malformed one", async () => {
    const unknown = createId("ord");
    const missing = await rejectionOf(client().getOrder({ orderId: unknown }));
    expect([missing.code, missing.rawMessage]).toEqual([
      Code.NotFound,
      `order ${unknown} not found`,
    ]);
    const malformed = await rejectionOf(
      client().getOrder({ orderId: "pay_01JDZ8E4K3Q9V6T2W5X7Y8Z0AB" }),
    );
    expect([malformed.code, malformed.rawMessage]).toEqual([
      Code.InvalidArgument,
      "order_id: must be a ord_… id",
    ]);
  });

  it("answers UNAUTHENTICATED without the internal token", async () => {
    const error = await rejectionOf(
      service.client(OrderService).getOrder({ orderId: createId("ord") }),
    );
    expect(error.code).toBe(Code.Unauthenticated);
  });

  it("answers over Connect JSON, as curl would call it", async () => {
    const created = await client().createOrder({
      merchantId: createId("mer"),
      merchantOrderNo: "CURL-1",
      amount: 1050n,
      currency: "USD",
    });
    const response = await fetch(`${service.url}/kassa.order.v1.OrderService/GetOrder`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${testTokens.internal}`,
      },
      body: JSON.stringify({ orderId: created.order?.id }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { order: Record<string, unknown> };
    expect(body.order).toMatchObject({
      id: created.order?.id,
      amount: "1050",
      currency: "USD",
      status: "ORDER_STATUS_CREATED",
    });
  });
});
