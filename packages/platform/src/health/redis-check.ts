import { randomUUID } from "node:crypto";
import type { RedisStore } from "../storage/redis-store.js";
import type { Checker, CheckResult } from "./checker.js";

/** Options for {@link createRedisCheck}. */
export interface RedisCheckOptions {
  /**
   * Whether losing Redis makes the service unhealthy. Default false: Kassa keeps Redis to
   * caches and counters, so services carry on without it and report degraded.
   */
  critical?: boolean;
}

/**
 * Checks Redis with PING and a SET/GET round trip of a short-lived key, reporting the
 * connection state. The in-process stand-in reports healthy but says it is one.
 */
export function createRedisCheck(redis: RedisStore, options: RedisCheckOptions = {}): Checker {
  return {
    name: "redis",
    critical: options.critical ?? false,
    async check(): Promise<CheckResult> {
      const started = performance.now();
      const metadata: Record<string, unknown> = {
        kind: redis.kind,
        connection: redis.connectionState,
      };
      await redis.ping();
      const key = `health:${randomUUID()}`;
      const value = String(Date.now());
      await redis.set(key, value, { ttlMs: 10_000 });
      const echoed = await redis.get(key);
      await redis.del(key);
      metadata.latency_ms = Math.round((performance.now() - started) * 100) / 100;
      if (echoed !== value) {
        return {
          status: "unhealthy",
          message: "SET/GET round trip returned another value",
          metadata,
        };
      }
      if (redis.kind === "memory") {
        return {
          status: "healthy",
          message: "in-process stand-in (development only; set REDIS_URL for production)",
          metadata,
        };
      }
      return {
        status: "healthy",
        message: `redis answered in ${metadata.latency_ms} ms`,
        metadata,
      };
    },
  };
}
