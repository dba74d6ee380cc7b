import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import { AccountingService } from "@kassa/contracts/kassa/accounting/v1/accounting_pb";
import { type FeeRule, MerchantService } from "@kassa/contracts/kassa/merchant/v1/merchant_pb";
import { merchantService } from "@kassa/merchant";
import { type Clock, createId } from "@kassa/platform";
import { type LogCapture, startTestService, testTokens } from "@kassa/platform/testing";
import { eq, sql } from "drizzle-orm";
import { expect } from "vitest";
import type { AccountingDatabase } from "../db/accounting-database.js";
import {
  entries,
  postings,
  settlementCandidates,
  settlementEntries,
  settlements,
} from "../db/schema.js";
import { type AccountingServiceOptions, createAccountingService } from "../server.js";

// The accounting service under test with a real merchant service beside it (for fee
// schedules), each on its own Postgres database.

type FeeRuleInit = Pick<FeeRule, "basisPoints" | "fixedAmount">;

/** The two services, clients for them, and ways to look at what the ledger holds. */
export interface AccountingPlatform {
  readonly db: AccountingDatabase;
  /** The accounting service's base URL (`/metrics` lives there). */
  readonly url: string;
  /** Everything the accounting service logged. */
  readonly logs: LogCapture;
  /** AccountingService with the internal token (ledger RPCs). */
  readonly internal: Client<typeof AccountingService>;
  /** AccountingService with the admin token (settlement RPCs). */
  readonly admin: Client<typeof AccountingService>;
  /** AccountingService with the given token, or none. */
  client(token?: string): Client<typeof AccountingService>;
  /** A merchant created through MerchantService, with a fee rule for every currency. */
  newMerchant(fee?: FeeRuleInit, currencyFees?: Record<string, FeeRuleInit>): Promise<string>;
  /** Books a payment of the merchant now (or at `occurredAt`); resolves with its entry id. */
  pay(merchantId: string, amount: bigint, options?: EventOptions): Promise<string>;
  /** Books a refund of the merchant now (or at `occurredAt`); resolves with its entry id. */
  refund(merchantId: string, amount: bigint, options?: EventOptions): Promise<string>;
  /** The merchant's balance figures in the currency (USD by default). */
  balanceOf(merchantId: string, currency?: string): Promise<BalanceFigures>;
  /** Rows in each ledger table. */
  counts(): Promise<LedgerCounts>;
  /** Stops the merchant service only (the accounting service keeps running). */
  stopMerchant(): Promise<void>;
  stop(): Promise<void>;
}

/** GetBalance's figures, shortly named. */
export type BalanceFigures = ReturnType<typeof balanceFigures>;

/** How many rows each ledger table holds. */
export interface LedgerCounts {
  entries: number;
  postings: number;
  settlements: number;
  settlementCandidates: number;
  settlementEntries: number;
}

/** When and in what currency a booked event happened. */
export interface EventOptions {
  currency?: string;
  occurredAt?: Date;
}

/** A zero fee: settlements then pay out exactly their gross. */
export const noFee: FeeRuleInit = { basisPoints: 0, fixedAmount: 0n };

/** Options for {@link startAccountingPlatform}. */
export interface AccountingPlatformOptions {
  /** The accounting service's test hooks. */
  service?: AccountingServiceOptions;
  /** The accounting service's clock. Default the system clock. */
  clock?: Clock;
}

/** Starts merchant and accounting services for one test file. */
export async function startAccountingPlatform(
  label: string,
  options: AccountingPlatformOptions = {},
): Promise<AccountingPlatform> {
  const merchant = await startTestService(merchantService, { label: `${label}_merchant` });
  const definition = createAccountingService(options.service);
  const env = { MERCHANT_URL: merchant.url };
  const clock = options.clock && { clock: options.clock };
  const accounting = await startTestService(definition, { label, env, ...clock }).catch(
    async (error: unknown) => {
      await merchant.stop();
      throw error;
    },
  );
  const client = (token?: string) => accounting.client(AccountingService, token);
  const internal = client(testTokens.internal);
  const merchants = merchant.client(MerchantService, testTokens.admin);
  const db = accounting.context.db;
  let merchantStopped = false;

  const balanceOf = async (merchantId: string, currency = "USD") =>
    balanceFigures(await internal.getBalance({ merchantId, currency }));

  return {
    db,
    url: accounting.url,
    logs: accounting.logs,
    internal,
    admin: client(testTokens.admin),
    client,
    async newMerchant(fee = noFee, currencyFees = {}) {
      const answer = await merchants.createMerchant({
        name: "Ledger Test Shop",
        feeSchedule: { defaultFee: fee, currencyFees },
      });
      return answer.merchant?.id ?? "";
    },
    async pay(merchantId, amount, { currency = "USD", occurredAt = new Date() } = {}) {
      const { entry } = await internal.recordPayment({
        paymentId: createId("pay"),
        merchantId,
        amount,
        currency,
        occurredAt: timestampFromDate(occurredAt),
      });
      return entry?.id ?? "";
    },
    async refund(merchantId, amount, { currency = "USD", occurredAt = new Date() } = {}) {
      const { entry } = await internal.recordRefund({
        refundId: createId("ref"),
        paymentId: createId("pay"),
        merchantId,
        amount,
        currency,
        occurredAt: timestampFromDate(occurredAt),
      });
      return entry?.id ?? "";
    },
    balanceOf,
    async counts() {
      return {
        entries: await db.$count(entries),
        postings: await db.$count(postings),
        settlements: await db.$count(settlements),
        settlementCandidates: await db.$count(settlementCandidates),
        settlementEntries: await db.$count(settlementEntries),
      };
    },
    async stopMerchant() {
      merchantStopped = true;
      await merchant.stop();
    },
    async stop() {
      await accounting.stop();
      if (!merchantStopped) await merchant.stop();
    },
  };
}

function balanceFigures(
  answer: Awaited<ReturnType<Client<typeof AccountingService>["getBalance"]>>,
) {
  const b = answer.balance;
  return {
    balance: b?.balance,
    unsettled: b?.unsettledAmount,
    payments: b?.totalPayments,
    refunds: b?.totalRefunds,
    fees: b?.totalFees,
    payouts: b?.totalPayouts,
  };
}

/**
 * Asserts, over the WHOLE postings table, that every entry has at least two postings and
 * sums to zero per currency: what the database's triggers guarantee, checked from outside.
 */
export async function expectLedgerBalanced(db: AccountingDatabase): Promise<void> {
  const unbalanced = await db
    .select({ entryId: postings.entryId, currency: postings.currency })
    .from(postings)
    .groupBy(postings.entryId, postings.currency)
    .having(sql`sum(${postings.amount}) <> 0`);
  expect(unbalanced).toEqual([]);
  const thin = await db
    .select({ entryId: entries.id })
    .from(entries)
    .leftJoin(postings, eq(postings.entryId, entries.id))
    .groupBy(entries.id)
    .having(sql`count(${postings.id}) < 2`);
  expect(thin).toEqual([]);
}
