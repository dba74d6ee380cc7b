import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";

/** One address a host name resolves to. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Resolves a host name to every address it has (tests inject one that answers what they need). */
export type HostResolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** The system resolver (getaddrinfo, so /etc/hosts counts), every address of both families. */
export const systemResolver: HostResolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map(({ address, family }) => ({
    address,
    family: family === 6 ? 6 : 4,
  }));

/** Why a webhook URL's host may not be called. */
export class WebhookAddressRefused extends Error {
  override readonly name = "WebhookAddressRefused";
}

/** Decides which hosts webhooks may be sent to. */
export interface WebhookAddressPolicy {
  /**
   * Resolves the URL's host and checks every address it resolves to; resolves with the one to
   * connect to (so a second lookup cannot swap it: DNS rebinding), or throws
   * {@link WebhookAddressRefused}.
   */
  resolve(url: URL): Promise<ResolvedAddress>;
}

/**
 * Only public unicast addresses: loopback, private (RFC 1918, fc00::/7), link-local
 * (169.254/16 with the cloud metadata address, fe80::/10), shared CGNAT (100.64/10),
 * unspecified (0.0.0.0, ::), multicast, broadcast and reserved ranges are refused, and so are
 * IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4, Teredo), judged as what they
 * embed or refused. Classification is ipaddr.js's `range()`: a maintained table of the IANA
 * special-purpose registries rather than regexes of our own. `allowPrivate` (the development
 * flag WEBHOOK_ALLOW_PRIVATE_URLS) lets every address through.
 */
export function createWebhookAddressPolicy(options: {
  allowPrivate: boolean;
  resolver?: HostResolver;
}): WebhookAddressPolicy {
  const resolver = options.resolver ?? systemResolver;
  return {
    async resolve(url) {
      const hostname = url.hostname.replace(/^\[|\]$/g, "");
      let addresses: readonly ResolvedAddress[];
      if (isIP(hostname)) {
        addresses = [{ address: hostname, family: isIP(hostname) === 6 ? 6 : 4 }];
      } else {
        try {
          addresses = await resolver(hostname);
        } catch (error) {
          throw new WebhookAddressRefused(
            `${hostname} does not resolve (${(error as NodeJS.ErrnoException).code ?? "lookup failed"})`,
          );
        }
        if (addresses.length === 0) throw new WebhookAddressRefused(`${hostname} does not resolve`);
      }
      if (!options.allowPrivate) {
        for (const { address } of addresses) {
          const range = publicRangeOf(address);
          if (range !== "unicast") {
            const what =
              address === hostname ? hostname : `${hostname} resolves to ${address}, which`;
            throw new WebhookAddressRefused(
              `${what} is a ${range} address; only public addresses are allowed`,
            );
          }
        }
      }
      return addresses[0] as ResolvedAddress;
    },
  };
}

/** The ipaddr.js range of an address, IPv4-mapped IPv6 judged as the IPv4 address it carries. */
function publicRangeOf(address: string): string {
  if (!ipaddr.isValid(address)) return "invalid";
  const parsed = ipaddr.process(address);
  return parsed.range();
}
