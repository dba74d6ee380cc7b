/**
 * @kassa/platform/testing — what Kassa's tests share: a fresh Postgres database per test
 * file, a Redis key prefix per test file, and the environment that starts a service on a
 * random port against them. Tests talk to real Postgres and Redis; see the README for how
 * to point them elsewhere.
 */
import { randomBytes } from "node:crypto";
import net from "node:net";
import type { DescService } from "@bufbuild/protobuf";
import { type Client, ConnectError, type ConnectRouter, createClient } from "@connectrpc/connect";
import { connectNodeAdapter, createConnectTransport } from "@connectrpc/connect-node";
import postgres from "postgres";
import type { ZodRawShape } from "zod";
import { presentBearerToken } from "../auth/service-access.js";
import type { Env } from "../config/load-config.js";
import { Secret } from "../config/secret.js";
import type { Clock } from "../observability/clock.js";
import { createOnePortServer } from "../server/one-port-server.js";
import type {
  DependencyServices,
  ServiceContext,
  ServiceDefinition,
} from "../server/service-definition.js";
import { type RunningService, startService } from "../server/service-runtime.js";
import { captureLogs, type LogCapture } from "./log-capture.js";

export { captureLogs, type LogCapture } from "./log-capture.js";
export {
  createSpanRecorder,
  formatTraceTree,
  type ReadableSpan,
  spanMilliseconds,
  spanService,
} from "./span-recorder.js";
export {
  createTestCertificates,
  type TestCertificates,
  type TestIdentity,
} from "./test-certificates.js";

/** The server tests create their databases on. */
export const testPostgresAdminUrl =
  process.env.KASSA_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** The Redis tests use; every test file gets its own key prefix. */
export const testRedisUrl = process.env.KASSA_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** A database created for one test file. */
export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** Drops the database, closing any connection still open to it. */
  drop(): Promise<void>;
}

