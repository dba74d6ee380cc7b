import { create } from "@bufbuild/protobuf";
import {
  type ListEntriesRequest,
  type ListEntriesResponse,
  ListEntriesResponseSchema,
} from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import { decodePageToken, pageOf, pageSizeOf, requestFields } from "@kassa/platform";
import { ledgerRepository } from "../db/ledger-repository.js";
import { journalEntryMessage } from "../journal-entry-message.js";
import type { AccountingContext } from "./accounting-context.js";
import { entryKindFilter } from "./entry-kind-filter.js";

/**
 * ListEntries: a merchant's journal entries newest first, optionally of one currency and
 * kind. Keyset paging by id (ids sort by creation time), so pages stay stable while entries
 * are added.
 */
export async function listEntries(
  context: AccountingContext,
  request: ListEntriesRequest,
): Promise<ListEntriesResponse> {
  const merchantId = requestFields.id("merchant_id", request.merchantId, "mer");
  const currency =
    request.currency === "" ? undefined : requestFields.currency("currency", request.currency);
  const kind = entryKindFilter("kind", request.kind);
  const pageSize = pageSizeOf(request.pageSize);
  const query = { merchantId, currency: currency ?? "ANY", kind: kind ?? "ANY" };
  const before = decodePageToken(request.pageToken, query);

  // One extra row says whether another page follows.
  const rows = await ledgerRepository.page(context.db, {
    merchantId,
    currency,
    kind,
    before,
    limit: pageSize + 1,
  });
  const { page, nextPageToken } = pageOf(rows, pageSize, query);
  const records = await ledgerRepository.records(context.db, page);
  return create(ListEntriesResponseSchema, {
    entries: records.map(journalEntryMessage),
    nextPageToken,
  });
}
