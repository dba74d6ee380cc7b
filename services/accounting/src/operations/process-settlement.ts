import { create } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import {
  type ProcessSettlementRequest,
  type ProcessSettlementResponse,
  ProcessSettlementResponseSchema,
} from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import { createId, type Logger, requestFields, rpcErrors } from "@kassa/platform";
import type { AccountingDatabase } from "../db/accounting-database.js";
import { isDatabaseUnreachable } from "../db/database-error.js";
import { ledgerRepository } from "../db/ledger-repository.js";
import type { SettlementRow } from "../db/schema.js";
import { settlementRepository } from "../db/settlement-repository.js";
import { ledgerAccounts } from "../ledger-accounts.js";
import { settlementFailureReason } from "../settlement-failure-reason.js";
import { settlementMessage } from "../settlement-message.js";
import type { AccountingContext } from "./accounting-context.js";

/**
 * ProcessSettlement: posts a PENDING settlement in ONE transaction, every write on its handle:
 * lock the settlement, PROCESSING, the FEE entry, settle its entries, the PAYOUT entry,
 * COMPLETED. The posting runs in a savepoint: if any step fails, all of it is rolled back and
 * the settlement is marked FAILED with the reason in a write of its own, while the lock is
 * still held, so callers queued on the lock find it FAILED instead of trying again. A caller
 * that finds it no longer PENDING gets FAILED_PRECONDITION and changes nothing.
 */
export async function processSettlement(
  context: AccountingContext,
  request: ProcessSettlementRequest,
  logger: Logger,
): Promise<ProcessSettlementResponse> {
  const settlementId = requestFields.id("settlement_id", request.settlementId, "stl");

  let outcome: { settlement: SettlementRow; posted: Array<"FEE" | "PAYOUT"> };
  try {
    outcome = await context.db.transaction(async (tx) => {
      // Load and check under the lock: a concurrent call waits here, then sees the result.
      const current = await settlementRepository.lock(tx, settlementId);
      if (!current) throw rpcErrors.notFound("settlement", settlementId);
      if (current.status !== "PENDING") {
        throw rpcErrors.failedPrecondition(
          `settlement ${settlementId} is ${current.status}; only a PENDING settlement can be processed`,
        );
      }
      try {
        return await tx.transaction((posting) => postSettlement(context, posting, current));
      } catch (error) {
        // Nothing can be written without the database; the whole transaction is gone.
        if (isDatabaseUnreachable(error)) throw error;
        const reason = settlementFailureReason(error);
        logger.warn(
          { err: error, settlement_id: settlementId, reason },
          "settlement processing failed and was rolled back",
        );
        const failed = await settlementRepository.markFailed(
          tx,
          settlementId,
          reason,
          context.clock.now(),
        );
        if (!failed) throw new Error(`settlement ${settlementId} left PENDING under its lock`);
        return { settlement: failed, posted: [] };
      }
    });
  } catch (error) {
    if (error instanceof ConnectError || !isDatabaseUnreachable(error)) throw error;
    logger.warn({ err: error, settlement_id: settlementId }, "database unreachable");
    throw rpcErrors.unavailable(
      `the database is unreachable; settlement ${settlementId} stays PENDING`,
    );
  }

  for (const kind of outcome.posted) context.metrics.entriesWritten.inc({ kind });
  context.metrics.settlements.inc({ status: outcome.settlement.status });
  return create(ProcessSettlementResponseSchema, {
    settlement: settlementMessage(outcome.settlement),
  });
}

/**
 * The posting steps, inside the savepoint. The payout is what settlements have made payable
 * and not yet paid (`settled`), but never more than the balance after the fee: a refund
 * recorded since the settlement was created may have taken it lower, even below zero (the
 * merchant owes; nothing is paid and the next settlement nets it). What is not paid now stays
 * in the balance, and in `settled`, for a later settlement.
 */
async function postSettlement(
  context: AccountingContext,
  tx: AccountingDatabase,
  settlement: SettlementRow,
): Promise<{ settlement: SettlementRow; posted: Array<"FEE" | "PAYOUT"> }> {
  const at = context.clock.now();
  const { id, merchantId, currency } = settlement;
  const merchantAccount = ledgerAccounts.merchant(merchantId);
  const posted: Array<"FEE" | "PAYOUT"> = [];
  await settlementRepository.markProcessing(tx, id, at);

  let feeEntryId: string | null = null;
  if (settlement.feeAmount > 0n) {
    const fee = await ledgerRepository.post(tx, {
      id: createId("ent"),
      merchantId,
      kind: "FEE",
      referenceId: id,
      paymentId: null,
      amount: settlement.feeAmount,
      currency,
      occurredAt: at,
      createdAt: at,
      postings: [
        { account: merchantAccount, amount: -settlement.feeAmount },
        { account: ledgerAccounts.feeRevenue, amount: settlement.feeAmount },
      ],
    });
    feeEntryId = fee.entry.id;
    posted.push("FEE");
  }
  await context.afterFeeEntry?.({ tx, settlement });

  await settlementRepository.settleCandidates(tx, id);

  const { settled, balance } = await settlementRepository.payableAmounts(tx, merchantId, currency);
  // max(0, min(settled, balance)), spelled out: Math.min and Math.max take no bigints.
  let payoutAmount = settled;
  if (payoutAmount > balance) payoutAmount = balance;
  if (payoutAmount < 0n) payoutAmount = 0n;
  let payoutEntryId: string | null = null;
  if (payoutAmount > 0n) {
    const payout = await ledgerRepository.post(tx, {
      id: createId("ent"),
      merchantId,
      kind: "PAYOUT",
      referenceId: id,
      paymentId: null,
      amount: payoutAmount,
      currency,
      occurredAt: at,
      createdAt: at,
      postings: [
        { account: merchantAccount, amount: -payoutAmount },
        { account: ledgerAccounts.payouts, amount: payoutAmount },
      ],
    });
    payoutEntryId = payout.entry.id;
    posted.push("PAYOUT");
  }

  await ledgerRepository.checkBalanced(tx);
  const completed = await settlementRepository.markCompleted(tx, id, {
    feeEntryId,
    payoutEntryId,
    payoutAmount,
    at,
  });
  return { settlement: completed, posted };
}
