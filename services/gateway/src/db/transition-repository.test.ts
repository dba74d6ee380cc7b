import { createId, type DatabaseHandle, openDatabase } from "@kassa/platform";
import { createTestDatabase, type TestDatabase } from "@kassa/platform/testing";
import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayService } from "../server.js";
import { paymentRepository } from "./payment-repository.js";
import * as schema from "./schema.js";

// The history's `from` comes from the statement that writes the new status (it locks the
// payment first): here two writers race on each payment, and whichever order they land in,
// every recorded transition starts where the one before it ended.

let database: TestDatabase;
let handle: DatabaseHandle<typeof schema>;
beforeAll(async () => {
  database = await createTestDatabase("gw_transitions");
  handle = await openDatabase({ url: database.url, schema, applicationName: "transition-test" });
  await handle.migrate(gatewayService.database);
});
afterAll(async () => {
  await handle.close();
  await database.drop();
});

const actor = "request:transition-race";

async function pendingPayment(): Promise<string> {
  const created = await paymentRepository.createIfAbsent(
    handle.db,
    {
      id: createId("pay"),
      merchantId: createId("mer"),
      idempotencyKey: createId("key"),
      requestDigest: "digest",
      merchantOrderNo: createId("ord"),
      amount: 1000n,
      currency: "USD",
      channel: "sandbox",
      description: "",
      metadata: {},
      captureMethod: "AUTOMATIC",
      at: new Date(),
    },
    actor,
  );
  return created.payment.id;
}

describe("a status transition racing another", () => {
  it("records the status it replaced, so the history is one unbroken chain", async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, pendingPayment));
    await Promise.all(
      ids.flatMap((id) => [
        paymentRepository.markProcessing(
          handle.db,
          id,
          { orderId: createId("ord"), riskScore: 0, at: new Date() },
          { reason: "order created; charging", actor },
        ),
        paymentRepository.fail(
          handle.db,
          id,
          ["PENDING", "PROCESSING"],
          { code: "risk_rejected", message: "raced" },
          new Date(),
          { reason: "risk_rejected", actor },
        ),
      ]),
    );
    for (const id of ids) {
      const history = await handle.db
        .select()
        .from(schema.statusTransitions)
        .where(eq(schema.statusTransitions.subjectId, id))
        .orderBy(asc(schema.statusTransitions.sequence));
      const [payment] = await handle.db
        .select()
        .from(schema.payments)
        .where(eq(schema.payments.id, id));
      expect(history[0]).toMatchObject({ fromStatus: null, toStatus: "PENDING" });
      for (let step = 1; step < history.length; step++) {
        expect(history[step]?.fromStatus).toBe(history[step - 1]?.toStatus);
      }
      expect(history.at(-1)?.toStatus).toBe(payment?.status);
      expect(payment?.status).toBe("FAILED");
    }
  });
});
