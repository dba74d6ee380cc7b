import { runService } from "@kassa/platform";
import { accountingService } from "./server.js";

await runService(accountingService);
