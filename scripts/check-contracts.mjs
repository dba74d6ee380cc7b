// Checks the protobuf contracts the way CI needs them checked:
//  1. gen/ is exactly what `buf generate` makes of proto/ (it is checked in, never hand-edited);
//  2. once main has protos, proto/ makes no breaking change against main (buf FILE rules).
// Run by `npm test`; `npm run generate` fixes the first.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const fresh = mkdtempSync(join(tmpdir(), "kassa-gen-"));
try {
  execFileSync("buf", ["generate", "--output", fresh], { stdio: "inherit" });
  const diff = spawnSync("diff", ["-r", "-q", join(fresh, "gen"), "gen"], { encoding: "utf8" });
  if (diff.status !== 0) {
    console.error(diff.stdout + diff.stderr);
    console.error("gen/ is stale: run `npm run generate` and commit the result.");
    process.exit(1);
  }
  console.log("gen/ is fresh.");
} finally {
  rmSync(fresh, { recursive: true, force: true });
}

const mainHasProtos =
  spawnSync("git", ["cat-file", "-e", "main:proto"], { stdio: "ignore" }).status === 0;
if (mainHasProtos) {
  execFileSync("buf", ["breaking", "--against", ".git#branch=main"], { stdio: "inherit" });
  console.log("proto/ has no breaking change against main.");
} else {
  console.log("main has no protos yet: skipping buf breaking.");
}
