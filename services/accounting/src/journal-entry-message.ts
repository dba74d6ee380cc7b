import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  EntryKind,
  type JournalEntry,
  JournalEntrySchema,
  PostingSchema,
} from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import type { EntryRecord } from "./db/ledger-repository.js";
import type { EntryKindValue } from "./db/schema.js";

/** The stored entry kinds as the contract's enum. */
export const entryKinds = {
  PAYMENT: EntryKind.PAYMENT,
  REFUND: EntryKind.REFUND,
  FEE: EntryKind.FEE,
  PAYOUT: EntryKind.PAYOUT,
  CORRECTION: EntryKind.CORRECTION,
} as const satisfies Record<EntryKindValue, EntryKind>;

/** An entry with its postings as the contract's JournalEntry message. */
export function journalEntryMessage(record: EntryRecord): JournalEntry {
  const { entry } = record;
  return create(JournalEntrySchema, {
    id: entry.id,
    merchantId: entry.merchantId,
    kind: entryKinds[entry.kind],
    referenceId: entry.referenceId,
    paymentId: entry.paymentId ?? "",
    amount: entry.amount,
    currency: entry.currency,
    postings: record.postings.map((posting) =>
      create(PostingSchema, {
        account: posting.account,
        amount: posting.amount,
        currency: posting.currency,
      }),
    ),
    settlementId: record.settlementId ?? "",
    correctsEntryId: entry.correctsEntryId ?? "",
    occurredAt: timestampFromDate(entry.occurredAt),
    createdAt: timestampFromDate(entry.createdAt),
  });
}
