import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type Charge,
  ChargeSchema,
  ChargeStatus,
} from "@kassa/contracts/kassa/channel/v1/channel_pb";
import type { ChargeRow } from "./db/schema.js";

const statuses = {
  PENDING: ChargeStatus.PENDING,
  SUCCEEDED: ChargeStatus.SUCCEEDED,
  FAILED: ChargeStatus.FAILED,
} as const satisfies Record<ChargeRow["status"], ChargeStatus>;

/** A charge row as the contract's Charge message. */
export function chargeMessage(row: ChargeRow): Charge {
  return create(ChargeSchema, {
    id: row.id,
    channel: row.channel,
    idempotencyKey: row.idempotencyKey,
    merchantId: row.merchantId,
    amount: row.amount,
    currency: row.currency,
    paymentMethod: row.paymentMethod,
    description: row.description,
    status: statuses[row.status],
    refundedAmount: row.refundedAmount,
    providerReference: row.providerReference ?? "",
    failureCode: row.failureCode ?? "",
    failureMessage: row.failureMessage ?? "",
    createdAt: timestampFromDate(row.createdAt),
    updatedAt: timestampFromDate(row.updatedAt),
  });
}
