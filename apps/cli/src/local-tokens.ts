import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

/** The shared secrets a local platform runs with. */
export interface LocalTokens {
  internal: string;
  admin: string;
  /** WEBHOOK_SECRET_KEY: 32 random bytes as 64 hex characters. */
  webhookKey: string;
}

/**
 * The tokens `kassa start` hands to every service: KASSA_INTERNAL_TOKEN, KASSA_ADMIN_TOKEN and
 * WEBHOOK_SECRET_KEY from the environment when set, otherwise generated once (256 random bits
 * each) and kept in `<dataDir>/tokens.json` (mode 600), so a restart keeps the admin token you
 * already use and the webhook secrets it sealed stay readable.
 */
export async function localTokens(dataDir: string, env: NodeJS.ProcessEnv): Promise<LocalTokens> {
  const file = localTokensFile(dataDir);
  const saved = await readFile(file, "utf8")
    .then((text) => JSON.parse(text) as Partial<LocalTokens>)
    .catch(() => ({}) as Partial<LocalTokens>);
  const tokens = {
    internal: env.KASSA_INTERNAL_TOKEN || saved.internal || generate(),
    admin: env.KASSA_ADMIN_TOKEN || saved.admin || generate(),
    webhookKey: env.WEBHOOK_SECRET_KEY || saved.webhookKey || randomBytes(32).toString("hex"),
  };
  if (
    tokens.internal !== saved.internal ||
    tokens.admin !== saved.admin ||
    tokens.webhookKey !== saved.webhookKey
  ) {
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600 });
  }
  return tokens;
}

/** Where a local platform's tokens are kept: `<dataDir>/tokens.json`. */
export function localTokensFile(dataDir: string): string {
  return path.join(dataDir, "tokens.json");
}

function generate(): string {
  return randomBytes(32).toString("base64url");
}
