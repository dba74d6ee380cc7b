import { BlocklistEntryType } from "@kassa/contracts/kassa/risk/v1/risk_pb";
import { requestFields, rpcErrors } from "@kassa/platform";
import type { BlocklistEntryTypeName } from "./db/schema.js";
import { canonicalEmail } from "./email-address.js";
import { canonicalIp } from "./ip-address.js";

const typeNames = new Map<BlocklistEntryType, BlocklistEntryTypeName>([
  [BlocklistEntryType.EMAIL, "EMAIL"],
  [BlocklistEntryType.IP, "IP"],
  [BlocklistEntryType.DEVICE_ID, "DEVICE_ID"],
  [BlocklistEntryType.PAYMENT_METHOD, "PAYMENT_METHOD"],
]);

/**
 * Checks for blocklist request fields, like the platform's `requestFields`: each throws
 * INVALID_ARGUMENT naming the field and returns the value in the form it is stored in.
 */
export const blocklistFields = {
  /** A required blocklist entry type: UNSPECIFIED is "is required". */
  type(field: string, value: BlocklistEntryType): BlocklistEntryTypeName {
    const name = blocklistFields.typeFilter(field, value);
    if (!name) throw rpcErrors.invalidArgument(field, "is required");
    return name;
  },

  /** An optional type to filter by: UNSPECIFIED means any type (undefined). */
  typeFilter(field: string, value: BlocklistEntryType): BlocklistEntryTypeName | undefined {
    if (value === BlocklistEntryType.UNSPECIFIED) return undefined;
    const name = typeNames.get(value);
    if (!name) {
      throw rpcErrors.invalidArgument(field, "must be EMAIL, IP, DEVICE_ID or PAYMENT_METHOD");
    }
    return name;
  },

  /**
   * A value to block, normalised as Assess matches it: emails trimmed and lower-cased, IPs
   * trimmed and in canonical text form; device ids and payment methods as given (1–255
   * characters, no surrounding whitespace, as Assess requires of them too).
   */
  value(field: string, type: BlocklistEntryTypeName, value: string): string {
    switch (type) {
      case "EMAIL":
        if (value.trim() === "") throw rpcErrors.invalidArgument(field, "is required");
        return canonicalEmail(field, value.trim());
      case "IP":
        if (value.trim() === "") throw rpcErrors.invalidArgument(field, "is required");
        return canonicalIp(field, value.trim());
      case "DEVICE_ID":
      case "PAYMENT_METHOD":
        return requestFields.text(field, value, { max: 255 });
    }
  },
} as const;
