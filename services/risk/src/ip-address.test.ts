import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { canonicalIp } from "./ip-address.js";

describe("canonicalIp", () => {
  it.each([
    ["192.0.2.1", "192.0.2.1"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:db8::0:1", "2001:db8::1"],
    ["::1", "::1"],
    ["::ffff:192.0.2.1", "192.0.2.1"],
    ["::FFFF:C000:0201", "192.0.2.1"],
  ])("writes %s as %s, so one address always matches itself", (input, canonical) => {
    expect(canonicalIp("ip", input)).toBe(canonical);
  });

  it.each(["", "192.0.2", "192.0.2.256", "01.2.3.4", " 192.0.2.1", "fe80::1%eth0", "example.com"])(
    "refuses %j with INVALID_ARGUMENT naming the field, not the value",
    (input) => {
      let error: unknown;
      try {
        canonicalIp("customer.ip", input);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConnectError);
      expect(error).toMatchObject({
        code: Code.InvalidArgument,
        rawMessage: "customer.ip: must be an IPv4 or IPv6 address",
      });
    },
  );
});
