import { fileURLToPath } from "node:url";
import { MerchantService } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { defineService } from "@kassa/platform";
import { dependencies } from "./clients.js";
import * as schema from "./db/schema.js";

/** The merchant service: wiring only; each RPC lives in `operations/`. */
export const merchantService = defineService({
  name: "merchant",
  service: MerchantService,
  defaultPort: 8081,
  access: {
    kind: "internal",
    adminMethods: ["CreateMerchant", "UpdateMerchant", "CreateApiKey", "RevokeApiKey"],
  },
  dependencies,
  env: {},
  database: {
    schemaName: "merchant",
    schema,
    migrationsFolder: fileURLToPath(new URL("../drizzle", import.meta.url)),
  },
  routes(router) {
    // RPCs arrive with the merchant issue; until then the router answers UNIMPLEMENTED.
    router.service(MerchantService, {});
  },
});
