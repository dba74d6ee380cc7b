import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type ApiKey,
  ApiKeySchema,
  ApiKeyStatus,
} from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import type { ApiKeyRow } from "./db/schema.js";

const statuses = {
  ACTIVE: ApiKeyStatus.ACTIVE,
  REVOKED: ApiKeyStatus.REVOKED,
} as const satisfies Record<ApiKeyRow["status"], ApiKeyStatus>;

/** An API key row as the contract's ApiKey message: metadata only, the digest stays inside. */
export function apiKeyMessage(row: ApiKeyRow): ApiKey {
  return create(ApiKeySchema, {
    id: row.id,
    merchantId: row.merchantId,
    name: row.name,
    prefix: row.prefix,
    status: statuses[row.status],
    createdAt: timestampFromDate(row.createdAt),
    revokedAt: row.revokedAt ? timestampFromDate(row.revokedAt) : undefined,
  });
}
