import { isIP } from "node:net";
import { rpcErrors } from "@kassa/platform";

/**
 * The canonical text form of an IP address, so one address always matches itself on the
 * blocklist and in velocity counters: IPv4 dotted decimal; IPv6 lower-case and compressed
 * (RFC 5952), with an IPv4-mapped address (`::ffff:1.2.3.4`) as its IPv4 form.
 *
 * @throws INVALID_ARGUMENT naming `field` (never the value) when it is not an IP address;
 * zone ids (`fe80::1%eth0`) are local to one host, so they are refused too.
 */
export function canonicalIp(field: string, value: string): string {
  const version = isIP(value);
  if (version === 4) return value;
  if (version === 6 && !value.includes("%")) {
    const compressed = new URL(`http://[${value}]`).hostname.slice(1, -1);
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(compressed);
    if (!mapped) return compressed;
    const [high, low] = [
      Number.parseInt(mapped[1] ?? "", 16),
      Number.parseInt(mapped[2] ?? "", 16),
    ];
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
  }
  throw rpcErrors.invalidArgument(field, "must be an IPv4 or IPv6 address");
}
