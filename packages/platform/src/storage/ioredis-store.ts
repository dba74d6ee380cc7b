import { Redis } from "ioredis";
import type { Logger } from "../observability/logger.js";
import type { RedisStore, SetOptions, Subscription } from "./redis-store.js";

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
  /**
   * The name its connections show in `CLIENT LIST` (the subscriber's with `:subscriber`
   * added), so an operator sees which service holds which. Default none.
   */
  connectionName?: string;
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
    ...(options.connectionName && { connectionName: options.connectionName }),
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
  const pubSub = createPubSub(client, options);

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
    publish: pubSub.publish,
    subscribe: pubSub.subscribe,
    async close() {
      await pubSub.close();
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/**
 * PUBLISH on the command connection; SUBSCRIBE on a second connection made on first use (a
 * subscribed connection can run nothing else). ioredis renews that connection's subscriptions
 * whenever it reconnects (`autoResubscribe`, on by default). Channel names get the key
 * prefix, which ioredis applies to keys only, so services sharing a Redis stay apart.
 */
function createPubSub(
  client: Redis,
  options: RedisStoreOptions,
): Pick<RedisStore, "publish" | "subscribe" | "close"> {
  const prefix = options.keyPrefix ?? "";
  // Per prefixed channel: its handlers, and the SUBSCRIBE that made Redis send it to us.
  const channels = new Map<
    string,
    { handlers: Set<{ onMessage: (message: string) => void }>; subscribed: Promise<unknown> }
  >();
  let subscriber: Redis | undefined;

  const subscriberConnection = () => {
    if (subscriber) return subscriber;
    subscriber = client.duplicate({
      // SUBSCRIBE waits for Redis instead of failing while it is away: unlike a command, a
      // subscription is worth having late. Its state is logged by the command connection.
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      commandTimeout: undefined,
      ...(options.connectionName && { connectionName: `${options.connectionName}:subscriber` }),
    });
    subscriber.on("error", () => {});
    subscriber.on("message", (channel: string, message: string) => {
      for (const handler of channels.get(channel)?.handlers ?? []) {
        try {
          handler.onMessage(message);
        } catch (error) {
          options.logger.error({ err: error, channel }, "redis subscriber failed on a message");
        }
      }
    });
    return subscriber;
  };

  return {
    publish: (channel, message) => client.publish(`${prefix}${channel}`, message),
    async subscribe(channel, onMessage): Promise<Subscription> {
      const name = `${prefix}${channel}`;
      const connection = subscriberConnection();
      let entry = channels.get(name);
      if (!entry) {
        entry = { handlers: new Set(), subscribed: connection.subscribe(name) };
        channels.set(name, entry);
      }
      const handler = { onMessage };
      entry.handlers.add(handler);
      await entry.subscribed;
      const subscribed = entry;
      return {
        async close() {
          subscribed.handlers.delete(handler);
          if (subscribed.handlers.size > 0 || channels.get(name) !== subscribed) return;
          channels.delete(name);
          await connection.unsubscribe(name).catch(() => {});
        },
      };
    },
    async close() {
      channels.clear();
      await subscriber?.quit().catch(() => subscriber?.disconnect());
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
