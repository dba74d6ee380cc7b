import { AccountingService } from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import { ChannelService } from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { MerchantService } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { OrderService } from "@kassa/contracts/kassa/order/v1/order_pb";
import { RiskService } from "@kassa/contracts/kassa/risk/v1/risk_pb";

/**
 * The services the gateway service calls. The platform wraps each in a breaker-guarded client
 * (`context.clients.<name>`) configured by `<NAME>_URL`, `<NAME>_TIMEOUT_MS`….
 */
export const dependencies = {
  merchant: MerchantService,
  order: OrderService,
  channel: ChannelService,
  risk: RiskService,
  accounting: AccountingService,
};
