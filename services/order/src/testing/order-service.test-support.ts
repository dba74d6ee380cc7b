import { OrderService } from "@kassa/contracts/kassa/order/v1/order_pb";
import { createId } from "@kassa/platform";
import { startTestService, testTokens } from "@kassa/platform/testing";
import { afterAll, beforeAll } from "vitest";
import { orderService } from "../server.js";

/**
 * The order service on a database of its own for one test file (started before its tests,
 * stopped after): a client with the internal token, and `newOrder()` for a fresh CREATED order
 * of `amount` `currency`; `service()` is the running service (its context, clients with other
 * tokens).
 */
export function useOrderService(label: string, order: { amount: bigint; currency: string }) {
  const start = () => startTestService(orderService, { label });
  let service: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    service = await start();
  });
  afterAll(() => service.stop());

  const client = () => service.client(OrderService, testTokens.internal);
  return {
    service: () => service,
    client,
    async newOrder(): Promise<string> {
      const { order: created } = await client().createOrder({
        merchantId: createId("mer"),
        merchantOrderNo: createId("no"),
        ...order,
      });
      return created?.id ?? "";
    },
  };
}
