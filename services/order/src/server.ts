import { fileURLToPath } from "node:url";
import { OrderService } from "@kassa/contracts/kassa/order/v1/order_pb";
import { defineService } from "@kassa/platform";
import { dependencies } from "./clients.js";
import * as schema from "./db/schema.js";
import { cancelOrder } from "./operations/cancel-order.js";
import { createOrder } from "./operations/create-order.js";
import { getOrder } from "./operations/get-order.js";
import { markOrderPaid } from "./operations/mark-order-paid.js";
import { markOrdersPaid } from "./operations/mark-orders-paid.js";
import type { OrderContext } from "./operations/order-context.js";
import { orderEnv } from "./order-env.js";

/** The order service: wiring only; each RPC lives in `operations/`. */
export function createOrderService() {
  return defineService({
    name: "order",
    service: OrderService,
    defaultPort: 8082,
    access: { kind: "internal" },
    dependencies,
    env: orderEnv,
    database: {
      schemaName: "order",
      schema,
      migrationsFolder: fileURLToPath(new URL("../drizzle", import.meta.url)),
    },
    setup(service) {
      const context: OrderContext = { db: service.db, clock: service.clock };
      return {
        routes(router) {
          router.service(OrderService, {
            createOrder: (request) => createOrder(context, request),
            getOrder: (request) => getOrder(context, request),
            markOrderPaid: (request) => markOrderPaid(context, request),
            markOrdersPaid: (request) => markOrdersPaid(context, request),
            cancelOrder: (request) => cancelOrder(context, request),
          });
        },
      };
    },
  });
}

/** The order service as `npm start` and `main.ts` run it. */
export const orderService = createOrderService();
