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
export const riskService = defineService({
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
  routes(router, context) {
    const rules = riskRulesFrom(context.config);
    const risk: RiskContext = {
      db: context.db,
      clock: context.clock,
      rules,
      velocity: createVelocityCounter({
        redis: context.redis,
        limits: rules.velocity,
        keySecret: context.config.KASSA_INTERNAL_TOKEN,
        logger: context.logger,
      }),
    };
    router.service(RiskService, {
      assess: (request) => assess(risk, request),
      addBlocklistEntry: (request) => addBlocklistEntry(risk, request),
      removeBlocklistEntry: (request) => removeBlocklistEntry(risk, request),
      listBlocklistEntries: (request) => listBlocklistEntries(risk, request),
    });
  },
});
