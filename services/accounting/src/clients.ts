import { MerchantService } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";

/**
 * The services the accounting service calls. The platform wraps each in a breaker-guarded client
 * (`context.clients.<name>`) configured by `<NAME>_URL`, `<NAME>_TIMEOUT_MS`….
 */
export const dependencies = {
  merchant: MerchantService,
};
