import { MerchantStatus } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { rpcErrors } from "@kassa/platform";
import type { MerchantRow } from "../db/schema.js";

/**
 * A request's merchant status as the stored one. UNSPECIFIED is `undefined` where it means
 * "any" (a List filter) and INVALID_ARGUMENT elsewhere; values the contract does not define
 * are always INVALID_ARGUMENT.
 */
export function merchantStatusField(
  field: string,
  value: MerchantStatus,
  options: { unspecifiedMeansAny?: boolean } = {},
): MerchantRow["status"] | undefined {
  switch (value) {
    case MerchantStatus.ACTIVE:
      return "ACTIVE";
    case MerchantStatus.SUSPENDED:
      return "SUSPENDED";
    case MerchantStatus.UNSPECIFIED:
      if (options.unspecifiedMeansAny) return undefined;
      throw rpcErrors.invalidArgument(field, "must be ACTIVE or SUSPENDED");
    default:
      throw rpcErrors.invalidArgument(
        field,
        options.unspecifiedMeansAny
          ? "must be ACTIVE, SUSPENDED or unset"
          : "must be ACTIVE or SUSPENDED",
      );
  }
}
