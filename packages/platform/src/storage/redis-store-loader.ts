import type { RedisStoreOptions } from "./ioredis-store.js";
import type { RedisStore } from "./redis-store.js";

/**
 * `createRedisStore` of ioredis-store.ts, with ioredis loaded on the first call rather than
 * with the platform: a service on the development stand-in (`npm start` without REDIS_URL,
 * six at once) never spends the ~0.1 s of CPU loading it.
 */
export async function createRedisStore(options: RedisStoreOptions): Promise<RedisStore> {
  const { createRedisStore: create } = await import("./ioredis-store.js");
  return create(options);
}
