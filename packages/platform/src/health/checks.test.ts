import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  Health,
  HealthCheckResponse_ServingStatus,
} from "@kassa/contracts/grpc/health/v1/health_pb";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../observability/logger.js";
import { openDatabase } from "../storage/database.js";
import { createRedisStore } from "../storage/ioredis-store.js";
import {
  createTestDatabase,
  startTestServer,
  type TestDatabase,
  testRedisUrl,
  uniqueRedisPrefix,
} from "../testing/index.js";
import { createDependencyCheck } from "./dependency-check.js";
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
  it("is healthy with latency and pool use, and degraded when the pool is nearly saturated", async () => {
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

      // Four of five connections busy: the pool is 80% used.
      const busy = Promise.all(
        Array.from({ length: 4 }, () => handle.db.execute(sql`select pg_sleep(0.5)`)),
      );
      let saturated = await check.check(never);
      while (saturated.status === "healthy") saturated = await check.check(never);
      expect(saturated).toMatchObject({
        status: "degraded",
        message: "pool nearly saturated: 4 of 5 connections in use",
      });
      await busy;
    } finally {
      await handle.close();
    }
  });

  it("is degraded when a round trip is slower than the limit", async () => {
    const handle = await openDatabase({ schema: {}, applicationName: "kassa-check" });
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
  it("follows the dependency's own grpc.health.v1 answer, and fails when it is unreachable", async () => {
    let serving = true;
    const dependency = await startTestServer((router) =>
      router.service(Health, {
        check: async () => ({
          status: serving
            ? HealthCheckResponse_ServingStatus.SERVING
            : HealthCheckResponse_ServingStatus.NOT_SERVING,
        }),
      }),
    );
    try {
      const check = createDependencyCheck(
        "merchant",
        createGrpcTransport({ baseUrl: dependency.url }),
      );
      expect(check).toMatchObject({ name: "dependency:merchant", critical: false });
      expect(await check.check(never)).toMatchObject({
        status: "healthy",
        message: "merchant is serving",
      });
      serving = false;
      expect(await check.check(never)).toMatchObject({
        status: "unhealthy",
        message: "merchant is not serving",
      });
    } finally {
      await dependency.close();
    }
    const gone = createDependencyCheck(
      "merchant",
      createGrpcTransport({ baseUrl: dependency.url }),
    );
    await expect(gone.check(never)).rejects.toMatchObject({ code: expect.any(Number) });
  });
});
