import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Client } from "@connectrpc/connect";
import { accountingService } from "@kassa/accounting";
import { channelService } from "@kassa/channel";
import { GatewayService } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { MerchantService } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { merchantService } from "@kassa/merchant";
import { orderService } from "@kassa/order";
import {
  type AnyServiceDefinition,
  type Env,
  type StartServiceOptions,
  startService,
} from "@kassa/platform";
import {
  captureLogs,
  createTestDatabase,
  eventually,
  freePort,
  type LogCapture,
  type TestDatabase,
  testClient,
  testServiceEnv,
  testTokens,
  uniqueRedisPrefix,
} from "@kassa/platform/testing";
import { riskService } from "@kassa/risk";
import { afterAll, beforeAll } from "vitest";
import { createGatewayService, gatewayService } from "../server.js";
import type { HostResolver } from "../webhooks/webhook-address-policy.js";

// The whole platform on real ports, each service on its own database, for the gateway's tests:
// the sagas are end to end by nature. Every service can be stopped and started again on the
// same port and database, to take a dependency down mid-test.

/** The services besides the gateway, in the order they start. */
export const dependencyNames = ["merchant", "order", "channel", "risk", "accounting"] as const;
/** A service of the platform under test. */
export type ServiceName = (typeof dependencyNames)[number] | "gateway";

const definitions: Record<ServiceName, AnyServiceDefinition> = {
  merchant: merchantService,
  order: orderService,
  channel: channelService,
  risk: riskService,
  accounting: accountingService,
  gateway: gatewayService,
};

/** Gateway settings that make tests quick: short deadlines, eager workers. */
const quickGateway: Env = {
  // Long enough that a loaded CI machine still gets its answers; tok_timeout tests wait it out.
  CHANNEL_TIMEOUT_MS: "5000",
  // The other dependencies' 2 s default is a budget a loaded two-core machine can miss (under a
  // CPU hog a tok_visa payment came back FAILED). No test here waits for these deadlines to pass.
  MERCHANT_TIMEOUT_MS: "10000",
  ORDER_TIMEOUT_MS: "10000",
  RISK_TIMEOUT_MS: "10000",
  ACCOUNTING_TIMEOUT_MS: "10000",
  OUTBOX_POLL_INTERVAL_MS: "50",
  OUTBOX_BACKOFF_INITIAL_MS: "50",
  OUTBOX_BACKOFF_MAX_MS: "200",
  RECONCILE_INTERVAL_MS: "100",
  RECONCILE_AFTER_MS: "500",
  GATEWAY_RATE_LIMIT_PER_MINUTE: "100000",
  WEBHOOK_SECRET_KEY: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
  WEBHOOK_POLL_INTERVAL_MS: "50",
};

/** How a test platform differs beyond its environment. */
export interface GatewayPlatformOptions extends Pick<StartServiceOptions, "spanExporter"> {
  /** The gateway's clock (the other services keep the system clock). */
  clock?: StartServiceOptions["clock"];
  /** How the gateway resolves webhook hosts. */
  resolver?: HostResolver;
}

