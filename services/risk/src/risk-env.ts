import { envFields, isCurrency } from "@kassa/platform";
import { z } from "zod";

/** A score threshold: a whole number 1–100 (a score is capped at 100, so higher never fires). */
const threshold = (defaultValue: number) =>
  envFields.positiveInt(defaultValue).refine((value) => value <= 100, "must be at most 100");

const amountLimitsFormat = "must be CODE=minor units pairs separated by commas, e.g. USD=500000";

/**
 * `USD=500000,JPY=2000000` → limits in minor units per currency. Every code must be an active
 * ISO 4217 currency and every limit a positive whole number; the message never echoes the value.
 */
const amountLimits = () =>
  z
    .string()
    .default("")
    .transform((text, context) => {
      const limits = new Map<string, bigint>();
      for (const pair of text.split(",").filter((part) => part.trim() !== "")) {
        const match = /^\s*([A-Z]{3})\s*=\s*([0-9]{1,16})\s*$/.exec(pair);
        const [, code = "", minor = "0"] = match ?? [];
        if (!match || !isCurrency(code) || BigInt(minor) <= 0n) {
          context.addIssue({ code: "custom", message: amountLimitsFormat });
          return z.NEVER;
        }
        limits.set(code, BigInt(minor));
      }
      return limits;
    });

/**
 * The risk service's own environment variables, beyond the base ones. Defaults are the seed
 * platform's rules; see `risk-rules.ts` for how they combine into a score.
 */
export const riskEnv = {
  /** Score at or above which Assess answers REVIEW (1–100). Default 50. */
  RISK_REVIEW_THRESHOLD: threshold(50),
  /**
   * Score at or above which Assess answers REJECT (1–100). Default 80. A review threshold
   * above it means no payment is ever sent to review.
   */
  RISK_REJECT_THRESHOLD: threshold(80),
  /**
   * Single-payment limit in major units, for every currency without its own limit in
   * RISK_AMOUNT_LIMITS: 10,000 major units = 1,000,000 cents of USD, 10,000 yen. Default 10000.
   */
  RISK_AMOUNT_LIMIT_MAJOR: envFields.positiveInt(10_000),
  /** Per-currency single-payment limits in minor units, e.g. `USD=500000,JPY=2000000`. Default none. */
  RISK_AMOUNT_LIMITS: amountLimits(),
  /** Assess calls one IP may make per window before `velocity_ip` fires. Default 10. */
  RISK_VELOCITY_IP_LIMIT: envFields.positiveInt(10),
  /** The per-IP window in milliseconds. Default 60000 (one minute). */
  RISK_VELOCITY_IP_WINDOW_MS: envFields.positiveInt(60_000),
  /** Assess calls one email may make per window before `velocity_email` fires. Default 5. */
  RISK_VELOCITY_EMAIL_LIMIT: envFields.positiveInt(5),
  /** The per-email window in milliseconds. Default 600000 (ten minutes). */
  RISK_VELOCITY_EMAIL_WINDOW_MS: envFields.positiveInt(600_000),
  /** Assess calls one device may make per window before `velocity_device_id` fires. Default 30. */
  RISK_VELOCITY_DEVICE_LIMIT: envFields.positiveInt(30),
  /** The per-device window in milliseconds. Default 3600000 (one hour). */
  RISK_VELOCITY_DEVICE_WINDOW_MS: envFields.positiveInt(3_600_000),
  /** Assess calls one merchant may make per window before `velocity_merchant` fires. Default 100. */
  RISK_VELOCITY_MERCHANT_LIMIT: envFields.positiveInt(100),
  /** The per-merchant window in milliseconds. Default 60000 (one minute). */
  RISK_VELOCITY_MERCHANT_WINDOW_MS: envFields.positiveInt(60_000),
};
