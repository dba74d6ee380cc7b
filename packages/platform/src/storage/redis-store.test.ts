import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../observability/logger.js";
import { eventually, testRedisUrl, uniqueRedisPrefix } from "../testing/index.js";
import { createRedisStore } from "./ioredis-store.js";
import { createMemoryRedisStore } from "./memory-redis-store.js";
import type { RedisStore } from "./redis-store.js";

const logger = createLogger({ service: "test", level: "silent" });
// Named uniquely, so the test that cuts the subscriber's connection finds only its own.
const connectionName = `kassa-test-store-${randomBytes(4).toString("hex")}`;
let real: RedisStore;
beforeAll(async () => {
  real = await createRedisStore({
    url: testRedisUrl,
    keyPrefix: uniqueRedisPrefix("store"),
    connectionName,
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

  it("delivers a published message to every subscriber of its channel, and only to them", async () => {
    const redis = store();
    const heard: string[] = [];
    const first = await redis.subscribe("news", (message) => heard.push(`first ${message}`));
    const second = await redis.subscribe("news", (message) => heard.push(`second ${message}`));
    const elsewhere = await redis.subscribe("other", (message) => heard.push(`other ${message}`));

    expect(await redis.publish("news", "hello")).toBeGreaterThanOrEqual(1);
    await eventually(() => expect(heard.sort()).toEqual(["first hello", "second hello"]));

    await Promise.all([first.close(), second.close(), elsewhere.close()]);
  });

  it("stops delivering to a closed subscription; a message nobody hears is gone", async () => {
    const redis = store();
    const heard: string[] = [];
    const closed = await redis.subscribe("gone", (message) => heard.push(`closed ${message}`));
    await closed.close();
    expect(await redis.publish("gone", "unheard")).toBe(0);

    const open = await redis.subscribe("gone", (message) => heard.push(`open ${message}`));
    await redis.publish("gone", "heard");
    await eventually(() => expect(heard).toEqual(["open heard"]));
    await open.close();
  });
});

describe("RedisStore subscriptions over a real Redis", () => {
  it("are renewed when the connection to Redis is lost and comes back", async () => {
    const heard: string[] = [];
    const subscription = await real.subscribe("resilient", (message) => heard.push(message));
    await real.publish("resilient", "before");
    await eventually(() => expect(heard).toContain("before"));

    // Redis drops the subscriber's connection, as a Redis restart would.
    const admin = new Redis(testRedisUrl);
    try {
      const clients = String(await admin.call("CLIENT", "LIST", "TYPE", "pubsub"));
      const ids = clients
        .split("\n")
        .filter((line) => line.includes(` name=${connectionName}:subscriber `))
        .map((line) => /^id=(\d+)/.exec(line)?.[1] ?? "");
      expect(ids).toHaveLength(1);
      await admin.call("CLIENT", "KILL", "ID", ids[0] ?? "");
    } finally {
      admin.disconnect();
    }

    // Messages sent while it reconnects are lost (pub/sub is lossy); once it is back, it hears.
    await eventually(async () => {
      await real.publish("resilient", "after");
      expect(heard).toContain("after");
    });
    await subscription.close();
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
