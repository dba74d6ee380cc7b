import {
  AccountingService,
  GetBalanceResponseSchema,
} from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import type { Command } from "commander";
import { currencyCode, prefixedId } from "../argument-parsers.js";
import { formatAmount } from "../format-amount.js";
import { formatTime } from "../format-time.js";
import { messageJson } from "../json-output.js";
import { adminClient, type OperatorContext } from "../operator-context.js";
import { renderFields } from "../text-table.js";

/** `kassa balance <merchant-id> <currency>`: what Kassa owes a merchant (accounting service). */
export function registerBalanceCommand(program: Command, context: OperatorContext): void {
  program
    .command("balance")
    .description("Show a merchant's balance and totals in one currency (accounting).")
    .argument("<merchant-id>", "merchant, mer_…", prefixedId("mer_"))
    .argument("<currency>", "ISO 4217 code, e.g. USD", currencyCode)
    .option("--json", "print the GetBalanceResponse as JSON")
    .action(async (merchantId: string, currency: string, options: { json?: boolean }) => {
      const accounting = await adminClient(context, AccountingService, "accounting");
      const response = await accounting.getBalance({ merchantId, currency });
      if (options.json) {
        context.out.write(messageJson(GetBalanceResponseSchema, response));
        return;
      }
      const balance = response.balance;
      if (!balance) return;
      const money = (amount: bigint) => formatAmount(amount, balance.currency);
      context.out.write(
        renderFields(`Balance of ${balance.merchantId} in ${balance.currency}`, [
          [
            "balance",
            `${money(balance.balance)}${balance.balance < 0n ? " (the merchant owes)" : ""}`,
          ],
          ["unsettled", money(balance.unsettledAmount)],
          ["payments", money(balance.totalPayments)],
          ["refunds", money(balance.totalRefunds)],
          ["fees", money(balance.totalFees)],
          ["payouts", money(balance.totalPayouts)],
          ["as of", formatTime(balance.asOf)],
        ]),
      );
    });
}
