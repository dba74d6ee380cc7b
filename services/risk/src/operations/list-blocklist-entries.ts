import { create } from "@bufbuild/protobuf";
import {
  type ListBlocklistEntriesRequest,
  type ListBlocklistEntriesResponse,
  ListBlocklistEntriesResponseSchema,
} from "@kassa/contracts/kassa/risk/v1/risk_pb";
import { decodePageToken, pageOf, pageSizeOf } from "@kassa/platform";
import { blocklistEntryMessage } from "../blocklist-entry-message.js";
import { blocklistFields } from "../blocklist-fields.js";
import { blocklistRepository } from "../db/blocklist-repository.js";
import type { RiskContext } from "./risk-context.js";

/**
 * ListBlocklistEntries: a page of entries, newest first, optionally of one type; active
 * ones only unless `include_inactive`. Keyset pagination on the id, so entries added while
 * paging never shift or repeat a page.
 */
export async function listBlocklistEntries(
  context: Pick<RiskContext, "db" | "clock">,
  request: ListBlocklistEntriesRequest,
): Promise<ListBlocklistEntriesResponse> {
  const pageSize = pageSizeOf(request.pageSize);
  const type = blocklistFields.typeFilter("type", request.type);
  const filters = { type: type ?? null, includeInactive: request.includeInactive };
  const beforeId = decodePageToken(request.pageToken, filters);
  const at = context.clock.now();

  // One row more than the page tells whether another page follows.
  const rows = await blocklistRepository.page(context.db, {
    type,
    includeInactive: request.includeInactive,
    beforeId,
    limit: pageSize + 1,
    at,
  });
  const { page, nextPageToken } = pageOf(rows, pageSize, filters);
  return create(ListBlocklistEntriesResponseSchema, {
    entries: page.map((row) => blocklistEntryMessage(row, at)),
    nextPageToken,
  });
}
