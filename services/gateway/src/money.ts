/**
 * An amount of money: integer minor units (USD cents, JPY yen, KWD fils) and the ISO 4217
 * currency they are in. The gateway never handles an amount without its currency, and never
 * adds or compares amounts of two currencies: that is a bug, so it throws. The field names are
 * the contracts' own, so a `Money` spreads into any request that carries `amount` and `currency`.
 */
export interface Money {
  readonly amount: bigint;
  readonly currency: string;
}

/** Arithmetic and comparison on {@link Money}, only within one currency. */
export const money = {
  /** The money of a row or a message that carries `amount` and `currency`. */
  of(value: { readonly amount: bigint; readonly currency: string }): Money {
    return { amount: value.amount, currency: value.currency };
  },

  /** Nothing, in a currency. */
  zero(currency: string): Money {
    return { amount: 0n, currency };
  },

  add(a: Money, b: Money): Money {
    return { amount: a.amount + sameCurrency(a, b).amount, currency: a.currency };
  },

  subtract(a: Money, b: Money): Money {
    return { amount: a.amount - sameCurrency(a, b).amount, currency: a.currency };
  },

  /** Whether `a` is more than `b`. */
  exceeds(a: Money, b: Money): boolean {
    return a.amount > sameCurrency(a, b).amount;
  },

  /** How people and error messages read it: `1500 USD` (minor units, as the API takes them). */
  format(value: Money): string {
    return `${value.amount} ${value.currency}`;
  },
} as const;

function sameCurrency(a: Money, b: Money): Money {
  if (a.currency !== b.currency) {
    throw new Error(`cannot combine ${a.currency} with ${b.currency}`);
  }
  return b;
}
