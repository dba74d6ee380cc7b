import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import {
  type AddBlocklistEntryRequestSchema,
  BlocklistEntryType,
  RiskService,
} from "@kassa/contracts/kassa/risk/v1/risk_pb";
import { createId } from "@kassa/platform";
import { rejectionOf, startTestService, testTokens } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blocklistEntries } from "../db/schema.js";
import { riskService } from "../server.js";

// The service's clock, moved by the test that lets an entry expire.
let now = new Date("2030-01-01T00:00:00Z");
const clock = { now: () => now };
const inOneHour = () => timestampFromDate(new Date(now.getTime() + 3600_000));
const later = (ms: number) => timestampFromDate(new Date(now.getTime() + ms));

const start = () => startTestService(riskService, { label: "risk_block_add", clock });
let service: Awaited<ReturnType<typeof start>>;
beforeAll(async () => {
  service = await start();
});
afterAll(() => service.stop());

const admin = () => service.client(RiskService, testTokens.admin);
const count = () => service.context.db.$count(blocklistEntries);
type AddInit = Omit<MessageInitShape<typeof AddBlocklistEntryRequestSchema>, "$typeName">;
const deviceEntry = (overrides: AddInit = {}) => ({
  type: BlocklistEntryType.DEVICE_ID,
  value: createId("dev"),
  reason: "chargeback ring",
  ...overrides,
});

describe("AddBlocklistEntry", () => {
  it("adds an active entry with a blk_ id, its reason and expiry", async () => {
    const expiresAt = later(90_061_123);
    const request = deviceEntry({ expiresAt });
    const { entry } = await admin().addBlocklistEntry(request);
    expect(entry).toMatchObject({
      type: BlocklistEntryType.DEVICE_ID,
      value: request.value,
      reason: "chargeback ring",
      expiresAt,
      createdAt: timestampFromDate(now),
      active: true,
    });
    expect(entry?.removedAt).toBeUndefined();
    expect(entry?.id).toMatch(/^blk_[0-9A-Z]{26}$/);
  });

  it.each([
    [
      "an email, trimmed and lower-cased",
      BlocklistEntryType.EMAIL,
      "  Fraud@Example.COM ",
      "fraud@example.com",
    ],
    ["an IPv4 address", BlocklistEntryType.IP, "192.0.2.7", "192.0.2.7"],
    ["an IPv6 address, compressed", BlocklistEntryType.IP, "2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["an IPv4-mapped IPv6 address, as IPv4", BlocklistEntryType.IP, "::ffff:10.0.0.1", "10.0.0.1"],
    ["a device id, as given", BlocklistEntryType.DEVICE_ID, "Device-ABC", "Device-ABC"],
    ["a payment method, as given", BlocklistEntryType.PAYMENT_METHOD, "tok_Stolen", "tok_Stolen"],
  ])("stores %s", async (_what, type, value, stored) => {
    const { entry } = await admin().addBlocklistEntry({ type, value });
    expect(entry?.value).toBe(stored);
  });

  it("answers ALREADY_EXISTS for a value already actively blocked, without echoing it", async () => {
    await admin().addBlocklistEntry({ type: BlocklistEntryType.EMAIL, value: "dup@example.com" });
    const before = await count();
    const error = await rejectionOf(
      admin().addBlocklistEntry({ type: BlocklistEntryType.EMAIL, value: "DUP@example.com" }),
    );
    expect(error.code).toBe(Code.AlreadyExists);
    expect(error.rawMessage).toMatch(
      /^an active EMAIL blocklist entry blk_[0-9A-Z]{26} already blocks this value$/,
    );
    expect(await count()).toBe(before);
  });

  it("blocks the same value under another type", async () => {
    const value = createId("same");
    await admin().addBlocklistEntry({ type: BlocklistEntryType.DEVICE_ID, value });
    const { entry } = await admin().addBlocklistEntry({
      type: BlocklistEntryType.PAYMENT_METHOD,
      value,
    });
    expect(entry?.active).toBe(true);
  });

  it("blocks a value again once its entry is removed or has expired", async () => {
    const removed = deviceEntry();
    const first = await admin().addBlocklistEntry(removed);
    await admin().removeBlocklistEntry({ entryId: first.entry?.id ?? "" });
    const again = await admin().addBlocklistEntry(removed);
    expect(again.entry?.id).not.toBe(first.entry?.id);

    const expiring = deviceEntry({ expiresAt: inOneHour() });
    const expired = await admin().addBlocklistEntry(expiring);
    now = new Date(now.getTime() + 3600_000);
    const renewed = await admin().addBlocklistEntry({ ...expiring, expiresAt: undefined });
    expect(renewed.entry?.id).not.toBe(expired.entry?.id);
    expect(renewed.entry?.active).toBe(true);
  });

  it("makes exactly one entry when 10 adds of one value race", async () => {
    const request = deviceEntry();
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => admin().addBlocklistEntry(request)),
    );
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    for (const result of results) {
      if (result.status === "rejected") {
        expect(result.reason).toMatchObject({ code: Code.AlreadyExists });
      }
    }
  });

  it.each([
    ["type", { type: BlocklistEntryType.UNSPECIFIED }, "type: is required"],
    [
      "type",
      { type: 99 as BlocklistEntryType },
      "type: must be EMAIL, IP, DEVICE_ID or PAYMENT_METHOD",
    ],
    ["value", { value: "" }, "value: is required"],
    ["value", { value: "v".repeat(256) }, "value: must be at most 255 characters"],
    ["value", { value: " padded " }, "value: must not start or end with whitespace"],
    ["value", { type: BlocklistEntryType.EMAIL, value: "   " }, "value: is required"],
    [
      "value",
      { type: BlocklistEntryType.EMAIL, value: "nobody" },
      "value: must be an email address",
    ],
    [
      "value",
      { type: BlocklistEntryType.EMAIL, value: `${"a".repeat(243)}@example.com` },
      "value: must be at most 254 characters",
    ],
    [
      "value",
      { type: BlocklistEntryType.IP, value: "10.0.0" },
      "value: must be an IPv4 or IPv6 address",
    ],
    ["reason", { reason: "r".repeat(501) }, "reason: must be at most 500 characters"],
    ["expires_at", { expiresAt: timestampFromDate(now) }, "expires_at: must be in the future"],
    [
      "expires_at",
      { expiresAt: timestampFromDate(new Date("2000-01-01T00:00:00Z")) },
      "expires_at: must be in the future",
    ],
  ])(
    "rejects a bad %s with INVALID_ARGUMENT naming it, writing nothing",
    async (_field, bad, message) => {
      const before = await count();
      const error = await rejectionOf(admin().addBlocklistEntry(deviceEntry(bad as AddInit)));
      expect([error.code, error.rawMessage]).toEqual([Code.InvalidArgument, message]);
      expect(await count()).toBe(before);
    },
  );

  it("takes only the admin token: the internal token or none is UNAUTHENTICATED", async () => {
    const before = await count();
    for (const token of [testTokens.internal, undefined, "wrong-token"]) {
      const error = await rejectionOf(
        service.client(RiskService, token).addBlocklistEntry(deviceEntry()),
      );
      expect(error.code).toBe(Code.Unauthenticated);
    }
    expect(await count()).toBe(before);
  });
});
