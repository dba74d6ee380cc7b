import currencyCodes from "currency-codes";

// ISO 4217 codes that are not money a merchant can be paid in: precious metals, bond
// market units, SDR, the testing code and "no currency".
const notMoney = new Set([
  "XAG",
  "XAU",
  "XBA",
  "XBB",
  "XBC",
  "XBD",
  "XDR",
  "XPD",
  "XPT",
  "XSU",
  "XTS",
  "XUA",
  "XXX",
  "BOV",
  "CHE",
  "CHW",
  "CLF",
  "COU",
  "MXV",
  "USN",
  "UYI",
  "UYW",
]);

const exponents = new Map<string, number>(
  currencyCodes.data
    .filter((currency) => !notMoney.has(currency.code))
    .map((currency) => [currency.code, currency.digits]),
);

/**
 * How many minor units a currency has (USD 2, JPY 0, KWD 3), from the ISO 4217 list; undefined
 * for a code that is not an active currency. Amounts are always integers in minor units.
 */
export function currencyExponent(code: string): number | undefined {
  return exponents.get(code);
}

/** Whether `code` is an active ISO 4217 currency Kassa accepts (upper case, e.g. `USD`). */
export function isCurrency(code: string): boolean {
  return exponents.has(code);
}
