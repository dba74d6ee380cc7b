import { testTokens } from "@kassa/platform/testing";
import { describe, expect, it } from "vitest";
import { closedPortUrl, runKassa } from "../testing/cli-platform.test-support.js";

// No platform at all: every service URL is a port nobody listens on.
async function nothingRunning(): Promise<Record<string, string>> {
  const env: Record<string, string> = { KASSA_ADMIN_TOKEN: testTokens.admin };
  for (const name of ["gateway", "merchant", "order", "channel", "risk", "accounting"]) {
    env[`KASSA_${name.toUpperCase()}_URL`] = await closedPortUrl();
  }
  return env;
}

describe("a service that is down", () => {
  it("is one line naming the service and its URL, exit 1, no stack trace", async () => {
    const env = await nothingRunning();
    const cases = [
      { args: ["merchants", "list"], service: "merchant" },
      { args: ["payment", "pay_01JDZ8E4K3Q9V6T2W5X7Y8Z0AB"], service: "gateway" },
      { args: ["balance", "mer_01JDZ8E4K3Q9V6T2W5X7Y8Z0AB", "USD"], service: "accounting" },
    ];
    for (const { args, service } of cases) {
      const run = await runKassa(args, env);
      const url = env[`KASSA_${service.toUpperCase()}_URL`];
      expect(run.stderr).toBe(`kassa: ${service} (${url}) is not reachable: connection refused\n`);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe("");
    }
  });

  it("makes kassa status list every service as down and exit 1", async () => {
    const env = await nothingRunning();
    const run = await runKassa(["status"], env);
    expect(run.code).toBe(1);
    for (const name of ["gateway", "merchant", "order", "channel", "risk", "accounting"]) {
      const url = env[`KASSA_${name.toUpperCase()}_URL`];
      expect(run.stdout).toMatch(
        new RegExp(`^${name} +${url} +down +not reachable: connection refused$`, "m"),
      );
    }
    expect(run.stdout).toContain("0 of 6 services healthy");
  });
});

describe("the admin token", () => {
  it("is a clear error saying how to set it when there is none", async () => {
    const { KASSA_ADMIN_TOKEN: _none, ...env } = await nothingRunning();
    const run = await runKassa(["merchants", "list"], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^kassa: no admin token: set KASSA_ADMIN_TOKEN .*tokens\.json/);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("a malformed command line", () => {
  it("is refused before any call with exit 2", async () => {
    const env = await nothingRunning();
    const run = await runKassa(["payment", "ref_01JDZ8E4K3Q9V6T2W5X7Y8Z0AB"], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("must be an id starting with pay_");
    expect(run.stderr).not.toContain("not reachable");
  });
});
