import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import {
  MerchantService,
  MerchantStatus,
  type UpdateMerchantRequestSchema,
} from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { apiKeyCacheKey, apiKeyDigest, createId } from "@kassa/platform";
import { rejectionOf, startTestService, testTokens } from "@kassa/platform/testing";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { feeRules, merchants } from "../db/schema.js";
import { merchantService } from "../server.js";

// A clock the tests move by hand, so times can be asserted exactly.
let now = new Date("2030-01-01T00:00:00Z");
const advance = () => {
  now = new Date(now.getTime() + 60_000);
  return now;
};
const start = () =>
  startTestService(merchantService, { label: "merchant_update", clock: { now: () => now } });
let service: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  service = await start();
});
afterAll(() => service.stop());

const admin = () => service.client(MerchantService, testTokens.admin);
const rule = (basisPoints: number, fixedAmount: bigint) => ({ basisPoints, fixedAmount });
async function newMerchant() {
  const { merchant } = await admin().createMerchant({
    name: "Before",
    feeSchedule: { defaultFee: rule(290, 30n), currencyFees: { JPY: rule(350, 0n) } },
  });
  if (!merchant) throw new Error("no merchant");
  return merchant;
}
const rulesOf = (merchantId: string) =>
  service.context.db.select().from(feeRules).where(eq(feeRules.merchantId, merchantId));
const counts = async () => ({
  merchants: await service.context.db.$count(merchants),
  feeRules: await service.context.db.$count(feeRules),
});

