import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type Authorization,
  AuthorizationSchema,
  AuthorizationStatus,
} from "@kassa/contracts/kassa/channel/v1/channel_pb";
import type { AuthorizationRow } from "./db/schema.js";

const statuses = {
  PENDING: AuthorizationStatus.PENDING,
  AUTHORIZED: AuthorizationStatus.AUTHORIZED,
  FAILED: AuthorizationStatus.FAILED,
  CAPTURING: AuthorizationStatus.CAPTURING,
  CAPTURED: AuthorizationStatus.CAPTURED,
  VOIDING: AuthorizationStatus.VOIDING,
  VOIDED: AuthorizationStatus.VOIDED,
  EXPIRED: AuthorizationStatus.EXPIRED,
} as const satisfies Record<AuthorizationRow["status"], AuthorizationStatus>;

/** An authorization row as the contract's Authorization message. */
export function authorizationMessage(row: AuthorizationRow): Authorization {
  return create(AuthorizationSchema, {
    id: row.id,
    channel: row.channel,
    idempotencyKey: row.idempotencyKey,
    merchantId: row.merchantId,
    amount: row.amount,
    currency: row.currency,
    paymentMethod: row.paymentMethod,
    description: row.description,
    status: statuses[row.status],
    amountCapturable: row.status === "AUTHORIZED" ? row.amount : 0n,
    amountCaptured: row.status === "CAPTURED" ? (row.captureAmount ?? 0n) : 0n,
    providerReference: row.providerReference ?? "",
    failureCode: row.failureCode ?? "",
    failureMessage: row.failureMessage ?? "",
    ...(row.expiresAt && { expiresAt: timestampFromDate(row.expiresAt) }),
    createdAt: timestampFromDate(row.createdAt),
    updatedAt: timestampFromDate(row.updatedAt),
    chargeId: row.chargeId ?? "",
  });
}
