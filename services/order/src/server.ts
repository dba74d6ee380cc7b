import { fileURLToPath } from "node:url";
import { OrderService } from "@kassa/contracts/kassa/order/v1/order_pb";
import { defineService } from "@kassa/platform";
import { dependencies } from "./clients.js";
import * as schema from "./db/schema.js";

/** The order service: wiring only; each RPC lives in `operations/`. */
export const orderService = defineService({
  name: "order",
  service: OrderService,
  defaultPort: 8082,
  access: { kind: "internal" },
  dependencies,
  env: {},
  database: {
    schemaName: "order",
    schema,
    migrationsFolder: fileURLToPath(new URL("../drizzle", import.meta.url)),
  },
  routes(router) {
    // RPCs arrive with the order issue; until then the router answers UNIMPLEMENTED.
    router.service(OrderService, {});
  },
});
