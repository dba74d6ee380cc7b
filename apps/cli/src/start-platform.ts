import type { ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createMemoryRedisStore, serveRedisStandIn } from "@kassa/platform/redis-stand-in";
import { ensureDemoMerchant } from "./demo-merchant.js";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "./embedded-postgres.js";
import { createLauncherOutput, serviceLinePrinter } from "./launcher-output.js";
import { embeddedPostgresDir, localDataDir } from "./local-data-dir.js";
import { localTokens } from "./local-tokens.js";
import { platformBanner } from "./platform-banner.js";
import { type PlatformService, platformServices } from "./platform-services.js";
import { createServiceSupervisor, type SupervisorEvent } from "./service-supervisor.js";
import {
  createSupervisorStateWriter,
  supervisorState,
  supervisorStateFile,
} from "./supervisor-state.js";

/** Options for {@link startPlatform}. */
export interface StartPlatformOptions {
  /** Repository root; embedded data goes to `<root>/.data` unless KASSA_DATA_DIR is set. */
  rootDir: string;
  /** Environment handed to every service (plus its port and dependency URLs). */
  env: NodeJS.ProcessEnv;
  /** Where the launcher and the services' logs go; it may close at any time (EPIPE). */
  out: NodeJS.WritableStream;
  /** Restart a service when its build output changes (`npm run dev`). */
  watch?: boolean;
}

/**
 * Runs all six services as child processes on 8080–8085, wired to each other, with their logs
 * interleaved and prefixed by service, under a supervisor: all six start at once (each is
 * ready once the services it calls are), one that dies is restarted with a backoff, and the
 * state (pids, restart counts) is kept in `<data dir>/supervisor.json` for `kassa status`.
 * Prints the banner with the demo merchant once all six are ready.
 *
 * Without DATABASE_URL it serves one embedded Postgres (PGlite under `<data dir>/postgres`)
 * from this process on a loopback port, and hands every service its URL: each uses its own
 * schema in it through the same driver as in production.
 *
 * Resolves with the exit code once every service has stopped: 0 when all drained cleanly after
 * SIGINT/SIGTERM (a second signal kills them), 1 when a port was taken, the embedded Postgres
 * failed, a service kept dying before it was ready (the launcher gives up and stops the rest),
 * or one did not stop cleanly.
 */
export async function startPlatform(options: StartPlatformOptions): Promise<number> {
  const { env } = options;
  const output = createLauncherOutput(options.out);
  const services = servicesOnPorts(env.KASSA_PORT_BASE);
  const taken = await portsTaken(services, env.HOST || "0.0.0.0");
  if (taken.length > 0) {
    output.write(
      `kassa: cannot listen on ${taken.join(", ")}; is another \`kassa start\` running? (KASSA_PORT_BASE moves all six ports)\n`,
    );
    return 1;
  }
  const dataDir = localDataDir(env, options.rootDir);
  const tokens = await localTokens(dataDir, env);
  // The local platform speaks cleartext on loopback (its supervisor and banner do): TLS_*
  // exported for other work must not turn six services into ones nobody here can reach.
  const tlsVariables = Object.keys(env).filter((name) => name.startsWith("TLS_") && env[name]);
  if (tlsVariables.length > 0) {
    output.write(
      `kassa: kassa start runs cleartext on 127.0.0.1; ignoring ${tlsVariables.join(", ")} (see README: TLS)\n`,
    );
  }
  // Started first: PGlite starts in the background while the services do, and their
  // connections wait for it.
  let embedded: EmbeddedPostgres | undefined;
  if (!env.DATABASE_URL) {
    try {
      embedded = await startEmbeddedPostgres({ dataDir: embeddedPostgresDir(dataDir) });
    } catch (error) {
      output.write(`kassa: could not start the embedded Postgres: ${String(error)}\n`);
      return 1;
    }
  }
  // Without REDIS_URL, one stand-in for all six, over their IPC channels: an API key's cached
  // authentication the merchant service evicts on revocation is gone for the gateway too, and
  // the channel's settlement hints reach it.
  const redisStandIn = env.REDIS_URL ? undefined : createMemoryRedisStore();
  const sharedEnv: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(env).filter(([name]) => !tlsVariables.includes(name))),
    ...(embedded && {
      DATABASE_URL: embedded.url,
      KASSA_EMBEDDED: "true",
      // Node keeps the services' compiled code here: a start after the first compiles less.
      NODE_COMPILE_CACHE: env.NODE_COMPILE_CACHE ?? path.join(dataDir, "compile-cache"),
    }),
    KASSA_INTERNAL_TOKEN: tokens.internal,
    KASSA_ADMIN_TOKEN: tokens.admin,
    // On a real database the gateway needs a key to seal webhook secrets with; the embedded
    // setup keeps the gateway's development key, which endpoints registered there were sealed
    // with.
    ...(!embedded && { WEBHOOK_SECRET_KEY: tokens.webhookKey }),
    ...(redisStandIn && { KASSA_SHARED_REDIS_STAND_IN: "true" }),
  };
  const urls = new Map(services.map((s) => [s.name, `http://127.0.0.1:${s.port}`]));
  for (const [name, url] of urls) sharedEnv[`${name.toUpperCase()}_URL`] ??= url;

  // KASSA_NODE_ARGS passes Node flags to every service, e.g. `--cpu-prof` to profile a run.
  const nodeArgs = [
    ...(embedded ? embeddedServiceNodeArgs : []),
    ...(env.KASSA_NODE_ARGS ?? "").split(/\s+/).filter(Boolean),
    ...(options.watch ? ["--watch"] : []),
  ];
  const width = Math.max(...services.map((s) => s.name.length));
  const colorize = Boolean((options.out as { isTTY?: boolean }).isTTY);
  const printers = new Map(
    services.map((s) => [
      s.name,
      serviceLinePrinter(output, `${s.name.padEnd(width)} │ `, { colorize }),
    ]),
  );
  const state = createSupervisorStateWriter(supervisorStateFile(dataDir), (error) =>
    output.write(`kassa: could not update ${supervisorStateFile(dataDir)}: ${String(error)}\n`),
  );
  const supervisor = createServiceSupervisor({
    startTogether: true,
    services: services.map((service) => ({
      name: service.name,
      dependencies: service.dependencies,
      command: process.execPath,
      args: [...nodeArgs, mainScript(service)],
      env: { ...sharedEnv, PORT: String(service.port) },
      readyUrl: `${urls.get(service.name)}/health/ready`,
    })),
    onOutput: (service, line) => printers.get(service)?.(line),
    ...(redisStandIn && {
      onProcess: (_service: string, child: ChildProcess) => serveRedisStandIn(redisStandIn, child),
    }),
    onEvent: (event) => {
      const line = describeSupervisorEvent(event);
      if (line) output.write(`kassa: ${line}\n`);
      state.write(supervisorState(supervisor.states(), urls));
    },
  });

  let signalled = false;
  const onSignal = () => {
    output.write(
      signalled
        ? "kassa: second signal, killing every service\n"
        : "kassa: stopping every service (Ctrl-C again to kill)\n",
    );
    signalled = true;
    supervisor.stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  supervisor.start();
  state.write(supervisorState(supervisor.states(), urls));
  embedded?.ready.catch((error: unknown) => {
    output.write(`kassa: the embedded Postgres failed to start: ${String(error)}\n`);
    supervisor.stop();
  });
  void supervisor.allReady
    .then(async (ready) => {
      if (!ready) return;
      const demo = await ensureDemoMerchant({
        dataDir,
        merchantUrl: urls.get("merchant") ?? "",
        adminToken: tokens.admin,
      });
      output.write(platformBanner({ services, env, dataDir, adminToken: tokens.admin, demo }));
    })
    .catch((error: unknown) =>
      output.write(`kassa: could not prepare the demo merchant: ${String(error)}\n`),
    );

  let code = await supervisor.finished;
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  await state.remove();
  if (embedded) {
    code = await embedded.close().then(
      () => code,
      (error: unknown) => {
        output.write(`kassa: the embedded Postgres did not close cleanly: ${String(error)}\n`);
        return 1;
      },
    );
    // A PGlite that never started still counts as a failed start.
    code = await embedded.ready.then(
      () => code,
      () => 1,
    );
  }
  return code;
}

