import { migrateService } from "@kassa/platform";
import { channelService } from "./server.js";

await migrateService(channelService);
