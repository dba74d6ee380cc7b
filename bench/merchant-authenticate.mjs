// MerchantService.AuthenticateApiKey on a real service (Postgres, Redis), end to end over
// Connect HTTP/1.1: what the gateway pays on every API key cache miss. 100 keys of 10
// merchants are authenticated round robin, so the figure is not one hot row.
//   npx tsc -p services/merchant/tsconfig.build.json && node bench/merchant-authenticate.mjs
import { MerchantService } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { merchantService } from "@kassa/merchant";
import { startTestService, testTokens } from "@kassa/platform/testing";
import { drive, ms } from "./stats.mjs";

const calls = Number(process.env.BENCH_CALLS ?? 20_000);
const warmUpCalls = Number(process.env.BENCH_WARM_UP ?? 2_000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);

// Its own database and Redis prefix, dropped at the end; logs off, so the figure is the service's.
// A pool as wide as the callers, so the figure is the service's, not a queue for connections.
const service = await startTestService(merchantService, {
  label: "bench_merchant",
  env: { LOG_LEVEL: "silent", DATABASE_POOL_SIZE: String(Math.max(2, concurrency)) },
});

const admin = service.client(MerchantService, testTokens.admin);
const secrets = [];
for (let m = 0; m < 10; m++) {
  const { merchant } = await admin.createMerchant({ name: `Bench merchant ${m}` });
  for (let k = 0; k < 10; k++) {
    secrets.push((await admin.createApiKey({ merchantId: merchant.id })).secret);
  }
}
const client = service.client(MerchantService, testTokens.internal);

function run(total) {
  return drive({ total, concurrency }, (i) =>
    client.authenticateApiKey({ secret: secrets[i % secrets.length] }),
  );
}

try {
  await run(warmUpCalls);
  const result = await run(calls);
  console.log(
    `merchant AuthenticateApiKey: ${calls} calls after ${warmUpCalls} warm-up, concurrency ${concurrency}, ${secrets.length} keys`,
  );
  console.log(`  ${result.rps.toFixed(0)} calls/s, p50 ${ms(result.p50)}, p99 ${ms(result.p99)}`);
} finally {
  await service.stop();
}
process.exit(0);