/**
 * Node flags for the services of an embedded platform, which share a developer's machine with
 * everything else on it. V8 lets each young generation grow to 16 MB semi-spaces, touched
 * memory it then keeps: 2 MB ones keep every service about 45 MB smaller, for more frequent
 * (cheap) scavenges. And drizzle-orm's files resolve without Node 22 re-parsing its exports
 * map for each (see drizzle-resolve-hook.ts).
 */
const embeddedServiceNodeArgs = [
  "--max-semi-space-size=2",
  "--import",
  fileURLToPath(new URL("./drizzle-resolve-hook.js", import.meta.url)),
];

/** The launcher's line for a supervisor event (without `kassa: `), or none. */
function describeSupervisorEvent(event: SupervisorEvent): string | undefined {
  const { service } = event;
  switch (event.type) {
    case "started":
      return event.restart === 0
        ? `starting ${service} (pid ${event.pid})`
        : `restarting ${service} (restart ${event.restart}, pid ${event.pid})`;
    case "ready":
      return event.restart === 0
        ? `${service} ready`
        : `${service} ready again after restart ${event.restart}`;
    case "crashed": {
      const seconds = `${event.restartInMs / 1000} s`;
      return event.failedStarts > 0
        ? `${service} ${exitText(event.exit)} before it was ready; restarting in ${seconds} (${event.failedStarts} of ${event.maxFailedStarts} failed starts before giving up)`
        : `${service} ${exitText(event.exit)} unexpectedly; restarting in ${seconds}`;
    }
    case "gave-up":
      return `${service} ${exitText(event.exit)} before it was ready, ${event.failedStarts} starts in a row; giving up and stopping the platform (its output above says why)`;
    case "stopped":
      return event.clean ? undefined : `${service} did not stop cleanly: ${exitText(event.exit)}`;
  }
}

function exitText(exit: { code: number | null; signal: string | null }): string {
  return exit.signal ? `was killed (${exit.signal})` : `exited with code ${exit.code}`;
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

/**
 * The services' ports something else holds, as `port 8081 (merchant)`. Checked before anything
 * starts: a service would otherwise fail on its port, and its readiness probe would be answered
 * by whatever holds it.
 */
async function portsTaken(services: readonly PlatformService[], host: string): Promise<string[]> {
  const taken = await Promise.all(
    services.map(
      (service) =>
        new Promise<string | undefined>((resolve) => {
          const probe = net.createServer();
          probe.once("error", (error: NodeJS.ErrnoException) =>
            resolve(`port ${service.port} (${service.name}: ${error.code ?? error.message})`),
          );
          probe.listen(service.port, host, () => probe.close(() => resolve(undefined)));
        }),
    ),
  );
  return taken.filter((entry) => entry !== undefined);
}
