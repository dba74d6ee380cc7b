// `npm start` on an already built clone: `kassa start` with no DATABASE_URL or REDIS_URL, so
// the launcher serves one embedded PGlite (under the data directory) to all six services over
// the wire protocol and keeps one in-memory Redis stand-in for them. Prints how long until all
// six services are ready (and the banner is out), first on an empty data directory (PGlite
// created, migrations applied, demo merchant made) and then again on the one it left; and the
// resident memory of every process once idle.
//   npm run bench -- embedded-start
// BENCH_IDLE_SECONDS (default 5) idle before memory is read.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { freePortRange } from "@kassa/platform/testing";
import { processRssBytes, processTree } from "./process-tree.mjs";
import { ms } from "./stats.mjs";

const idleSeconds = Number(process.env.BENCH_IDLE_SECONDS ?? 5);
const portBase = Number(process.env.BENCH_PORT_BASE ?? (await freePortRange(6)));
const main = fileURLToPath(new URL("../apps/cli/dist/main.js", import.meta.url));
const dataDir = mkdtempSync(path.join(tmpdir(), "kassa-embedded-"));

/**
 * Runs `kassa start` on `dataDir` until its banner is out; resolves with the times to all six
 * ready and to the banner, and the running platform (its pid, and the services' pids by name).
 */
async function start() {
  const env = { ...process.env, KASSA_DATA_DIR: dataDir, KASSA_PORT_BASE: String(portBase) };
  for (const name of ["DATABASE_URL", "REDIS_URL", "REDIS_KEY_PREFIX"]) delete env[name];
  const started = performance.now();
  const platform = spawn(process.execPath, [main, "start"], {
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const servicePids = new Map();
  let ready = 0;
  let allReadyMs = Number.NaN;
  let output = "";
  const bannerMs = await new Promise((resolve, reject) => {
    platform.stdout.on("data", (chunk) => {
      output += chunk;
      const lines = output.split("\n");
      output = lines.pop();
      for (const line of lines) {
        const starting = line.match(/^kassa: starting (\w+) \(pid (\d+)\)/);
        if (starting) servicePids.set(starting[1], Number(starting[2]));
        if (/^kassa: \w+ ready$/.test(line) && ++ready === 6) {
          allReadyMs = performance.now() - started;
        }
        if (line.includes("Kassa is running")) resolve(performance.now() - started);
      }
    });
    platform.once("exit", (code) => reject(new Error(`kassa start exited with ${code}`)));
  });
  return { platform, servicePids, allReadyMs, bannerMs };
}

async function stop(platform) {
  platform.kill("SIGTERM");
  await once(platform, "exit");
}

const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
console.log(
  "embedded start (kassa start without DATABASE_URL or REDIS_URL: the launcher's PGlite and Redis stand-in), already built",
);
try {
  const first = await start();
  console.log(
    `  empty data directory:    six services ready after ${ms(first.allReadyMs)}, banner after ${ms(first.bannerMs)}`,
  );
  await stop(first.platform);

  const again = await start();
  console.log(
    `  existing data directory: six services ready after ${ms(again.allReadyMs)}, banner after ${ms(again.bannerMs)}`,
  );
  await delay(idleSeconds * 1000);
  const everyPid = processTree(again.platform.pid);
  const perService = [...again.servicePids]
    .map(([name, pid]) => `${name} ${mib(processRssBytes([pid]))}`)
    .join(", ");
  console.log(
    `  resident memory after ${idleSeconds} s idle, ${everyPid.length} processes: ${mib(processRssBytes(everyPid))} (supervisor ${mib(processRssBytes([again.platform.pid]))}; ${perService})`,
  );
  await stop(again.platform);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(0);
