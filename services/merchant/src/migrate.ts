import { migrateService } from "@kassa/platform";
import { merchantService } from "./server.js";

await migrateService(merchantService);
