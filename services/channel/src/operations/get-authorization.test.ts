import { Code } from "@connectrpc/connect";
import {
  AuthorizationStatus,
  ChannelRefundStatus,
  ChannelService,
} from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { createId, Secret } from "@kassa/platform";
import { rejectionOf, startTestService, testTokens } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorizationRepository } from "../db/authorization-repository.js";
import { channelService } from "../server.js";

// A clock the tests move forward, so an authorization ages past its expiry without sleeping.
let aheadMs = 0;
const clock = { now: () => new Date(Date.now() + aheadMs) };
const ttlMs = 600_000;
const start = () =>
  startTestService(channelService, {
    label: "channel_get_authorization",
    clock,
    env: { SANDBOX_AUTHORIZATION_TTL_MS: String(ttlMs) },
  });
let service: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  service = await start();
});
afterAll(() => service.stop());

const client = () => service.client(ChannelService, testTokens.internal);
const authorizeRequest = (paymentMethod = "tok_visa") => ({
  idempotencyKey: createId("pay"),
  channel: "sandbox",
  merchantId: createId("mer"),
  amount: 4200n,
  currency: "EUR",
  paymentMethod,
});
const lookup = (idempotencyKey: string) => ({ channel: "sandbox", idempotencyKey });

describe("GetAuthorization", () => {
  it("returns the authorization made under the idempotency key, as Authorize answered it", async () => {
    const sent = authorizeRequest();
    const authorized = await client().authorize(sent);
    const { authorization } = await client().getAuthorization(lookup(sent.idempotencyKey));
    expect(authorization).toEqual(authorized.authorization);
  });

  it("answers NOT_FOUND for a key nothing was authorized under", async () => {
    const key = createId("pay");
    const error = await rejectionOf(client().getAuthorization(lookup(key)));
    expect(error.code).toBe(Code.NotFound);
    expect(error.rawMessage).toContain(key);
  });

  it.each([
    ["channel", { channel: "", idempotencyKey: "pay_1" }, "channel: is required"],
    ["idempotency_key", { channel: "sandbox", idempotencyKey: "" }, "idempotency_key: is required"],
  ])("rejects a bad %s with INVALID_ARGUMENT naming it", async (_field, bad, message) => {
    const error = await rejectionOf(client().getAuthorization(bad));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe(message);
  });

  it("shows a capture whose answer was held past the caller's deadline (tok_captureTimeout) as CAPTURED", async () => {
    const sent = authorizeRequest("tok_captureTimeout");
    const { authorization } = await client().authorize(sent);
    const capture = { authorizationId: authorization?.id ?? "", amountToCapture: 1000n };
    const error = await rejectionOf(client().captureAuthorization(capture, { timeoutMs: 500 }));
    expect(error.code).toBe(Code.DeadlineExceeded);
    const found = await client().getAuthorization(lookup(sent.idempotencyKey));
    expect(found.authorization).toMatchObject({
      status: AuthorizationStatus.CAPTURED,
      amountCaptured: 1000n,
      amountCapturable: 0n,
    });
    // A repeat after the deadline gets that outcome at once, with the same charge.
    const again = await client().captureAuthorization(capture);
    expect(again.authorization?.status).toBe(AuthorizationStatus.CAPTURED);
    const chargeId = found.authorization?.chargeId ?? "";
    expect(chargeId).toMatch(/^ch_/);
    expect(again.authorization?.chargeId).toBe(chargeId);
    // And the capture is refundable through that charge.
    const { refund } = await client().refund({
      idempotencyKey: createId("ref"),
      chargeId,
      amount: 1000n,
      currency: "EUR",
    });
    expect(refund?.status).toBe(ChannelRefundStatus.SUCCEEDED);
  });

  it("shows an authorization neither captured nor voided past its expiry as EXPIRED, and refuses to capture or void it", async () => {
    const sent = authorizeRequest();
    const { authorization } = await client().authorize(sent);
    aheadMs += ttlMs;
    const found = await client().getAuthorization(lookup(sent.idempotencyKey));
    expect(found.authorization).toMatchObject({
      status: AuthorizationStatus.EXPIRED,
      amountCapturable: 0n,
      amountCaptured: 0n,
    });
    const authorizationId = authorization?.id ?? "";
    // One call at a time: a second promise made up front would reject unobserved meanwhile.
    for (const refuse of [
      () => client().captureAuthorization({ authorizationId }),
      () => client().voidAuthorization({ authorizationId }),
    ]) {
      const error = await rejectionOf(refuse());
      expect(error.code).toBe(Code.FailedPrecondition);
      expect(error.rawMessage).toContain("is EXPIRED");
    }
  });

  it("releases a capture abandoned before it reached the provider, so it can be captured again", async () => {
    const { authorization } = await client().authorize(authorizeRequest());
    const id = authorization?.id ?? "";
    // A process that claimed the capture and died before calling the provider.
    await authorizationRepository.claimCapture(service.context.db, id, 4200n, clock.now());
    const key = authorization?.idempotencyKey ?? "";
    expect((await client().getAuthorization(lookup(key))).authorization?.status).toBe(
      AuthorizationStatus.CAPTURING,
    );
    aheadMs += 300_000;
    expect((await client().getAuthorization(lookup(key))).authorization?.status).toBe(
      AuthorizationStatus.AUTHORIZED,
    );
    const { authorization: captured } = await client().captureAuthorization({
      authorizationId: id,
    });
    expect(captured).toMatchObject({ status: AuthorizationStatus.CAPTURED, amountCaptured: 4200n });
  });

  it("answers NOT_FOUND for an authorization claim abandoned before it reached the provider", async () => {
    const idempotencyKey = createId("pay");
    await authorizationRepository.claim(service.context.db, {
      id: createId("au"),
      channel: "sandbox",
      idempotencyKey,
      merchantId: createId("mer"),
      amount: 100n,
      currency: "EUR",
      paymentMethod: new Secret("tok_visa"),
      description: "",
      at: new Date(clock.now().getTime() - 300_001),
    });
    const error = await rejectionOf(client().getAuthorization(lookup(idempotencyKey)));
    expect(error.code).toBe(Code.NotFound);
  });
});
