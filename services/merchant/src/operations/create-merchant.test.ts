import { Code } from "@connectrpc/connect";
import { MerchantService, MerchantStatus } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { ConfigError, loadServiceConfig } from "@kassa/platform";
import { rejectionOf, startTestService, testTokens } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { feeRules, merchants } from "../db/schema.js";
import { merchantService } from "../server.js";

const start = () => startTestService(merchantService, { label: "merchant_create" });
let service: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  service = await start();
});
afterAll(() => service.stop());

const admin = () => service.client(MerchantService, testTokens.admin);
const counts = async () => ({
  merchants: await service.context.db.$count(merchants),
  feeRules: await service.context.db.$count(feeRules),
});
const rule = (basisPoints: number, fixedAmount: bigint) => ({ basisPoints, fixedAmount });

describe("CreateMerchant", () => {
  it("creates an ACTIVE merchant with the default fee schedule of 2.9 % + 30", async () => {
    const { merchant } = await admin().createMerchant({ name: "Acme Books" });
    expect(merchant?.id).toMatch(/^mer_[0-9A-Z]{26}$/);
    expect(merchant).toMatchObject({
      name: "Acme Books",
      status: MerchantStatus.ACTIVE,
      feeSchedule: { defaultFee: rule(290, 30n), currencyFees: {} },
    });
    expect(merchant?.createdAt).toEqual(merchant?.updatedAt);
  });

  it("keeps the requested fee schedule, per-currency rules included", async () => {
    const feeSchedule = {
      defaultFee: rule(250, 25n),
      currencyFees: { JPY: rule(360, 0n), KWD: rule(0, 100n) },
    };
    const { merchant } = await admin().createMerchant({ name: "Tokyo Tea", feeSchedule });
    expect(merchant?.feeSchedule).toMatchObject(feeSchedule);
    const read = await service
      .client(MerchantService, testTokens.internal)
      .getMerchant({ merchantId: merchant?.id ?? "" });
    expect(read.merchant).toEqual(merchant);
  });

  it("accepts the extremes of a fee rule: 0 and 10000 basis points", async () => {
    const feeSchedule = { defaultFee: rule(0, 0n), currencyFees: { USD: rule(10_000, 0n) } };
    const { merchant } = await admin().createMerchant({ name: "Edge", feeSchedule });
    expect(merchant?.feeSchedule).toMatchObject(feeSchedule);
  });

  it("creates a new merchant on every call, even with the same name", async () => {
    const a = await admin().createMerchant({ name: "Twin" });
    const b = await admin().createMerchant({ name: "Twin" });
    expect(a.merchant?.id).not.toBe(b.merchant?.id);
  });

  const fiftyTwo = Object.fromEntries(
    ["AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT"]
      .concat(["BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD"])
      .concat(["CAD", "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK"])
      .concat(["DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP"])
      .concat(["GMD", "GNF", "GTQ"])
      .map((code) => [code, rule(100, 0n)]),
  );
  it.each([
    ["name", { name: "" }, "name: is required"],
    ["name", { name: "n".repeat(201) }, "name: must be at most 200 characters"],
    ["name", { name: " Acme" }, "name: must not start or end with whitespace"],
    [
      "fee_schedule.default_fee",
      { feeSchedule: { currencyFees: { USD: rule(100, 0n) } } },
      "fee_schedule.default_fee: is required",
    ],
    [
      "fee_schedule.default_fee.basis_points",
      { feeSchedule: { defaultFee: rule(-1, 0n) } },
      "fee_schedule.default_fee.basis_points: must be between 0 and 10000",
    ],
    [
      "fee_schedule.default_fee.basis_points",
      { feeSchedule: { defaultFee: rule(10_001, 0n) } },
      "fee_schedule.default_fee.basis_points: must be between 0 and 10000",
    ],
    [
      "fee_schedule.default_fee.fixed_amount",
      { feeSchedule: { defaultFee: rule(100, -1n) } },
      "fee_schedule.default_fee.fixed_amount: must not be negative",
    ],
    [
      "fee_schedule.default_fee.fixed_amount",
      { feeSchedule: { defaultFee: rule(100, 10n ** 15n + 1n) } },
      "fee_schedule.default_fee.fixed_amount: must be at most 1000000000000000",
    ],
    [
      "fee_schedule.currency_fees",
      { feeSchedule: { defaultFee: rule(100, 0n), currencyFees: { usd: rule(100, 0n) } } },
      "fee_schedule.currency_fees: keys must be ISO 4217 currency codes such as USD",
    ],
    [
      "fee_schedule.currency_fees",
      { feeSchedule: { defaultFee: rule(100, 0n), currencyFees: { XXX: rule(100, 0n) } } },
      "fee_schedule.currency_fees: keys must be ISO 4217 currency codes such as USD",
    ],
    [
      "fee_schedule.currency_fees",
      { feeSchedule: { defaultFee: rule(100, 0n), currencyFees: fiftyTwo } },
      "fee_schedule.currency_fees: must have at most 50 entries",
    ],
    [
      "fee_schedule.currency_fees[JPY].basis_points",
      { feeSchedule: { defaultFee: rule(100, 0n), currencyFees: { JPY: rule(10_001, 0n) } } },
      "fee_schedule.currency_fees[JPY].basis_points: must be between 0 and 10000",
    ],
    [
      "fee_schedule.currency_fees[EUR].fixed_amount",
      { feeSchedule: { defaultFee: rule(100, 0n), currencyFees: { EUR: rule(100, -5n) } } },
      "fee_schedule.currency_fees[EUR].fixed_amount: must not be negative",
    ],
  ])(
    "rejects a bad %s with INVALID_ARGUMENT naming it, writing nothing",
    async (_field, bad, message) => {
      const before = await counts();
      const error = await rejectionOf(admin().createMerchant({ name: "Acme", ...bad }));
      expect([error.code, error.rawMessage]).toEqual([Code.InvalidArgument, message]);
      expect(await counts()).toEqual(before);
    },
  );

  it("answers UNAUTHENTICATED with the internal token or none, writing nothing", async () => {
    const before = await counts();
    for (const token of [testTokens.internal, undefined]) {
      const error = await rejectionOf(
        service.client(MerchantService, token).createMerchant({ name: "Sneaky" }),
      );
      expect(error.code).toBe(Code.Unauthenticated);
      expect(error.rawMessage).toContain("admin token");
    }
    expect(await counts()).toEqual(before);
  });
});

