import { GatewayService } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { MerchantService } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { testClient, testTokens } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { platformServices } from "../platform-services.js";
import {
  type CliPlatform,
  eventually,
  runKassa,
  startCliPlatform,
} from "../testing/cli-platform.test-support.js";

let platform: CliPlatform;
beforeAll(async () => {
  platform = await startCliPlatform("status");
});
afterAll(async () => {
  await platform?.stop();
});

const kassa = (...args: string[]) => runKassa(args, platform.cliEnv);
const urlOf = (name: string) => platform.services[name]?.url ?? "?";

describe("kassa status", () => {
  it("lists all six services healthy with their breakers, the outbox and webhooks, exit 0", async () => {
    const run = await kassa("status");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^SERVICE +URL +STATUS +CHECKS$/m);
    for (const service of platformServices) {
      expect(run.stdout).toMatch(
        new RegExp(
          `^${service.name} +${urlOf(service.name)} +healthy +all \\d+ checks healthy$`,
          "m",
        ),
      );
    }
    expect(run.stdout).toMatch(/^CALLER +DEPENDENCY +BREAKER$/m);
    for (const dependency of ["accounting", "channel", "merchant", "order", "risk"]) {
      expect(run.stdout).toMatch(new RegExp(`^gateway +${dependency} +closed$`, "m"));
    }
    expect(run.stdout).toMatch(/^accounting +merchant +closed$/m);
    expect(run.stdout).toMatch(/^OUTBOX +WAITING +OLDEST +EXHAUSTED$/m);
    expect(run.stdout).toMatch(/^gateway +\d+ +\d+ s +0$/m);
    expect(run.stdout).toMatch(/^WEBHOOKS +WAITING +ENDPOINTS +OLDEST +FAILED$/m);
    expect(run.stdout).toMatch(/^gateway +0 +0 +0 s +0$/m);
    expect(run.stdout).toMatch(/^All 6 services healthy\.$/m);
  });

  it("prints what it collected with --json", async () => {
    const run = await kassa("status", "--json");
    expect(run.code).toBe(0);
    const status = JSON.parse(run.stdout) as {
      healthy: boolean;
      services: { name: string; state: string; checks: { name: string }[] }[];
    };
    expect(status.healthy).toBe(true);
    expect(status.services.map((service) => [service.name, service.state])).toEqual(
      platformServices.map((service) => [service.name, "healthy"]),
    );
    expect(status.services[0]?.checks.map((check) => check.name)).toContain("postgres");
  });

  // Last: it takes a service down for good.
  it("shows a stopped service as down, the checks and breaker that notice it, and exits 1", async () => {
    await platform.services.risk?.stop();
    // Payments while risk is down fail, and enough failures open the gateway's risk breaker.
    const merchants = testClient(MerchantService, urlOf("merchant"), testTokens.admin);
    const { merchant } = await merchants.createMerchant({ name: "Unlucky Shop" });
    const { secret } = await merchants.createApiKey({ merchantId: merchant?.id ?? "" });
    const gateway = testClient(GatewayService, urlOf("gateway"), secret);
    for (let attempt = 1; attempt <= 6; attempt++) {
      await gateway
        .createPayment({
          idempotencyKey: `attempt-${attempt}`,
          merchantOrderNo: `${attempt}`,
          amount: 1000n,
          currency: "USD",
          paymentMethod: "tok_visa",
        })
        .catch(() => undefined);
    }
    // The gateway's own check of risk polls in the background; wait for it to see the outage.
    const run = await eventually(async () => {
      const result = await kassa("status");
      expect(result.stdout).toMatch(
        /^gateway +\S+ +(degraded|unhealthy) +dependency:risk \w+: .+$/m,
      );
      return result;
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^gateway +risk +open$/m);
    expect(run.stdout).toMatch(/^gateway +merchant +closed$/m);
    expect(run.stdout).toMatch(
      new RegExp(`^risk +${urlOf("risk")} +down +not reachable: connection refused$`, "m"),
    );
    expect(run.stdout).toMatch(new RegExp(`^merchant +${urlOf("merchant")} +healthy +`, "m"));
    expect(run.stdout).toMatch(
      /^4 of 6 services healthy; gateway (degraded|unhealthy), risk down\.$/m,
    );
    expect(run.stdout).not.toMatch(/^All 6 services healthy/m);
  });
});
