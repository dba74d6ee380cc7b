/**
 * The ledger's account names, as postings and the contract spell them. An account is a name
 * and a currency; the currency lives on each posting.
 */
export const ledgerAccounts = {
  /** A merchant's balance: what Kassa owes it (negative when it owes Kassa). */
  merchant: (merchantId: string) => `merchant:${merchantId}`,
  /** Money received from and returned to the channels. */
  clearing: "platform:clearing",
  /** Kassa's fees. */
  feeRevenue: "platform:fee_revenue",
  /** Money paid out to merchants. */
  payouts: "platform:payouts",
} as const;
