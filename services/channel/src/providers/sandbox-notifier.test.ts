import { ChannelService, ChargeStatus } from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { createId, startService } from "@kassa/platform";
import {
  captureLogs,
  createTestDatabase,
  eventually,
  freePort,
  type TestDatabase,
  testClient,
  testServiceEnv,
  testTokens,
} from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { notificationRepository } from "../db/notification-repository.js";
import { sandboxRepository } from "../db/sandbox-repository.js";
import { channelService } from "../server.js";

// The sandbox keeps the notifications it owes in its tables: one it could not deliver is
// resent by the next process on the same database.

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase("channel_notifier");
});
afterAll(() => database.drop());

let aheadMs = 0;
const clock = { now: () => new Date(Date.now() + aheadMs) };
const startChannel = (extra: Record<string, string>) =>
  startService(channelService, {
    env: testServiceEnv({ databaseUrl: database.url, extra }),
    clock,
    logDestination: captureLogs().stream,
  });

describe("the sandbox notifier", () => {
  it("resends an undelivered notification after the channel restarts, and the charge settles", async () => {
    // The first process sends to a port where nobody listens: the notification stays owed.
    const first = await startChannel({
      SANDBOX_NOTIFICATION_DELAY_MS: "0",
      SANDBOX_NOTIFICATION_URL: `http://127.0.0.1:${await freePort()}/webhooks/sandbox`,
    });
    const idempotencyKey = createId("pay");
    const { charge } = await testClient(ChannelService, first.url, testTokens.internal).charge({
      idempotencyKey,
      channel: "sandbox",
      merchantId: createId("mer"),
      amount: 700n,
      currency: "EUR",
      paymentMethod: "tok_pendingThenSucceeds",
    });
    expect(charge?.status).toBe(ChargeStatus.PENDING);
    await eventually(async () => {
      const owed = await sandboxRepository.findNotificationOf(first.context.db, charge?.id ?? "");
      expect(owed?.attempts).toBeGreaterThanOrEqual(1);
      expect(owed?.acknowledgedAt).toBeNull();
    });
    await first.stop();

    // The next process, past the retry's time, delivers it to itself.
    aheadMs += 120_000;
    const second = await startChannel({});
    try {
      await eventually(async () => {
        const owed = await sandboxRepository.findNotificationOf(
          second.context.db,
          charge?.id ?? "",
        );
        expect(owed?.acknowledgedAt).not.toBeNull();
        const received = await notificationRepository.find(
          second.context.db,
          "sandbox",
          owed?.id ?? "",
        );
        expect(received?.applied).toBe(true);
      });
      const channel = testClient(ChannelService, second.url, testTokens.internal);
      const { charge: now } = await channel.getCharge({ channel: "sandbox", idempotencyKey });
      expect(now?.status).toBe(ChargeStatus.SUCCEEDED);
    } finally {
      await second.stop();
    }
  });
});
