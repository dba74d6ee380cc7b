import { Code } from "@connectrpc/connect";
import { ChannelService, ChargeStatus } from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { createId, Secret } from "@kassa/platform";
import { rejectionOf, startTestService, testTokens } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chargeRepository } from "../db/charge-repository.js";
import { createSandboxProvider } from "../providers/sandbox-provider.js";
import { channelService } from "../server.js";

const start = () => startTestService(channelService, { label: "channel_get_charge" });
let service: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  service = await start();
});
afterAll(() => service.stop());

const client = () => service.client(ChannelService, testTokens.internal);
const chargeRequest = () => ({
  idempotencyKey: createId("pay"),
  channel: "sandbox",
  merchantId: createId("mer"),
  amount: 4200n,
  currency: "EUR",
  paymentMethod: "tok_mastercard",
});

describe("GetCharge", () => {
  it("returns the charge made under the idempotency key, as Charge answered it", async () => {
    const sent = chargeRequest();
    const charged = await client().charge(sent);
    const { charge } = await client().getCharge({
      channel: "sandbox",
      idempotencyKey: sent.idempotencyKey,
    });
    expect(charge).toEqual(charged.charge);
  });

  it("settles a charge whose caller went away mid-call with what the provider did", async () => {
    // A process that claimed the key and then died before the provider answered.
    const idempotencyKey = createId("pay");
    const at = service.context.clock.now();
    const { charge: claimed } = await chargeRepository.claim(service.context.db, {
      id: createId("ch"),
      channel: "sandbox",
      idempotencyKey,
      merchantId: createId("mer"),
      amount: 990n,
      currency: "GBP",
      paymentMethod: new Secret("tok_visa"),
      description: "",
      at,
    });
    const lookup = { channel: "sandbox", idempotencyKey };
    // The provider never saw it: the charge stays PENDING.
    expect((await client().getCharge(lookup)).charge?.status).toBe(ChargeStatus.PENDING);

    // The provider acted on it after all: GetCharge finds that and records it.
    const sandbox = createSandboxProvider({ db: service.context.db, clock: service.context.clock });
    await sandbox.charge(
      { ...claimed, chargeId: claimed.id, paymentMethod: new Secret(claimed.paymentMethod) },
      { signal: new AbortController().signal, deadlineMs: undefined },
    );
    const { charge } = await client().getCharge(lookup);
    expect(charge).toMatchObject({ id: claimed.id, status: ChargeStatus.SUCCEEDED });
    expect((await chargeRepository.find(service.context.db, claimed.id))?.status).toBe("SUCCEEDED");
  });

  it("releases a claim abandoned before it reached the provider, and a retry then charges once", async () => {
    // Claimed longer ago than CHANNEL_CLAIM_TIMEOUT_MS, and the provider never saw it: its
    // process died between claiming and calling, so nothing was charged and nothing will be.
    const idempotencyKey = createId("pay");
    const sent = { ...chargeRequest(), idempotencyKey, paymentMethod: "tok_visa", description: "" };
    const { charge: claimed } = await chargeRepository.claim(service.context.db, {
      ...sent,
      paymentMethod: new Secret(sent.paymentMethod),
      id: createId("ch"),
      at: new Date(service.context.clock.now().getTime() - 300_001),
    });
    const lookup = { channel: "sandbox", idempotencyKey };
    const error = await rejectionOf(client().getCharge(lookup));
    expect(error.code).toBe(Code.NotFound);

    const { charge } = await client().charge(sent);
    expect(charge).toMatchObject({ id: claimed.id, status: ChargeStatus.SUCCEEDED });
    expect((await client().getCharge(lookup)).charge?.status).toBe(ChargeStatus.SUCCEEDED);
  });

  it("answers NOT_FOUND for a key nothing was charged under", async () => {
    const idempotencyKey = createId("pay");
    const error = await rejectionOf(client().getCharge({ channel: "sandbox", idempotencyKey }));
    expect([error.code, error.rawMessage]).toEqual([
      Code.NotFound,
      `charge on channel sandbox with idempotency_key ${idempotencyKey} not found`,
    ]);
  });

  it.each([
    ["channel", { channel: "" }, "channel: is required"],
    ["channel", { channel: "stripe" }, "channel: is not a configured channel (see ListChannels)"],
    ["idempotency_key", { idempotencyKey: "" }, "idempotency_key: is required"],
    [
      "idempotency_key",
      { idempotencyKey: "k".repeat(256) },
      "idempotency_key: must be at most 255 characters",
    ],
  ])("rejects a bad %s with INVALID_ARGUMENT naming it", async (_field, bad, message) => {
    const error = await rejectionOf(
      client().getCharge({ channel: "sandbox", idempotencyKey: createId("pay"), ...bad }),
    );
    expect([error.code, error.rawMessage]).toEqual([Code.InvalidArgument, message]);
  });

  it("answers UNAUTHENTICATED without the internal token", async () => {
    const error = await rejectionOf(
      service
        .client(ChannelService)
        .getCharge({ channel: "sandbox", idempotencyKey: createId("pay") }),
    );
    expect(error.code).toBe(Code.Unauthenticated);
  });

  it("answers over Connect JSON, as curl would call it", async () => {
    const sent = chargeRequest();
    await client().charge(sent);
    const response = await fetch(`${service.url}/kassa.channel.v1.ChannelService/GetCharge`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${testTokens.internal}`,
      },
      body: JSON.stringify({ channel: "sandbox", idempotencyKey: sent.idempotencyKey }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { charge: Record<string, unknown> };
    expect(body.charge).toMatchObject({
      idempotencyKey: sent.idempotencyKey,
      amount: "4200",
      currency: "EUR",
      status: "CHARGE_STATUS_SUCCEEDED",
    });
  });
});
