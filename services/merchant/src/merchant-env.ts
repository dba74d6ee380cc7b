import { maxAmount } from "@kassa/platform";
import { z } from "zod";

const basisPoints = "must be basis points, a whole number from 0 to 10000";
const minorUnits = `must be a whole number of minor units from 0 to ${maxAmount}`;

/** The merchant service's own environment variables, beyond the platform's. */
export const merchantEnv = {
  /**
   * Percentage fee, in basis points, of the fee schedule CreateMerchant gives a merchant when
   * the request has none. Default 290 (2.9 %), the common card-processing list price.
   */
  MERCHANT_DEFAULT_FEE_BPS: z.coerce
    .number({ error: basisPoints })
    .int(basisPoints)
    .min(0, basisPoints)
    .max(10_000, basisPoints)
    .default(290),
  /**
   * Fixed fee per payment, in minor units of the settled currency, of that default schedule.
   * Default 30 ($0.30 in USD), paired with the 2.9 % above.
   */
  MERCHANT_DEFAULT_FEE_FIXED: z.coerce
    .number({ error: minorUnits })
    .int(minorUnits)
    .min(0, minorUnits)
    .max(Number(maxAmount), minorUnits)
    .default(30),
};
