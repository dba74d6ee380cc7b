import { Code } from "@connectrpc/connect";
import { ChannelService } from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { rejectionOf, startTestService, testTokens } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { channelService } from "../server.js";

const start = () => startTestService(channelService, { label: "channel_list" });
let service: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  service = await start();
});
afterAll(() => service.stop());

const client = () => service.client(ChannelService, testTokens.internal);

describe("ListChannels", () => {
  it("reports the sandbox as a test channel with its sorted currencies", async () => {
    const { channels } = await client().listChannels({});
    expect(channels.map((c) => c.name)).toEqual(["sandbox"]);
    const [sandbox] = channels;
    expect(sandbox).toMatchObject({ displayName: "Sandbox (test)", testMode: true });
    expect(sandbox?.currencies).toEqual([...(sandbox?.currencies ?? [])].sort());
    // Zero-decimal and three-decimal currencies are there, not just two-decimal ones.
    expect(sandbox?.currencies).toEqual(expect.arrayContaining(["USD", "EUR", "JPY", "KWD"]));
  });

  it("filters by a currency: the sandbox for JPY, nothing for one it does not take", async () => {
    expect((await client().listChannels({ currency: "JPY" })).channels.map((c) => c.name)).toEqual([
      "sandbox",
    ]);
    expect((await client().listChannels({ currency: "ISK" })).channels).toEqual([]);
  });

  it.each([
    ["usd", "currency: must be an ISO 4217 currency code such as USD"],
    ["XXX", "currency: must be an ISO 4217 currency code such as USD"],
  ])("rejects the malformed currency %s with INVALID_ARGUMENT", async (currency, message) => {
    const error = await rejectionOf(client().listChannels({ currency }));
    expect([error.code, error.rawMessage]).toEqual([Code.InvalidArgument, message]);
  });

  it("answers UNAUTHENTICATED without the internal token", async () => {
    const error = await rejectionOf(service.client(ChannelService).listChannels({}));
    expect(error.code).toBe(Code.Unauthenticated);
  });
});
