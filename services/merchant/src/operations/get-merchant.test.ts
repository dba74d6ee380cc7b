import { Code } from "@connectrpc/connect";
import { MerchantService } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { createId } from "@kassa/platform";
import { rejectionOf, startTestService, testTokens } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { merchantService } from "../server.js";

const start = () => startTestService(merchantService, { label: "merchant_get" });
let service: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  service = await start();
});
afterAll(() => service.stop());

const admin = () => service.client(MerchantService, testTokens.admin);
const client = () => service.client(MerchantService, testTokens.internal);

describe("GetMerchant", () => {
  it("returns the merchant as created, fee schedule included", async () => {
    const created = await admin().createMerchant({
      name: "Kiosk",
      feeSchedule: {
        defaultFee: { basisPoints: 199, fixedAmount: 10n },
        currencyFees: { JPY: { basisPoints: 300, fixedAmount: 0n } },
      },
    });
    const { merchant } = await client().getMerchant({ merchantId: created.merchant?.id ?? "" });
    expect(merchant).toEqual(created.merchant);
  });

  it("answers NOT_FOUND for an unknown id and INVALID_ARGUMENT for a malformed one", async () => {
    const unknown = createId("mer");
    const missing = await rejectionOf(client().getMerchant({ merchantId: unknown }));
    expect([missing.code, missing.rawMessage]).toEqual([
      Code.NotFound,
      `merchant ${unknown} not found`,
    ]);
    for (const [merchantId, message] of [
      ["", "merchant_id: is required"],
      ["key_01JDZ8E4K3Q9V6T2W5X7Y8Z0AB", "merchant_id: must be a mer_… id"],
      ["mer_nope", "merchant_id: must be a mer_… id"],
    ] as const) {
      const error = await rejectionOf(client().getMerchant({ merchantId }));
      expect([error.code, error.rawMessage]).toEqual([Code.InvalidArgument, message]);
    }
  });

  it("answers UNAUTHENTICATED without the internal token, and accepts the admin token", async () => {
    const created = await admin().createMerchant({ name: "Guarded" });
    const merchantId = created.merchant?.id ?? "";
    for (const token of [undefined, "wrong-token"]) {
      const error = await rejectionOf(
        service.client(MerchantService, token).getMerchant({ merchantId }),
      );
      expect(error.code).toBe(Code.Unauthenticated);
    }
    expect((await admin().getMerchant({ merchantId })).merchant?.id).toBe(merchantId);
  });

  it("answers over Connect JSON, as curl would call it", async () => {
    const created = await admin().createMerchant({ name: "Curl Co" });
    const response = await fetch(`${service.url}/kassa.merchant.v1.MerchantService/GetMerchant`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${testTokens.internal}`,
      },
      body: JSON.stringify({ merchantId: created.merchant?.id }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { merchant: Record<string, unknown> };
    expect(body.merchant).toMatchObject({
      id: created.merchant?.id,
      name: "Curl Co",
      status: "MERCHANT_STATUS_ACTIVE",
      feeSchedule: { defaultFee: { basisPoints: 290, fixedAmount: "30" } },
    });
  });
});
