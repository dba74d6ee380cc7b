import { create } from "@bufbuild/protobuf";
import {
  CreateMerchantResponseSchema,
  type FeeRule,
  type FeeSchedule,
  ListMerchantsResponseSchema,
  type Merchant,
  MerchantService,
  MerchantStatus,
  MerchantStatusSchema,
} from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { type Command, Option } from "commander";
import { integerIn, minorUnits } from "../argument-parsers.js";
import { collectPages } from "../collect-pages.js";
import { enumLabel } from "../enum-label.js";
import { formatFeeRule } from "../format-fee-rule.js";
import { formatTime } from "../format-time.js";
import { messageJson } from "../json-output.js";
import { adminClient, type OperatorContext } from "../operator-context.js";
import { renderFields, renderTable } from "../text-table.js";

/** `kassa merchants create|list`: MerchantService with the admin token. */
export function registerMerchantsCommand(program: Command, context: OperatorContext): void {
  const merchants = program
    .command("merchants")
    .description("Create and list merchants (merchant service).");

  merchants
    .command("create")
    .description("Register a new, active merchant.")
    .argument("<name>", "display name, 1-200 characters")
    .option("--fee-bps <n>", "percentage fee in basis points (290 = 2.9%)", integerIn(0, 10_000))
    .option("--fee-fixed <n>", "fixed fee per payment, in minor units (30 = 0.30 USD)", minorUnits)
    .option("--json", "print the CreateMerchantResponse as JSON")
    .addHelpText(
      "after",
      "\nWithout --fee-bps/--fee-fixed the merchant service's default schedule applies;\nwith only one of them the other is 0.",
    )
    .action(
      async (name: string, options: { feeBps?: number; feeFixed?: bigint; json?: boolean }) => {
        const client = await adminClient(context, MerchantService, "merchant");
        const custom = options.feeBps !== undefined || options.feeFixed !== undefined;
        const response = await client.createMerchant({
          name,
          ...(custom && {
            feeSchedule: {
              defaultFee: { basisPoints: options.feeBps ?? 0, fixedAmount: options.feeFixed ?? 0n },
            },
          }),
        });
        if (options.json) {
          context.out.write(messageJson(CreateMerchantResponseSchema, response));
          return;
        }
        const merchant = response.merchant;
        if (merchant)
          context.out.write(merchantDetails(`Merchant ${merchant.id} created`, merchant));
      },
    );

  merchants
    .command("list")
    .description("List merchants, newest first.")
    .addOption(
      new Option("--status <status>", "only merchants in this status").choices([
        "active",
        "suspended",
      ]),
    )
    .option("--limit <n>", "show at most this many", integerIn(1, 10_000), 50)
    .option("--json", "print the ListMerchantsResponse as JSON")
    .action(async (options: { status?: string; limit: number; json?: boolean }) => {
      const client = await adminClient(context, MerchantService, "merchant");
      const status =
        options.status === "active"
          ? MerchantStatus.ACTIVE
          : options.status === "suspended"
            ? MerchantStatus.SUSPENDED
            : MerchantStatus.UNSPECIFIED;
      const { items, nextPageToken } = await collectPages(
        options.limit,
        async (pageSize, pageToken) => {
          const page = await client.listMerchants({ pageSize, pageToken, status });
          return { items: page.merchants, nextPageToken: page.nextPageToken };
        },
      );
      if (options.json) {
        const response = create(ListMerchantsResponseSchema, { merchants: items, nextPageToken });
        context.out.write(messageJson(ListMerchantsResponseSchema, response));
        return;
      }
      if (items.length === 0) {
        context.out.write("No merchants.\n");
        return;
      }
      context.out.write(
        renderTable(
          ["id", "name", "status", "default fee", "created"],
          items.map((merchant) => [
            merchant.id,
            merchant.name,
            enumLabel(MerchantStatusSchema, merchant.status),
            feeRuleLabel(merchant.feeSchedule?.defaultFee),
            formatTime(merchant.createdAt),
          ]),
        ),
      );
      if (nextPageToken) context.out.write(`(more merchants exist; raise --limit to see them)\n`);
    });
}

function merchantDetails(title: string, merchant: Merchant): string {
  return renderFields(title, [
    ["name", merchant.name],
    ["status", enumLabel(MerchantStatusSchema, merchant.status)],
    ...feeLines(merchant.feeSchedule),
    ["created", formatTime(merchant.createdAt)],
  ]);
}

function feeLines(schedule: FeeSchedule | undefined): [string, string][] {
  const fallback = schedule?.defaultFee;
  const lines: [string, string][] = [
    ["fee", fallback ? `${feeRuleLabel(fallback)} minor units per payment (default)` : "-"],
  ];
  for (const [currency, rule] of Object.entries(schedule?.currencyFees ?? {}).sort()) {
    lines.push(["", `${feeRuleLabel(rule, currency)} per payment in ${currency}`]);
  }
  return lines;
}

function feeRuleLabel(rule: FeeRule | undefined, currency?: string): string {
  return rule ? formatFeeRule(rule.basisPoints, rule.fixedAmount, currency) : "-";
}
