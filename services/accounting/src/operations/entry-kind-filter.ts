import { EntryKind } from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import { rpcErrors } from "@kassa/platform";
import type { EntryKindValue } from "../db/schema.js";

/**
 * A List filter's entry kind as the stored one: UNSPECIFIED is `undefined` ("any kind");
 * values the contract does not define are INVALID_ARGUMENT.
 */
export function entryKindFilter(field: string, value: EntryKind): EntryKindValue | undefined {
  switch (value) {
    case EntryKind.UNSPECIFIED:
      return undefined;
    case EntryKind.PAYMENT:
      return "PAYMENT";
    case EntryKind.REFUND:
      return "REFUND";
    case EntryKind.FEE:
      return "FEE";
    case EntryKind.PAYOUT:
      return "PAYOUT";
    case EntryKind.CORRECTION:
      return "CORRECTION";
    default:
      throw rpcErrors.invalidArgument(
        field,
        "must be PAYMENT, REFUND, FEE, PAYOUT, CORRECTION or unset",
      );
  }
}
