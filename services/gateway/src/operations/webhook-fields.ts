import { randomBytes } from "node:crypto";
import { requestFields, rpcErrors } from "@kassa/platform";
import type { GatewayContext } from "../gateway-context.js";
import { WebhookAddressRefused } from "../webhooks/webhook-address-policy.js";
import { eventTypes } from "../webhooks/webhook-events.js";

/** Every event type, or `*` for all of them. */
const subscribable = new Set<string>([...eventTypes, "*"]);

/** Field checks of the webhook RPCs. */
export const webhookFields = {
  /**
   * A webhook URL: http(s), at most 2048 characters, no credentials, and a host that resolves
   * only to addresses the policy allows (checked again at every delivery).
   */
  async url(context: GatewayContext, value: string): Promise<string> {
    requestFields.text("url", value, { max: 2048 });
    if (!URL.canParse(value)) throw rpcErrors.invalidArgument("url", "must be an absolute URL");
    const url = new URL(value);
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw rpcErrors.invalidArgument("url", "must be an http or https URL");
    }
    if (url.username || url.password) {
      throw rpcErrors.invalidArgument("url", "must not carry a user name or password");
    }
    try {
      await context.webhooks.addressPolicy.resolve(url);
    } catch (error) {
      if (error instanceof WebhookAddressRefused) {
        throw rpcErrors.invalidArgument("url", error.message);
      }
      throw error;
    }
    return value;
  },

  /** At least one known event type (or `*`), at most 20, duplicates dropped. */
  enabledEvents(values: readonly string[]): string[] {
    if (values.length === 0) {
      throw rpcErrors.invalidArgument("enabled_events", "must name at least one event type");
    }
    if (values.length > 20) {
      throw rpcErrors.invalidArgument("enabled_events", "must name at most 20 event types");
    }
    for (const [index, value] of values.entries()) {
      if (!subscribable.has(value)) {
        throw rpcErrors.invalidArgument(
          `enabled_events[${index}]`,
          `${JSON.stringify(value.slice(0, 64))} is not an event type (${[...subscribable].join(", ")})`,
        );
      }
    }
    return [...new Set(values)];
  },

  /** An optional note, at most 500 characters. */
  description(value: string): string {
    return requestFields.text("description", value, { max: 500, optional: true });
  },

  /** An endpoint id, `we_…`. */
  endpointId(value: string): string {
    return requestFields.id("webhook_endpoint_id", value, "we");
  },

  /** An event type filter: empty, or a known type. */
  eventType(value: string): string | undefined {
    if (value === "") return undefined;
    if (!subscribable.has(value) || value === "*") {
      throw rpcErrors.invalidArgument(
        "type",
        `${JSON.stringify(value.slice(0, 64))} is not an event type`,
      );
    }
    return value;
  },
} as const;

/**
 * A new signing secret, `whsec_` and 256 random bits, and its sealed form for the endpoint.
 * FAILED_PRECONDITION when the gateway has no WEBHOOK_SECRET_KEY to seal it with.
 */
export function newWebhookSecret(
  context: GatewayContext,
  endpointId: string,
): { secret: string; sealed: string } {
  const box = context.webhooks.secretBox;
  if (!box.configured) {
    throw rpcErrors.failedPrecondition(
      "webhooks are not configured on this gateway: its operator must set WEBHOOK_SECRET_KEY",
    );
  }
  const secret = `whsec_${randomBytes(32).toString("base64url")}`;
  return { secret, sealed: box.seal(secret, endpointId) };
}
