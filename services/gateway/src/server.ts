import { fileURLToPath } from "node:url";
import { GatewayService } from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { defineService } from "@kassa/platform";
import { createChannelCatalog } from "./channel-catalog.js";
import { dependencies } from "./clients.js";
import * as schema from "./db/schema.js";
import type { GatewayContext } from "./gateway-context.js";
import { gatewayEnv } from "./gateway-env.js";
import { createGatewayMetrics } from "./gateway-metrics.js";
import { createMerchantAuthentication } from "./merchant-authentication.js";
import { cancelPayment } from "./operations/cancel-payment.js";
import { capturePayment } from "./operations/capture-payment.js";
import { createPayment } from "./operations/create-payment.js";
import { createRefund } from "./operations/create-refund.js";
import { createWebhookEndpoint } from "./operations/create-webhook-endpoint.js";
import { deleteWebhookEndpoint } from "./operations/delete-webhook-endpoint.js";
import { getEvent } from "./operations/get-event.js";
import { getPayment } from "./operations/get-payment.js";
import { getRefund } from "./operations/get-refund.js";
import { getWebhookEndpoint } from "./operations/get-webhook-endpoint.js";
import { listEvents } from "./operations/list-events.js";
import { listPaymentEvents } from "./operations/list-payment-events.js";
import { listPayments } from "./operations/list-payments.js";
import { listRefunds } from "./operations/list-refunds.js";
import { listWebhookEndpoints } from "./operations/list-webhook-endpoints.js";
import { redeliverEvent } from "./operations/redeliver-event.js";
import { rollWebhookEndpointSecret } from "./operations/roll-webhook-endpoint-secret.js";
import { updateWebhookEndpoint } from "./operations/update-webhook-endpoint.js";
import { createOutboxCheck } from "./outbox/outbox-check.js";
import { startOutboxRelay } from "./outbox/outbox-relay.js";
import { startReconciler } from "./saga/reconciler.js";
import { startSettlementHints } from "./settlement-hints.js";
import {
  createWebhookAddressPolicy,
  type HostResolver,
} from "./webhooks/webhook-address-policy.js";
import { startWebhookRelay } from "./webhooks/webhook-relay.js";
import { createWebhookSecretBox } from "./webhooks/webhook-secret-box.js";
import { createWebhookSender } from "./webhooks/webhook-sender.js";

/** Options of {@link createGatewayService}. */
export interface GatewayServiceOptions {
  /**
   * How webhook URLs' hosts are resolved (at registration and at every delivery). Default the
   * system resolver; tests inject one to make a public-looking name resolve to loopback.
   */
  resolver?: HostResolver;
}

