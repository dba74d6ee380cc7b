import { CaptureMethod, GatewayService } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { MerchantService } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { testClient, testTokens } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CliPlatform,
  runKassa,
  startCliPlatform,
} from "../testing/cli-platform.test-support.js";

let platform: CliPlatform;
let merchantId: string;
let paymentId: string;
let refundIds: string[];
let gateway: ReturnType<typeof testClient<typeof GatewayService>>;

beforeAll(async () => {
  platform = await startCliPlatform("payments");
  // A merchant takes a payment and refunds part of it twice, through the public gateway.
  const merchants = testClient(
    MerchantService,
    platform.services.merchant?.url ?? "",
    testTokens.admin,
  );
  const { merchant } = await merchants.createMerchant({ name: "Lookup Shop" });
  merchantId = merchant?.id ?? "";
  const { secret } = await merchants.createApiKey({ merchantId });
  gateway = testClient(GatewayService, platform.services.gateway?.url ?? "", secret);
  const { payment } = await gateway.createPayment({
    idempotencyKey: "order-1001",
    merchantOrderNo: "1001",
    amount: 1999n,
    currency: "USD",
    paymentMethod: "tok_visa",
    description: "two books",
  });
  paymentId = payment?.id ?? "";
  refundIds = [];
  for (const [key, amount] of [
    ["refund-1", 500n],
    ["refund-2", 250n],
  ] as const) {
    const { refund } = await gateway.createRefund({
      idempotencyKey: key,
      paymentId,
      amount,
      reason: "damaged",
    });
    refundIds.push(refund?.id ?? "");
  }
});
afterAll(async () => {
  await platform?.stop();
});

const kassa = (...args: string[]) => runKassa(args, platform.cliEnv);

describe("kassa payment", () => {
  it("shows any merchant's payment with amounts in major units", async () => {
    const run = await kassa("payment", paymentId);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Payment ${paymentId}$`, "m"));
    expect(run.stdout).toMatch(new RegExp(`^ {2}merchant +${merchantId}$`, "m"));
    expect(run.stdout).toMatch(/^ {2}order no +1001$/m);
    expect(run.stdout).toMatch(/^ {2}amount +19\.99 USD$/m);
    expect(run.stdout).toMatch(/^ {2}refunded +7\.50 USD$/m);
    expect(run.stdout).toMatch(/^ {2}status +succeeded$/m);
    expect(run.stdout).toMatch(/^ {2}channel +sandbox ch_\w+$/m);
    expect(run.stdout).not.toMatch(/failure/);
  });

  it("shows the payment's history, its refunds' included, oldest first", async () => {
    const run = await kassa("payment", paymentId);
    expect(run.code).toBe(0);
    const history = run.stdout.slice(run.stdout.indexOf("\nHistory\n") + "\nHistory\n".length);
    const lines = history.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^WHEN +SUBJECT +TRANSITION +REASON +ACTOR$/);
    const row = (subject: string, transition: string, reason: string, actor: string) =>
      new RegExp(`^\\S+ \\S+ +${subject} +${transition} +${reason} +${actor}$`);
    const request = "request:\\S+";
    expect(lines[1]).toMatch(row(paymentId, "- → pending", "payment created", request));
    expect(lines[2]).toMatch(
      row(paymentId, "pending → processing", "order created; charging", request),
    );
    expect(lines[3]).toMatch(row(paymentId, "processing → succeeded", "charge succeeded", request));
    for (const [index, refundId] of refundIds.entries()) {
      expect(lines[4 + 2 * index]).toMatch(
        row(refundId, "- → pending", "refund requested", request),
      );
      expect(lines[5 + 2 * index]).toMatch(
        row(refundId, "pending → succeeded", "refund succeeded", request),
      );
    }
    expect(lines).toHaveLength(8);
  });

  it("shows how a manual payment was captured, or why it was cancelled", async () => {
    const manual = async (key: string) =>
      (
        await gateway.createPayment({
          idempotencyKey: key,
          merchantOrderNo: key,
          amount: 4000n,
          currency: "USD",
          paymentMethod: "tok_visa",
          captureMethod: CaptureMethod.MANUAL,
        })
      ).payment?.id ?? "";
    const held = await manual("manual-held");
    const heldRun = await kassa("payment", held);
    expect(heldRun.stdout).toMatch(/^ {2}capture +manual$/m);
    expect(heldRun.stdout).toMatch(/^ {2}capturable +40\.00 USD$/m);
    expect(heldRun.stdout).not.toMatch(/^ {2}captured /m);

    await gateway.capturePayment({
      paymentId: held,
      amountToCapture: 2500n,
      idempotencyKey: "capture-held",
    });
    const captured = await kassa("payment", held);
    expect(captured.stdout).toMatch(/^ {2}captured +25\.00 USD at \S+ \S+$/m);
    expect(captured.stdout).not.toMatch(/^ {2}capturable /m);

    const released = await manual("manual-released");
    await gateway.cancelPayment({ paymentId: released, cancellationReason: "out_of_stock" });
    const cancelled = await kassa("payment", released);
    expect(cancelled.stdout).toMatch(/^ {2}status +cancelled$/m);
    expect(cancelled.stdout).toMatch(/^ {2}cancelled +\S+ \S+ out_of_stock$/m);
  });

  it("prints the raw GetPaymentResponse with --json", async () => {
    const run = await kassa("payment", paymentId, "--json");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      payment: {
        id: paymentId,
        amount: "1999",
        refundedAmount: "750",
        status: "PAYMENT_STATUS_SUCCEEDED",
      },
    });
  });

  it("reports an unknown payment as not_found, exit 1", async () => {
    const run = await kassa("payment", "pay_01JDZ8E4K3Q9V6T2W5X7Y8Z0AB");
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^kassa: GetPayment failed: not_found: .+\n$/);
  });
});

describe("kassa refund and kassa refunds", () => {
  it("shows one refund", async () => {
    const run = await kassa("refund", refundIds[0] ?? "");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Refund ${refundIds[0]}$`, "m"));
    expect(run.stdout).toMatch(new RegExp(`^ {2}payment +${paymentId}$`, "m"));
    expect(run.stdout).toMatch(/^ {2}amount +5\.00 USD$/m);
    expect(run.stdout).toMatch(/^ {2}status +succeeded$/m);
    expect(run.stdout).toMatch(/^ {2}reason +damaged$/m);
  });

  it("lists a payment's refunds newest first", async () => {
    const run = await kassa("refunds", paymentId);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID +AMOUNT +STATUS +REASON +CREATED +FAILURE$/);
    expect(lines[1]).toMatch(new RegExp(`^${refundIds[1]} +2\\.50 USD +succeeded +damaged +`));
    expect(lines[2]).toMatch(new RegExp(`^${refundIds[0]} +5\\.00 USD +succeeded +damaged +`));
    expect(lines).toHaveLength(3);

    const json = JSON.parse((await kassa("refunds", paymentId, "--json")).stdout) as {
      refunds: { id: string }[];
    };
    expect(json.refunds.map((refund) => refund.id)).toEqual([refundIds[1], refundIds[0]]);
  });

  it("says so when a payment has no refunds", async () => {
    const run = await kassa("refunds", "pay_01JDZ8E4K3Q9V6T2W5X7Y8Z0AB");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("No refunds of pay_01JDZ8E4K3Q9V6T2W5X7Y8Z0AB");
  });
});
