import { fileURLToPath } from "node:url";
import type { HandlerContext } from "@connectrpc/connect";
import { MerchantService } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { defineService, requestContext } from "@kassa/platform";
import { dependencies } from "./clients.js";
import * as schema from "./db/schema.js";
import { merchantEnv } from "./merchant-env.js";
import { authenticateApiKey } from "./operations/authenticate-api-key.js";
import { createApiKey } from "./operations/create-api-key.js";
import { createMerchant } from "./operations/create-merchant.js";
import { getMerchant } from "./operations/get-merchant.js";
import { listApiKeys } from "./operations/list-api-keys.js";
import { listMerchants } from "./operations/list-merchants.js";
import type { MerchantContext } from "./operations/merchant-context.js";
import { revokeApiKey } from "./operations/revoke-api-key.js";
import { updateMerchant } from "./operations/update-merchant.js";

/** The merchant service: wiring only; each RPC lives in `operations/`. */
export function createMerchantService() {
  return defineService({
    name: "merchant",
    service: MerchantService,
    defaultPort: 8081,
    access: {
      kind: "internal",
      adminMethods: ["CreateMerchant", "UpdateMerchant", "CreateApiKey", "RevokeApiKey"],
    },
    dependencies,
    env: merchantEnv,
    database: {
      schemaName: "merchant",
      schema,
      migrationsFolder: fileURLToPath(new URL("../drizzle", import.meta.url)),
    },
    setup(service) {
      const context: MerchantContext = {
        db: service.db,
        clock: service.clock,
        redis: service.redis,
        logger: service.logger,
        config: service.config,
      };
      // The request's logger carries its request id, for the lines cache eviction may write.
      const log = (call: HandlerContext) => requestContext(call, service.logger).logger;
      return {
        routes(router) {
          router.service(MerchantService, {
            createMerchant: (request) => createMerchant(context, request),
            getMerchant: (request) => getMerchant(context, request),
            listMerchants: (request) => listMerchants(context, request),
            updateMerchant: (request, call) => updateMerchant(context, request, log(call)),
            createApiKey: (request) => createApiKey(context, request),
            revokeApiKey: (request, call) => revokeApiKey(context, request, log(call)),
            listApiKeys: (request) => listApiKeys(context, request),
            authenticateApiKey: (request) => authenticateApiKey(context, request),
          });
        },
      };
    },
  });
}

/** The merchant service as `npm start` and `main.ts` run it. */
export const merchantService = createMerchantService();
