import type { ChargeRequest } from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { requestFields, rpcErrors, Secret } from "@kassa/platform";
import type { Provider } from "../providers/provider.js";
import type { ChannelContext } from "./channel-context.js";

/** The fields Charge and Authorize share: both take money from a payment method. */
type PaymentMethodRequestFields = Pick<
  ChargeRequest,
  | "idempotencyKey"
  | "channel"
  | "merchantId"
  | "amount"
  | "currency"
  | "paymentMethod"
  | "description"
>;

/** What a Charge or an Authorize asks for, as compared with the record holding its key. */
export interface WantedPayment {
  readonly merchantId: string;
  readonly amount: bigint;
  readonly currency: string;
  /** A card token: it travels masked, revealed only into the statement and the provider's request. */
  readonly paymentMethod: Secret;
  readonly description: string;
}

/**
 * Validates a Charge or Authorize request: INVALID_ARGUMENT naming the first bad field,
 * including a currency its channel does not support.
 */
export function paymentMethodRequest(
  context: Pick<ChannelContext, "channels">,
  request: PaymentMethodRequestFields,
): { idempotencyKey: string; provider: Provider; wanted: WantedPayment } {
  const idempotencyKey = requestFields.text("idempotency_key", request.idempotencyKey);
  const provider = context.channels.requireChannel("channel", request.channel);
  const merchantId = requestFields.id("merchant_id", request.merchantId, "mer");
  const amount = requestFields.amount("amount", request.amount);
  const currency = requestFields.currency("currency", request.currency);
  if (!provider.currencies.includes(currency)) {
    throw rpcErrors.invalidArgument("currency", `is not supported by channel ${provider.name}`);
  }
  const paymentMethod = new Secret(
    requestFields.text("payment_method", request.paymentMethod),
    "payment method",
  );
  const description = requestFields.text("description", request.description, {
    max: 1000,
    optional: true,
  });
  return {
    idempotencyKey,
    provider,
    wanted: { merchantId, amount, currency, paymentMethod, description },
  };
}

/** True when a stored charge or authorization was made by exactly this request. */
export function isSamePayment(
  stored: Omit<WantedPayment, "paymentMethod"> & { readonly paymentMethod: string },
  wanted: WantedPayment,
): boolean {
  return (
    stored.merchantId === wanted.merchantId &&
    stored.amount === wanted.amount &&
    stored.currency === wanted.currency &&
    stored.paymentMethod === wanted.paymentMethod.reveal() &&
    stored.description === wanted.description
  );
}
