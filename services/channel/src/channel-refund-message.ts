import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type ChannelRefund,
  ChannelRefundSchema,
  ChannelRefundStatus,
} from "@kassa/contracts/kassa/channel/v1/channel_pb";
import type { RefundRow } from "./db/schema.js";

const statuses = {
  PENDING: ChannelRefundStatus.PENDING,
  SUCCEEDED: ChannelRefundStatus.SUCCEEDED,
  FAILED: ChannelRefundStatus.FAILED,
} as const satisfies Record<RefundRow["status"], ChannelRefundStatus>;

/** A refund row as the contract's ChannelRefund message. */
export function channelRefundMessage(row: RefundRow): ChannelRefund {
  return create(ChannelRefundSchema, {
    id: row.id,
    channel: row.channel,
    idempotencyKey: row.idempotencyKey,
    chargeId: row.chargeId,
    merchantId: row.merchantId,
    amount: row.amount,
    currency: row.currency,
    reason: row.reason,
    status: statuses[row.status],
    providerReference: row.providerReference ?? "",
    failureCode: row.failureCode ?? "",
    failureMessage: row.failureMessage ?? "",
    createdAt: timestampFromDate(row.createdAt),
    updatedAt: timestampFromDate(row.updatedAt),
  });
}
