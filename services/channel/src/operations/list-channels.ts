import { create } from "@bufbuild/protobuf";
import {
  ChannelInfoSchema,
  type ListChannelsRequest,
  type ListChannelsResponse,
  ListChannelsResponseSchema,
} from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { requestFields } from "@kassa/platform";
import type { ChannelContext } from "./channel-context.js";

/** ListChannels: the configured channels sorted by name, optionally only those taking a currency. */
export async function listChannels(
  context: ChannelContext,
  request: ListChannelsRequest,
): Promise<ListChannelsResponse> {
  const currency =
    request.currency === "" ? undefined : requestFields.currency("currency", request.currency);
  return create(ListChannelsResponseSchema, {
    channels: context.channels.list(currency).map((provider) =>
      create(ChannelInfoSchema, {
        name: provider.name,
        displayName: provider.displayName,
        currencies: [...provider.currencies],
        testMode: provider.testMode,
      }),
    ),
  });
}
