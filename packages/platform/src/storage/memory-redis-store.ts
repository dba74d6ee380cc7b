import type { RedisStore, SetOptions } from "./redis-store.js";

/**
 * An in-process stand-in for Redis, for development only: `npm start` uses it when
 * `REDIS_URL` is unset. Its data lives and dies with the process and is not shared between
 * services or replicas, so caches and counters are per process, and a message published in
 * one process reaches only subscribers in that process. Health reports it as
 * `memory` so nobody mistakes it for production.
 */
export function createMemoryRedisStore(now: () => number = Date.now): RedisStore {
  const entries = new Map<string, { value: string; expiresAt: number | undefined }>();
  const subscribers = new Map<string, Set<{ onMessage: (message: string) => void }>>();

  const live = (key: string) => {
    const entry = entries.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };

  return {
    kind: "memory",
    connectionState: "ready",
    ping: () => Promise.resolve(),
    get: (key) => Promise.resolve(live(key)?.value ?? null),
    set(key: string, value: string, options?: SetOptions) {
      if (options?.onlyIfAbsent && live(key)) return Promise.resolve(false);
      const expiresAt = options?.ttlMs ? now() + options.ttlMs : undefined;
      entries.set(key, { value, expiresAt });
      return Promise.resolve(true);
    },
    del(...keys) {
      let deleted = 0;
      for (const key of keys) if (live(key) && entries.delete(key)) deleted++;
      return Promise.resolve(deleted);
    },
    incrementWindow(key, windowMs) {
      const entry = live(key);
      const count = Number(entry?.value ?? 0) + 1;
      entries.set(key, { value: String(count), expiresAt: entry?.expiresAt ?? now() + windowMs });
      return Promise.resolve(count);
    },
    publish(channel, message) {
      const receivers = [...(subscribers.get(channel) ?? [])];
      // Later, as a message from Redis arrives: never inside the publisher's own call.
      for (const receiver of receivers) setImmediate(() => receiver.onMessage(message));
      return Promise.resolve(receivers.length);
    },
    subscribe(channel, onMessage) {
      const receiver = { onMessage };
      let receivers = subscribers.get(channel);
      if (!receivers) {
        receivers = new Set();
        subscribers.set(channel, receivers);
      }
      receivers.add(receiver);
      const subscribed = receivers;
      return Promise.resolve({
        close() {
          subscribed.delete(receiver);
          return Promise.resolve();
        },
      });
    },
    close() {
      entries.clear();
      subscribers.clear();
      return Promise.resolve();
    },
  };
}
