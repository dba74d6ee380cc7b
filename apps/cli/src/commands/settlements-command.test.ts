import { AccountingService } from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import { GatewayService } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { MerchantService } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { testClient, testTokens } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CliPlatform,
  eventually,
  runKassa,
  startCliPlatform,
} from "../testing/cli-platform.test-support.js";

let platform: CliPlatform;
let merchantId: string;

beforeAll(async () => {
  platform = await startCliPlatform("settlements");
  // 2.9% + 0.30 per payment; a 19.99 USD payment with 5.00 refunded.
  const merchants = testClient(
    MerchantService,
    platform.services.merchant?.url ?? "",
    testTokens.admin,
  );
  const { merchant } = await merchants.createMerchant({
    name: "Settled Shop",
    feeSchedule: { defaultFee: { basisPoints: 290, fixedAmount: 30n } },
  });
  merchantId = merchant?.id ?? "";
  const { secret } = await merchants.createApiKey({ merchantId });
  const gateway = testClient(GatewayService, platform.services.gateway?.url ?? "", secret);
  const { payment } = await gateway.createPayment({
    idempotencyKey: "order-1",
    merchantOrderNo: "1",
    amount: 1999n,
    currency: "USD",
    paymentMethod: "tok_visa",
  });
  await gateway.createRefund({
    idempotencyKey: "refund-1",
    paymentId: payment?.id ?? "",
    amount: 500n,
  });
  // The gateway's outbox records both in the ledger moments later.
  const accounting = testClient(
    AccountingService,
    platform.services.accounting?.url ?? "",
    testTokens.admin,
  );
  await eventually(async () => {
    const { balance } = await accounting.getBalance({ merchantId, currency: "USD" });
    expect(balance).toMatchObject({ totalPayments: 1999n, totalRefunds: 500n });
  });
});
afterAll(async () => {
  await platform?.stop();
});

const kassa = (...args: string[]) => runKassa(args, platform.cliEnv);

describe("kassa settlements and kassa balance", () => {
  // Ten runs of the CLI binary, each a Node start-up: minutes on a loaded two-core machine.
  it("settles a merchant: balance, create, process, balance again, list", {
    timeout: 6 * 60_000,
  }, async () => {
    const before = await kassa("balance", merchantId, "usd");
    expect(before.stderr).toBe("");
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(new RegExp(`^Balance of ${merchantId} in USD$`, "m"));
    expect(before.stdout).toMatch(/^ {2}balance +14\.99 USD$/m);
    expect(before.stdout).toMatch(/^ {2}unsettled +14\.99 USD$/m);
    expect(before.stdout).toMatch(/^ {2}payments +19\.99 USD$/m);
    expect(before.stdout).toMatch(/^ {2}refunds +5\.00 USD$/m);

    const created = await kassa("settlements", "create", merchantId, "USD");
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    const settlementId = created.stdout.match(/^Settlement (stl_\w+) created$/m)?.[1] ?? "";
    expect(settlementId).not.toBe("");
    expect(created.stdout).toMatch(/^ {2}status +pending$/m);
    expect(created.stdout).toMatch(/^ {2}gross +14\.99 USD$/m);
    // round(1999 × 2.9%) = 58, plus 30 for the one payment.
    expect(created.stdout).toMatch(/^ {2}fee +0\.88 USD \(2\.90% \+ 0\.30 USD per payment\)$/m);
    expect(created.stdout).toMatch(/^ {2}net +14\.11 USD$/m);
    expect(created.stdout).toContain(`kassa settlements process ${settlementId}`);

    const processed = await kassa("settlements", "process", settlementId);
    expect(processed.stderr).toBe("");
    expect(processed.code).toBe(0);
    expect(processed.stdout).toMatch(/^ {2}status +completed$/m);
    expect(processed.stdout).toMatch(/^ {2}paid out +14\.11 USD$/m);

    const after = await kassa("balance", merchantId, "USD");
    expect(after.stdout).toMatch(/^ {2}balance +0\.00 USD$/m);
    expect(after.stdout).toMatch(/^ {2}unsettled +0\.00 USD$/m);
    expect(after.stdout).toMatch(/^ {2}fees +0\.88 USD$/m);
    expect(after.stdout).toMatch(/^ {2}payouts +14\.11 USD$/m);

    const listed = await kassa("settlements", "list", "--merchant", merchantId);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ID +MERCHANT +STATUS +GROSS +FEE +NET +PAID OUT +CREATED$/m);
    expect(listed.stdout).toMatch(
      new RegExp(
        `^${settlementId} +${merchantId} +completed +14\\.99 USD +0\\.88 USD +14\\.11 USD +14\\.11 USD +`,
        "m",
      ),
    );
    const json = JSON.parse(
      (await kassa("settlements", "list", "--merchant", merchantId, "--json")).stdout,
    );
    expect(json.settlements).toEqual([
      expect.objectContaining({
        id: settlementId,
        status: "SETTLEMENT_STATUS_COMPLETED",
        payoutAmount: "1411",
      }),
    ]);

    // A settlement is processed once; the second attempt is the service's refusal, exit 1.
    const again = await kassa("settlements", "process", settlementId);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^kassa: ProcessSettlement failed: failed_precondition: .+\n$/);

    // Nothing left to settle is an error the operator reads, not a stack trace.
    const empty = await kassa("settlements", "create", merchantId, "USD");
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/^kassa: CreateSettlement failed: failed_precondition: .+\n$/);
  });

  it("refuses a cut-off that is not an ISO time with exit 2", async () => {
    const run = await kassa("settlements", "create", merchantId, "USD", "--up-to", "yesterday");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("must be an ISO 8601 time with a zone");
  });
});
