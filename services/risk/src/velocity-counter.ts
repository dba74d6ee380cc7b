import { createHmac } from "node:crypto";
import type { Logger, RedisStore, Secret, WindowCounter } from "@kassa/platform";
import type { VelocityDimension, VelocityLimit } from "./risk-rules.js";

/**
 * Who one Assess call is counted for; absent customer fields are not counted. The customer's
 * values are personal data, masked until they are hashed into a counter.
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
  /** False when Redis failed to count the subjects: then none is reported exceeded. */
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
  /** Keys the hash of customer values in counters; see {@link velocityCounters}. */
  readonly keySecret: Secret;
  readonly logger: Logger;
}

/**
 * The Redis counter of one subject: member `<digest>` of group `risk:velocity:<dimension>`,
 * in windows of the dimension's limit. Emails, IPs and device ids are personal data, so the
 * member is an HMAC of the value rather than the value; an unkeyed hash of an IPv4 address
 * could be reversed by trying all 2^32. The HMAC key is derived from `secret` (the internal
 * token, which every replica shares), so rotating that token starts the counters afresh,
 * which costs at most one window (an hour by default). Merchant ids are not personal data and
 * stay readable.
 */
export function velocityCounters(
  secret: Secret,
  limits: Readonly<Record<VelocityDimension, VelocityLimit>>,
): (dimension: VelocityDimension, value: string) => WindowCounter {
  const hmacKey = createHmac("sha256", secret.reveal()).update("kassa risk velocity keys").digest();
  return (dimension, value) => ({
    group: `risk:velocity:${dimension}`,
    member:
      dimension === "merchant"
        ? value
        : createHmac("sha256", hmacKey).update(value).digest("base64url"),
    windowMs: limits[dimension].windowMs,
  });
}

/**
 * A {@link VelocityCounter} over fixed windows aligned to the clock (a one-minute window is a
 * clock minute; see {@link RedisStore.incrementWindows}): every subject of a call is counted
 * in one round trip, atomically, so concurrent calls never lose a count. When Redis cannot
 * answer, the call is reported unavailable instead of failing, so payments go on without
 * velocity rules; the outage and the recovery are logged once each.
 */
export function createVelocityCounter(options: VelocityCounterOptions): VelocityCounter {
  const counterOf = velocityCounters(options.keySecret, options.limits);
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
      const exceeded: VelocityDimension[] = [];
      let failure: unknown;
      try {
        const counts = await options.redis.incrementWindows(
          counted.map(([dimension, value]) => counterOf(dimension, value)),
        );
        counted.forEach(([dimension], i) => {
          if ((counts[i] ?? 0) > options.limits[dimension].limit) exceeded.push(dimension);
        });
      } catch (error) {
        failure = error;
      }
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
