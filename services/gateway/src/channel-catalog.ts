import type { Client } from "@connectrpc/connect";
import type { ChannelService } from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { type Clock, type Logger, rpcErrors } from "@kassa/platform";

/** Which channels exist and what they accept, from ChannelService.ListChannels. */
export interface ChannelCatalog {
  /**
   * Throws INVALID_ARGUMENT naming `channel` or `currency` when the channel is unknown or does
   * not take the currency. While the channel service cannot be asked (and nothing is cached),
   * it lets the payment through: the charge itself will say.
   */
  check(channel: string, currency: string): Promise<void>;
}

/** A {@link ChannelCatalog} that asks the channel service at most once per `refreshMs`. */
export function createChannelCatalog(options: {
  channels: Client<typeof ChannelService>;
  clock: Clock;
  logger: Logger;
  refreshMs?: number;
}): ChannelCatalog {
  const refreshMs = options.refreshMs ?? 60_000;
  let known: { currencies: Map<string, Set<string>>; at: number } | undefined;
  let loading: Promise<void> | undefined;

  const load = async () => {
    try {
      const { channels } = await options.channels.listChannels({});
      known = {
        currencies: new Map(channels.map((channel) => [channel.name, new Set(channel.currencies)])),
        at: options.clock.now().getTime(),
      };
    } catch (error) {
      options.logger.warn(
        { err: (error as Error).message },
        "cannot list channels; not validating them",
      );
    }
  };

  return {
    async check(channel, currency) {
      if (!known || options.clock.now().getTime() - known.at > refreshMs) {
        loading ??= load().finally(() => {
          loading = undefined;
        });
        await loading;
      }
      if (!known) return;
      const currencies = known.currencies.get(channel);
      if (!currencies) throw rpcErrors.invalidArgument("channel", `unknown channel ${channel}`);
      if (!currencies.has(currency)) {
        throw rpcErrors.invalidArgument("currency", `is not accepted by channel ${channel}`);
      }
    },
  };
}
