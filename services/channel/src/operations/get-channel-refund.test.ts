import { Code } from "@connectrpc/connect";
import { ChannelRefundStatus, ChannelService } from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { createId } from "@kassa/platform";
import { rejectionOf, startTestService, testTokens } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { channelService } from "../server.js";

const start = () => startTestService(channelService, { label: "channel_get_refund" });
let service: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  service = await start();
});
afterAll(() => service.stop());

const client = () => service.client(ChannelService, testTokens.internal);
async function refunded(paymentMethod: string) {
  const { charge } = await client().charge({
    idempotencyKey: createId("pay"),
    channel: "sandbox",
    merchantId: createId("mer"),
    amount: 5000n,
    currency: "JPY",
    paymentMethod,
  });
  return client().refund({
    idempotencyKey: createId("ref"),
    chargeId: charge?.id ?? "",
    amount: 2000n,
    currency: "JPY",
    reason: "damaged",
  });
}

describe("GetChannelRefund", () => {
  it("returns the refund made under the idempotency key, as Refund answered it", async () => {
    for (const [paymentMethod, status] of [
      ["tok_visa", ChannelRefundStatus.SUCCEEDED],
      ["tok_refundFails", ChannelRefundStatus.FAILED],
    ] as const) {
      const answered = await refunded(paymentMethod);
      const { refund } = await client().getChannelRefund({
        channel: "sandbox",
        idempotencyKey: answered.refund?.idempotencyKey ?? "",
      });
      expect(refund).toEqual(answered.refund);
      expect(refund?.status).toBe(status);
    }
  });

  it("answers NOT_FOUND for a key nothing was refunded under", async () => {
    const idempotencyKey = createId("ref");
    const error = await rejectionOf(
      client().getChannelRefund({ channel: "sandbox", idempotencyKey }),
    );
    expect([error.code, error.rawMessage]).toEqual([
      Code.NotFound,
      `refund on channel sandbox with idempotency_key ${idempotencyKey} not found`,
    ]);
  });

  it.each([
    ["channel", { channel: "" }, "channel: is required"],
    ["channel", { channel: "adyen" }, "channel: is not a configured channel (see ListChannels)"],
    ["idempotency_key", { idempotencyKey: "" }, "idempotency_key: is required"],
    [
      "idempotency_key",
      { idempotencyKey: "k".repeat(256) },
      "idempotency_key: must be at most 255 characters",
    ],
  ])("rejects a bad %s with INVALID_ARGUMENT naming it", async (_field, bad, message) => {
    const error = await rejectionOf(
      client().getChannelRefund({ channel: "sandbox", idempotencyKey: createId("ref"), ...bad }),
    );
    expect([error.code, error.rawMessage]).toEqual([Code.InvalidArgument, message]);
  });

  it("answers UNAUTHENTICATED without the internal token", async () => {
    const error = await rejectionOf(
      service
        .client(ChannelService)
        .getChannelRefund({ channel: "sandbox", idempotencyKey: createId("ref") }),
    );
    expect(error.code).toBe(Code.Unauthenticated);
  });
});