describe("MERCHANT_DEFAULT_FEE_BPS and MERCHANT_DEFAULT_FEE_FIXED", () => {
  const baseEnv = {
    KASSA_INTERNAL_TOKEN: testTokens.internal,
    KASSA_ADMIN_TOKEN: testTokens.admin,
    // Only read here, never connected to.
    DATABASE_URL: "postgres://127.0.0.1:1/unused",
  };

  it("set the schedule of merchants created without one", async () => {
    const configured = await startTestService(merchantService, {
      label: "merchant_fee_env",
      env: { MERCHANT_DEFAULT_FEE_BPS: "150", MERCHANT_DEFAULT_FEE_FIXED: "0" },
    });
    try {
      const { merchant } = await configured
        .client(MerchantService, testTokens.admin)
        .createMerchant({ name: "Configured" });
      expect(merchant?.feeSchedule?.defaultFee).toMatchObject(rule(150, 0n));
    } finally {
      await configured.stop();
    }
  });

  it("refuse values outside their ranges at start-up, naming the variable", () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadServiceConfig(merchantService, { ...baseEnv, ...env });
      } catch (error) {
        if (error instanceof ConfigError) return error.problems;
        throw error;
      }
      return [];
    };
    expect(problems({ MERCHANT_DEFAULT_FEE_BPS: "10001" })).toEqual([
      {
        variable: "MERCHANT_DEFAULT_FEE_BPS",
        message: "must be basis points, a whole number from 0 to 10000",
      },
    ]);
    expect(problems({ MERCHANT_DEFAULT_FEE_FIXED: "-1" })).toEqual([
      {
        variable: "MERCHANT_DEFAULT_FEE_FIXED",
        message: "must be a whole number of minor units from 0 to 1000000000000000",
      },
    ]);
    expect(problems({ MERCHANT_DEFAULT_FEE_BPS: "0", MERCHANT_DEFAULT_FEE_FIXED: "0" })).toEqual(
      [],
    );
  });
});
