import path from "node:path";
import { fileURLToPath } from "node:url";
import { startPlatform } from "./start-platform.js";

const usage = `Usage: kassa <command>

Commands:
  start    Run all six services locally on ports 8080-8085 (Ctrl-C stops them).
`;

const [command] = process.argv.slice(2);
switch (command) {
  case "start": {
    const rootDir = path.resolve(fileURLToPath(import.meta.url), "../../../..");
    process.exitCode = await startPlatform({ rootDir, env: process.env, out: process.stdout });
    break;
  }
  case undefined:
  case "help":
  case "--help":
    process.stdout.write(usage);
    break;
  default:
    process.stderr.write(`kassa: unknown command "${command}"\n\n${usage}`);
    process.exitCode = 2;
}
