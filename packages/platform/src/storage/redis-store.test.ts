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
const keyPrefix = uniqueRedisPrefix("store");
// The stores' clock for counter windows: moved by tests, never by a boundary passing meanwhile.
const minute = 60_000;
let now = Date.UTC(2030, 0, 1);
const clock = { now: () => new Date(now) };
let real: RedisStore;
beforeAll(async () => {
  real = await createRedisStore({ url: testRedisUrl, keyPrefix, connectionName, clock, logger });
});
afterAll(() => real.close());

// The development stand-in must behave like Redis for every operation services use.
const implementations: Array<[string, () => RedisStore]> = [
  ["redis", () => real],
  ["in-process stand-in", () => createMemoryRedisStore(() => now)],
];

let counterSequence = 0;
/** A counter nothing has counted yet. */
const freshCounter = (windowMs = minute) => {
  counterSequence++;
  return { group: `group-${counterSequence}`, member: `mer_${counterSequence}`, windowMs };
};

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

  it("never loses a count under concurrency", async () => {
    const redis = store();
    const counter = freshCounter();
    const counts = await Promise.all(
      Array.from({ length: 200 }, () => redis.incrementWindows([counter])),
    );
    expect(counts.flat().sort((a, b) => a - b)).toEqual(
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
    expect(await redis.countInWindow(counter)).toBe(200);
  });

  it("counts several counters in one call, each on its own", async () => {
    const redis = store();
    const merchant = freshCounter();
    const sameGroup = { ...merchant, member: `${merchant.member}-other` };
    const otherWindow = { ...merchant, windowMs: 10 * minute };
    expect(await redis.incrementWindows([merchant, sameGroup, otherWindow, merchant])).toEqual([
      1, 1, 1, 2,
    ]);
    expect(await redis.incrementWindows([sameGroup])).toEqual([2]);
    expect(await redis.countInWindow(merchant)).toBe(2);
    expect(await redis.countInWindow(otherWindow)).toBe(1);
    expect(await redis.countInWindow(freshCounter())).toBe(0);
    expect(await redis.incrementWindows([])).toEqual([]);
  });

  it("starts every count afresh when its window ends, however recent the first count", async () => {
    const redis = store();
    const counter = freshCounter();
    now = Math.ceil(now / minute) * minute + minute - 1; // the window's last millisecond
    expect(await redis.incrementWindows([counter, counter])).toEqual([1, 2]);
    now += 1;
    expect(await redis.countInWindow(counter)).toBe(0);
    expect(await redis.incrementWindows([counter])).toEqual([1]);
    now += minute - 1;
    expect(await redis.incrementWindows([counter])).toEqual([2]);
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

/** Redis drops the store's connection of this name and type, as a Redis restart would. */
async function dropConnection(type: "normal" | "pubsub", name: string) {
  const admin = new Redis(testRedisUrl);
  try {
    const clients = String(await admin.call("CLIENT", "LIST", "TYPE", type));
    const ids = clients
      .split("\n")
      .filter((line) => line.includes(` name=${name} `))
      .map((line) => /^id=(\d+)/.exec(line)?.[1] ?? "");
    expect(ids).toHaveLength(1);
    await admin.call("CLIENT", "KILL", "ID", ids[0] ?? "");
  } finally {
    admin.disconnect();
  }
}

describe("RedisStore subscriptions over a real Redis", () => {
  it("are renewed when the connection to Redis is lost and comes back", async () => {
    const heard: string[] = [];
    const subscription = await real.subscribe("resilient", (message) => heard.push(message));
    await real.publish("resilient", "before");
    await eventually(() => expect(heard).toContain("before"));

    // Redis drops the subscriber's connection, as a Redis restart would.
    await dropConnection("pubsub", `${connectionName}:subscriber`);

    // Messages sent while it reconnects are lost (pub/sub is lossy); once it is back, it hears.
    await eventually(async () => {
      await real.publish("resilient", "after");
      expect(heard).toContain("after");
    });
    await subscription.close();
  });
});

describe("RedisStore expiry", () => {
  it("expires keys and window hashes (stand-in, on a fake clock)", async () => {
    let at = 1_000;
    const redis = createMemoryRedisStore(() => at);
    await redis.set("ttl", "v", { ttlMs: 100 });
    expect(await redis.incrementWindows([{ group: "g", member: "m", windowMs: 100 }])).toEqual([1]);
    at += 100;
    expect(await redis.get("ttl")).toBeNull();
    // The hash of the window that ended (a hash: GET refuses it) outlives it by a minute.
    await expect(redis.get("g:100:10")).rejects.toThrow("WRONGTYPE");
    at += minute - 1;
    await expect(redis.get("g:100:10")).rejects.toThrow("WRONGTYPE");
    at += 1;
    expect(await redis.get("g:100:10")).toBeNull();
  });

  it("gives each window's hash an expiry a minute past the window's end (redis)", async () => {
    const admin = new Redis(testRedisUrl, { keyPrefix });
    try {
      const counter = freshCounter();
      const hashOf = () => `${counter.group}:${minute}:${Math.floor(now / minute)}`;
      now = Math.ceil(now / minute) * minute + 15_000; // 45 s before the window ends
      await real.incrementWindows([counter]);
      const ttl = await admin.pttl(hashOf());
      expect(ttl).toBeGreaterThan(45_000 + minute - 5_000);
      expect(ttl).toBeLessThanOrEqual(45_000 + minute);

      now += minute; // the next window: a new hash, with its own expiry
      await real.incrementWindows([counter]);
      expect(await admin.pttl(hashOf())).toBeGreaterThan(0);
    } finally {
      admin.disconnect();
    }
  });

  it("sets a window's expiry again after the connection to Redis was lost (redis)", async () => {
    const admin = new Redis(testRedisUrl, { keyPrefix });
    try {
      const counter = freshCounter();
      const hash = `${counter.group}:${minute}:${Math.floor(now / minute)}`;
      await real.incrementWindows([counter]);
      // Redis restarts and has lost the hash: the next count makes it again, with an expiry.
      await admin.del(hash);
      await dropConnection("normal", connectionName);
      await eventually(() => real.incrementWindows([counter]));
      expect(await admin.pttl(hash)).toBeGreaterThan(0);
    } finally {
      admin.disconnect();
    }
  });
});
