import type { HandlerContext } from "@connectrpc/connect";
import type {
  CancelPaymentRequest,
  CancelPaymentResponse,
} from "@kassa/contracts/kassa/gateway/v1/gateway_pb";
import { rpcErrors } from "@kassa/platform";
import { authenticatedMerchant } from "../merchant-authentication.js";

/**
 * CancelPayment voids an authorized, not yet captured payment. It arrives with manual capture
 * (`capture_method`); every payment is captured at once today, so there is nothing to void.
 */
export async function cancelPayment(
  _context: unknown,
  _request: CancelPaymentRequest,
  call: HandlerContext,
): Promise<CancelPaymentResponse> {
  authenticatedMerchant(call);
  throw rpcErrors.unimplemented(
    "CancelPayment arrives with manual capture; payments are captured at once today",
  );
}
