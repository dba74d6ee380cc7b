import { Code, ConnectError } from "@connectrpc/connect";
import {
  AuthorizationStatus,
  ChannelRefundStatus,
  ChannelService,
  ChargeStatus,
} from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { createId } from "@kassa/platform";
import { rejectionOf, startTestService, testTokens } from "@kassa/platform/testing";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorizationRepository } from "../db/authorization-repository.js";
import { sandboxAuthorizations } from "../db/schema.js";
import { createSandboxProvider } from "../providers/sandbox-provider.js";
import { createChannelService } from "../server.js";

// The sandbox, counting the captures and voids that reach it; `unreachable` makes the next
// capture answer UNAVAILABLE before reaching it, as a provider outage would.
const reached = { captures: 0, voids: 0 };
let unreachable = false;
const start = () =>
  startTestService(
    createChannelService({
      providers: (storage) => {
        const sandbox = createSandboxProvider(storage);
        return [
          {
            ...sandbox,
            async capture(request, call) {
              if (unreachable) {
                unreachable = false;
                return { status: "UNAVAILABLE", message: "sandbox is down" };
              }
              reached.captures++;
              return sandbox.capture(request, call);
            },
            void(request, call) {
              reached.voids++;
              return sandbox.void(request, call);
            },
          },
        ];
      },
    }),
    { label: "channel_capture_authorization" },
  );
let service: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  service = await start();
});
afterAll(() => service.stop());

const client = () => service.client(ChannelService, testTokens.internal);
async function authorized(paymentMethod = "tok_visa") {
  const { authorization } = await client().authorize({
    idempotencyKey: createId("pay"),
    channel: "sandbox",
    merchantId: createId("mer"),
    amount: 5000n,
    currency: "USD",
    paymentMethod,
  });
  return authorization?.id ?? "";
}
// The charge a capture records is keyed by the authorization's id.
const chargeOf = async (authorizationId: string) =>
  (await client().getCharge({ channel: "sandbox", idempotencyKey: authorizationId })).charge;
const stored = (id: string) => authorizationRepository.find(service.context.db, id);
const atSandbox = async (id: string) => {
  const [row] = await service.context.db
    .select()
    .from(sandboxAuthorizations)
    .where(eq(sandboxAuthorizations.id, id));
  return row;
};

