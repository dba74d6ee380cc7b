// The whole platform as `npm start` runs it (kassa start: six processes), for benchmarks that
// measure a payment end to end: its own Postgres database, Redis prefix and data directory, a
// merchant with an API key, and a gateway client presenting it.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { GatewayService } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { MerchantService } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import {
  createTestDatabase,
  testClient,
  testRedisUrl,
  uniqueRedisPrefix,
} from "@kassa/platform/testing";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Starts `kassa start` with the gateway on `portBase` (the others follow it) and `env` added;
 * resolves once every service is ready (`env` may replace REDIS_URL). `pay()` sends one new
 * tok_visa payment.
 */
export async function startKassa({ label, portBase, env = {} }) {
  const database = await createTestDatabase(label);
  const dataDir = mkdtempSync(path.join(tmpdir(), "kassa-bench-"));
  const platform = spawn(process.execPath, [path.join(root, "apps/cli/dist/main.js"), "start"], {
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      REDIS_URL: testRedisUrl,
      REDIS_KEY_PREFIX: uniqueRedisPrefix(label),
      KASSA_DATA_DIR: dataDir,
      KASSA_PORT_BASE: String(portBase),
      LOG_LEVEL: "warn",
      GATEWAY_RATE_LIMIT_PER_MINUTE: "1000000000",
      ...env,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  await new Promise((resolve, reject) => {
    platform.stdout.on("data", (chunk) => {
      output += chunk;
      if (output.includes("Kassa is running")) resolve();
    });
    platform.once("exit", () => reject(new Error(`platform exited:\n${output}`)));
  });
  platform.stdout.resume();

  const admin = JSON.parse(readFileSync(path.join(dataDir, "tokens.json"), "utf8")).admin;
  const merchants = testClient(MerchantService, `http://127.0.0.1:${portBase + 1}`, admin);
  const { merchant } = await merchants.createMerchant({ name: `Bench ${label}` });
  const { secret } = await merchants.createApiKey({ merchantId: merchant.id, name: "bench" });
  const gateway = testClient(GatewayService, `http://127.0.0.1:${portBase}`, secret);

  let sequence = 0;
  return {
    gateway,
    /** The `kassa start` supervisor's process id: the six services are its children. */
    pid: platform.pid,
    /** The one Postgres database every service uses (a schema each). */
    databaseName: database.name,
    pay() {
      sequence++;
      return gateway.createPayment({
        idempotencyKey: `${label}-${sequence}`,
        merchantOrderNo: `${label}-order-${sequence}`,
        amount: 1999n,
        currency: "USD",
        paymentMethod: "tok_visa",
        customer: { email: `customer${sequence}@example.com` },
      });
    },
    /** Stops the platform (SIGTERM, as an operator would) and drops its database. */
    async stop() {
      platform.kill("SIGTERM");
      await once(platform, "exit");
      rmSync(dataDir, { recursive: true, force: true });
      await database.drop();
    },
  };
}
