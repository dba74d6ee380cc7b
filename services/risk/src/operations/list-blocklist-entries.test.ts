import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { BlocklistEntryType, RiskService } from "@kassa/contracts/kassa/risk/v1/risk_pb";
import { createId } from "@kassa/platform";
import { rejectionOf, startTestService, testTokens } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { riskService } from "../server.js";

// The service's clock, moved so an entry can expire.
let now = new Date("2030-01-01T00:00:00Z");
const clock = { now: () => now };

const start = () => startTestService(riskService, { label: "risk_block_list", clock });
let service: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  service = await start();
});
afterAll(() => service.stop());

const admin = () => service.client(RiskService, testTokens.admin);
const client = () => service.client(RiskService, testTokens.internal);
let added = 0;
/** A value of `type` not blocked yet. */
function freshValue(type: BlocklistEntryType) {
  added += 1;
  if (type === BlocklistEntryType.IP) return `192.0.2.${added}`;
  if (type === BlocklistEntryType.EMAIL) return `blocked${added}@example.com`;
  return createId("v");
}
async function add(type: BlocklistEntryType, expiresInMs?: number) {
  const { entry } = await admin().addBlocklistEntry({
    type,
    value: freshValue(type),
    ...(expiresInMs && { expiresAt: timestampFromDate(new Date(now.getTime() + expiresInMs)) }),
  });
  return entry?.id ?? "";
}

describe("ListBlocklistEntries", () => {
  it("pages through entries newest first, with the internal token", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await add(BlocklistEntryType.DEVICE_ID));
    const seen: string[][] = [];
    let pageToken = "";
    do {
      const page = await client().listBlocklistEntries({
        type: BlocklistEntryType.DEVICE_ID,
        pageSize: 2,
        pageToken,
      });
      seen.push(page.entries.map((entry) => entry.id));
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    expect(seen).toEqual([ids.slice(3).reverse(), ids.slice(1, 3).reverse(), ids.slice(0, 1)]);
  });

  it("lists only active entries of the type asked for, unless include_inactive", async () => {
    const active = await add(BlocklistEntryType.PAYMENT_METHOD);
    const removed = await add(BlocklistEntryType.PAYMENT_METHOD);
    const expiring = await add(BlocklistEntryType.PAYMENT_METHOD, 1000);
    await add(BlocklistEntryType.EMAIL);
    await admin().removeBlocklistEntry({ entryId: removed });
    now = new Date(now.getTime() + 1000);

    const activeOnly = await client().listBlocklistEntries({
      type: BlocklistEntryType.PAYMENT_METHOD,
    });
    expect(activeOnly.entries.map((entry) => entry.id)).toEqual([active]);

    const everything = await client().listBlocklistEntries({
      type: BlocklistEntryType.PAYMENT_METHOD,
      includeInactive: true,
    });
    expect(everything.entries.map((entry) => [entry.id, entry.active])).toEqual([
      [expiring, false],
      [removed, false],
      [active, true],
    ]);
  });

  it("lists every type when no type is asked for", async () => {
    const ip = await add(BlocklistEntryType.IP);
    const email = await add(BlocklistEntryType.EMAIL);
    const { entries } = await admin().listBlocklistEntries({ pageSize: 2 });
    expect(entries.map((entry) => entry.id)).toEqual([email, ip]);
  });

  it.each([
    ["page_size", { pageSize: -1 }, "page_size: must not be negative"],
    [
      "page_token",
      { pageToken: "not-a-token" },
      "page_token: is malformed or belongs to another query",
    ],
    [
      "type",
      { type: 42 as BlocklistEntryType },
      "type: must be EMAIL, IP, DEVICE_ID or PAYMENT_METHOD",
    ],
  ])("rejects a bad %s with INVALID_ARGUMENT naming it", async (_field, bad, message) => {
    const error = await rejectionOf(client().listBlocklistEntries(bad));
    expect([error.code, error.rawMessage]).toEqual([Code.InvalidArgument, message]);
  });

  it("refuses a page token used with other filters", async () => {
    await add(BlocklistEntryType.IP);
    await add(BlocklistEntryType.IP);
    const first = await client().listBlocklistEntries({ type: BlocklistEntryType.IP, pageSize: 1 });
    expect(first.nextPageToken).not.toBe("");
    const error = await rejectionOf(
      client().listBlocklistEntries({
        type: BlocklistEntryType.IP,
        includeInactive: true,
        pageSize: 1,
        pageToken: first.nextPageToken,
      }),
    );
    expect([error.code, error.rawMessage]).toEqual([
      Code.InvalidArgument,
      "page_token: is malformed or belongs to another query",
    ]);
  });

  it("answers UNAUTHENTICATED without a token", async () => {
    const error = await rejectionOf(service.client(RiskService).listBlocklistEntries({}));
    expect(error.code).toBe(Code.Unauthenticated);
  });
});
