import { create } from "@bufbuild/protobuf";
import {
  type RemoveBlocklistEntryRequest,
  type RemoveBlocklistEntryResponse,
  RemoveBlocklistEntryResponseSchema,
} from "@kassa/contracts/kassa/risk/v1/risk_pb";
import { requestFields, rpcErrors } from "@kassa/platform";
import { blocklistEntryMessage } from "../blocklist-entry-message.js";
import { blocklistRepository } from "../db/blocklist-repository.js";
import type { RiskContext } from "./risk-context.js";

/**
 * RemoveBlocklistEntry (admin): deactivates the entry at once by setting `removed_at`; the
 * row stays for audit. Idempotent: a removed entry is returned unchanged. An expired entry
 * is removed like any other, so the record says someone took it off the list.
 */
export async function removeBlocklistEntry(
  context: Pick<RiskContext, "db" | "clock">,
  request: RemoveBlocklistEntryRequest,
): Promise<RemoveBlocklistEntryResponse> {
  const entryId = requestFields.id("entry_id", request.entryId, "blk");
  const at = context.clock.now();

  const entry = await context.db.transaction(async (tx) => {
    const current = await blocklistRepository.lock(tx, entryId);
    if (!current) throw rpcErrors.notFound("blocklist entry", entryId);
    if (current.removedAt) return current;
    return blocklistRepository.remove(tx, current, at);
  });
  return create(RemoveBlocklistEntryResponseSchema, { entry: blocklistEntryMessage(entry, at) });
}
