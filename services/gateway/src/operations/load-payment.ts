import { rpcErrors } from "@kassa/platform";
import { paymentRepository } from "../db/payment-repository.js";
import type { PaymentRow } from "../db/schema.js";
import type { GatewayContext } from "../gateway-context.js";

/**
 * The load stage of an operation on one payment: the merchant's payment, or NOT_FOUND for a
 * missing one and for another merchant's alike (no merchant: an operator's read of any).
 */
export async function loadPayment(
  context: Pick<GatewayContext, "db">,
  merchantId: string | undefined,
  paymentId: string,
): Promise<PaymentRow> {
  const payment = await paymentRepository.find(context.db, merchantId, paymentId);
  if (!payment) throw rpcErrors.notFound("payment", paymentId);
  return payment;
}
