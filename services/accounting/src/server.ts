import { fileURLToPath } from "node:url";
import { AccountingService } from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import { defineService, requestContext } from "@kassa/platform";
import { accountingEnv } from "./accounting-env.js";
import { createAccountingMetrics } from "./accounting-metrics.js";
import { dependencies } from "./clients.js";
import * as schema from "./db/schema.js";
import type { AccountingContext, SettlementStepHook } from "./operations/accounting-context.js";
import { createSettlement } from "./operations/create-settlement.js";
import { getBalance } from "./operations/get-balance.js";
import { getSettlement } from "./operations/get-settlement.js";
import { listEntries } from "./operations/list-entries.js";
import { listSettlements } from "./operations/list-settlements.js";
import { processSettlement } from "./operations/process-settlement.js";
import { recordPayment } from "./operations/record-payment.js";
import { recordPayments } from "./operations/record-payments.js";
import { recordRefund } from "./operations/record-refund.js";

/** Options for {@link createAccountingService}. */
export interface AccountingServiceOptions {
  /**
   * Runs inside ProcessSettlement's transaction right after the FEE entry is posted, before
   * the entries are settled and the payout posted. Default none. Tests make it throw (or
   * write something the database refuses) to prove a failure there rolls everything back;
   * production never sets it.
   */
  readonly afterFeeEntry?: SettlementStepHook;
}

/** The accounting service, with test hooks chosen by `options`; wiring only. */
export function createAccountingService(options: AccountingServiceOptions = {}) {
  return defineService({
    name: "accounting",
    service: AccountingService,
    defaultPort: 8085,
    access: {
      kind: "internal",
      adminMethods: ["CreateSettlement", "ProcessSettlement", "GetSettlement", "ListSettlements"],
    },
    dependencies,
    env: accountingEnv,
    database: {
      schemaName: "accounting",
      schema,
      migrationsFolder: fileURLToPath(new URL("../drizzle", import.meta.url)),
    },
    setup(service) {
      const context: AccountingContext = {
        db: service.db,
        clock: service.clock,
        logger: service.logger,
        metrics: createAccountingMetrics(service.metrics.registry),
        merchant: service.clients.merchant,
        afterFeeEntry: options.afterFeeEntry,
      };
      return {
        routes(router) {
          router.service(AccountingService, {
            recordPayment: (request) => recordPayment(context, request),
            recordPayments: (request) => recordPayments(context, request),
            recordRefund: (request) => recordRefund(context, request),
            getBalance: (request) => getBalance(context, request),
            listEntries: (request) => listEntries(context, request),
            createSettlement: (request) => createSettlement(context, request),
            processSettlement: (request, call) =>
              processSettlement(context, request, requestContext(call, service.logger).logger),
            getSettlement: (request) => getSettlement(context, request),
            listSettlements: (request) => listSettlements(context, request),
          });
        },
      };
    },
  });
}

/** The accounting service as `npm start` and `main.ts` run it. */
export const accountingService = createAccountingService();
