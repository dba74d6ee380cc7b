import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { localTokens, localTokensFile } from "./local-tokens.js";

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});
const dataDir = async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "kassa-tokens-"));
  dirs.push(dir);
  return dir;
};

describe("local tokens", () => {
  it("generates a webhook key once and keeps it, so sealed webhook secrets stay readable", async () => {
    const dir = await dataDir();
    const first = await localTokens(dir, {});
    expect(first.webhookKey).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(await readFile(localTokensFile(dir), "utf8")).webhookKey).toBe(
      first.webhookKey,
    );
    expect((await localTokens(dir, {})).webhookKey).toBe(first.webhookKey);
  });

  it("takes WEBHOOK_SECRET_KEY from the environment when it is set", async () => {
    const key = "ab".repeat(32);
    expect((await localTokens(await dataDir(), { WEBHOOK_SECRET_KEY: key })).webhookKey).toBe(key);
  });

  it("adds the webhook key to a tokens file written before it existed, keeping the others", async () => {
    const dir = await dataDir();
    const old = await localTokens(dir, {});
    const { writeFile } = await import("node:fs/promises");
    await writeFile(
      localTokensFile(dir),
      JSON.stringify({ internal: old.internal, admin: old.admin }),
    );
    const now = await localTokens(dir, {});
    expect(now).toMatchObject({ internal: old.internal, admin: old.admin });
    expect(now.webhookKey).toMatch(/^[0-9a-f]{64}$/);
  });
});
