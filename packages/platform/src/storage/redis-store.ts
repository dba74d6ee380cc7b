/**
 * The Redis operations Kassa services use, and nothing more. Two implementations exist:
 * {@link createRedisStore} over a real Redis, and {@link createMemoryRedisStore}, an
 * in-process stand-in for development only (`npm start` without `REDIS_URL`).
 */
export interface RedisStore {
  /** `redis`, or `memory` for the development stand-in. Health reports it. */
  readonly kind: "redis" | "memory";
  /** Connection state as the client sees it (`ready`, `connecting`, `reconnecting`, `end`…). */
  readonly connectionState: string;
  /** PING; rejects when Redis cannot answer. */
  ping(): Promise<void>;
  get(key: string): Promise<string | null>;
  /**
   * SET with an optional expiry. With `onlyIfAbsent` it is SET NX: resolves false when the
   * key already existed and nothing was written.
   */
  set(key: string, value: string, options?: SetOptions): Promise<boolean>;
  /** Deletes keys; resolves with how many existed. */
  del(...keys: string[]): Promise<number>;
  /**
   * Adds one to each counter's count in its current window and resolves with the new counts,
   * in the order given. Windows are fixed and aligned to the epoch: window n of `windowMs`
   * covers [n·windowMs, (n+1)·windowMs) on the store's clock, so every count restarts at a
   * window boundary, whenever the first call came. All members of one group and window are
   * fields of one Redis hash (`<group>:<windowMs>:<n>`, HINCRBY, atomic: concurrent callers
   * never lose a count); the hash expires a minute after its window ends, its expiry set once
   * per process and window, not per call. One round trip for all the counters; when Redis
   * fails any of them, the call rejects.
   */
  incrementWindows(counters: readonly WindowCounter[]): Promise<number[]>;
  /** A counter's count in its current window (0 when nothing was counted): for tests and operators. */
  countInWindow(counter: WindowCounter): Promise<number>;
  /**
   * PUBLISH: sends `message` to whoever subscribes to `channel` right now; resolves with how
   * many received it. Pub/sub is fire-and-forget: a subscriber that is away misses it, so
   * only hints travel this way, never anything that must arrive.
   */
  publish(channel: string, message: string): Promise<number>;
  /**
   * SUBSCRIBE: calls `onMessage` with every message published to `channel` from now on,
   * until the returned subscription is closed. Subscriptions survive a Redis restart (they
   * are renewed on reconnect); messages published while disconnected are lost. Resolves once
   * Redis confirmed the subscription.
   */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<Subscription>;
  close(): Promise<void>;
}

/** A {@link RedisStore.subscribe} in effect. */
export interface Subscription {
  /** Stops the delivery of messages to this subscriber. */
  close(): Promise<void>;
}

/** One counter of {@link RedisStore.incrementWindows}: `member`'s count in a window of `group`. */
export interface WindowCounter {
  /** What is counted (`ratelimit`, `risk:velocity:email`): one Redis hash per group and window. */
  readonly group: string;
  /** Whose count, a field of the group's hash: an id or a digest, never personal data. */
  readonly member: string;
  /** The window's length in milliseconds (a positive whole number). */
  readonly windowMs: number;
}

/** Options for {@link RedisStore.set}. */
export interface SetOptions {
  /** Expiry in milliseconds. */
  ttlMs?: number;
  /** Only write when the key does not exist (SET NX). */
  onlyIfAbsent?: boolean;
}
