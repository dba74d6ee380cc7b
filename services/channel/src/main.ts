import { runService } from "@kassa/platform";
import { channelService } from "./server.js";

await runService(channelService);
