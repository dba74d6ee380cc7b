import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { BlocklistEntryType, RiskService } from "@kassa/contracts/kassa/risk/v1/risk_pb";
import { createId } from "@kassa/platform";
import { rejectionOf, startTestService, testTokens } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blocklistEntries } from "../db/schema.js";
import { riskService } from "../server.js";

// The service's clock, moved so removal times differ from creation times.
let now = new Date("2030-01-01T00:00:00Z");
const clock = { now: () => now };
const advance = (ms: number) => {
  now = new Date(now.getTime() + ms);
};

const start = () => startTestService(riskService, { label: "risk_block_remove", clock });
let service: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  service = await start();
});
afterAll(() => service.stop());

const admin = () => service.client(RiskService, testTokens.admin);
async function newEntry() {
  const { entry } = await admin().addBlocklistEntry({
    type: BlocklistEntryType.PAYMENT_METHOD,
    value: createId("tok"),
  });
  return entry?.id ?? "";
}

describe("RemoveBlocklistEntry", () => {
  it("deactivates the entry at once and keeps it, with removed_at", async () => {
    const entryId = await newEntry();
    const before = await service.context.db.$count(blocklistEntries);
    advance(60_000);
    const { entry } = await admin().removeBlocklistEntry({ entryId });
    expect(entry).toMatchObject({ id: entryId, active: false, removedAt: timestampFromDate(now) });
    expect(await service.context.db.$count(blocklistEntries)).toBe(before);
  });

  it("is idempotent: removing a removed entry returns it unchanged", async () => {
    const entryId = await newEntry();
    const first = await admin().removeBlocklistEntry({ entryId });
    advance(60_000);
    const again = await admin().removeBlocklistEntry({ entryId });
    expect(again.entry).toEqual(first.entry);
  });

  it("records the removal of an entry that had already expired", async () => {
    const { entry: added } = await admin().addBlocklistEntry({
      type: BlocklistEntryType.DEVICE_ID,
      value: createId("dev"),
      expiresAt: timestampFromDate(new Date(now.getTime() + 1000)),
    });
    advance(5000);
    const { entry } = await admin().removeBlocklistEntry({ entryId: added?.id ?? "" });
    expect(entry).toMatchObject({ active: false, removedAt: timestampFromDate(now) });
  });

  it("answers NOT_FOUND for an unknown entry", async () => {
    const entryId = createId("blk");
    const error = await rejectionOf(admin().removeBlocklistEntry({ entryId }));
    expect([error.code, error.rawMessage]).toEqual([
      Code.NotFound,
      `blocklist entry ${entryId} not found`,
    ]);
  });

  it.each([
    ["an empty entry_id", "", "entry_id: is required"],
    ["a malformed entry_id", "blk_nope", "entry_id: must be a blk_… id"],
    ["another kind of id", "rsk_01JDZ8E4K3Q9V6T2W5X7Y8Z0AB", "entry_id: must be a blk_… id"],
  ])("rejects %s with INVALID_ARGUMENT naming it", async (_what, entryId, message) => {
    const error = await rejectionOf(admin().removeBlocklistEntry({ entryId }));
    expect([error.code, error.rawMessage]).toEqual([Code.InvalidArgument, message]);
  });

  it("takes only the admin token: the internal token or none is UNAUTHENTICATED, changing nothing", async () => {
    const entryId = await newEntry();
    for (const token of [testTokens.internal, undefined]) {
      const error = await rejectionOf(
        service.client(RiskService, token).removeBlocklistEntry({ entryId }),
      );
      expect(error.code).toBe(Code.Unauthenticated);
    }
    const { entries } = await admin().listBlocklistEntries({
      type: BlocklistEntryType.PAYMENT_METHOD,
    });
    expect(entries.find((entry) => entry.id === entryId)?.active).toBe(true);
  });
});
