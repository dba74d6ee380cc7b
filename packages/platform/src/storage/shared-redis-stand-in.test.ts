import { EventEmitter } from "node:events";
import { setTimeout as delay } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { createMemoryRedisStore } from "./memory-redis-store.js";
import type { RedisStore } from "./redis-store.js";
import { createSharedRedisStandIn, serveRedisStandIn } from "./shared-redis-stand-in.js";

/** A service connected to the launcher's store over an in-memory stand-in for its IPC channel. */
function connect(store: RedisStore) {
  const launcherSide = new EventEmitter();
  const serviceSide = new EventEmitter();
  // Messages cross as IPC carries them: serialised, and never in the same tick.
  const deliver = (to: EventEmitter) => (message: unknown) => {
    const copy = structuredClone(message);
    setImmediate(() => to.emit("message", copy));
    return true;
  };
  Object.assign(launcherSide, { send: deliver(serviceSide) });
  Object.assign(serviceSide, { send: deliver(launcherSide) });
  serveRedisStandIn(store, launcherSide);
  return {
    service: createSharedRedisStandIn(serviceSide),
    exit: () => launcherSide.emit("exit"),
  };
}

describe("the shared Redis stand-in", () => {
  it("lets one service evict a key the other reads", async () => {
    const store = createMemoryRedisStore();
    const merchant = connect(store).service;
    const gateway = connect(store).service;
    await gateway.set("kassa:apikey:abc", "mer_1", { ttlMs: 60_000 });
    expect(await merchant.get("kassa:apikey:abc")).toBe("mer_1");
    expect(await merchant.del("kassa:apikey:abc")).toBe(1);
    expect(await gateway.get("kassa:apikey:abc")).toBeNull();
    expect(await gateway.set("k", "1", { onlyIfAbsent: true })).toBe(true);
    expect(await merchant.set("k", "2", { onlyIfAbsent: true })).toBe(false);
  });

  it("counts one window across services", async () => {
    const store = createMemoryRedisStore();
    const counter = { group: "ratelimit", member: "mer_1", windowMs: 60_000 };
    const [first, second] = [connect(store).service, connect(store).service];
    expect(await first.incrementWindows([counter])).toEqual([1]);
    expect(await second.incrementWindows([counter, counter])).toEqual([2, 3]);
    expect(await first.countInWindow(counter)).toBe(3);
  });

  it("delivers what one service publishes to another's subscription, until it is closed", async () => {
    const store = createMemoryRedisStore();
    const channel = connect(store).service;
    const gateway = connect(store);
    const received: string[] = [];
    const subscription = await gateway.service.subscribe("hints", (m) => received.push(m));
    expect(await channel.publish("hints", "settle pay_1")).toBe(1);
    await delay(10);
    expect(received).toEqual(["settle pay_1"]);
    await subscription.close();
    expect(await channel.publish("hints", "settle pay_2")).toBe(0);
  });

  it("drops a service's subscriptions when its process exits, and refuses calls once closed", async () => {
    const store = createMemoryRedisStore();
    const gateway = connect(store);
    await gateway.service.subscribe("hints", () => {});
    gateway.exit();
    await delay(10);
    expect(await connect(store).service.publish("hints", "x")).toBe(0);
    await gateway.service.close();
    await expect(gateway.service.get("k")).rejects.toThrow("closed");
  });
});
