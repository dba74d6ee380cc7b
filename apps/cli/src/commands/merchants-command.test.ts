import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { MerchantService } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { testClient, testTokens } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CliPlatform,
  runKassa,
  startCliPlatform,
} from "../testing/cli-platform.test-support.js";

let platform: CliPlatform;
beforeAll(async () => {
  platform = await startCliPlatform("merchants", ["merchant"]);
});
afterAll(async () => {
  await platform?.stop();
});

const kassa = (...args: string[]) => runKassa(args, platform.cliEnv);

describe("kassa merchants create", () => {
  it("registers an active merchant with the fee schedule given and prints it", async () => {
    const run = await kassa(
      "merchants",
      "create",
      "Acme Books",
      "--fee-bps",
      "250",
      "--fee-fixed",
      "25",
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const id = run.stdout.match(/^Merchant (mer_\w+) created$/m)?.[1] ?? "";
    expect(id).not.toBe("");
    expect(run.stdout).toMatch(/^ {2}name +Acme Books$/m);
    expect(run.stdout).toMatch(/^ {2}status +active$/m);
    expect(run.stdout).toMatch(/^ {2}fee +2\.50% \+ 25 minor units per payment \(default\)$/m);

    // What the merchant service now holds, not just what the CLI printed.
    const merchants = testClient(
      MerchantService,
      platform.services.merchant?.url ?? "",
      testTokens.admin,
    );
    const { merchant } = await merchants.getMerchant({ merchantId: id });
    expect(merchant?.name).toBe("Acme Books");
    expect(merchant?.feeSchedule?.defaultFee).toMatchObject({ basisPoints: 250, fixedAmount: 25n });
  });

  it("reports the service's validation error with its code, exit 1", async () => {
    const run = await kassa("merchants", "create", "x".repeat(201));
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^kassa: CreateMerchant failed: invalid_argument: name: .+\n$/);
  });

  it("refuses a fee outside 0-10000 basis points before calling anything", async () => {
    const run = await kassa("merchants", "create", "Too Greedy", "--fee-bps", "10001");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("must be a whole number from 0 to 10000");
  });

  it("says the admin token was not accepted when it is wrong", async () => {
    const run = await runKassa(["merchants", "create", "Mallory"], {
      ...platform.cliEnv,
      KASSA_ADMIN_TOKEN: "not-the-admin-token",
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^kassa: CreateMerchant failed: unauthenticated: .*KASSA_ADMIN_TOKEN/,
    );
  });
});

describe("kassa merchants list", () => {
  it("shows merchants newest first as a table, filtered by status", async () => {
    const first = await kassa("merchants", "create", "First Shop");
    const second = await kassa("merchants", "create", "Second Shop");
    const firstId = first.stdout.match(/mer_\w+/)?.[0] ?? "?";
    const secondId = second.stdout.match(/mer_\w+/)?.[0] ?? "?";

    const run = await kassa("merchants", "list");
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID +NAME +STATUS +DEFAULT FEE +CREATED$/);
    expect(lines.findIndex((line) => line.startsWith(secondId))).toBeLessThan(
      lines.findIndex((line) => line.startsWith(firstId)),
    );
    expect(run.stdout).toMatch(new RegExp(`^${firstId} +First Shop +active `, "m"));

    const suspended = await kassa("merchants", "list", "--status", "suspended");
    expect(suspended.code).toBe(0);
    expect(suspended.stdout).not.toContain(firstId);
  });

  it("prints the raw ListMerchantsResponse with --json", async () => {
    const created = await kassa("merchants", "create", "Json Shop");
    const id = created.stdout.match(/mer_\w+/)?.[0];
    const run = await kassa("merchants", "list", "--json", "--limit", "200");
    expect(run.code).toBe(0);
    const response = JSON.parse(run.stdout) as { merchants: { id: string; status: string }[] };
    expect(response.merchants.find((merchant) => merchant.id === id)?.status).toBe(
      "MERCHANT_STATUS_ACTIVE",
    );
  });

  it("stops at --limit and says that more exist", async () => {
    const run = await kassa("merchants", "list", "--limit", "2");
    expect(run.code).toBe(0);
    expect(
      run.stdout
        .trimEnd()
        .split("\n")
        .filter((line) => line.startsWith("mer_")),
    ).toHaveLength(2);
    expect(run.stdout).toContain("more merchants exist");
  });

  it("uses the admin token kassa start keeps in KASSA_DATA_DIR/tokens.json", async () => {
    const { KASSA_ADMIN_TOKEN: _unset, ...env } = platform.cliEnv;
    const dataDir = await mkdtemp(path.join(tmpdir(), "kassa-tokens-"));
    try {
      await writeFile(
        path.join(dataDir, "tokens.json"),
        JSON.stringify({ internal: testTokens.internal, admin: testTokens.admin }),
      );
      const run = await runKassa(["merchants", "list"], { ...env, KASSA_DATA_DIR: dataDir });
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^ID +NAME/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
