import { runService } from "@kassa/platform";
import { merchantService } from "./server.js";

await runService(merchantService);
