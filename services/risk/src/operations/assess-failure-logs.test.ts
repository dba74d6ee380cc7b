import { Code } from "@connectrpc/connect";
import { RiskService } from "@kassa/contracts/kassa/risk/v1/risk_pb";
import { createId } from "@kassa/platform";
import { rejectionOf, startTestService, testTokens } from "@kassa/platform/testing";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decisions } from "../db/schema.js";
import { riskService } from "../server.js";

// The operator's finding: an Assess whose decision insert failed logged drizzle's error, and
// its `params` held the customer's email, IP and payment-method token. Here the database
// refuses the insert (a check constraint the test adds), and the log line must say what
// failed and where, and nothing of what was sent.

const email = "jane.doe+riskleak@example.com";
const ip = "203.0.113.199";
const deviceId = "dev-7f3a9c2e-leak";
const paymentMethod = "tok_live_riskLeak4eC39HqLyjWDarjt";

const start = () => startTestService(riskService, { label: "risk_failure_logs" });
let service: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  service = await start();
  await service.context.db.execute(
    sql.raw(
      `alter table risk.decisions add constraint refuses_this_customer check (customer_email <> '${email}')`,
    ),
  );
});
afterAll(() => service.stop());

describe("Assess when the decision cannot be stored", () => {
  it("answers INTERNAL and logs the statement's table and SQLSTATE, never the customer's data", async () => {
    const before = await service.context.db.$count(decisions);
    const error = await rejectionOf(
      service.client(RiskService, testTokens.internal).assess({
        merchantId: createId("mer"),
        amount: 1999n,
        currency: "USD",
        paymentMethod,
        customer: { email, ip, deviceId },
      }),
    );
    expect(error.code).toBe(Code.Internal);
    expect(await service.context.db.$count(decisions)).toBe(before);

    const lines = service.logs.lines;
    const failure = lines
      .map((line) => JSON.parse(line) as { msg?: string; err?: Record<string, unknown> })
      .find((line) => line.msg === "unexpected error");
    expect(failure?.err).toMatchObject({
      type: "DrizzleQueryError",
      operation: "insert",
      table: "risk.decisions",
      cause: {
        code: "23514",
        condition: "check_violation",
        constraint: "refuses_this_customer",
      },
    });
    const everything = lines.join("\n");
    for (const sent of [email, ip, deviceId, paymentMethod]) expect(everything).not.toContain(sent);
    expect(everything).not.toContain("Failing row contains"); // Postgres's detail
  });
});
