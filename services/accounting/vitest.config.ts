import { defineConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.js";

// The service gets its tests with its RPCs; until then @kassa/cli covers its boot.
export default defineConfig({ test: { ...sharedTestConfig, passWithNoTests: true } });