describe("CaptureAuthorization", () => {
  it("captures the whole authorized amount when no amount is given", async () => {
    const authorizationId = await authorized();
    const { authorization } = await client().captureAuthorization({ authorizationId });
    expect(authorization).toMatchObject({
      id: authorizationId,
      status: AuthorizationStatus.CAPTURED,
      amount: 5000n,
      amountCaptured: 5000n,
      amountCapturable: 0n,
      failureCode: "",
    });
    expect((await atSandbox(authorizationId))?.captureAmount).toBe(5000n);
  });

  it("captures part of the authorized amount and releases the rest", async () => {
    const authorizationId = await authorized();
    const { authorization } = await client().captureAuthorization({
      authorizationId,
      amountToCapture: 1200n,
    });
    expect(authorization).toMatchObject({
      status: AuthorizationStatus.CAPTURED,
      amount: 5000n,
      amountCaptured: 1200n,
      amountCapturable: 0n,
    });
    expect((await stored(authorizationId))?.captureAmount).toBe(1200n);
    expect((await atSandbox(authorizationId))?.captureAmount).toBe(1200n);
  });

  it("records a SUCCEEDED charge of the captured amount, refundable up to it and no further", async () => {
    const authorizationId = await authorized();
    const { authorization } = await client().captureAuthorization({
      authorizationId,
      amountToCapture: 1200n,
    });
    const chargeId = authorization?.chargeId ?? "";
    expect(chargeId).toMatch(/^ch_[0-9A-Z]{26}$/);
    const charge = await chargeOf(authorizationId);
    expect(charge).toMatchObject({
      id: chargeId,
      status: ChargeStatus.SUCCEEDED,
      amount: 1200n,
      currency: "USD",
      merchantId: authorization?.merchantId,
      refundedAmount: 0n,
    });
    const refund = (amount: bigint) =>
      client().refund({ idempotencyKey: createId("ref"), chargeId, amount, currency: "USD" });
    for (const amount of [700n, 500n]) {
      expect((await refund(amount)).refund?.status).toBe(ChannelRefundStatus.SUCCEEDED);
    }
    const beyond = await rejectionOf(refund(1n));
    expect(beyond.code).toBe(Code.FailedPrecondition);
    expect(beyond.rawMessage).toContain(
      `exceeds what is left to refund of charge ${chargeId}: 0 USD`,
    );
    expect((await chargeOf(authorizationId))?.refundedAmount).toBe(1200n);
  });

  it("records no charge for a declined capture", async () => {
    const authorizationId = await authorized("tok_captureDeclined");
    const { authorization } = await client().captureAuthorization({ authorizationId });
    expect(authorization?.status).toBe(AuthorizationStatus.FAILED);
    expect(authorization?.chargeId).toBe("");
  });

  it("answers a repeated capture with the first outcome, capturing once", async () => {
    const authorizationId = await authorized();
    const first = await client().captureAuthorization({ authorizationId, amountToCapture: 700n });
    const before = { ...reached };
    const again = await client().captureAuthorization({ authorizationId, amountToCapture: 700n });
    expect(again.authorization).toEqual(first.authorization);
    expect(again.authorization?.chargeId).toMatch(/^ch_/);
    expect(reached).toEqual(before);
  });

  it("refuses a second capture of a different amount with FAILED_PRECONDITION", async () => {
    const authorizationId = await authorized();
    await client().captureAuthorization({ authorizationId, amountToCapture: 700n });
    const error = await rejectionOf(
      client().captureAuthorization({ authorizationId, amountToCapture: 800n }),
    );
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toBe(
      `authorization ${authorizationId} was already captured for 700 USD; it is captured once`,
    );
  });

  it("answers a declined capture (tok_captureDeclined) as FAILED, and the same capture again alike", async () => {
    const authorizationId = await authorized("tok_captureDeclined");
    const first = await client().captureAuthorization({ authorizationId });
    expect(first.authorization).toMatchObject({
      status: AuthorizationStatus.FAILED,
      failureCode: "capture_declined",
      amountCaptured: 0n,
      amountCapturable: 0n,
    });
    const again = await client().captureAuthorization({ authorizationId });
    expect(again.authorization).toEqual(first.authorization);
    const voided = await rejectionOf(client().voidAuthorization({ authorizationId }));
    expect(voided.code).toBe(Code.FailedPrecondition);
  });

  it("refuses to capture a declined authorization with FAILED_PRECONDITION", async () => {
    const authorizationId = await authorized("tok_chargeDeclined");
    const error = await rejectionOf(client().captureAuthorization({ authorizationId }));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toBe(
      `authorization ${authorizationId} is FAILED; only an AUTHORIZED authorization can be captured`,
    );
  });

  it("refuses to capture a voided authorization with FAILED_PRECONDITION, changing nothing", async () => {
    const authorizationId = await authorized();
    await client().voidAuthorization({ authorizationId });
    const before = await stored(authorizationId);
    const error = await rejectionOf(client().captureAuthorization({ authorizationId }));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toContain("is VOIDED");
    expect(await stored(authorizationId)).toEqual(before);
    expect((await atSandbox(authorizationId))?.captureOutcome).toBeNull();
  });

  it("answers UNAVAILABLE when the provider was not reached, leaving it AUTHORIZED, and captures on a repeat", async () => {
    const authorizationId = await authorized();
    unreachable = true;
    const error = await rejectionOf(client().captureAuthorization({ authorizationId }));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toContain("nothing was captured");
    expect((await stored(authorizationId))?.status).toBe("AUTHORIZED");
    const { authorization } = await client().captureAuthorization({ authorizationId });
    expect(authorization?.status).toBe(AuthorizationStatus.CAPTURED);
  });

  it("answers NOT_FOUND for an unknown authorization", async () => {
    const authorizationId = createId("au");
    const error = await rejectionOf(client().captureAuthorization({ authorizationId }));
    expect(error.code).toBe(Code.NotFound);
  });

  it.each([
    ["authorization_id", { authorizationId: "" }, "authorization_id: is required"],
    [
      "authorization_id",
      { authorizationId: "ch_01JDZ8E4K3Q9V6T2W5X7Y8Z0AB" },
      "authorization_id: must be a au_… id",
    ],
    ["amount_to_capture", { amountToCapture: 0n }, "amount_to_capture: must be greater than 0"],
    ["amount_to_capture", { amountToCapture: -5n }, "amount_to_capture: must be greater than 0"],
    [
      "amount_to_capture",
      { amountToCapture: 5001n },
      "amount_to_capture: must be at most the authorized amount, 5000 USD",
    ],
  ])(
    "rejects a bad %s with INVALID_ARGUMENT naming it, changing nothing",
    async (_field, bad, message) => {
      const authorizationId = await authorized();
      const before = await stored(authorizationId);
      const error = await rejectionOf(client().captureAuthorization({ authorizationId, ...bad }));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toBe(message);
      expect(await stored(authorizationId)).toEqual(before);
      expect((await atSandbox(authorizationId))?.captureOutcome).toBeNull();
    },
  );

  it("lets exactly one of 20 concurrent captures and 20 concurrent voids reach the provider", async () => {
    const authorizationId = await authorized();
    const before = { ...reached };
    const settled = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) =>
        i % 2 === 0
          ? client().captureAuthorization({ authorizationId })
          : client().voidAuthorization({ authorizationId }),
      ),
    );
    expect(reached.captures - before.captures + reached.voids - before.voids).toBe(1);
    const sandbox = await atSandbox(authorizationId);
    const captured = sandbox?.captureOutcome === "SUCCEEDED";
    expect(captured).toBe(sandbox?.voidedAt === null);
    const winner = captured ? AuthorizationStatus.CAPTURED : AuthorizationStatus.VOIDED;
    for (const [i, result] of settled.entries()) {
      const isWinnersKind = (i % 2 === 0) === captured;
      if (isWinnersKind) {
        expect(result.status).toBe("fulfilled");
        if (result.status === "fulfilled") expect(result.value.authorization?.status).toBe(winner);
      } else {
        expect(result.status).toBe("rejected");
        if (result.status === "rejected") {
          expect(ConnectError.from(result.reason).code).toBe(Code.FailedPrecondition);
        }
      }
    }
  });
});
