import path from "node:path";
import { type DemoMerchant, demoPaymentCurl } from "./demo-merchant.js";
import { embeddedPostgresDir } from "./local-data-dir.js";
import type { PlatformService } from "./platform-services.js";

/**
 * What `kassa start` prints once every service is ready: where each listens, the storage in
 * use, the admin token, the demo merchant and a curl line that takes a payment.
 */
export function platformBanner(options: {
  services: readonly PlatformService[];
  env: NodeJS.ProcessEnv;
  dataDir: string;
  adminToken: string;
  demo: DemoMerchant;
}): string {
  const { services, env, dataDir, adminToken, demo } = options;
  const storage = env.DATABASE_URL
    ? "Postgres (DATABASE_URL)"
    : `embedded Postgres (PGlite) under ${embeddedPostgresDir(dataDir)}`;
  const cache = env.REDIS_URL
    ? "Redis (REDIS_URL)"
    : "in-process Redis stand-in (development only)";
  const gateway = services.find((s) => s.name === "gateway")?.port;
  const rows = services.map(
    (s) => `  ${s.name.padEnd(11)} http://127.0.0.1:${s.port}   ${s.typeName}`,
  );
  return [
    "",
    `Kassa is running: ${storage}, ${cache}.`,
    ...rows,
    "",
    `  admin token (KASSA_ADMIN_TOKEN): ${adminToken}`,
    `  kept in ${path.join(dataDir, "tokens.json")} with the internal token`,
    "",
    `  demo merchant ${demo.merchantId}, API key: ${demo.apiKey}`,
    "  take a payment (paste it; pasting again returns the same payment: idempotency):",
    "",
    demoPaymentCurl(`http://127.0.0.1:${gateway}`, demo.apiKey, `demo-${Date.now()}`),
    "",
    "  then: npx kassa status · README.md walks through refunds and settlements",
    "",
    "A service that dies is restarted (npx kassa status counts restarts). Ctrl-C stops everything.",
    "",
  ].join("\n");
}
