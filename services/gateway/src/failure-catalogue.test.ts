import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { channelDecline, failure, failureMessages } from "./failure-catalogue.js";

describe("failure codes", () => {
  it("keeps a decline code the catalogue knows, with the catalogue's message", () => {
    expect(channelDecline("insufficient_funds", "Not enough money.")).toEqual({
      code: "insufficient_funds",
      message: "the card has insufficient funds",
    });
  });

  it("turns a provider's own code into declined, keeping the provider's words as detail", () => {
    expect(channelDecline("do_not_honor", "Do not honor.")).toEqual({
      code: "declined",
      message: "the channel declined it: do_not_honor: Do not honor.",
    });
  });

  it("never lets the channel report one of the gateway's own codes", () => {
    expect(channelDecline("risk_rejected", "")).toMatchObject({ code: "declined" });
  });

  it("appends a detail to the code's message", () => {
    expect(failure("service_unavailable", "the order service").message).toBe(
      "a service the payment needs could not be reached; nothing was charged: the order service",
    );
  });

  it("documents every code, and only those, in the README", () => {
    const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("### Failure codes"));
    const table = section.slice(0, section.indexOf("\n\n(")).split("\n");
    const documented = Object.fromEntries(
      table
        .map((line) => /^\| `(\w+)` +\| (.+?) +\|$/.exec(line))
        .filter((match) => match !== null)
        .map((match) => [match[1], match[2]]),
    );
    expect(documented).toEqual(failureMessages);
  });
});
