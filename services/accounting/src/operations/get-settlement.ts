import { create } from "@bufbuild/protobuf";
import {
  type GetSettlementRequest,
  type GetSettlementResponse,
  GetSettlementResponseSchema,
} from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import { requestFields, rpcErrors } from "@kassa/platform";
import { settlementRepository } from "../db/settlement-repository.js";
import { settlementMessage } from "../settlement-message.js";
import type { AccountingContext } from "./accounting-context.js";

/** GetSettlement: one settlement, in whatever status. */
export async function getSettlement(
  context: AccountingContext,
  request: GetSettlementRequest,
): Promise<GetSettlementResponse> {
  const settlementId = requestFields.id("settlement_id", request.settlementId, "stl");
  const settlement = await settlementRepository.find(context.db, settlementId);
  if (!settlement) throw rpcErrors.notFound("settlement", settlementId);
  return create(GetSettlementResponseSchema, { settlement: settlementMessage(settlement) });
}
