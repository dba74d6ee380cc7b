import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type BlocklistEntry,
  BlocklistEntrySchema,
  BlocklistEntryType,
} from "@kassa/contracts/kassa/risk/v1/risk_pb";
import { blocklistRepository } from "./db/blocklist-repository.js";
import type { BlocklistEntryRow, BlocklistEntryTypeName } from "./db/schema.js";

const types = {
  EMAIL: BlocklistEntryType.EMAIL,
  IP: BlocklistEntryType.IP,
  DEVICE_ID: BlocklistEntryType.DEVICE_ID,
  PAYMENT_METHOD: BlocklistEntryType.PAYMENT_METHOD,
} as const satisfies Record<BlocklistEntryTypeName, BlocklistEntryType>;

const timestamp = (date: Date | null) => (date ? timestampFromDate(date) : undefined);

/** A blocklist row as the contract's BlocklistEntry, `active` as of `now`. */
export function blocklistEntryMessage(row: BlocklistEntryRow, now: Date): BlocklistEntry {
  return create(BlocklistEntrySchema, {
    id: row.id,
    type: types[row.type],
    value: row.value,
    reason: row.reason,
    expiresAt: timestamp(row.expiresAt),
    createdAt: timestamp(row.createdAt),
    removedAt: timestamp(row.removedAt),
    active: blocklistRepository.isActive(row, now),
  });
}
