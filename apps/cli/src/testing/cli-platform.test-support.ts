import { spawn } from "node:child_process";
import { once } from "node:events";
import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Env, startService } from "@kassa/platform";
import {
  createTestDatabase,
  freePort,
  type LogCapture,
  testServiceEnv,
  testTokens,
  uniqueRedisPrefix,
} from "@kassa/platform/testing";
import { serviceDefinitions } from "../service-definitions.js";

// The operator CLI's tests: real services in this process on random ports (one Postgres
// database, each service in its own schema as in production; one Redis prefix), and the real
// `kassa` binary run as a child process against them.

/** The built CLI; `npm test` builds it first (turbo), `npx tsc -p tsconfig.build.json` too. */
const kassaBinary = fileURLToPath(new URL("../../dist/main.js", import.meta.url));

/** Gateway settings that make tests quick: an eager outbox relay, no rate limit. */
const quickGateway: Env = {
  OUTBOX_POLL_INTERVAL_MS: "50",
  OUTBOX_BACKOFF_INITIAL_MS: "50",
  OUTBOX_BACKOFF_MAX_MS: "200",
  GATEWAY_RATE_LIMIT_PER_MINUTE: "100000",
  WEBHOOK_SECRET_KEY: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
  WEBHOOK_POLL_INTERVAL_MS: "50",
  // The merchants' receivers in these tests listen on loopback.
  WEBHOOK_ALLOW_PRIVATE_URLS: "true",
};

/** One service of the platform under test. */
export interface CliTestService {
  readonly name: string;
  readonly url: string;
  /** Stops it for good (its port then refuses connections). */
  stop(): Promise<void>;
}

/** Some or all of the six services, running, and the env that points `kassa` at them. */
export interface CliPlatform {
  readonly services: Readonly<Record<string, CliTestService>>;
  /** `KASSA_<NAME>_URL` for all six (a closed port for any not started) and the admin token. */
  readonly cliEnv: Readonly<Record<string, string>>;
  /** The one database every service uses, each in its own schema. */
  readonly databaseUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts the named services (default all six; dependencies must be among them), dependencies
 * first, on one fresh database, each with `options.env` added (e.g. the TLS variables). With
 * `options.logs`, every service logs (level info) into it.
 */
export async function startCliPlatform(
  label: string,
  names: readonly string[] = serviceDefinitions.map((definition) => definition.name),
  options: { env?: Env; logs?: LogCapture } = {},
): Promise<CliPlatform> {
  const database = await createTestDatabase(`cli_${label}`);
  const redisPrefix = uniqueRedisPrefix(`cli-${label}`);
  const definitions = serviceDefinitions
    .filter((definition) => names.includes(definition.name))
    .sort((a, b) => Object.keys(a.dependencies).length - Object.keys(b.dependencies).length);
  const urls: Record<string, string> = {};
  const services: Record<string, CliTestService> = {};
  try {
    for (const definition of definitions) {
      const running = await startService(definition, {
        env: testServiceEnv({
          databaseUrl: database.url,
          redisPrefix,
          extra: {
            ...urls,
            HEALTH_POLL_INTERVAL_MS: "100",
            ...(definition.name === "gateway" ? quickGateway : {}),
            ...(options.logs && { LOG_LEVEL: "info" }),
            ...options.env,
          },
        }),
        ...(options.logs && { logDestination: options.logs.stream }),
      });
      let stopped: Promise<void> | undefined;
      services[definition.name] = {
        name: definition.name,
        url: running.url,
        stop: () => {
          stopped ??= running.stop();
          return stopped;
        },
      };
      urls[`${definition.name.toUpperCase()}_URL`] = running.url;
    }
  } catch (error) {
    await Promise.all(Object.values(services).map((service) => service.stop()));
    await database.drop();
    throw error;
  }

  const cliEnv: Record<string, string> = { KASSA_ADMIN_TOKEN: testTokens.admin };
  for (const definition of serviceDefinitions) {
    cliEnv[`KASSA_${definition.name.toUpperCase()}_URL`] =
      services[definition.name]?.url ?? (await closedPortUrl());
  }
  return {
    services,
    cliEnv,
    databaseUrl: database.url,
    async stop() {
      // The gateway first, so its workers stop before their dependencies do.
      for (const definition of [...definitions].reverse()) {
        await services[definition.name]?.stop();
      }
      await database.drop();
    },
  };
}

/** What one run of the binary did. */
export interface KassaRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `node dist/main.js <args>` with only `env` (plus PATH) and an empty KASSA_DATA_DIR,
 * so neither the developer's shell nor a local `.data/tokens.json` leaks in.
 */
export async function runKassa(
  args: readonly string[],
  env: Record<string, string>,
): Promise<KassaRun> {
  await access(kassaBinary).catch(() => {
    throw new Error(
      `${kassaBinary} is missing: build the CLI first (npx tsc -p tsconfig.build.json)`,
    );
  });
  const dataDir = await mkdtemp(path.join(tmpdir(), "kassa-cli-"));
  try {
    const child = spawn(process.execPath, [kassaBinary, ...args], {
      env: { PATH: process.env.PATH ?? "", KASSA_DATA_DIR: dataDir, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // "close", not "exit": it comes after every byte the child wrote has been read.
    const [code] = (await once(child, "close")) as [number | null];
    return { code, stdout, stderr };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** A loopback URL on which nothing listens (a port bound, then released). */
export async function closedPortUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

export { eventually } from "@kassa/platform/testing";
