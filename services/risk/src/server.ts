import { fileURLToPath } from "node:url";
import { RiskService } from "@kassa/contracts/kassa/risk/v1/risk_pb";
import { defineService } from "@kassa/platform";
import { dependencies } from "./clients.js";
import * as schema from "./db/schema.js";
import { addBlocklistEntry } from "./operations/add-blocklist-entry.js";
import { assess } from "./operations/assess.js";
import { listBlocklistEntries } from "./operations/list-blocklist-entries.js";
import { removeBlocklistEntry } from "./operations/remove-blocklist-entry.js";
import type { RiskContext } from "./operations/risk-context.js";
import { riskEnv } from "./risk-env.js";
import { riskRulesFrom } from "./risk-rules.js";
import { createVelocityCounter } from "./velocity-counter.js";

/** The risk service: wiring only; each RPC lives in `operations/`. */
export function createRiskService() {
  return defineService({
    name: "risk",
    service: RiskService,
    defaultPort: 8084,
    access: { kind: "internal", adminMethods: ["AddBlocklistEntry", "RemoveBlocklistEntry"] },
    dependencies,
    env: riskEnv,
    database: {
      schemaName: "risk",
      schema,
      migrationsFolder: fileURLToPath(new URL("../drizzle", import.meta.url)),
    },
    setup(service) {
      const rules = riskRulesFrom(service.config);
      const context: RiskContext = {
        db: service.db,
        clock: service.clock,
        rules,
        velocity: createVelocityCounter({
          redis: service.redis,
          limits: rules.velocity,
          keySecret: service.config.KASSA_INTERNAL_TOKEN,
          logger: service.logger,
        }),
      };
      return {
        routes(router) {
          router.service(RiskService, {
            assess: (request) => assess(context, request),
            addBlocklistEntry: (request) => addBlocklistEntry(context, request),
            removeBlocklistEntry: (request) => removeBlocklistEntry(context, request),
            listBlocklistEntries: (request) => listBlocklistEntries(context, request),
          });
        },
      };
    },
  });
}

/** The risk service as `npm start` and `main.ts` run it. */
export const riskService = createRiskService();
