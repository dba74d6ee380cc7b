import { counterWindowOf, windowExpiryMarginMs } from "./counter-window.js";
import type { RedisStore, SetOptions } from "./redis-store.js";

/**
 * An in-process stand-in for Redis, for development only: `npm start` without `REDIS_URL`
 * keeps one in the launcher and shares it among the six services (see
 * shared-redis-stand-in.ts); a service started on its own without `REDIS_URL` has one of its
 * own. Its data lives and dies with the process that holds it. Health reports it as `memory`
 * so nobody mistakes it for production.
 */
export function createMemoryRedisStore(now: () => number = Date.now): RedisStore {
  // A string, or a window counter's hash (member → count), as in Redis.
  const entries = new Map<
    string,
    { value: string | Map<string, number>; expiresAt: number | undefined }
  >();
  const subscribers = new Map<string, Set<{ onMessage: (message: string) => void }>>();

  const live = (key: string) => {
    const entry = entries.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  const wrongType = () =>
    new Error("WRONGTYPE Operation against a key holding the wrong kind of value");
  const hashAt = (key: string) => {
    const value = live(key)?.value;
    if (typeof value === "string") throw wrongType();
    return value;
  };
  // A window's hash, made when its window is first counted (when the hashes of windows that
  // are over are swept, since nothing reads them again).
  const windowHash = (key: string, endsAt: number) => {
    const existing = hashAt(key);
    if (existing) return existing;
    for (const other of entries.keys()) live(other);
    const counts = new Map<string, number>();
    entries.set(key, { value: counts, expiresAt: endsAt + windowExpiryMarginMs });
    return counts;
  };

  return {
    kind: "memory",
    connectionState: "ready",
    ping: () => Promise.resolve(),
    get(key) {
      const value = live(key)?.value;
      return value instanceof Map ? Promise.reject(wrongType()) : Promise.resolve(value ?? null);
    },
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
    incrementWindows(counters) {
      try {
        const nowMs = now();
        const hashes = counters.map((counter) => {
          const window = counterWindowOf(counter, nowMs);
          return { member: counter.member, counts: windowHash(window.key, window.endsAt) };
        });
        return Promise.resolve(
          hashes.map(({ member, counts }) => {
            const count = (counts.get(member) ?? 0) + 1;
            counts.set(member, count);
            return count;
          }),
        );
      } catch (error) {
        return Promise.reject(error);
      }
    },
    countInWindow(counter) {
      try {
        const window = counterWindowOf(counter, now());
        return Promise.resolve(hashAt(window.key)?.get(counter.member) ?? 0);
      } catch (error) {
        return Promise.reject(error);
      }
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
