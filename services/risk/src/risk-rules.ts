import { currencyExponent } from "@kassa/platform";
import type { z } from "zod";
import type { BlocklistEntryTypeName, DecisionRow } from "./db/schema.js";
import type { riskEnv } from "./risk-env.js";

/** The risk service's own settings, as read from {@link riskEnv}. */
export type RiskEnvConfig = z.output<z.ZodObject<typeof riskEnv>>;

/** What a velocity counter counts Assess calls per. */
export type VelocityDimension = "ip" | "email" | "device_id" | "merchant";

/**
 * How many calls one subject may make in a window before its velocity rule fires. Windows are
 * fixed and aligned to the clock (a one-minute window is a clock minute), not started by a
 * subject's first call.
 */
export interface VelocityLimit {
  readonly limit: number;
  readonly windowMs: number;
}

/** The configured rules: thresholds, amount limits and velocity limits. */
export interface RiskRules {
  readonly reviewThreshold: number;
  readonly rejectThreshold: number;
  /** The default single-payment limit, in major units of any currency. */
  readonly amountLimitMajor: number;
  /** Per-currency single-payment limits in minor units, overriding the default. */
  readonly amountLimits: ReadonlyMap<string, bigint>;
  readonly velocity: Readonly<Record<VelocityDimension, VelocityLimit>>;
}

/** The rules the environment configures. */
export function riskRulesFrom(config: RiskEnvConfig): RiskRules {
  return {
    reviewThreshold: config.RISK_REVIEW_THRESHOLD,
    rejectThreshold: config.RISK_REJECT_THRESHOLD,
    amountLimitMajor: config.RISK_AMOUNT_LIMIT_MAJOR,
    amountLimits: config.RISK_AMOUNT_LIMITS,
    velocity: {
      ip: { limit: config.RISK_VELOCITY_IP_LIMIT, windowMs: config.RISK_VELOCITY_IP_WINDOW_MS },
      email: {
        limit: config.RISK_VELOCITY_EMAIL_LIMIT,
        windowMs: config.RISK_VELOCITY_EMAIL_WINDOW_MS,
      },
      device_id: {
        limit: config.RISK_VELOCITY_DEVICE_LIMIT,
        windowMs: config.RISK_VELOCITY_DEVICE_WINDOW_MS,
      },
      merchant: {
        limit: config.RISK_VELOCITY_MERCHANT_LIMIT,
        windowMs: config.RISK_VELOCITY_MERCHANT_WINDOW_MS,
      },
    },
  };
}

/**
 * The single-payment limit for `currency` in minor units: its own limit if configured,
 * else the default major-unit limit scaled by the currency's exponent (10,000 USD =
 * 1,000,000 cents; 10,000 JPY = 10,000 yen; 10,000 KWD = 10,000,000 fils).
 */
export function amountLimitOf(rules: RiskRules, currency: string): bigint {
  const own = rules.amountLimits.get(currency);
  if (own !== undefined) return own;
  return BigInt(rules.amountLimitMajor) * 10n ** BigInt(currencyExponent(currency) ?? 0);
}

/** What the rules found about one payment attempt, in evaluation order. */
export interface RiskFindings {
  /** Types of the active blocklist entries that matched. */
  readonly blocklisted: readonly BlocklistEntryTypeName[];
  readonly amountOverLimit: boolean;
  /** Dimensions whose counter went over its limit with this call. */
  readonly velocityExceeded: readonly VelocityDimension[];
  /** False when Redis could not count: velocity rules were skipped. */
  readonly velocityAvailable: boolean;
}

/** Points each non-blocklist rule adds when it fires. */
export const ruleScores = {
  amount_over_limit: 50,
  velocity_ip: 40,
  velocity_email: 40,
  velocity_device_id: 30,
  velocity_merchant: 20,
} as const;

const blocklistReasons = {
  EMAIL: "blocklist_email",
  IP: "blocklist_ip",
  DEVICE_ID: "blocklist_device_id",
  PAYMENT_METHOD: "blocklist_payment_method",
} as const satisfies Record<BlocklistEntryTypeName, string>;

/** The reason a match of a blocklist entry of this type is given as. */
export function blocklistReasonOf(type: BlocklistEntryTypeName): string {
  return blocklistReasons[type];
}

const velocityReasons = {
  ip: "velocity_ip",
  email: "velocity_email",
  device_id: "velocity_device_id",
  merchant: "velocity_merchant",
} as const satisfies Record<VelocityDimension, keyof typeof ruleScores>;

/**
 * Scores the findings. Rules are evaluated in a fixed order and every rule that fires names
 * its reason code (the contract's stable codes), in that order:
 *
 * 1. blocklist, per matching type (`blocklist_email`, `blocklist_ip`, `blocklist_device_id`,
 *    `blocklist_payment_method`): any hit makes the score 100, so the payment is rejected
 *    whatever else is found (thresholds are at most 100);
 * 2. `amount_over_limit` (+50): the amount is above the currency's single-payment limit;
 * 3. velocity, per counter over its limit: `velocity_ip` (+40), `velocity_email` (+40),
 *    `velocity_device_id` (+30), `velocity_merchant` (+20); when Redis cannot count, none of
 *    these fire and `velocity_unavailable` (+0) says so.
 *
 * Points add up and the sum is capped at 100. With the default thresholds (review 50, reject
 * 80) one signal alone is at most REVIEW (an amount over the limit), while two strong ones
 * (say IP and email velocity, 80) reject.
 */
export function scoreFindings(findings: RiskFindings): { score: number; reasons: string[] } {
  const reasons: string[] = findings.blocklisted.map((type) => blocklistReasons[type]);
  let score = reasons.length > 0 ? 100 : 0;
  if (findings.amountOverLimit) {
    reasons.push("amount_over_limit");
    score += ruleScores.amount_over_limit;
  }
  for (const dimension of findings.velocityExceeded) {
    const reason = velocityReasons[dimension];
    reasons.push(reason);
    score += ruleScores[reason];
  }
  if (!findings.velocityAvailable) reasons.push("velocity_unavailable");
  return { score: Math.min(score, 100), reasons };
}

/** The decision a score maps to: ≥ reject threshold REJECT, ≥ review threshold REVIEW. */
export function decisionFor(score: number, rules: RiskRules): DecisionRow["decision"] {
  if (score >= rules.rejectThreshold) return "REJECT";
  if (score >= rules.reviewThreshold) return "REVIEW";
  return "APPROVE";
}
