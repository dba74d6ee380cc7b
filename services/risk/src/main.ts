import { runService } from "@kassa/platform";
import { riskService } from "./server.js";

await runService(riskService);
