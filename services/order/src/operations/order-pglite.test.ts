import { Code } from "@connectrpc/connect";
import { OrderService, OrderStatus } from "@kassa/contracts/kassa/order/v1/order_pb";
import { createId, startService } from "@kassa/platform";
import {
  captureLogs,
  rejectionOf,
  testClient,
  testServiceEnv,
  testTokens,
} from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orderService } from "../server.js";

// `npm start` without DATABASE_URL runs orders on PGlite: each write and its transition row
// is one statement there too, with the same guards.

let running: Awaited<ReturnType<typeof startService>>;
beforeAll(async () => {
  running = await startService(orderService, {
    env: testServiceEnv({ extra: { LOG_LEVEL: "info" } }),
    logDestination: captureLogs().stream,
  });
});
afterAll(() => running.stop());

const client = () => testClient(OrderService, running.url, testTokens.internal);

describe("orders on PGlite", () => {
  it("creates, pays and refuses as on Postgres, recording each change once", async () => {
    const request = {
      merchantId: createId("mer"),
      merchantOrderNo: createId("no"),
      amount: 500n,
      currency: "EUR",
    };
    const first = await client().createOrder(request);
    const again = await client().createOrder(request);
    expect(again).toMatchObject({ created: false, order: { id: first.order?.id } });
    const orderId = first.order?.id ?? "";
    const paymentId = createId("pay");
    await client().markOrderPaid({ orderId, paymentId });
    const { order } = await client().markOrderPaid({ orderId, paymentId });
    expect(order).toMatchObject({ status: OrderStatus.PAID, paymentId, amount: 500n });
    const refused = await rejectionOf(client().cancelOrder({ orderId }));
    expect(refused.code).toBe(Code.FailedPrecondition);
    const { transitions } = await client().getOrder({ orderId });
    expect(transitions.map((t) => [t.fromStatus, t.toStatus])).toEqual([
      [OrderStatus.UNSPECIFIED, OrderStatus.CREATED],
      [OrderStatus.CREATED, OrderStatus.PAID],
    ]);
  });
});
