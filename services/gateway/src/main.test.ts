import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The built entry point, as `docker run` or `npm start` would run it.
const main = fileURLToPath(new URL("../dist/main.js", import.meta.url));

async function runMain(env: Record<string, string>) {
  const child = spawn(process.execPath, [main], {
    env: {
      PATH: process.env.PATH ?? "",
      // Never reached: the configuration is refused before any storage is opened.
      DATABASE_URL: "postgres://127.0.0.1:1/unreachable",
      KASSA_INTERNAL_TOKEN: "internal-token-0123456789abcdef-0123456789",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // "close", not "exit": it comes after everything the process wrote to stderr has been read.
  const [code] = (await once(child, "close")) as [number | null];
  return { code, stderr };
}

const dependencyUrls = {
  MERCHANT_URL: "http://127.0.0.1:8081",
  ORDER_URL: "http://127.0.0.1:8082",
  CHANNEL_URL: "http://127.0.0.1:8083",
  RISK_URL: "http://127.0.0.1:8084",
  ACCOUNTING_URL: "http://127.0.0.1:8085",
};

describe("gateway configuration", () => {
  it("exits non-zero naming the dependency URL that is missing", async () => {
    const { MERCHANT_URL: _missing, ...rest } = dependencyUrls;
    const { code, stderr } = await runMain(rest);
    expect(code).toBe(1);
    expect(stderr).toContain("MERCHANT_URL: is required");
    expect(stderr).not.toContain("ORDER_URL");
  });

  it("exits non-zero naming a variable with a bad value", async () => {
    const { code, stderr } = await runMain({
      ...dependencyUrls,
      PORT: "eighty",
      ORDER_URL: "order:8082",
    });
    expect(code).toBe(1);
    expect(stderr).toContain("PORT: must be a TCP port");
    expect(stderr).toContain("ORDER_URL: must be a http or https URL");
  });
});
