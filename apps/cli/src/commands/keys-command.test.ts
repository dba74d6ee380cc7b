import { Code } from "@connectrpc/connect";
import { MerchantService } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { rejectionOf, testClient, testTokens } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CliPlatform,
  runKassa,
  startCliPlatform,
} from "../testing/cli-platform.test-support.js";

let platform: CliPlatform;
let merchantId: string;
beforeAll(async () => {
  platform = await startCliPlatform("keys", ["merchant"]);
  const { merchant } = await merchants().createMerchant({ name: "Key Holder" });
  merchantId = merchant?.id ?? "";
});
afterAll(async () => {
  await platform?.stop();
});

const kassa = (...args: string[]) => runKassa(args, platform.cliEnv);
const merchants = () =>
  testClient(MerchantService, platform.services.merchant?.url ?? "", testTokens.admin);

describe("kassa keys", () => {
  it("creates a key, shows its secret once, lists it and revokes it", async () => {
    const created = await kassa("keys", "create", merchantId, "--name", "web shop");
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    const keyId = created.stdout.match(/^API key (key_\w+) created for (mer_\w+)$/m)?.[1] ?? "";
    expect(created.stdout).toContain(`created for ${merchantId}`);
    const secret = created.stdout.match(/^ {2}secret +(sk_test_\w+)$/m)?.[1] ?? "";
    expect(secret).not.toBe("");
    expect(created.stdout).toContain("shown only now");

    // The printed secret is a working key of that merchant.
    const authenticated = await merchants().authenticateApiKey({ secret });
    expect(authenticated).toMatchObject({ apiKeyId: keyId, merchant: { id: merchantId } });

    const listed = await kassa("keys", "list", merchantId);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ID +NAME +PREFIX +STATUS +CREATED +REVOKED$/m);
    expect(listed.stdout).toMatch(
      new RegExp(`^${keyId} +web shop +${secret.slice(0, 12)} +active `, "m"),
    );
    expect(listed.stdout).not.toContain(secret);

    const revoked = await kassa("keys", "revoke", keyId);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(new RegExp(`^API key ${keyId} revoked$`, "m"));
    expect(revoked.stdout).toMatch(/^ {2}status +revoked$/m);
    const refused = await rejectionOf(merchants().authenticateApiKey({ secret }));
    expect(refused.code).toBe(Code.Unauthenticated);

    const after = await kassa("keys", "list", merchantId);
    expect(after.stdout).toMatch(new RegExp(`^${keyId} +web shop +\\S+ +revoked +`, "m"));
    const activeOnly = await kassa("keys", "list", merchantId, "--active");
    expect(activeOnly.stdout).not.toContain(keyId);
  });

  it("prints the CreateApiKeyResponse, secret included, with --json", async () => {
    const run = await kassa("keys", "create", merchantId, "--json");
    expect(run.code).toBe(0);
    const response = JSON.parse(run.stdout) as { apiKey: { id: string }; secret: string };
    expect(response.apiKey.id).toMatch(/^key_/);
    expect(response.secret).toMatch(/^sk_test_/);
  });

  it("reports an unknown merchant as not_found, exit 1", async () => {
    const run = await kassa("keys", "create", "mer_01JDZ8E4K3Q9V6T2W5X7Y8Z0AB");
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^kassa: CreateApiKey failed: not_found: /);
  });
});
