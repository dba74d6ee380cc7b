import { create } from "@bufbuild/protobuf";
import {
  type ApiKey,
  ApiKeyStatusSchema,
  CreateApiKeyResponseSchema,
  ListApiKeysResponseSchema,
  MerchantService,
  RevokeApiKeyResponseSchema,
} from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import type { Command } from "commander";
import { integerIn, prefixedId } from "../argument-parsers.js";
import { collectPages } from "../collect-pages.js";
import { enumLabel } from "../enum-label.js";
import { formatTime } from "../format-time.js";
import { messageJson } from "../json-output.js";
import { adminClient, type OperatorContext } from "../operator-context.js";
import { renderFields, renderTable } from "../text-table.js";

/** `kassa keys create|revoke|list`: a merchant's secret API keys (merchant service). */
export function registerKeysCommand(program: Command, context: OperatorContext): void {
  const keys = program
    .command("keys")
    .description("Create, revoke and list merchants' API keys (merchant service).");

  keys
    .command("create")
    .description("Issue a new secret API key; the secret is printed this once.")
    .argument("<merchant-id>", "merchant, mer_…", prefixedId("mer_"))
    .option("--name <label>", "a label to recognise the key by, e.g. 'web shop'")
    .option("--json", "print the CreateApiKeyResponse (with the secret) as JSON")
    .action(async (merchantId: string, options: { name?: string; json?: boolean }) => {
      const client = await adminClient(context, MerchantService, "merchant");
      const response = await client.createApiKey({ merchantId, name: options.name ?? "" });
      if (options.json) {
        context.out.write(messageJson(CreateApiKeyResponseSchema, response));
        return;
      }
      const key = response.apiKey;
      const title = `API key ${key?.id ?? "?"} created for ${key?.merchantId ?? merchantId}`;
      context.out.write(
        [
          renderFields(title, [...(key ? keyFields(key) : []), ["secret", response.secret]]),
          "  The secret is shown only now: Kassa keeps just its hash. Store it safely; if it is",
          "  lost, create a new key and revoke this one. Merchants present it to the gateway as",
          "  `authorization: Bearer <secret>`.",
          "",
        ].join("\n"),
      );
    });

  keys
    .command("revoke")
    .description("Revoke a key; it stops authenticating at once.")
    .argument("<key-id>", "the key's id, key_… (not the secret)", prefixedId("key_"))
    .option("--json", "print the RevokeApiKeyResponse as JSON")
    .action(async (apiKeyId: string, options: { json?: boolean }) => {
      const client = await adminClient(context, MerchantService, "merchant");
      const response = await client.revokeApiKey({ apiKeyId });
      if (options.json) {
        context.out.write(messageJson(RevokeApiKeyResponseSchema, response));
        return;
      }
      const key = response.apiKey;
      if (key) context.out.write(renderFields(`API key ${key.id} revoked`, keyFields(key)));
    });

  keys
    .command("list")
    .description("List a merchant's keys (never their secrets), newest first.")
    .argument("<merchant-id>", "merchant, mer_…", prefixedId("mer_"))
    .option("--active", "only keys that still authenticate")
    .option("--limit <n>", "show at most this many", integerIn(1, 10_000), 50)
    .option("--json", "print the ListApiKeysResponse as JSON")
    .action(
      async (merchantId: string, options: { active?: boolean; limit: number; json?: boolean }) => {
        const client = await adminClient(context, MerchantService, "merchant");
        const { items, nextPageToken } = await collectPages(
          options.limit,
          async (pageSize, pageToken) => {
            const page = await client.listApiKeys({
              merchantId,
              pageSize,
              pageToken,
              includeRevoked: !options.active,
            });
            return { items: page.apiKeys, nextPageToken: page.nextPageToken };
          },
        );
        if (options.json) {
          const response = create(ListApiKeysResponseSchema, { apiKeys: items, nextPageToken });
          context.out.write(messageJson(ListApiKeysResponseSchema, response));
          return;
        }
        if (items.length === 0) {
          context.out.write(`No API keys for ${merchantId}.\n`);
          return;
        }
        context.out.write(
          renderTable(
            ["id", "name", "prefix", "status", "created", "revoked"],
            items.map((key) => [
              key.id,
              key.name || "-",
              key.prefix,
              enumLabel(ApiKeyStatusSchema, key.status),
              formatTime(key.createdAt),
              formatTime(key.revokedAt),
            ]),
          ),
        );
        if (nextPageToken) context.out.write("(more keys exist; raise --limit to see them)\n");
      },
    );
}

function keyFields(key: ApiKey): [string, string | undefined][] {
  return [
    ["name", key.name || undefined],
    ["prefix", key.prefix],
    ["status", enumLabel(ApiKeyStatusSchema, key.status)],
    ["created", formatTime(key.createdAt)],
    ["revoked", key.revokedAt ? formatTime(key.revokedAt) : undefined],
  ];
}
