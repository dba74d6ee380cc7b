// Risk.Assess calls per second on a real risk service (Postgres + Redis), over Connect
// HTTP/1.1 as the gateway's clients would call it. Every call is a distinct customer, so no
// velocity rule trips; each call still reads the blocklist, bumps four Redis counters and
// stores a decision.
//   npm run bench -- risk-assess   (or: npm run build && node bench/risk-assess.mjs)
import { RiskService } from "@kassa/contracts/kassa/risk/v1/risk_pb";
import { createId } from "@kassa/platform";
import { startTestService, testTokens } from "@kassa/platform/testing";
import { riskService } from "@kassa/risk";
import { drive, ms } from "./stats.mjs";

const calls = Number(process.env.BENCH_CALLS ?? 10_000);
const warmUp = Number(process.env.BENCH_WARM_UP ?? 1_000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);

// Its own database and Redis prefix, dropped at the end; logs off, so the figure is the service's.
// One merchant per call keeps the per-merchant counter under its limit too.
const service = await startTestService(riskService, {
  label: "bench_risk",
  env: { LOG_LEVEL: "silent", DATABASE_POOL_SIZE: String(Math.max(2, concurrency)) },
});
const client = service.client(RiskService, testTokens.internal);

let customers = 0;
/** A payment attempt from a customer, device and merchant never seen before. */
function freshRequest() {
  customers += 1;
  return {
    merchantId: createId("mer"),
    amount: 1999n,
    currency: "USD",
    customer: {
      email: `buyer${customers}@example.com`,
      ip: `10.${(customers >> 16) & 255}.${(customers >> 8) & 255}.${customers & 255}`,
      deviceId: `dev-${customers}`,
    },
    paymentMethod: "tok_visa",
  };
}

async function run(total) {
  let flagged = 0;
  const result = await drive({ total, concurrency }, async () => {
    const answer = await client.assess(freshRequest());
    if (answer.reasons.length > 0) flagged += 1;
  });
  return { ...result, flagged };
}

try {
  await run(warmUp);
  const result = await run(calls);
  console.log(`risk Assess: ${calls} calls after ${warmUp} warm-up, concurrency ${concurrency}`);
  console.log(
    `  ${result.rps.toFixed(0)} calls/s, p50 ${ms(result.p50)}, p99 ${ms(result.p99)} (${result.flagged} calls with a reason; expected 0)`,
  );
} finally {
  await service.stop();
}
process.exit(0);
