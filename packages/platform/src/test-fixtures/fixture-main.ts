import { runService } from "../server/service-runtime.js";
import { fixtureService, rememberPort } from "./fixture-service.js";

// Spawned by the platform's shutdown test: a real process receiving a real SIGTERM.
const running = await runService(fixtureService);
rememberPort(running.port);
