import { migrateService } from "@kassa/platform";
import { gatewayService } from "./server.js";

await migrateService(gatewayService);
