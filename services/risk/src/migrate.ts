import { migrateService } from "@kassa/platform";
import { riskService } from "./server.js";

await migrateService(riskService);
