import {
  GatewayService,
  RedeliverEventResponseSchema,
  WebhookDeliveryStatusSchema,
} from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import type { Command } from "commander";
import { prefixedId } from "../argument-parsers.js";
import { enumLabel } from "../enum-label.js";
import { messageJson } from "../json-output.js";
import { adminClient, type OperatorContext } from "../operator-context.js";
import { renderTable } from "../text-table.js";

/**
 * `kassa webhooks redeliver`: sends a merchant's event to its webhook endpoints again
 * (GatewayService.RedeliverEvent with the admin token), e.g. after a FAILED delivery or an
 * endpoint outage. The gateway's relay sends the new deliveries with the usual retries.
 */
export function registerWebhooksCommand(program: Command, context: OperatorContext): void {
  const webhooks = program
    .command("webhooks")
    .description("Operate merchants' webhook deliveries (gateway).");

  webhooks
    .command("redeliver")
    .description(
      "Send an event again: to one endpoint, or to every enabled endpoint subscribed to its type.",
    )
    .argument("<event-id>", "event, evt_…", prefixedId("evt_"))
    .option("--endpoint <id>", "only this webhook endpoint, we_…", prefixedId("we_"))
    .option("--json", "print the RedeliverEventResponse as JSON")
    .action(async (eventId: string, options: { endpoint?: string; json?: boolean }) => {
      const gateway = await adminClient(context, GatewayService, "gateway");
      const response = await gateway.redeliverEvent({
        eventId,
        webhookEndpointId: options.endpoint ?? "",
      });
      if (options.json) {
        context.out.write(messageJson(RedeliverEventResponseSchema, response));
        return;
      }
      if (response.deliveries.length === 0) {
        context.out.write(
          `No enabled endpoint is subscribed to ${eventId}'s type; nothing sent.\n`,
        );
        return;
      }
      context.out.write(
        `${eventId} will be sent again:\n${renderTable(
          ["delivery", "endpoint", "status"],
          response.deliveries.map((delivery) => [
            delivery.id,
            delivery.webhookEndpointId,
            enumLabel(WebhookDeliveryStatusSchema, delivery.status),
          ]),
        )}`,
      );
    });
}
