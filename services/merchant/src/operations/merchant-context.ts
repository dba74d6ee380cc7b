import type { Clock, Logger, RedisStore } from "@kassa/platform";
import type { MerchantDatabase } from "../db/merchant-database.js";

/** What the merchant operations need: the database, clock, Redis, logger and fee defaults. */
export interface MerchantContext {
  readonly db: MerchantDatabase;
  readonly clock: Clock;
  /** Where the gateway caches API key authentications, evicted on revocation and suspension. */
  readonly redis: RedisStore;
  readonly logger: Logger;
  readonly config: {
    readonly MERCHANT_DEFAULT_FEE_BPS: number;
    readonly MERCHANT_DEFAULT_FEE_FIXED: number;
  };
}