/** The gateway: the public, merchant-facing API and the payment and refund sagas. Wiring only. */
export function createGatewayService(options: GatewayServiceOptions = {}) {
  return defineService({
    name: "gateway",
    service: GatewayService,
    defaultPort: 8080,
    // Merchants authenticate with API keys, checked by the gateway itself.
    access: { kind: "public" },
    dependencies,
    env: gatewayEnv,
    database: {
      schemaName: "gateway",
      schema,
      migrationsFolder: fileURLToPath(new URL("../drizzle", import.meta.url)),
    },
    setup(service) {
      const { config } = service;
      // The relays start in background(); events committed before that wait for the outbox relay.
      let deliverOutbox: (events: readonly schema.OutboxRow[]) => void = (events) => {
        early.push(...events);
      };
      const early: schema.OutboxRow[] = [];
      let wakeWebhooks = () => {};
      const addressPolicy = createWebhookAddressPolicy({
        allowPrivate: config.WEBHOOK_ALLOW_PRIVATE_URLS,
        ...(options.resolver && { resolver: options.resolver }),
      });
      const secretBox = createWebhookSecretBox(config);
      const context: GatewayContext = {
        db: service.db,
        clock: service.clock,
        logger: service.logger,
        clients: service.clients,
        metrics: createGatewayMetrics(service.metrics.registry),
        tracing: service.tracing,
        channels: createChannelCatalog({
          channels: service.clients.channel,
          clock: service.clock,
          logger: service.logger,
        }),
        outbox: {
          holdMs: config.OUTBOX_LEASE_MS,
          deliver: (events) => deliverOutbox(events),
        },
        webhooks: { secretBox, addressPolicy, wake: () => wakeWebhooks() },
      };
      return {
        interceptors: [
          createMerchantAuthentication({
            merchants: service.clients.merchant,
            redis: service.redis,
            cacheTtlMs: config.GATEWAY_AUTH_CACHE_TTL_MS,
            rateLimitPerMinute: config.GATEWAY_RATE_LIMIT_PER_MINUTE,
            adminToken: config.KASSA_ADMIN_TOKEN,
            logger: service.logger,
          }),
        ],
        routes(router) {
          router.service(GatewayService, {
            createPayment: (request, call) => createPayment(context, request, call),
            getPayment: (request, call) => getPayment(context, request, call),
            listPayments: (request, call) => listPayments(context, request, call),
            capturePayment: (request, call) => capturePayment(context, request, call),
            cancelPayment: (request, call) => cancelPayment(context, request, call),
            createRefund: (request, call) => createRefund(context, request, call),
            getRefund: (request, call) => getRefund(context, request, call),
            listRefunds: (request, call) => listRefunds(context, request, call),
            listPaymentEvents: (request, call) => listPaymentEvents(context, request, call),
            createWebhookEndpoint: (request, call) => createWebhookEndpoint(context, request, call),
            getWebhookEndpoint: (request, call) => getWebhookEndpoint(context, request, call),
            listWebhookEndpoints: (request, call) => listWebhookEndpoints(context, request, call),
            updateWebhookEndpoint: (request, call) => updateWebhookEndpoint(context, request, call),
            deleteWebhookEndpoint: (request, call) => deleteWebhookEndpoint(context, request, call),
            rollWebhookEndpointSecret: (request, call) =>
              rollWebhookEndpointSecret(context, request, call),
            listEvents: (request, call) => listEvents(context, request, call),
            getEvent: (request, call) => getEvent(context, request, call),
            redeliverEvent: (request, call) => redeliverEvent(context, request, call),
          });
        },
        checks: [createOutboxCheck(service.db, () => service.clock.now())],
        async background() {
          const relay = startOutboxRelay({
            db: service.db,
            clock: service.clock,
            logger: service.logger,
            metrics: context.metrics,
            tracing: service.tracing,
            targets: { order: service.clients.order, accounting: service.clients.accounting },
            targetHealth: service.dependencyHealth,
            pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
            batchSize: config.OUTBOX_BATCH_SIZE,
            maxAttempts: config.OUTBOX_MAX_ATTEMPTS,
            backoffInitialMs: config.OUTBOX_BACKOFF_INITIAL_MS,
            backoffMaxMs: config.OUTBOX_BACKOFF_MAX_MS,
            leaseMs: config.OUTBOX_LEASE_MS,
            signal: service.shutdownSignal,
          });
          deliverOutbox = relay.deliver;
          relay.deliver(early.splice(0));
          const webhooks = startWebhookRelay({
            db: service.db,
            clock: service.clock,
            logger: service.logger,
            metrics: context.metrics,
            secretBox,
            sender: createWebhookSender({ addressPolicy, timeoutMs: config.WEBHOOK_TIMEOUT_MS }),
            pollIntervalMs: config.WEBHOOK_POLL_INTERVAL_MS,
            maxInFlight: config.WEBHOOK_MAX_IN_FLIGHT,
            endpointConcurrency: config.WEBHOOK_ENDPOINT_CONCURRENCY,
            // A lease shorter than an attempt would let another relay send it again meanwhile.
            leaseMs: Math.max(config.WEBHOOK_LEASE_MS, config.WEBHOOK_TIMEOUT_MS + 5000),
            maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
            backoffInitialMs: config.WEBHOOK_BACKOFF_INITIAL_MS,
            backoffMaxMs: config.WEBHOOK_BACKOFF_MAX_MS,
            disableAfterMs: config.WEBHOOK_DISABLE_AFTER_MS,
            breakerFailures: config.WEBHOOK_BREAKER_FAILURES,
            breakerHalfOpenAfterMs: config.WEBHOOK_BREAKER_HALF_OPEN_AFTER_MS,
            signal: service.shutdownSignal,
          });
          wakeWebhooks = webhooks.wake;
          const reconciler = startReconciler(context, {
            intervalMs: config.RECONCILE_INTERVAL_MS,
            afterMs: config.RECONCILE_AFTER_MS,
            pendingAfterMs: config.RECONCILE_PENDING_AFTER_MS,
            captureExpiryMs: config.CAPTURE_EXPIRY_MS,
            channelHealth: service.dependencyHealth.channel,
            signal: service.shutdownSignal,
          });
          const hints = startSettlementHints(context, service.redis, service.shutdownSignal);
          await Promise.all([relay.stopped, webhooks.stopped, reconciler, hints]);
        },
      };
    },
  });
}

/** The gateway as `npm start` and `main.ts` run it. */
export const gatewayService = createGatewayService();
