import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { rpcErrors } from "@kassa/platform";

/** A required timestamp field as a Date: INVALID_ARGUMENT naming the field when unset. */
export function requiredTimestamp(field: string, value: Timestamp | undefined): Date {
  if (!value) throw rpcErrors.invalidArgument(field, "is required");
  return timestampDate(value);
}
