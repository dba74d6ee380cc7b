import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type Settlement,
  SettlementSchema,
  SettlementStatus,
} from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import type { SettlementRow, SettlementStatusValue } from "./db/schema.js";

/** The stored settlement statuses as the contract's enum. */
export const settlementStatuses = {
  PENDING: SettlementStatus.PENDING,
  PROCESSING: SettlementStatus.PROCESSING,
  COMPLETED: SettlementStatus.COMPLETED,
  FAILED: SettlementStatus.FAILED,
} as const satisfies Record<SettlementStatusValue, SettlementStatus>;

/** A settlement row as the contract's Settlement message. */
export function settlementMessage(row: SettlementRow): Settlement {
  return create(SettlementSchema, {
    id: row.id,
    merchantId: row.merchantId,
    currency: row.currency,
    status: settlementStatuses[row.status],
    upTo: timestampFromDate(row.upTo),
    paymentAmount: row.paymentAmount,
    refundAmount: row.refundAmount,
    grossAmount: row.grossAmount,
    feeAmount: row.feeAmount,
    netAmount: row.netAmount,
    paymentCount: row.paymentCount,
    refundCount: row.refundCount,
    feeBasisPoints: row.feeBasisPoints,
    feeFixedAmount: row.feeFixedAmount,
    feeEntryId: row.feeEntryId ?? "",
    payoutEntryId: row.payoutEntryId ?? "",
    payoutAmount: row.payoutAmount,
    failureReason: row.failureReason ?? "",
    createdAt: timestampFromDate(row.createdAt),
    updatedAt: timestampFromDate(row.updatedAt),
    ...(row.settledAt && { settledAt: timestampFromDate(row.settledAt) }),
  });
}