/** One running (or stopped) service of the platform under test. */
export interface PlatformService {
  readonly name: ServiceName;
  readonly url: string;
  readonly logs: LogCapture;
  /** The environment it runs with, to start it elsewhere (e.g. as a child process). */
  readonly env: Env;
  /** The running service's context (db, clock…); throws while stopped. */
  readonly context: { db: unknown; redis: unknown };
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A merchant with an API key and a gateway client presenting it. */
export interface TestMerchant {
  readonly merchantId: string;
  readonly apiKeyId: string;
  readonly apiKey: string;
  readonly gateway: Client<typeof GatewayService>;
}

/** The platform under test. */
export interface GatewayPlatform {
  readonly services: Record<ServiceName, PlatformService>;
  /** Creates a merchant (through MerchantService, as an operator would) with an API key. */
  newMerchant(name?: string): Promise<TestMerchant>;
  /** A client of an internal service with the admin token, to look behind the gateway. */
  admin<S extends Parameters<typeof testClient>[0]>(service: S, name: ServiceName): Client<S>;
  stop(): Promise<void>;
}

/**
 * Starts merchant, order, channel, risk, accounting and the gateway wired together.
 * `env` adds variables per service (e.g. `{ gateway: { RECONCILE_AFTER_MS: "0" } }`).
 * `started` names the services to start now (default all); the others are wired in (their
 * ports and databases are reserved) and wait for the test to call their `start()`.
 */
export async function startGatewayPlatform(
  label: string,
  env: Partial<Record<ServiceName, Env>> = {},
  started: readonly ServiceName[] = [...dependencyNames, "gateway"],
  options: GatewayPlatformOptions = {},
): Promise<GatewayPlatform> {
  const { clock, resolver, ...startOptions } = options;
  const gateway = resolver ? createGatewayService({ resolver }) : gatewayService;
  const ports = Object.fromEntries(
    await Promise.all(
      [...dependencyNames, "gateway"].map(async (name) => [name, await freePort()]),
    ),
  ) as Record<ServiceName, number>;
  const urls = Object.fromEntries(
    Object.entries(ports).map(([name, port]) => [
      `${name.toUpperCase()}_URL`,
      `http://127.0.0.1:${port}`,
    ]),
  );
  const databases: TestDatabase[] = [];
  const services = {} as Record<ServiceName, PlatformService>;
  const redisPrefix = uniqueRedisPrefix(label);

  for (const name of [...dependencyNames, "gateway"] as ServiceName[]) {
    const database = await createTestDatabase(`${label}_${name}`);
    databases.push(database);
    const logs = captureLogs();
    const serviceEnv = testServiceEnv({
      databaseUrl: database.url,
      // One Redis namespace for the platform, as in production: merchant evicts the gateway's cache.
      redisPrefix,
      extra: {
        ...urls,
        LOG_LEVEL: "info",
        HEALTH_POLL_INTERVAL_MS: "200",
        ...(name === "gateway" ? quickGateway : {}),
        ...env[name],
        PORT: String(ports[name]),
      },
    });
    let running: Awaited<ReturnType<typeof startService>> | undefined;
    const service: PlatformService = {
      name,
      url: `http://127.0.0.1:${ports[name]}`,
      logs,
      env: serviceEnv,
      get context() {
        if (!running) throw new Error(`${name} is stopped`);
        return running.context;
      },
      async start() {
        running ??= await startService(name === "gateway" ? gateway : definitions[name], {
          ...startOptions,
          ...(name === "gateway" && clock && { clock }),
          env: serviceEnv,
          logDestination: logs.stream,
        });
      },
      async stop() {
        await running?.stop();
        running = undefined;
      },
    };
    if (started.includes(name)) await service.start();
    services[name] = service;
  }

  return {
    services,
    async newMerchant(name = "Test Merchant") {
      const merchants = testClient(MerchantService, services.merchant.url, testTokens.admin);
      const { merchant } = await merchants.createMerchant({ name });
      const merchantId = merchant?.id ?? "";
      const { apiKey, secret } = await merchants.createApiKey({ merchantId, name: "tests" });
      return {
        merchantId,
        apiKeyId: apiKey?.id ?? "",
        apiKey: secret,
        gateway: testClient(GatewayService, services.gateway.url, secret),
      };
    },
    admin(service, name) {
      return testClient(service, services[name].url, testTokens.admin);
    },
    async stop() {
      // The gateway first, so its workers stop before their dependencies do.
      for (const name of ["gateway", ...dependencyNames] as ServiceName[])
        await services[name].stop();
      await Promise.all(databases.map((database) => database.drop()));
    },
  };
}

/**
 * Runs the built gateway (`dist/main.js`) as a child process on the platform's gateway port
 * and database (stop the in-process one first), with `extra` variables, and resolves once it
 * is ready: for tests that SIGKILL it at the worst moment. The caller kills it.
 */
export async function spawnGatewayProcess(
  platform: GatewayPlatform,
  extra: Env = {},
): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [fileURLToPath(new URL("../../dist/main.js", import.meta.url))],
    {
      env: {
        PATH: process.env.PATH ?? "",
        ...platform.services.gateway.env,
        LOG_LEVEL: "warn",
        ...extra,
      },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`gateway process exited with ${child.exitCode}`);
    if ((await fetch(`${platform.services.gateway.url}/health/ready`)).status !== 200) {
      throw new Error("gateway process not ready");
    }
  }).catch((error: unknown) => {
    child.kill("SIGKILL");
    throw error;
  });
  return child;
}

export { eventually } from "@kassa/platform/testing";

/**
 * The platform and one merchant for a whole test file: started before its first test, stopped
 * after its last. Read them inside tests (they do not exist before `beforeAll`).
 */
export function usePlatformWithMerchant(
  label: string,
  env: Partial<Record<ServiceName, Env>> = {},
): { readonly platform: GatewayPlatform; readonly merchant: TestMerchant } {
  let platform: GatewayPlatform | undefined;
  let merchant: TestMerchant | undefined;
  beforeAll(async () => {
    platform = await startGatewayPlatform(label, env);
    merchant = await platform.newMerchant();
  });
  afterAll(() => platform?.stop());
  return {
    get platform() {
      if (!platform) throw new Error("the platform starts in beforeAll");
      return platform;
    },
    get merchant() {
      if (!merchant) throw new Error("the merchant is made in beforeAll");
      return merchant;
    },
  };
}
