import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { PaymentStatus } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { OrderService, OrderStatus } from "@kassa/contracts/kassa/order/v1/order_pb";
import { type Database, openDatabase } from "@kassa/platform";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { payments } from "../db/schema.js";
import {
  eventually,
  type GatewayPlatform,
  spawnGatewayProcess,
  startGatewayPlatform,
  type TestMerchant,
} from "../testing/gateway-platform.test-support.js";

// The gateway as a real process, killed with SIGKILL at the worst moment: the channel has
// charged, the gateway has not written the outcome. Nothing in-process could fake that.
let platform: GatewayPlatform;
let merchant: TestMerchant;
const children: ChildProcess[] = [];
beforeAll(async () => {
  platform = await startGatewayPlatform("gw_crash");
  merchant = await platform.newMerchant();
  await platform.services.gateway.stop();
});
afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await platform.stop();
});

/** The payment's status as the gateway's database holds it, read without a gateway running. */
async function storedStatus(paymentId: string) {
  const database = await openDatabase({
    url: platform.services.gateway.env.DATABASE_URL ?? "",
    schema: { payments },
    applicationName: "kassa-test",
  });
  try {
    const [row] = await database.db.select().from(payments).where(eq(payments.id, paymentId));
    return row?.status;
  } finally {
    await database.close();
  }
}

describe("a gateway killed between the charge and the status write", () => {
  it("is finished by the reconciler after a restart, with exactly one charge at the channel", async () => {
    // A long channel deadline: the gateway is still waiting on tok_timeout's held answer when killed.
    const doomed = await spawnGatewayProcess(platform, { CHANNEL_TIMEOUT_MS: "60000" });
    children.push(doomed);
    const merchantOrderNo = `crash-${Date.now()}`;
    const inFlight = merchant.gateway
      .createPayment({
        idempotencyKey: merchantOrderNo,
        merchantOrderNo,
        amount: 4321n,
        currency: "USD",
        paymentMethod: "tok_timeout",
      })
      .catch((error: unknown) => error);

    const channelDb = platform.services.channel.context.db as Database;
    const chargedPaymentId = await eventually(async () => {
      const rows = (await channelDb.execute(
        sql`select c.idempotency_key as id from channel.charges c
            join channel.sandbox_charges s on s.id = c.id
            where c.merchant_id = ${merchant.merchantId} and s.outcome = 'SUCCEEDED'`,
      )) as unknown as Array<{ id: string }>;
      expect(rows).toHaveLength(1);
      return rows[0]?.id ?? "";
    });

    doomed.kill("SIGKILL");
    await once(doomed, "exit");
    await inFlight;

    expect(await storedStatus(chargedPaymentId)).toBe("PROCESSING");

    // Restarted (in-process, on the same database and port): its reconciler runs at start.
    await platform.services.gateway.start();
    const settled = await eventually(async () => {
      const { payment } = await merchant.gateway.getPayment({ paymentId: chargedPaymentId });
      expect(payment?.status).toBe(PaymentStatus.SUCCEEDED);
      return payment;
    });
    await eventually(async () => {
      const { order } = await platform
        .admin(OrderService, "order")
        .getOrder({ orderId: settled?.orderId ?? "" });
      expect(order?.status).toBe(OrderStatus.PAID);
    });
    const charges = (await channelDb.execute(
      sql`select count(*)::int as n from channel.charges where idempotency_key = ${chargedPaymentId}`,
    )) as unknown as Array<{ n: number }>;
    const sandbox = (await channelDb.execute(
      sql`select count(*)::int as n from channel.sandbox_charges s join channel.charges c on c.id = s.id
          where c.idempotency_key = ${chargedPaymentId}`,
    )) as unknown as Array<{ n: number }>;
    expect([charges[0]?.n, sandbox[0]?.n]).toEqual([1, 1]);
  });
});
