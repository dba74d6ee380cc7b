import type { FeeRuleRow } from "./db/schema.js";

/** What one fee rule charges: basis points of the volume plus a fixed amount per payment. */
export interface FeeTerms {
  /** 0..10000; 290 is 2.9 %. */
  readonly basisPoints: number;
  /** Minor units of the currency being settled, >= 0. */
  readonly fixedAmount: bigint;
}

/** A whole fee schedule: the default rule and the per-currency rules that override it. */
export interface FeeScheduleTerms {
  readonly defaultFee: FeeTerms;
  /** Keyed by ISO 4217 code. */
  readonly currencyFees: ReadonlyMap<string, FeeTerms>;
}

/** The current schedule of one merchant from its current fee rule rows. */
export function feeScheduleTermsOf(rows: readonly FeeRuleRow[]): FeeScheduleTerms {
  const defaultRow = rows.find((row) => row.currency === null);
  // Every merchant is created with a default rule and replacements always carry one.
  if (!defaultRow)
    throw new Error(`merchant ${rows[0]?.merchantId ?? "?"} has no default fee rule`);
  const currencyFees = new Map<string, FeeTerms>();
  for (const row of rows) {
    if (row.currency !== null) currencyFees.set(row.currency, termsOf(row));
  }
  return { defaultFee: termsOf(defaultRow), currencyFees };
}

/** Whether two schedules charge exactly the same, so replacing one by the other changes nothing. */
export function sameFeeScheduleTerms(a: FeeScheduleTerms, b: FeeScheduleTerms): boolean {
  if (!sameTerms(a.defaultFee, b.defaultFee) || a.currencyFees.size !== b.currencyFees.size) {
    return false;
  }
  for (const [currency, terms] of a.currencyFees) {
    const other = b.currencyFees.get(currency);
    if (!other || !sameTerms(terms, other)) return false;
  }
  return true;
}

function termsOf(row: FeeRuleRow): FeeTerms {
  return { basisPoints: row.basisPoints, fixedAmount: row.fixedAmount };
}

function sameTerms(a: FeeTerms, b: FeeTerms): boolean {
  return a.basisPoints === b.basisPoints && a.fixedAmount === b.fixedAmount;
}
