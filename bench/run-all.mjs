// Runs every benchmark in turn and prints their numbers: `npm run bench`.
// Pass names to run only some: `npm run bench -- breaker-fail-fast`.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const all = [
  "resilient-client-overhead",
  "breaker-fail-fast",
  "health-three-checks",
  "merchant-authenticate",
  "channel-charge",
  "risk-assess",
  "accounting-record-payment",
  "gateway-create-payment",
  "out-of-order-start",
  "tracing-overhead",
  "webhook-delivery",
  "embedded-start",
];
const chosen = process.argv.length > 2 ? process.argv.slice(2) : all;
for (const name of chosen) {
  if (!all.includes(name)) throw new Error(`unknown benchmark ${name}; known: ${all.join(", ")}`);
  execFileSync(process.execPath, [fileURLToPath(new URL(`./${name}.mjs`, import.meta.url))], {
    stdio: "inherit",
  });
  console.log();
}
