import { fileURLToPath } from "node:url";
import { ChannelService } from "@kassa/contracts/kassa/channel/v1/channel_pb";
import { defineService } from "@kassa/platform";
import { dependencies } from "./clients.js";
import * as schema from "./db/schema.js";

/** The channel service: wiring only; each RPC lives in `operations/`. */
export const channelService = defineService({
  name: "channel",
  service: ChannelService,
  defaultPort: 8083,
  access: { kind: "internal" },
  dependencies,
  env: {},
  database: {
    schemaName: "channel",
    schema,
    migrationsFolder: fileURLToPath(new URL("../drizzle", import.meta.url)),
  },
  routes(router) {
    // RPCs arrive with the channel issue; until then the router answers UNIMPLEMENTED.
    router.service(ChannelService, {});
  },
});
