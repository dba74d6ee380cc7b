import { migrateService } from "@kassa/platform";
import { orderService } from "./server.js";

await migrateService(orderService);
