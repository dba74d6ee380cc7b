import { rpcErrors } from "@kassa/platform";
import type { Provider } from "./provider.js";

/** The configured channels, by name. */
export interface ChannelRegistry {
  /** Every channel, sorted by name; only those accepting `currency` when it is given. */
  list(currency?: string): Provider[];
  /**
   * The channel a request names in `field`.
   *
   * @throws INVALID_ARGUMENT naming `field` when it is empty or not a configured channel.
   */
  requireChannel(field: string, name: string): Provider;
  /** The channel of a stored charge or refund. */
  channelOf(record: { readonly channel: string }): Provider;
}

/** A {@link ChannelRegistry} over the given providers (names must be unique). */
export function createChannelRegistry(providers: readonly Provider[]): ChannelRegistry {
  const byName = new Map(providers.map((provider) => [provider.name, provider]));
  if (byName.size !== providers.length) throw new Error("channel names must be unique");
  const sorted = [...providers].sort((a, b) => a.name.localeCompare(b.name));
  return {
    list: (currency) =>
      currency ? sorted.filter((provider) => provider.currencies.includes(currency)) : sorted,
    requireChannel(field, name) {
      if (name === "") throw rpcErrors.invalidArgument(field, "is required");
      const provider = byName.get(name);
      if (!provider) {
        throw rpcErrors.invalidArgument(field, "is not a configured channel (see ListChannels)");
      }
      return provider;
    },
    channelOf(record) {
      const provider = byName.get(record.channel);
      // Records are only made on configured channels; one missing is a configuration change
      // that lost a provider, which an operator must fix, not a caller.
      if (!provider) throw new Error(`channel ${record.channel} is no longer configured`);
      return provider;
    },
  };
}
