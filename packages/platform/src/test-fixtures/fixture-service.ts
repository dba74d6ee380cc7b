import net from "node:net";
import { fileURLToPath } from "node:url";
import { OrderService } from "@kassa/contracts/kassa/order/v1/order_pb";
import { defineService } from "../server/service-definition.js";
import * as schema from "./fixture-schema.js";

/**
 * A service for the platform's own tests. It borrows OrderService's contract (any contract
 * would do) and answers:
 * - GetOrder(order_id) with an order of that id; for `slow` it is a call that is still in
 *   flight when shutdown begins and finishes only after the listener has closed;
 * - CreateOrder with an unexpected error carrying a secret, to prove nothing leaks;
 * - CancelOrder(order_id) with an order of that id.
 */
export const fixtureService = defineService({
  name: "fixture",
  service: OrderService,
  defaultPort: 0,
  // Public, so the wire tests need no token; the access tests switch it to internal.
  access: { kind: "public" },
  dependencies: {},
  env: {},
  database: {
    schemaName: "fixture",
    schema,
    migrationsFolder: fileURLToPath(new URL("../../test-fixtures/drizzle", import.meta.url)),
  },
  setup(context) {
    return {
      routes(router) {
        router.service(OrderService, {
          async getOrder(request) {
            if (request.orderId === "slow") {
              context.logger.info("slow call started");
              await new Promise((resolve) =>
                context.shutdownSignal.addEventListener("abort", resolve),
              );
              await untilRefused(context.config.PORT === 0 ? listeningPort() : context.config.PORT);
              context.logger.info("slow call finishing after the listener closed");
            }
            return { order: { id: request.orderId } };
          },
          async createOrder() {
            throw new Error("relation widgets violated; password=hunter2");
          },
          async cancelOrder(request) {
            return { order: { id: request.orderId } };
          },
        });
      },
    };
  },
});

let boundPort = 0;
/** Set by the fixture's main once it knows its port. */
export function rememberPort(port: number): void {
  boundPort = port;
}
function listeningPort(): number {
  return boundPort;
}

/** Resolves once nothing accepts connections on the port any more. */
async function untilRefused(port: number): Promise<void> {
  for (;;) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(false);
      });
      socket.once("error", () => resolve(true));
    });
    if (refused) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
