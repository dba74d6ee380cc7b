import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../observability/logger.js";
import { openDatabase } from "../storage/database.js";
import { createRedisStore } from "../storage/ioredis-store.js";
import {
  createTestDatabase,
  type TestDatabase,
  testRedisUrl,
  uniqueRedisPrefix,
} from "../testing/index.js";
import { createDependencyCheck } from "./dependency-check.js";
import { createDependencyStatus } from "./dependency-health.js";
import { createHealthMonitor } from "./health-monitor.js";
import { createPostgresCheck } from "./postgres-check.js";
import { createRedisCheck } from "./redis-check.js";

const logger = createLogger({ service: "test", level: "silent" });
const never = new AbortController().signal;

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase("checks");
});
afterAll(() => database.drop());

describe("postgres check", () => {
  it("reports latency and pool use, and stays healthy while every connection is busy", async () => {
    const handle = await openDatabase({
      url: database.url,
      schema: {},
      applicationName: "kassa-check",
      maxConnections: 5,
    });
    try {
      const check = createPostgresCheck(handle);
      const idle = await check.check(never);
      expect(idle.status).toBe("healthy");
      expect(idle.metadata).toMatchObject({ kind: "postgres", pool_max: 5 });
      // Four of five connections busy: what a pool under load looks like. It still serves.
      // They wait on a lock held from outside the pool, so they stay busy until looked at.
      const holder = postgres(database.url, { max: 1 });
      await holder`select pg_advisory_lock(4343)`;
      const busy = Promise.all(
        Array.from({ length: 4 }, () => handle.db.execute(sql`select pg_advisory_xact_lock(4343)`)),
      );
      try {
        let loaded = await check.check(never);
        while (loaded.metadata?.pool_in_use !== 4) loaded = await check.check(never);
        expect(loaded).toMatchObject({
          status: "healthy",
          message: expect.stringMatching(/, 4 of 5 connections in use$/),
        });
      } finally {
        await holder`select pg_advisory_unlock(4343)`;
        await holder.end();
        await busy;
      }
    } finally {
      await handle.close();
    }
  });

  it("is degraded when a round trip is slower than the limit", async () => {
    const handle = await openDatabase({
      url: database.url,
      schema: {},
      applicationName: "kassa-check",
    });
    try {
      const result = await createPostgresCheck(handle, { slowMs: 0 }).check(never);
      expect(result.status).toBe("degraded");
      expect(result.message).toMatch(/^slow round trip: /);
    } finally {
      await handle.close();
    }
  });
});

describe("redis check", () => {
  it("round-trips a key through a real Redis and reports the connection", async () => {
    const redis = await createRedisStore({
      url: testRedisUrl,
      keyPrefix: uniqueRedisPrefix("check"),
      logger,
    });
    try {
      const result = await createRedisCheck(redis).check(never);
      expect(result).toMatchObject({
        status: "healthy",
        metadata: { kind: "redis", connection: "ready" },
      });
    } finally {
      await redis.close();
    }
  });

  it("degrades (never fails) the service when Redis is unreachable", async () => {
    const redis = await createRedisStore({
      url: "redis://127.0.0.1:1",
      logger,
      connectWaitMs: 100,
    });
    try {
      const monitor = createHealthMonitor({ checks: [createRedisCheck(redis)], logger });
      const report = await monitor.report();
      expect(report.status).toBe("degraded");
      expect(report.checks[0]).toMatchObject({
        name: "redis",
        status: "degraded",
        critical: false,
      });
    } finally {
      await redis.close();
    }
  });
});

describe("dependency check", () => {
  it("follows what the dependency's own Watch stream says, and fails while it is unreachable", async () => {
    const dependency = createDependencyStatus("merchant");
    const check = createDependencyCheck(dependency);
    expect(check).toMatchObject({ name: "dependency:merchant", critical: false });
    expect(await check.check(never)).toMatchObject({
      status: "unhealthy",
      message: "merchant has not answered yet",
      metadata: { serving_status: "unknown" },
    });
    dependency.become("serving");
    expect(await check.check(never)).toMatchObject({
      status: "healthy",
      message: "merchant is serving",
    });
    dependency.become("not_serving", "it reports NOT_SERVING");
    expect(await check.check(never)).toMatchObject({
      status: "unhealthy",
      message: "merchant is not serving",
      metadata: { serving_status: "not_serving", reason: "it reports NOT_SERVING" },
    });
    dependency.become("unreachable", "connect ECONNREFUSED");
    expect(await check.check(never)).toMatchObject({
      status: "unhealthy",
      message: "merchant is unreachable",
    });
  });
});
