import { Redis } from "ioredis";
import type { Logger } from "../observability/logger.js";
import type { RedisStore, SetOptions } from "./redis-store.js";

/** Options for {@link createRedisStore}. */
export interface RedisStoreOptions {
  /** A `redis://` or `rediss://` URL. */
  url: string;
  /** Prepended to every key, so services (and test files) sharing a Redis never collide. */
  keyPrefix?: string;
  /** Per-command timeout. Default 1000 ms: a slow Redis must not stall a payment. */
  commandTimeoutMs?: number;
  /** How long start-up waits for the first connection before carrying on. Default 2000 ms. */
  connectWaitMs?: number;
  logger: Logger;
}

/**
 * A {@link RedisStore} over ioredis. Commands fail fast while disconnected instead of
 * queueing, and the client keeps reconnecting in the background, so callers can degrade
 * (skip a cache, skip velocity rules) rather than hang.
 */
export async function createRedisStore(options: RedisStoreOptions): Promise<RedisStore> {
  const client = new Redis(options.url, {
    keyPrefix: options.keyPrefix ?? "",
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  // ioredis reconnects forever; log each change of state, not every attempt.
  let up: boolean | undefined;
  client.on("ready", () => {
    if (up !== true) options.logger.info("redis connected");
    up = true;
  });
  client.on("error", (error: Error) => {
    if (up !== false) options.logger.warn({ err: error.message }, "redis unavailable");
    up = false;
  });
  await waitForReady(client, options.connectWaitMs ?? 2000);

  return {
    kind: "redis",
    get connectionState() {
      return client.status;
    },
    async ping() {
      await client.ping();
    },
    get: (key) => client.get(key),
    async set(key: string, value: string, setOptions?: SetOptions) {
      const ttl = setOptions?.ttlMs;
      let reply: string | null;
      if (setOptions?.onlyIfAbsent) {
        reply = ttl
          ? await client.set(key, value, "PX", ttl, "NX")
          : await client.set(key, value, "NX");
      } else {
        reply = ttl ? await client.set(key, value, "PX", ttl) : await client.set(key, value);
      }
      return reply === "OK";
    },
    del: (...keys) => (keys.length === 0 ? Promise.resolve(0) : client.del(...keys)),
    async incrementWindow(key, windowMs) {
      const results = await client.multi().incr(key).pexpire(key, windowMs, "NX").exec();
      const [error, count] = results?.[0] ?? [new Error("redis transaction aborted"), null];
      if (error) throw error;
      return Number(count);
    },
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}

function waitForReady(client: Redis, waitMs: number): Promise<void> {
  if (client.status === "ready") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off("ready", done);
      resolve();
    };
    const timer = setTimeout(done, waitMs);
    client.once("ready", done);
  });
}
