import { fileURLToPath } from "node:url";
import { GatewayService } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { defineService } from "@kassa/platform";
import { dependencies } from "./clients.js";
import * as schema from "./db/schema.js";

/** The gateway service: wiring only; each RPC lives in `operations/`. */
export const gatewayService = defineService({
  name: "gateway",
  service: GatewayService,
  defaultPort: 8080,
  // Merchants authenticate with API keys, checked by the gateway itself.
  access: { kind: "public" },
  dependencies,
  env: {},
  database: {
    schemaName: "gateway",
    schema,
    migrationsFolder: fileURLToPath(new URL("../drizzle", import.meta.url)),
  },
  routes(router) {
    // RPCs arrive with the gateway issue; until then the router answers UNIMPLEMENTED.
    router.service(GatewayService, {});
  },
});
