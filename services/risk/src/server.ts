import { fileURLToPath } from "node:url";
import { RiskService } from "@kassa/contracts/kassa/risk/v1/risk_pb";
import { defineService } from "@kassa/platform";
import { dependencies } from "./clients.js";
import * as schema from "./db/schema.js";

/** The risk service: wiring only; each RPC lives in `operations/`. */
export const riskService = defineService({
  name: "risk",
  service: RiskService,
  defaultPort: 8084,
  access: { kind: "internal", adminMethods: ["AddBlocklistEntry", "RemoveBlocklistEntry"] },
  dependencies,
  env: {},
  database: {
    schemaName: "risk",
    schema,
    migrationsFolder: fileURLToPath(new URL("../drizzle", import.meta.url)),
  },
  routes(router) {
    // RPCs arrive with the risk issue; until then the router answers UNIMPLEMENTED.
    router.service(RiskService, {});
  },
});
