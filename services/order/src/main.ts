import { runService } from "@kassa/platform";
import { orderService } from "./server.js";

await runService(orderService);
