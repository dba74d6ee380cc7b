import { migrateService } from "@kassa/platform";
import { accountingService } from "./server.js";

await migrateService(accountingService);