describe("UpdateMerchant", () => {
  it("renames a merchant and leaves status and fees as they were", async () => {
    const before = await newMerchant();
    const at = advance();
    const { merchant } = await admin().updateMerchant({ merchantId: before.id, name: "After" });
    expect(merchant).toMatchObject({
      name: "After",
      status: MerchantStatus.ACTIVE,
      feeSchedule: before.feeSchedule,
      createdAt: before.createdAt,
    });
    expect(merchant?.updatedAt && timestampDate(merchant.updatedAt)).toEqual(at);
  });

  it("replaces the whole fee schedule and keeps the replaced rules on record", async () => {
    const before = await newMerchant();
    const at = advance();
    const feeSchedule = { defaultFee: rule(100, 5n), currencyFees: { EUR: rule(120, 10n) } };
    const { merchant } = await admin().updateMerchant({ merchantId: before.id, feeSchedule });
    expect(merchant?.feeSchedule).toMatchObject(feeSchedule);
    expect(Object.keys(merchant?.feeSchedule?.currencyFees ?? {})).toEqual(["EUR"]);
    const rows = await rulesOf(before.id);
    expect(rows.map((row) => [row.currency, row.basisPoints, row.replacedAt]).sort()).toEqual(
      [
        [null, 290, at],
        ["JPY", 350, at],
        [null, 100, null],
        ["EUR", 120, null],
      ].sort(),
    );
  });

  it("changes nothing when every field already has the requested value", async () => {
    const before = await newMerchant();
    const rulesBefore = await rulesOf(before.id);
    advance();
    const { merchant } = await admin().updateMerchant({
      merchantId: before.id,
      name: before.name,
      status: MerchantStatus.ACTIVE,
      feeSchedule: before.feeSchedule,
    });
    expect(merchant).toEqual(before);
    expect(await rulesOf(before.id)).toEqual(rulesBefore);
  });

  it("suspends and reactivates a merchant", async () => {
    const { id } = await newMerchant();
    const suspended = await admin().updateMerchant({
      merchantId: id,
      status: MerchantStatus.SUSPENDED,
    });
    expect(suspended.merchant?.status).toBe(MerchantStatus.SUSPENDED);
    const active = await admin().updateMerchant({ merchantId: id, status: MerchantStatus.ACTIVE });
    expect(active.merchant?.status).toBe(MerchantStatus.ACTIVE);
  });

  it("evicts the gateway's cached authentication of every key of a suspended merchant", async () => {
    const { id } = await newMerchant();
    const secrets = await Promise.all(
      [1, 2].map(async () => (await admin().createApiKey({ merchantId: id })).secret),
    );
    const other = await admin().createApiKey({ merchantId: (await newMerchant()).id });
    const cacheKeys = [...secrets, other.secret].map((secret) =>
      apiKeyCacheKey(apiKeyDigest(secret)),
    );
    for (const key of cacheKeys) await service.context.redis.set(key, "cached", { ttlMs: 60_000 });

    await admin().updateMerchant({ merchantId: id, status: MerchantStatus.SUSPENDED });
    const cached = await Promise.all(cacheKeys.map((key) => service.context.redis.get(key)));
    expect(cached).toEqual([null, null, "cached"]);
  });

  it("applies concurrent fee schedule replacements one after another", async () => {
    const { id } = await newMerchant();
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        admin().updateMerchant({ merchantId: id, feeSchedule: { defaultFee: rule(i, 0n) } }),
      ),
    );
    const current = (await rulesOf(id)).filter((row) => row.replacedAt === null);
    expect(current).toHaveLength(1);
    const { merchant } = await admin().getMerchant({ merchantId: id });
    expect(merchant?.feeSchedule?.defaultFee?.basisPoints).toBe(current[0]?.basisPoints);
  });

  it("answers NOT_FOUND for an unknown merchant", async () => {
    const merchantId = createId("mer");
    const error = await rejectionOf(admin().updateMerchant({ merchantId, name: "Ghost" }));
    expect([error.code, error.rawMessage]).toEqual([
      Code.NotFound,
      `merchant ${merchantId} not found`,
    ]);
  });

  it.each<[string, MessageInitShape<typeof UpdateMerchantRequestSchema>, string]>([
    ["merchant_id", { merchantId: "" }, "merchant_id: is required"],
    [
      "merchant_id",
      { merchantId: "ord_01JDZ8E4K3Q9V6T2W5X7Y8Z0AB" },
      "merchant_id: must be a mer_… id",
    ],
    ["update", { name: undefined }, "name, status, fee_schedule: at least one must be set"],
    ["name", { name: "" }, "name: is required"],
    ["name", { name: "n".repeat(201) }, "name: must be at most 200 characters"],
    ["status", { status: MerchantStatus.UNSPECIFIED }, "status: must be ACTIVE or SUSPENDED"],
    ["status", { status: 9 as MerchantStatus }, "status: must be ACTIVE or SUSPENDED"],
    [
      "fee_schedule",
      { feeSchedule: { currencyFees: {} } },
      "fee_schedule.default_fee: is required",
    ],
    [
      "fee_schedule",
      { feeSchedule: { defaultFee: rule(10_001, 0n), currencyFees: {} } },
      "fee_schedule.default_fee.basis_points: must be between 0 and 10000",
    ],
    [
      "fee_schedule",
      { feeSchedule: { defaultFee: rule(1, 0n), currencyFees: { JPY: rule(1, -1n) } } },
      "fee_schedule.currency_fees[JPY].fixed_amount: must not be negative",
    ],
    [
      "fee_schedule",
      { feeSchedule: { defaultFee: rule(1, 0n), currencyFees: { yen: rule(1, 0n) } } },
      "fee_schedule.currency_fees: keys must be ISO 4217 currency codes such as USD",
    ],
  ])(
    "rejects a bad %s with INVALID_ARGUMENT naming it, changing nothing",
    async (_field, bad, message) => {
      const before = await newMerchant();
      const written = await counts();
      advance();
      // A valid change rides along, so only the bad field can be the reason for the refusal.
      const error = await rejectionOf(
        admin().updateMerchant({ merchantId: before.id, name: "Changed", ...bad }),
      );
      expect([error.code, error.rawMessage]).toEqual([Code.InvalidArgument, message]);
      expect(await counts()).toEqual(written);
      expect((await admin().getMerchant({ merchantId: before.id })).merchant).toEqual(before);
    },
  );

  it("answers UNAUTHENTICATED with the internal token or none, changing nothing", async () => {
    const before = await newMerchant();
    for (const token of [testTokens.internal, undefined]) {
      const error = await rejectionOf(
        service
          .client(MerchantService, token)
          .updateMerchant({ merchantId: before.id, status: MerchantStatus.SUSPENDED }),
      );
      expect(error.code).toBe(Code.Unauthenticated);
    }
    expect((await admin().getMerchant({ merchantId: before.id })).merchant).toEqual(before);
  });
});
