import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { prettyFactory } from "pino-pretty";
import { type DemoMerchant, demoPaymentCurl, ensureDemoMerchant } from "./demo-merchant.js";
import { localTokens } from "./local-tokens.js";
import { type PlatformService, platformServices } from "./platform-services.js";

/** Options for {@link startPlatform}. */
export interface StartPlatformOptions {
  /** Repository root; embedded data goes to `<root>/.data` unless KASSA_DATA_DIR is set. */
  rootDir: string;
  /** Environment handed to every service (plus its port and dependency URLs). */
  env: NodeJS.ProcessEnv;
  /** Where the launcher and the services' logs go. */
  out: NodeJS.WritableStream;
  /** Restart a service when its build output changes (`npm run dev`). */
  watch?: boolean;
}

/**
 * Runs all six services as child processes on 8080–8085, wired to each other, with their logs
 * interleaved and prefixed by service. Resolves with the exit code once every service has
 * stopped: 0 when all stopped cleanly after SIGINT/SIGTERM, 1 when one failed.
 * The first signal drains every service gracefully; a second one kills them.
 */
export async function startPlatform(options: StartPlatformOptions): Promise<number> {
  const { env, out } = options;
  const services = servicesOnPorts(env.KASSA_PORT_BASE);
  const dataDir = env.KASSA_DATA_DIR ?? path.join(options.rootDir, ".data");
  const tokens = await localTokens(dataDir, env);
  const sharedEnv: NodeJS.ProcessEnv = {
    ...env,
    KASSA_DATA_DIR: dataDir,
    KASSA_INTERNAL_TOKEN: tokens.internal,
    KASSA_ADMIN_TOKEN: tokens.admin,
  };
  for (const service of services) {
    sharedEnv[`${service.name.toUpperCase()}_URL`] ??= `http://127.0.0.1:${service.port}`;
  }

  const width = Math.max(...services.map((s) => s.name.length));
  const children = new Map<string, ChildProcess>();
  const exits: Promise<{ service: string; code: number | null; signal: string | null }>[] = [];
  let stopping = false;
  let failed = false;

  const stopAll = (signal: NodeJS.Signals) => {
    for (const child of children.values()) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    }
  };
  const onSignal = () => {
    if (stopping) {
      out.write("kassa: second signal, killing every service\n");
      stopAll("SIGKILL");
      return;
    }
    stopping = true;
    out.write("kassa: stopping every service (Ctrl-C again to kill)\n");
    stopAll("SIGTERM");
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  for (const service of services) {
    // KASSA_NODE_ARGS passes Node flags to every service, e.g. `--cpu-prof` to profile a run.
    const nodeArgs = (env.KASSA_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
    const args = [...nodeArgs, ...(options.watch ? ["--watch"] : []), mainScript(service)];
    const child = spawn(process.execPath, args, {
      env: { ...sharedEnv, PORT: String(service.port) },
      // Own process group: Ctrl-C reaches only the launcher, which drains each service once.
      // The IPC channel lets a service notice if the launcher dies, so none is orphaned.
      detached: true,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    children.set(service.name, child);
    const prefix = `${service.name.padEnd(width)} │ `;
    const print = lineWriter(out, prefix);
    if (child.stdout) createInterface({ input: child.stdout }).on("line", print);
    if (child.stderr) createInterface({ input: child.stderr }).on("line", print);
    exits.push(
      new Promise((resolve) => {
        child.once("exit", (code, signal) => {
          if (!stopping) {
            failed = true;
            out.write(
              `kassa: ${service.name} exited unexpectedly (${signal ?? code}); stopping the rest\n`,
            );
            stopping = true;
            stopAll("SIGTERM");
          }
          resolve({ service: service.name, code, signal });
        });
      }),
    );
  }

  void waitUntilReady(services, () => stopping)
    .then(async (ready) => {
      if (!ready) return;
      const url = (name: string) =>
        `http://127.0.0.1:${services.find((s) => s.name === name)?.port}`;
      const demo = await ensureDemoMerchant({
        dataDir,
        merchantUrl: url("merchant"),
        adminToken: tokens.admin,
      });
      out.write(banner(services, env, dataDir, tokens.admin, demo));
    })
    .catch((error: unknown) =>
      out.write(`kassa: could not prepare the demo merchant: ${String(error)}\n`),
    );

  const results = await Promise.all(exits);
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  const unclean = results.filter((r) => r.code !== 0);
  for (const result of unclean) {
    out.write(`kassa: ${result.service} exited with ${result.signal ?? result.code}\n`);
  }
  return failed || unclean.length > 0 ? 1 : 0;
}

/**
 * The six services on their ports: 8080–8085, or moved together by `KASSA_PORT_BASE` (the
 * gateway's port), so two platforms can run side by side.
 */
export function servicesOnPorts(base: string | undefined): PlatformService[] {
  const gatewayPort = base === undefined || base === "" ? 8080 : Number(base);
  if (!Number.isInteger(gatewayPort) || gatewayPort < 1 || gatewayPort > 65530) {
    throw new Error("KASSA_PORT_BASE must be a TCP port (1-65530)");
  }
  return platformServices.map((service) => ({
    ...service,
    port: gatewayPort + service.port - 8080,
  }));
}

function mainScript(service: PlatformService): string {
  const entry = fileURLToPath(import.meta.resolve(service.packageName));
  return path.join(path.dirname(entry), "main.js");
}

/** Pretty-prints JSON log lines (passing anything else through), each behind a prefix. */
function lineWriter(out: NodeJS.WritableStream, prefix: string) {
  const pretty = prettyFactory({
    colorize: Boolean((out as { isTTY?: boolean }).isTTY),
    translateTime: "SYS:HH:MM:ss.l",
    ignore: "pid,hostname,service",
    singleLine: true,
  });
  return (line: string) => {
    let text = line;
    if (line.startsWith("{")) {
      try {
        text = pretty(JSON.parse(line)).trimEnd();
      } catch {
        // Not JSON after all: print it as it is.
      }
    }
    out.write(`${prefix}${text}\n`);
  };
}

async function waitUntilReady(
  services: readonly PlatformService[],
  abandoned: () => boolean,
): Promise<boolean> {
  const pending = new Set(services);
  while (pending.size > 0) {
    if (abandoned()) return false;
    for (const service of [...pending]) {
      const ready = await fetch(`http://127.0.0.1:${service.port}/health/ready`)
        .then((response) => response.ok)
        .catch(() => false);
      if (ready) pending.delete(service);
    }
    if (pending.size > 0) await delay(250);
  }
  return true;
}

function banner(
  services: readonly PlatformService[],
  env: NodeJS.ProcessEnv,
  dataDir: string,
  adminToken: string,
  demo: DemoMerchant,
) {
  const storage = env.DATABASE_URL ? "Postgres (DATABASE_URL)" : `embedded PGlite under ${dataDir}`;
  const cache = env.REDIS_URL
    ? "Redis (REDIS_URL)"
    : "in-process Redis stand-in (development only)";
  const gateway = services.find((s) => s.name === "gateway")?.port;
  const rows = services.map(
    (s) => `  ${s.name.padEnd(11)} http://127.0.0.1:${s.port}   ${s.typeName}`,
  );
  return [
    "",
    `Kassa is running: ${storage}, ${cache}.`,
    ...rows,
    "",
    `  admin token (KASSA_ADMIN_TOKEN): ${adminToken}`,
    `  kept in ${path.join(dataDir, "tokens.json")} with the internal token`,
    "",
    `  demo merchant ${demo.merchantId}, API key: ${demo.apiKey}`,
    "  take a payment (paste it; pasting again returns the same payment: idempotency):",
    "",
    demoPaymentCurl(`http://127.0.0.1:${gateway}`, demo.apiKey, `demo-${Date.now()}`),
    "",
    "  then: npx kassa status · README.md walks through refunds and settlements",
    "",
    "Ctrl-C stops everything.",
    "",
  ].join("\n");
}
