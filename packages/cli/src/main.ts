import path from "node:path";
import { fileURLToPath } from "node:url";
import { migratePlatform } from "./migrate-platform.js";
import { startPlatform } from "./start-platform.js";

const usage = `Usage: kassa <command>

Commands:
  start [--watch]  Run all six services locally on ports 8080-8085 (Ctrl-C stops them).
                   --watch restarts a service when its build output changes.
  migrate          Apply every service's migrations (DATABASE_URL, or embedded .data/).
`;

const rootDir = path.resolve(fileURLToPath(import.meta.url), "../../../..");
const [command, ...args] = process.argv.slice(2);
try {
  await run();
} catch (error) {
  process.stderr.write(`kassa: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}

async function run(): Promise<void> {
  switch (command) {
    case "start":
      process.exitCode = await startPlatform({
        rootDir,
        env: process.env,
        out: process.stdout,
        watch: args.includes("--watch"),
      });
      break;
    case "migrate":
      await migratePlatform(rootDir, process.env, process.stdout);
      break;
    case undefined:
    case "help":
    case "--help":
      process.stdout.write(usage);
      break;
    default:
      process.stderr.write(`kassa: unknown command "${command}"\n\n${usage}`);
      process.exitCode = 2;
  }
}
