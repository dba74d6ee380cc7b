import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { freePortRange } from "@kassa/platform/testing";
import { describe, expect, it } from "vitest";

// The benchmarks are run by hand (`npm run bench`) and print numbers; nothing asserts a time.
// This only keeps them from rotting: each must still run to the end on a few calls. The
// launcher, statistics, kassa-platform, connect-noop, platform-meter and process-tree modules
// are what they share, not benchmarks.
const benchDir = fileURLToPath(new URL("../../../bench/", import.meta.url));
const benchmarks = readdirSync(benchDir)
  .filter(
    (file) =>
      file.endsWith(".mjs") &&
      ![
        "run-all.mjs",
        "stats.mjs",
        "kassa-platform.mjs",
        "connect-noop.mjs",
        "platform-meter.mjs",
        "process-tree.mjs",
      ].includes(file),
  )
  .map((file) => file.replace(/\.mjs$/, ""));

describe("benchmarks", () => {
  it("are all listed in run-all.mjs", () => {
    const runAll = readFileSync(`${benchDir}run-all.mjs`, "utf8");
    for (const name of benchmarks) expect(runAll, name).toContain(`"${name}"`);
  });

  // gateway-create-payment starts the whole platform (`kassa start`): minutes on a loaded machine.
  it.each(benchmarks)(
    "%s runs to completion on a few calls",
    async (name) => {
      const { stdout } = await promisify(execFile)(process.execPath, [`${benchDir}${name}.mjs`], {
        env: {
          ...process.env,
          BENCH_CALLS: "64",
          BENCH_WARM_UP: "8",
          BENCH_REQUESTS: "2",
          BENCH_SECONDS: "1",
          BENCH_LEVELS: "1,4",
          BENCH_ROUNDS: "1",
          // tracing-overhead runs three platforms: two connections per service (the fewest a
          // service takes) keep the 36 of them clear of Postgres' limit beside the other suites.
          BENCH_POOL_SIZE: "2",
          // Six free ports for a benchmark that runs `kassa start`, not the fixed 18080-18085.
          BENCH_PORT_BASE: String(await freePortRange(6)),
        },
      });
      expect(stdout).toMatch(/\d+\.\d+ ms/);
    },
    8 * 60_000,
  );
});
