import { Code } from "@connectrpc/connect";
import { AuthorizationStatus, ChannelService } from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { createId } from "@kassa/platform";
import { rejectionOf, startTestService, testTokens } from "@kassa/platform/testing";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sandboxAuthorizations } from "../db/schema.js";
import { channelService } from "../server.js";

const start = () => startTestService(channelService, { label: "channel_void_authorization" });
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
    amount: 3000n,
    currency: "EUR",
    paymentMethod,
  });
  return authorization?.id ?? "";
}
const atSandbox = async (id: string) => {
  const [row] = await service.context.db
    .select()
    .from(sandboxAuthorizations)
    .where(eq(sandboxAuthorizations.id, id));
  return row;
};

describe("VoidAuthorization", () => {
  it("releases the hold: VOIDED, nothing capturable or captured", async () => {
    const authorizationId = await authorized();
    const { authorization } = await client().voidAuthorization({ authorizationId });
    expect(authorization).toMatchObject({
      id: authorizationId,
      status: AuthorizationStatus.VOIDED,
      amountCapturable: 0n,
      amountCaptured: 0n,
    });
    expect((await atSandbox(authorizationId))?.voidedAt).not.toBeNull();
  });

  it("answers a repeated void with the first outcome", async () => {
    const authorizationId = await authorized();
    const first = await client().voidAuthorization({ authorizationId });
    const voidedAt = (await atSandbox(authorizationId))?.voidedAt;
    const again = await client().voidAuthorization({ authorizationId });
    expect(again.authorization).toEqual(first.authorization);
    expect((await atSandbox(authorizationId))?.voidedAt).toEqual(voidedAt);
  });

  it("refuses to void a captured authorization with FAILED_PRECONDITION", async () => {
    const authorizationId = await authorized();
    await client().captureAuthorization({ authorizationId });
    const error = await rejectionOf(client().voidAuthorization({ authorizationId }));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toBe(
      `authorization ${authorizationId} is CAPTURED; only an AUTHORIZED authorization can be voided`,
    );
    expect((await atSandbox(authorizationId))?.voidedAt).toBeNull();
  });

  it("refuses to void a declined authorization with FAILED_PRECONDITION", async () => {
    const authorizationId = await authorized("tok_insufficientFunds");
    const error = await rejectionOf(client().voidAuthorization({ authorizationId }));
    expect(error.code).toBe(Code.FailedPrecondition);
  });

  it("answers NOT_FOUND for an unknown authorization", async () => {
    const error = await rejectionOf(
      client().voidAuthorization({ authorizationId: createId("au") }),
    );
    expect(error.code).toBe(Code.NotFound);
  });

  it("rejects a bad authorization_id with INVALID_ARGUMENT naming it", async () => {
    const error = await rejectionOf(client().voidAuthorization({ authorizationId: "au_1" }));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe("authorization_id: must be a au_… id");
  });
});
