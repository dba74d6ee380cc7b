import type { Client } from "@connectrpc/connect";
import type { MerchantService } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import type { Clock, Logger } from "@kassa/platform";
import type { AccountingMetrics } from "../accounting-metrics.js";
import type { AccountingDatabase } from "../db/accounting-database.js";
import type { SettlementRow } from "../db/schema.js";

/** A step a test can run inside ProcessSettlement's transaction; see `afterFeeEntry`. */
export type SettlementStepHook = (step: {
  readonly tx: AccountingDatabase;
  readonly settlement: SettlementRow;
}) => Promise<void> | void;

/** What the accounting operations need. */
export interface AccountingContext {
  readonly db: AccountingDatabase;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: AccountingMetrics;
  /** MerchantService, breaker-wrapped: where fee schedules are read. */
  readonly merchant: Client<typeof MerchantService>;
  /** Runs right after the fee entry is posted; only tests set it (fault injection). */
  readonly afterFeeEntry?: SettlementStepHook | undefined;
}
