// Channel.Charge calls per second on a real channel service (Postgres), over Connect HTTP/1.1
// as the gateway's client would call it. Every call is a new payment (a unique idempotency
// key) charged with tok_visa, so each one claims its key, records the sandbox's charge and
// settles it: three writes per call, chaos knobs off.
//   npm run build && node bench/channel-charge.mjs
import { channelService } from "@kassa/channel";
import { ChannelService, ChargeStatus } from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { createId } from "@kassa/platform";
import { startTestService, testTokens } from "@kassa/platform/testing";
import { drive, ms } from "./stats.mjs";

const calls = Number(process.env.BENCH_CALLS ?? 10_000);
const warmUp = Number(process.env.BENCH_WARM_UP ?? 1_000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);

// Its own database and Redis prefix, dropped at the end; logs off, so the figure is the service's.
const service = await startTestService(channelService, {
  label: "bench_channel",
  env: { LOG_LEVEL: "silent", DATABASE_POOL_SIZE: String(Math.max(2, concurrency)) },
});
const client = service.client(ChannelService, testTokens.internal);

async function run(total) {
  let notCharged = 0;
  const result = await drive({ total, concurrency }, async () => {
    const { charge } = await client.charge({
      idempotencyKey: createId("pay"),
      channel: "sandbox",
      merchantId: createId("mer"),
      amount: 1999n,
      currency: "USD",
      paymentMethod: "tok_visa",
      description: "bench",
    });
    if (charge?.status !== ChargeStatus.SUCCEEDED) notCharged += 1;
  });
  return { ...result, notCharged };
}

try {
  await run(warmUp);
  const result = await run(calls);
  console.log(`channel Charge: ${calls} calls after ${warmUp} warm-up, concurrency ${concurrency}`);
  console.log(
    `  ${result.rps.toFixed(0)} calls/s, p50 ${ms(result.p50)}, p99 ${ms(result.p99)} (${result.notCharged} not SUCCEEDED; expected 0)`,
  );
} finally {
  await service.stop();
}
process.exit(0);
