import { type ChainableCommander, Redis } from "ioredis";
import { type Clock, systemClock } from "../observability/clock.js";
import type { Logger } from "../observability/logger.js";
import { counterWindowOf, windowExpiryMarginMs } from "./counter-window.js";
import type { RedisStore, SetOptions, Subscription, WindowCounter } from "./redis-store.js";

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
  /**
   * The clock counter windows are numbered by. Default the system clock; tests pass the
   * service's fake one, so a burst of counts never straddles a window boundary.
   */
  clock?: Clock;
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
    // A command in flight when the connection drops fails instead of being sent again after
    // the reconnect: a counter's HINCRBY must not count twice, nor go out in a pipeline built
    // before the reconnect (without the expiry its window's hash may now need).
    autoResendUnfulfilledCommands: false,
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
  const counters = createWindowCounters(client, options.clock ?? systemClock);

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
    incrementWindows: counters.incrementWindows,
    countInWindow: counters.countInWindow,
    publish: pubSub.publish,
    subscribe: pubSub.subscribe,
    async close() {
      await pubSub.close();
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/**
 * Window counters as HINCRBY on each window's hash, all of one call in one pipeline. A window's
 * hash gets its expiry (PEXPIRE, relative, so Redis's clock need not agree with ours) in the
 * same pipeline the first time this process counts in that window; the process remembers
 * which windows it has set, forgets the ones that ended, and sets one again when the pipeline
 * that carried its PEXPIRE failed or the connection was made again.
 */
function createWindowCounters(
  client: Redis,
  clock: Clock,
): Pick<RedisStore, "incrementWindows" | "countInWindow"> {
  // Hash key → its window's end, for the windows whose expiry this process has set.
  const expirySet = new Map<string, number>();
  // A reconnect may mean Redis restarted or failed over and lost a hash and its expiry, and
  // the next HINCRBY would make it again without one: set every window's expiry afresh.
  client.on("ready", () => expirySet.clear());

  const exec = async (pipeline: ChainableCommander) => {
    const results = await pipeline.exec();
    if (!results) throw new Error("redis pipeline aborted");
    return results;
  };

  return {
    async incrementWindows(counters: readonly WindowCounter[]) {
      if (counters.length === 0) return [];
      const nowMs = clock.now().getTime();
      for (const [key, endsAt] of expirySet) if (endsAt <= nowMs) expirySet.delete(key);
      const pipeline = client.pipeline();
      const expiring: string[] = [];
      const windows = counters.map((counter) => ({
        member: counter.member,
        ...counterWindowOf(counter, nowMs),
      }));
      for (const { key, member } of windows) pipeline.hincrby(key, member, 1);
      // After the increments: PEXPIRE on a hash that does not exist yet would do nothing.
      for (const { key, endsAt } of windows) {
        if (expirySet.has(key)) continue;
        expirySet.set(key, endsAt);
        expiring.push(key);
        pipeline.pexpire(key, endsAt - nowMs + windowExpiryMarginMs);
      }
      let results: Awaited<ReturnType<typeof exec>>;
      try {
        results = await exec(pipeline);
      } catch (error) {
        for (const key of expiring) expirySet.delete(key);
        throw error;
      }
      expiring.forEach((key, i) => {
        if (results[counters.length + i]?.[0]) expirySet.delete(key);
      });
      return counters.map((_, i) => {
        const [error, count] = results[i] ?? [new Error("redis pipeline reply missing"), null];
        if (error) throw error;
        return Number(count);
      });
    },
    async countInWindow(counter) {
      const window = counterWindowOf(counter, clock.now().getTime());
      return Number((await client.hget(window.key, counter.member)) ?? 0);
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
