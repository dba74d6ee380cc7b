import { createHmac } from "node:crypto";
import type { Logger, RedisStore, Secret } from "@kassa/platform";
import type { VelocityDimension, VelocityLimit } from "./risk-rules.js";

/**
 * Who one Assess call is counted for; absent customer fields are not counted. The customer's
 * values are personal data, masked until they are hashed into a key.
 */
export interface VelocitySubjects {
  readonly merchantId: string;
  /** Canonical IP text. */
  readonly ip?: Secret | undefined;
  /** Lower-cased email. */
  readonly email?: Secret | undefined;
  readonly deviceId?: Secret | undefined;
}

/** What counting one call found. */
export interface VelocityCount {
  /** False when Redis failed to count any of the subjects. */
  readonly available: boolean;
  /** Dimensions whose counter is now above its limit, in evaluation order. */
  readonly exceeded: VelocityDimension[];
}

/** Counts Assess calls per IP, email, device and merchant in Redis. */
export interface VelocityCounter {
  /** Adds this call to every subject's counter and reports which went over their limit. */
  count(subjects: VelocitySubjects): Promise<VelocityCount>;
}

/** Options for {@link createVelocityCounter}. */
export interface VelocityCounterOptions {
  readonly redis: RedisStore;
  readonly limits: Readonly<Record<VelocityDimension, VelocityLimit>>;
  /** Keys the hash of customer values in counter keys; see {@link velocityKeys}. */
  readonly keySecret: Secret;
  readonly logger: Logger;
}

/**
 * The Redis key of each subject's counter: `risk:velocity:<dimension>:<digest>`. Emails, IPs
 * and device ids are personal data, so keys hold an HMAC of them rather than the value; an
 * unkeyed hash of an IPv4 address could be reversed by trying all 2^32. The HMAC key is
 * derived from `secret` (the internal token, which every replica shares), so rotating that
 * token starts the counters afresh, which costs at most one window (an hour by default).
 * Merchant ids are not personal data and stay readable.
 */
export function velocityKeys(
  secret: Secret,
): (dimension: VelocityDimension, value: string) => string {
  const hmacKey = createHmac("sha256", secret.reveal()).update("kassa risk velocity keys").digest();
  return (dimension, value) =>
    dimension === "merchant"
      ? `risk:velocity:merchant:${value}`
      : `risk:velocity:${dimension}:${createHmac("sha256", hmacKey).update(value).digest("base64url")}`;
}

/**
 * A {@link VelocityCounter} over fixed windows: each counter is one atomic INCR whose key
 * expires a window after its first call, so concurrent calls never lose a count. When Redis
 * cannot answer, the call is reported unavailable instead of failing, so payments go on
 * without velocity rules; the outage and the recovery are logged once each.
 */
export function createVelocityCounter(options: VelocityCounterOptions): VelocityCounter {
  const keyOf = velocityKeys(options.keySecret);
  let unavailable = false;
  return {
    async count(subjects) {
      const candidates: Array<[VelocityDimension, string | undefined]> = [
        ["ip", subjects.ip?.reveal()],
        ["email", subjects.email?.reveal()],
        ["device_id", subjects.deviceId?.reveal()],
        ["merchant", subjects.merchantId],
      ];
      const counted = candidates.filter((candidate): candidate is [VelocityDimension, string] =>
        Boolean(candidate[1]),
      );
      const results = await Promise.allSettled(
        counted.map(([dimension, value]) =>
          options.redis.incrementWindow(
            keyOf(dimension, value),
            options.limits[dimension].windowMs,
          ),
        ),
      );
      const exceeded: VelocityDimension[] = [];
      let failure: unknown;
      results.forEach((result, i) => {
        const [dimension] = counted[i] ?? [];
        if (result.status === "rejected") failure ??= result.reason;
        else if (dimension && result.value > options.limits[dimension].limit)
          exceeded.push(dimension);
      });
      if (failure !== undefined && !unavailable) {
        // The error is Redis's own (connection state), never a key or customer value.
        options.logger.warn(
          { err: failure instanceof Error ? failure.message : String(failure) },
          "velocity counters unavailable: velocity rules skipped",
        );
      } else if (failure === undefined && unavailable) {
        options.logger.info("velocity counters available again");
      }
      unavailable = failure !== undefined;
      return { available: !unavailable, exceeded };
    },
  };
}
