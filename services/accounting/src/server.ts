import { fileURLToPath } from "node:url";
import { AccountingService } from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import { defineService } from "@kassa/platform";
import { dependencies } from "./clients.js";
import * as schema from "./db/schema.js";

/** The accounting service: wiring only; each RPC lives in `operations/`. */
export const accountingService = defineService({
  name: "accounting",
  service: AccountingService,
  defaultPort: 8085,
  access: {
    kind: "internal",
    adminMethods: ["CreateSettlement", "ProcessSettlement", "GetSettlement", "ListSettlements"],
  },
  dependencies,
  env: {},
  database: {
    schemaName: "accounting",
    schema,
    migrationsFolder: fileURLToPath(new URL("../drizzle", import.meta.url)),
  },
  routes(router) {
    // RPCs arrive with the accounting issue; until then the router answers UNIMPLEMENTED.
    router.service(AccountingService, {});
  },
});
