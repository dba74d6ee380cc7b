import path from "node:path";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { CliError } from "./cli-error.js";
import type { OperatorContext } from "./operator-context.js";

// Exit codes: 0 done, 1 the operation failed (a service down, an RPC error, a failed
// settlement, an unhealthy platform), 2 the command line was wrong.

const rootDir = path.resolve(fileURLToPath(import.meta.url), "../../../..");
const context: OperatorContext = { env: process.env, rootDir, out: process.stdout };

const program = new Command("kassa")
  .description("Run Kassa locally, and operate a running platform.")
  .addHelpText(
    "after",
    `
Where the operator commands look:
  services     http://127.0.0.1:8080-8085 (moved together by KASSA_PORT_BASE), or
               KASSA_<SERVICE>_URL, e.g. KASSA_MERCHANT_URL=http://merchant:8081
  admin token  KASSA_ADMIN_TOKEN, or the one \`kassa start\` keeps in .data/tokens.json
               (KASSA_DATA_DIR/tokens.json when KASSA_DATA_DIR is set)
  TLS          https:// services are verified with KASSA_TLS_CA_FILE; for mutual TLS the
               CLI presents KASSA_TLS_CERT_FILE and KASSA_TLS_KEY_FILE`,
  )
  .exitOverride()
  .showHelpAfterError("(kassa help <command> shows its usage)");

program
  .command("start")
  .description(
    "Run all six services locally on ports 8080-8085, in dependency order, restarting any that dies (Ctrl-C stops them).",
  )
  .option("--watch", "restart a service when its build output changes")
  .action(async (options: { watch?: boolean }) => {
    // Loaded when used: `kassa migrate` loads all six services' code, `kassa start` PGlite.
    const { startPlatform } = await import("./start-platform.js");
    process.exitCode = await startPlatform({
      rootDir,
      env: process.env,
      out: process.stdout,
      watch: options.watch === true,
    });
  });

program
  .command("migrate")
  .description("Apply every service's migrations (DATABASE_URL, or the embedded .data/postgres).")
  .action(async () => {
    const { migratePlatform } = await import("./migrate-platform.js");
    await migratePlatform(rootDir, process.env, process.stdout);
  });

// `kassa start` and `kassa migrate` leave the operator commands (and the platform library
// they use) unloaded: the launcher, which runs as long as the platform, holds only what it
// needs. Any other command line, help included, has them all.
if (!["start", "migrate"].includes(process.argv[2] ?? "")) {
  const { registerOperatorCommands } = await import("./operator-commands.js");
  registerOperatorCommands(program, context);
}

if (process.argv.length <= 2) {
  process.stdout.write(program.helpInformation());
} else {
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    process.exitCode = exitCodeOf(error);
  }
}

/** Prints a failure as one line (commander has already printed its own) and picks the code. */
function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) {
    // Help asked for is not a failure; anything else commander rejects is a usage mistake.
    return error.code === "commander.helpDisplayed" || error.exitCode === 0 ? 0 : 2;
  }
  if (error instanceof CliError) {
    if (!error.quiet) process.stderr.write(`kassa: ${error.message}\n`);
    return error.exitCode;
  }
  process.stderr.write(`kassa: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
}
