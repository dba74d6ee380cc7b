import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  AccountingService,
  CreateSettlementResponseSchema,
  GetSettlementResponseSchema,
  ListSettlementsResponseSchema,
  ProcessSettlementResponseSchema,
  type Settlement,
  SettlementStatus,
  SettlementStatusSchema,
} from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import { type Command, Option } from "commander";
import { currencyCode, integerIn, isoTime, prefixedId } from "../argument-parsers.js";
import { CliError } from "../cli-error.js";
import { collectPages } from "../collect-pages.js";
import { enumLabel } from "../enum-label.js";
import { formatAmount } from "../format-amount.js";
import { formatFeeRule } from "../format-fee-rule.js";
import { formatTime } from "../format-time.js";
import { messageJson } from "../json-output.js";
import { adminClient, type OperatorContext } from "../operator-context.js";
import { renderFields, renderTable } from "../text-table.js";

const statusFilters: Readonly<Record<string, SettlementStatus>> = {
  pending: SettlementStatus.PENDING,
  processing: SettlementStatus.PROCESSING,
  completed: SettlementStatus.COMPLETED,
  failed: SettlementStatus.FAILED,
};

/** `kassa settlements create|process|show|list`: paying merchants out (accounting service). */
export function registerSettlementsCommand(program: Command, context: OperatorContext): void {
  const settlements = program
    .command("settlements")
    .description("Create, process and list settlements (accounting service).");

  settlements
    .command("create")
    .description("Gather a merchant's unsettled payments and refunds into a PENDING settlement.")
    .argument("<merchant-id>", "merchant, mer_…", prefixedId("mer_"))
    .argument("<currency>", "ISO 4217 code, e.g. USD", currencyCode)
    .option(
      "--up-to <time>",
      "settle what occurred at or before this ISO time (default now)",
      isoTime,
    )
    .option("--json", "print the CreateSettlementResponse as JSON")
    .action(
      async (merchantId: string, currency: string, options: { upTo?: Date; json?: boolean }) => {
        const accounting = await adminClient(context, AccountingService, "accounting");
        const response = await accounting.createSettlement({
          merchantId,
          currency,
          ...(options.upTo && { upTo: timestampFromDate(options.upTo) }),
        });
        if (options.json) {
          context.out.write(messageJson(CreateSettlementResponseSchema, response));
          return;
        }
        const settlement = response.settlement;
        if (!settlement) return;
        context.out.write(settlementDetails(`Settlement ${settlement.id} created`, settlement));
        context.out.write(`\nPost it with: kassa settlements process ${settlement.id}\n`);
      },
    );

  settlements
    .command("process")
    .description("Post a PENDING settlement's fee and payout in one transaction.")
    .argument("<settlement-id>", "settlement, stl_…", prefixedId("stl_"))
    .option("--json", "print the ProcessSettlementResponse as JSON")
    .action(async (settlementId: string, options: { json?: boolean }) => {
      const accounting = await adminClient(context, AccountingService, "accounting");
      const response = await accounting.processSettlement({ settlementId });
      const settlement = response.settlement;
      if (options.json) {
        context.out.write(messageJson(ProcessSettlementResponseSchema, response));
      } else if (settlement) {
        context.out.write(settlementDetails(`Settlement ${settlement.id} processed`, settlement));
      }
      // A failed settlement is an answer, not an RPC error; a script still needs to notice it.
      if (settlement?.status === SettlementStatus.FAILED) {
        throw new CliError(`settlement ${settlement.id} failed: ${settlement.failureReason}`);
      }
    });

  settlements
    .command("show")
    .description("Show one settlement.")
    .argument("<settlement-id>", "settlement, stl_…", prefixedId("stl_"))
    .option("--json", "print the GetSettlementResponse as JSON")
    .action(async (settlementId: string, options: { json?: boolean }) => {
      const accounting = await adminClient(context, AccountingService, "accounting");
      const response = await accounting.getSettlement({ settlementId });
      if (options.json) {
        context.out.write(messageJson(GetSettlementResponseSchema, response));
        return;
      }
      const settlement = response.settlement;
      if (settlement)
        context.out.write(settlementDetails(`Settlement ${settlement.id}`, settlement));
    });

  settlements
    .command("list")
    .description("List settlements, newest first.")
    .option("--merchant <merchant-id>", "only this merchant's", prefixedId("mer_"))
    .option("--currency <code>", "only in this currency", currencyCode)
    .addOption(
      new Option("--status <status>", "only in this status").choices(Object.keys(statusFilters)),
    )
    .option("--limit <n>", "show at most this many", integerIn(1, 10_000), 50)
    .option("--json", "print the ListSettlementsResponse as JSON")
    .action(
      async (options: {
        merchant?: string;
        currency?: string;
        status?: string;
        limit: number;
        json?: boolean;
      }) => {
        const accounting = await adminClient(context, AccountingService, "accounting");
        const { items, nextPageToken } = await collectPages(
          options.limit,
          async (pageSize, pageToken) => {
            const page = await accounting.listSettlements({
              pageSize,
              pageToken,
              merchantId: options.merchant ?? "",
              currency: options.currency ?? "",
              status: statusFilters[options.status ?? ""] ?? SettlementStatus.UNSPECIFIED,
            });
            return { items: page.settlements, nextPageToken: page.nextPageToken };
          },
        );
        if (options.json) {
          const response = create(ListSettlementsResponseSchema, {
            settlements: items,
            nextPageToken,
          });
          context.out.write(messageJson(ListSettlementsResponseSchema, response));
          return;
        }
        if (items.length === 0) {
          context.out.write("No settlements.\n");
          return;
        }
        context.out.write(
          renderTable(
            ["id", "merchant", "status", "gross", "fee", "net", "paid out", "created"],
            items.map((settlement) => {
              const money = (amount: bigint) => formatAmount(amount, settlement.currency);
              return [
                settlement.id,
                settlement.merchantId,
                enumLabel(SettlementStatusSchema, settlement.status),
                money(settlement.grossAmount),
                money(settlement.feeAmount),
                money(settlement.netAmount),
                settlement.status === SettlementStatus.COMPLETED
                  ? money(settlement.payoutAmount)
                  : "-",
                formatTime(settlement.createdAt),
              ];
            }),
          ),
        );
        if (nextPageToken) {
          context.out.write("(more settlements exist; raise --limit to see them)\n");
        }
      },
    );
}

function settlementDetails(title: string, settlement: Settlement): string {
  const money = (amount: bigint) => formatAmount(amount, settlement.currency);
  const rule = formatFeeRule(
    settlement.feeBasisPoints,
    settlement.feeFixedAmount,
    settlement.currency,
  );
  const completed = settlement.status === SettlementStatus.COMPLETED;
  return renderFields(title, [
    ["merchant", settlement.merchantId],
    ["status", enumLabel(SettlementStatusSchema, settlement.status)],
    ["failure", settlement.failureReason || undefined],
    ["up to", formatTime(settlement.upTo)],
    ["payments", `${money(settlement.paymentAmount)} (${settlement.paymentCount})`],
    ["refunds", `${money(settlement.refundAmount)} (${settlement.refundCount})`],
    ["gross", money(settlement.grossAmount)],
    ["fee", `${money(settlement.feeAmount)} (${rule} per payment)`],
    ["net", money(settlement.netAmount)],
    ["paid out", completed ? money(settlement.payoutAmount) : undefined],
    ["created", formatTime(settlement.createdAt)],
    ["settled", completed ? formatTime(settlement.settledAt) : undefined],
  ]);
}