/** Creates an empty database with a unique name, so test files never see each other's rows. */
export async function createTestDatabase(label = "test"): Promise<TestDatabase> {
  const name = `kassa_${label.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}_${randomBytes(4).toString("hex")}`;
  const admin = postgres(testPostgresAdminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(testPostgresAdminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const dropper = postgres(testPostgresAdminUrl, { max: 1, onnotice: () => {} });
      try {
        await dropper.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

/** The tokens test services are started with (the real ones are generated or injected). */
export const testTokens = {
  internal: "test-internal-token-0123456789abcdef0123456789",
  admin: "test-admin-token-0123456789abcdef0123456789abcd",
} as const;

/**
 * A Connect client (HTTP/1.1, as curl would speak it) for a service under test, presenting
 * `token` as `authorization: Bearer …` when given.
 */
export function testClient<S extends DescService>(
  service: S,
  url: string,
  token?: string,
): Client<S> {
  return createClient(
    service,
    createConnectTransport({
      baseUrl: url,
      httpVersion: "1.1",
      interceptors: token ? [presentBearerToken(new Secret(token))] : [],
    }),
  );
}

/** A Redis key prefix unique to one test file. */
export function uniqueRedisPrefix(label = "test"): string {
  return `kassa-test:${label}:${randomBytes(4).toString("hex")}:`;
}

/**
 * Environment for starting a service in a test: a random port on loopback, the given
 * database and Redis prefix, quiet logs, and fast health polling. Without `databaseUrl`,
 * DATABASE_URL names a port nothing listens on: enough for a test that only reads the
 * configuration, or one that fails before storage is opened.
 */
export function testServiceEnv(options: {
  databaseUrl?: string;
  redisPrefix?: string;
  extra?: Env;
}): Env {
  return {
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    KASSA_INTERNAL_TOKEN: testTokens.internal,
    KASSA_ADMIN_TOKEN: testTokens.admin,
    DATABASE_URL: options.databaseUrl ?? "postgres://127.0.0.1:1/no-database",
    ...(options.redisPrefix && { REDIS_URL: testRedisUrl, REDIS_KEY_PREFIX: options.redisPrefix }),
    // The whole suite runs at once on two cores; a busy machine must not read as a Redis outage.
    REDIS_COMMAND_TIMEOUT_MS: "10000",
    HEALTH_CACHE_MS: "0",
    ...options.extra,
  };
}

/** A bare Connect server on a random loopback port, for standing in as a dependency. */
export interface TestServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `routes` on 127.0.0.1 (gRPC, Connect and gRPC-Web, one port) until `close()`;
 * tests use it as a dependency whose behaviour they control.
 */
export async function startTestServer(
  routes: (router: ConnectRouter) => void,
): Promise<TestServer> {
  const server = createOnePortServer(connectNodeAdapter({ routes }));
  const port = await server.listen(0, "127.0.0.1");
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.stopAccepting();
      server.destroy();
    },
  };
}

/** Awaits a call that must fail and returns its error as a ConnectError. */
export async function rejectionOf(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** A real service started for a test file, on its own database and Redis prefix. */
export interface TestService<Context> {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The service's dependencies (db, redis, clock…), to inspect what was written. */
  readonly context: Context;
  /** Everything the service logged, for asserting what never appears in logs. */
  readonly logs: LogCapture;
  /** A Connect client for the service presenting `token` (none when undefined). */
  client<S extends DescService>(service: S, token?: string): Client<S>;
  /** Stops the service and drops its database. */
  stop(): Promise<void>;
}

/**
 * Starts `definition` on a fresh Postgres database and Redis prefix (`redis: false` leaves it
 * on the in-process stand-in), as a test file's service under test. `env` adds or overrides
 * variables (dependency URLs, tunables); `clock` replaces the system clock.
 */
export async function startTestService<
  Schema extends Record<string, unknown>,
  Deps extends DependencyServices,
  EnvShape extends ZodRawShape,
>(
  definition: ServiceDefinition<Schema, Deps, EnvShape>,
  options: { label: string; env?: Env; redis?: boolean; clock?: Clock },
): Promise<TestService<ServiceContext<Schema, Deps, EnvShape>>> {
  const database = await createTestDatabase(options.label);
  const logs = captureLogs();
  let running: RunningService<Schema, Deps, EnvShape>;
  try {
    running = await startService(definition, {
      env: testServiceEnv({
        databaseUrl: database.url,
        ...(options.redis !== false && { redisPrefix: uniqueRedisPrefix(options.label) }),
        extra: { LOG_LEVEL: "info", ...options.env },
      }),
      logDestination: logs.stream,
      ...(options.clock && { clock: options.clock }),
    });
  } catch (error) {
    await database.drop();
    throw error;
  }
  return {
    url: running.url,
    context: running.context,
    logs,
    client: (service, token) => testClient(service, running.url, token),
    async stop() {
      await running.stop();
      await database.drop();
    },
  };
}

/**
 * Retries `assertion` until it stops throwing, and throws its last error after `timeoutMs`:
 * for waiting on something the system does by itself (an outbox delivery, a reconciliation),
 * checking the real state rather than sleeping. The default ceiling (60 s) is for a loaded
 * two-core machine running the whole suite, where what takes a second idle can take twenty;
 * a passing test never waits for it.
 */
export async function eventually<T>(
  assertion: () => Promise<T> | T,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/**
 * The first of `count` consecutive TCP ports nothing listens on right now (each bound on all
 * interfaces, as services bind, then released), for a process that derives its ports from one
 * base, like `kassa start` from KASSA_PORT_BASE. Picked below Linux's ephemeral range
 * (32768+), where random ports (port 0) and outgoing connections never land.
 */
export async function freePortRange(count: number): Promise<number> {
  const lowest = 20_000;
  const highest = 32_000 - count;
  for (let attempt = 1; ; attempt++) {
    const base = lowest + Math.floor(Math.random() * (highest - lowest));
    const servers: net.Server[] = [];
    const bound = await Promise.all(
      Array.from({ length: count }, (_, offset) => {
        const server = net.createServer();
        servers.push(server);
        return new Promise<boolean>((resolve) => {
          server.once("error", () => resolve(false));
          server.listen(base + offset, "0.0.0.0", () => resolve(true));
        });
      }),
    );
    await Promise.all(
      servers.map(
        (server) =>
          new Promise((resolve) => (server.listening ? server.close(resolve) : resolve(0))),
      ),
    );
    if (bound.every(Boolean)) return base;
    if (attempt === 100) throw new Error(`no ${count} consecutive free ports found`);
  }
}

/**
 * A TCP port nothing listens on right now (bound, then released), for a service a test starts
 * later. Taken below the ephemeral range like {@link freePortRange}: a port 0 would hand out,
 * from the range every outgoing connection (to Postgres, Redis, another service) also draws
 * from, was seen taken by one of those before the service got to listen (EADDRINUSE).
 */
export function freePort(): Promise<number> {
  return freePortRange(1);
}
