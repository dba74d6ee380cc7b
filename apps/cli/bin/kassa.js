#!/usr/bin/env node
// Committed entry point so `npx kassa` resolves right after `npm install`, before any build.
import("../dist/main.js").catch((error) => {
  if (error?.code === "ERR_MODULE_NOT_FOUND") {
    console.error("kassa: not built yet. Run `npm run build` (or `npm start`) first.");
    process.exit(1);
  }
  throw error;
});
