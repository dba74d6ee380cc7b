import { createTestCertificates, type TestCertificates } from "@kassa/platform/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CliPlatform,
  runKassa,
  startCliPlatform,
} from "./testing/cli-platform.test-support.js";

// The operator CLI against services on mutual TLS: merchant, and accounting calling merchant
// over mutual TLS through its dependency client. The other four services are not running.

let certs: TestCertificates;
let platform: CliPlatform;
beforeAll(async () => {
  certs = await createTestCertificates();
  platform = await startCliPlatform("tls", ["merchant", "accounting"], {
    env: certs.serviceEnv({ mutual: true }),
  });
});
afterAll(async () => {
  await platform?.stop();
  await certs?.remove();
});

const operatorTls = () => ({
  KASSA_TLS_CA_FILE: certs.caFile,
  KASSA_TLS_CERT_FILE: certs.client.certFile,
  KASSA_TLS_KEY_FILE: certs.client.keyFile,
});
const urlOf = (name: string) => platform.services[name]?.url ?? "?";

describe("the operator CLI over mutual TLS", () => {
  it("reads health and metrics with KASSA_TLS_CA_FILE and a client certificate", async () => {
    expect(urlOf("merchant")).toMatch(/^https:/);
    const run = await runKassa(["status"], { ...platform.cliEnv, ...operatorTls() });
    for (const name of ["merchant", "accounting"]) {
      expect(run.stdout).toMatch(
        new RegExp(`^${name} +${urlOf(name)} +healthy +all \\d+ checks healthy$`, "m"),
      );
    }
    // Accounting reaches merchant over mutual TLS: its dependency check passed, breaker closed.
    expect(run.stdout).toMatch(/^accounting +merchant +closed$/m);
    expect(run.stdout).toContain("2 of 6 services healthy");
    expect(run.code).toBe(1);
  });

  it("calls admin RPCs over mutual TLS", async () => {
    const env = { ...platform.cliEnv, ...operatorTls() };
    const created = await runKassa(["merchants", "create", "Mutual Books"], env);
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    const listed = await runKassa(["merchants", "list"], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain("Mutual Books");
  });

  it("says in one line that the certificate is not trusted without KASSA_TLS_CA_FILE", async () => {
    const run = await runKassa(["merchants", "list"], platform.cliEnv);
    expect(run.stderr).toBe(
      `kassa: merchant (${urlOf("merchant")}) could not be reached over TLS: its certificate is not signed by a CA we trust (set KASSA_TLS_CA_FILE to the CA that signed it)\n`,
    );
    expect(run.code).toBe(1);
    const status = await runKassa(["status"], platform.cliEnv);
    expect(status.stdout).toMatch(
      new RegExp(
        `^merchant +${urlOf("merchant")} +error +TLS: its certificate is not signed by a CA we trust`,
        "m",
      ),
    );
  });

  it("refuses a KASSA_TLS_* file it cannot use before any call, naming the variable", async () => {
    const run = await runKassa(["status"], {
      ...platform.cliEnv,
      KASSA_TLS_CA_FILE: `${certs.caFile}.missing`,
      KASSA_TLS_CERT_FILE: certs.client.certFile,
    });
    expect(run.stderr).toBe(
      "kassa: KASSA_TLS_KEY_FILE is required with KASSA_TLS_CERT_FILE; KASSA_TLS_CA_FILE cannot be read (no such file)\n",
    );
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
  });
});
