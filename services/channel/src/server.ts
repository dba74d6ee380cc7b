import { fileURLToPath } from "node:url";
import { ChannelService } from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { type Clock, defineService, loadTlsSettings } from "@kassa/platform";
import { channelEnv } from "./channel-env.js";
import { createChannelMetrics } from "./channel-metrics.js";
import { dependencies } from "./clients.js";
import type { ChannelDatabase } from "./db/channel-database.js";
import * as schema from "./db/schema.js";
import { createInFlightCalls } from "./in-flight-calls.js";
import { authorize } from "./operations/authorize.js";
import { captureAuthorization } from "./operations/capture-authorization.js";
import type { ChannelContext } from "./operations/channel-context.js";
import { charge } from "./operations/charge.js";
import { getAuthorization } from "./operations/get-authorization.js";
import { getChannelRefund } from "./operations/get-channel-refund.js";
import { getCharge } from "./operations/get-charge.js";
import { listChannels } from "./operations/list-channels.js";
import { notificationPathPrefix, receiveNotification } from "./operations/receive-notification.js";
import { refund } from "./operations/refund.js";
import { voidAuthorization } from "./operations/void-authorization.js";
import { createChannelRegistry } from "./providers/channel-registry.js";
import type { Provider } from "./providers/provider.js";
import { startSandboxNotifier } from "./providers/sandbox-notifier.js";
import { createSandboxProvider } from "./providers/sandbox-provider.js";

/** Options for {@link createChannelService}. */
export interface ChannelServiceOptions {
  /**
   * Where the sandbox's chaos draws (`SANDBOX_FAILURE_RATE`) come from, in [0, 1). Default
   * `Math.random`; tests pass a fixed sequence to decide which charge meets the outage.
   */
  readonly random?: () => number;
  /**
   * The channels to serve, made once storage is up. Default the built-in sandbox alone; a
   * real provider joins here, and tests pass one that fails on cue.
   */
  readonly providers?: (storage: { db: ChannelDatabase; clock: Clock }) => Provider[];
}

/** The channel service, with its channels chosen by `options`; wiring only. */
export function createChannelService(options: ChannelServiceOptions = {}) {
  return defineService({
    name: "channel",
    service: ChannelService,
    defaultPort: 8083,
    access: { kind: "internal" },
    dependencies,
    env: channelEnv,
    database: {
      schemaName: "channel",
      schema,
      migrationsFolder: fileURLToPath(new URL("../drizzle", import.meta.url)),
    },
    setup(service) {
      const { config } = service;
      const storage = { db: service.db, clock: service.clock };
      // The notifier starts in background(), once the port it posts to is open.
      let wakeNotifier = (_inMs: number) => {};
      const providers = options.providers?.(storage) ?? [
        createSandboxProvider({
          ...storage,
          latencyMs: config.SANDBOX_LATENCY_MS,
          failureRate: config.SANDBOX_FAILURE_RATE,
          timeoutHoldMs: config.SANDBOX_TIMEOUT_HOLD_MS,
          authorizationTtlMs: config.SANDBOX_AUTHORIZATION_TTL_MS,
          notificationDelayMs: config.SANDBOX_NOTIFICATION_DELAY_MS,
          webhookSecret: config.SANDBOX_WEBHOOK_SECRET,
          onNotificationDue: (inMs) => wakeNotifier(inMs),
          ...(options.random && { random: options.random }),
        }),
      ];
      const { PROVIDER_CALL_TIMEOUT_MS, CHANNEL_CLAIM_TIMEOUT_MS } = config;
      if (CHANNEL_CLAIM_TIMEOUT_MS <= PROVIDER_CALL_TIMEOUT_MS) {
        // A claim could be declared abandoned while its provider call still runs.
        throw new Error("CHANNEL_CLAIM_TIMEOUT_MS must exceed PROVIDER_CALL_TIMEOUT_MS");
      }
      const context: ChannelContext = {
        db: service.db,
        clock: service.clock,
        providerCallTimeoutMs: PROVIDER_CALL_TIMEOUT_MS,
        claimTimeoutMs: CHANNEL_CLAIM_TIMEOUT_MS,
        channels: createChannelRegistry(providers),
        chargeCalls: createInFlightCalls(),
        refundCalls: createInFlightCalls(),
        authorizeCalls: createInFlightCalls(),
        captureOrVoidCalls: createInFlightCalls(),
      };
      const notifications = {
        ...context,
        logger: service.logger,
        metrics: createChannelMetrics(service.metrics.registry),
        redis: service.redis,
      };
      const sandboxIsServed = !options.providers;
      return {
        httpRoutes: [
          {
            method: "POST",
            pathPrefix: notificationPathPrefix,
            handle: (request) => receiveNotification(notifications, request),
          },
        ],
        routes(router) {
          router.service(ChannelService, {
            charge: (request, call) => charge(context, request, call),
            getCharge: (request) => getCharge(context, request),
            refund: (request, call) => refund(context, request, call),
            getChannelRefund: (request) => getChannelRefund(context, request),
            listChannels: (request) => listChannels(context, request),
            authorize: (request, call) => authorize(context, request, call),
            getAuthorization: (request) => getAuthorization(context, request),
            captureAuthorization: (request, call) => captureAuthorization(context, request, call),
            voidAuthorization: (request, call) => voidAuthorization(context, request, call),
          });
        },
        async background({ url }) {
          if (!sandboxIsServed) return;
          // The built-in sandbox sends its notifications as a provider would: over the network.
          const notifier = startSandboxNotifier({
            db: service.db,
            clock: service.clock,
            logger: service.logger,
            url: config.SANDBOX_NOTIFICATION_URL ?? `${url}${notificationPathPrefix}sandbox`,
            secret: config.SANDBOX_WEBHOOK_SECRET,
            tls: loadTlsSettings(config).client,
            signal: service.shutdownSignal,
          });
          wakeNotifier = notifier.wakeIn;
          await notifier.stopped;
        },
      };
    },
  });
}

/** The channel service as `npm start` and `main.ts` run it. */
export const channelService = createChannelService();
