import { runService } from "@kassa/platform";
import { gatewayService } from "./server.js";

await runService(gatewayService);
