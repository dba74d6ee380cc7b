import { describe, expect, it } from "vitest";
import { formatAmount } from "./format-amount.js";

describe("formatAmount", () => {
  it("shows minor units with the currency's own decimals", () => {
    expect(formatAmount(1999n, "USD")).toBe("19.99 USD");
    expect(formatAmount(5n, "USD")).toBe("0.05 USD");
    expect(formatAmount(1050n, "JPY")).toBe("1050 JPY");
    expect(formatAmount(1050n, "KWD")).toBe("1.050 KWD");
    expect(formatAmount(0n, "EUR")).toBe("0.00 EUR");
  });

  it("keeps the sign of a negative balance", () => {
    expect(formatAmount(-5n, "KWD")).toBe("-0.005 KWD");
    expect(formatAmount(-1999n, "USD")).toBe("-19.99 USD");
  });

  it("is exact beyond what a float holds", () => {
    expect(formatAmount(9_223_372_036_854_775_807n, "USD")).toBe("92233720368547758.07 USD");
  });

  it("says minor units for a code it does not know", () => {
    expect(formatAmount(42n, "XTS")).toBe("42 XTS (minor units)");
  });
});
