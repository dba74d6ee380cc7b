import { readFile } from "node:fs/promises";
import { Secret } from "@kassa/platform";
import { CliError } from "./cli-error.js";
import { localDataDir } from "./local-data-dir.js";
import { type LocalTokens, localTokensFile } from "./local-tokens.js";

/**
 * The admin token the operator commands present: `KASSA_ADMIN_TOKEN` when set, else the one
 * `kassa start` keeps in `<KASSA_DATA_DIR or <root>/.data>/tokens.json` (read only: the CLI
 * never generates a token, since a new one would not match the running services').
 * Throws a {@link CliError} saying how to set it when there is none.
 */
export async function adminToken(env: NodeJS.ProcessEnv, rootDir: string): Promise<Secret> {
  if (env.KASSA_ADMIN_TOKEN) return new Secret(env.KASSA_ADMIN_TOKEN);
  const file = localTokensFile(localDataDir(env, rootDir));
  const saved = await readFile(file, "utf8")
    .then((text) => JSON.parse(text) as Partial<LocalTokens>)
    .catch(() => undefined);
  if (typeof saved?.admin === "string" && saved.admin !== "") return new Secret(saved.admin);
  throw new CliError(
    `no admin token: set KASSA_ADMIN_TOKEN to the platform's admin token, or run \`kassa start\` (npm start) in this workspace once so that ${file} holds it`,
  );
}
