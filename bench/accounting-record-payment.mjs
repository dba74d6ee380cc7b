// AccountingService.RecordPayment calls per second for ONE merchant vs the same load spread over
// 1,000 merchants, same service, same concurrency, in one run, over Connect HTTP/1.1 as the
// gateway's outbox relay calls it. Every call books a new payment (one entry, two postings).
// A ledger that serialized a merchant's payments on one balance row would show the single
// merchant far behind; the goal is one merchant at >= 90% of the spread figure.
//   npx tsc -p services/accounting/tsconfig.build.json && node bench/accounting-record-payment.mjs
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { accountingService } from "@kassa/accounting";
import { AccountingService } from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import { createId } from "@kassa/platform";
import { startTestService, testTokens } from "@kassa/platform/testing";
import { drive, ms } from "./stats.mjs";

const calls = Number(process.env.BENCH_CALLS ?? 20_000);
const warmUp = Number(process.env.BENCH_WARM_UP ?? 2_000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
// The two workloads alternate, so drift (autovacuum, caches warming) hits both alike.
const rounds = 3;

// Its own database and Redis prefix, dropped at the end; logs off, so the figure is the service's.
const service = await startTestService(accountingService, {
  label: "bench_accounting",
  env: {
    LOG_LEVEL: "silent",
    // A pool as wide as the callers, so the figure is the ledger's, not a queue for connections.
    DATABASE_POOL_SIZE: String(Math.max(2, concurrency)),
    // RecordPayment never calls MerchantService (only CreateSettlement does); the address is
    // required configuration, and nothing listens there.
    MERCHANT_URL: "http://127.0.0.1:9",
  },
});
const client = service.client(AccountingService, testTokens.internal);

const oneMerchant = [createId("mer")];
const spread = Array.from({ length: 1_000 }, () => createId("mer"));

function run(total, merchants) {
  const occurredAt = timestampFromDate(new Date());
  return drive({ total, concurrency }, (i) =>
    client.recordPayment({
      paymentId: createId("pay"),
      merchantId: merchants[i % merchants.length],
      amount: 1999n,
      currency: "USD",
      occurredAt,
    }),
  );
}

const median = (list, key) => {
  const values = list.map((r) => r[key]).sort((a, b) => a - b);
  return (
    (values[Math.floor((values.length - 1) / 2)] + values[Math.ceil((values.length - 1) / 2)]) / 2
  );
};

try {
  await run(warmUp, spread);
  await run(warmUp, oneMerchant);
  const results = { one: [], spread: [] };
  for (let round = 0; round < rounds; round++) {
    results.one.push(await run(calls, oneMerchant));
    results.spread.push(await run(calls, spread));
  }
  const { balance } = await client.getBalance({ merchantId: oneMerchant[0], currency: "USD" });
  const expected = 1999n * BigInt(warmUp + rounds * calls);
  if (balance.balance !== expected) {
    throw new Error(`one merchant's balance is ${balance.balance}, expected ${expected}`);
  }

  const line = (label, list) =>
    `  ${label} ${median(list, "rps").toFixed(0)} calls/s, p50 ${ms(median(list, "p50"))}, p99 ${ms(median(list, "p99"))}`;
  const ratio = (median(results.one, "rps") / median(results.spread, "rps")) * 100;
  console.log(
    `accounting RecordPayment: ${calls} calls x ${rounds} rounds each after ${warmUp} warm-up, concurrency ${concurrency} (medians)`,
  );
  console.log(line("one merchant      ", results.one));
  console.log(line("1,000 merchants   ", results.spread));
  console.log(
    `  ratio ${ratio.toFixed(1)}% (goal >= 90%); one merchant's balance exact: ${balance.balance}`,
  );
} finally {
  await service.stop();
}
process.exit(0);
