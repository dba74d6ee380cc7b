import type { Command } from "commander";
import { registerBalanceCommand } from "./commands/balance-command.js";
import { registerKeysCommand } from "./commands/keys-command.js";
import { registerMerchantsCommand } from "./commands/merchants-command.js";
import { registerPaymentsCommand } from "./commands/payments-command.js";
import { registerSettlementsCommand } from "./commands/settlements-command.js";
import { registerStatusCommand } from "./commands/status-command.js";
import { registerWebhooksCommand } from "./commands/webhooks-command.js";
import type { OperatorContext } from "./operator-context.js";

/** Adds the commands that operate a running platform (status, merchants, payments…). */
export function registerOperatorCommands(program: Command, context: OperatorContext): void {
  registerStatusCommand(program, context);
  registerMerchantsCommand(program, context);
  registerKeysCommand(program, context);
  registerPaymentsCommand(program, context);
  registerSettlementsCommand(program, context);
  registerBalanceCommand(program, context);
  registerWebhooksCommand(program, context);
}
