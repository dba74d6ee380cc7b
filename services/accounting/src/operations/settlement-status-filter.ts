import { SettlementStatus } from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import { rpcErrors } from "@kassa/platform";
import type { SettlementStatusValue } from "../db/schema.js";

/**
 * A List filter's settlement status as the stored one: UNSPECIFIED is `undefined` ("any
 * status"); values the contract does not define are INVALID_ARGUMENT.
 */
export function settlementStatusFilter(
  field: string,
  value: SettlementStatus,
): SettlementStatusValue | undefined {
  switch (value) {
    case SettlementStatus.UNSPECIFIED:
      return undefined;
    case SettlementStatus.PENDING:
      return "PENDING";
    case SettlementStatus.PROCESSING:
      return "PROCESSING";
    case SettlementStatus.COMPLETED:
      return "COMPLETED";
    case SettlementStatus.FAILED:
      return "FAILED";
    default:
      throw rpcErrors.invalidArgument(
        field,
        "must be PENDING, PROCESSING, COMPLETED, FAILED or unset",
      );
  }
}
