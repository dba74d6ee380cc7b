import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../observability/logger.js";
import { testRedisUrl, uniqueRedisPrefix } from "../testing/index.js";
import { createRedisStore } from "./ioredis-store.js";
import { createMemoryRedisStore } from "./memory-redis-store.js";
import type { RedisStore } from "./redis-store.js";

const logger = createLogger({ service: "test", level: "silent" });
let real: RedisStore;
beforeAll(async () => {
  real = await createRedisStore({
    url: testRedisUrl,
    keyPrefix: uniqueRedisPrefix("store"),
    logger,
  });
});
afterAll(() => real.close());

// The development stand-in must behave like Redis for every operation services use.
const implementations: Array<[string, () => RedisStore]> = [
  ["redis", () => real],
  ["in-process stand-in", () => createMemoryRedisStore()],
];

describe.each(implementations)("RedisStore (%s)", (_name, store) => {
  it("sets, gets and deletes", async () => {
    const redis = store();
    expect(await redis.set("k1", "v1")).toBe(true);
    expect(await redis.get("k1")).toBe("v1");
    expect(await redis.del("k1", "missing")).toBe(1);
    expect(await redis.get("k1")).toBeNull();
  });

  it("writes only an absent key with onlyIfAbsent", async () => {
    const redis = store();
    expect(await redis.set("nx", "first", { onlyIfAbsent: true, ttlMs: 10_000 })).toBe(true);
    expect(await redis.set("nx", "second", { onlyIfAbsent: true })).toBe(false);
    expect(await redis.get("nx")).toBe("first");
  });

  it("never loses an increment under concurrency", async () => {
    const redis = store();
    const counts = await Promise.all(
      Array.from({ length: 200 }, () => redis.incrementWindow("ctr", 60_000)),
    );
    expect(Math.max(...counts)).toBe(200);
    expect(new Set(counts).size).toBe(200);
  });
});

describe("RedisStore expiry", () => {
  it("expires keys and counter windows (stand-in, on a fake clock)", async () => {
    let now = 1_000;
    const redis = createMemoryRedisStore(() => now);
    await redis.set("ttl", "v", { ttlMs: 100 });
    expect(await redis.incrementWindow("window", 100)).toBe(1);
    expect(await redis.incrementWindow("window", 100)).toBe(2);
    now += 100;
    expect(await redis.get("ttl")).toBeNull();
    expect(await redis.incrementWindow("window", 100)).toBe(1);
  });
});
