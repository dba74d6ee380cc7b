import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, type ConfigProblem } from "../config/config-error.js";
import type { Env } from "../config/load-config.js";
import { fixtureService } from "../test-fixtures/fixture-service.js";
import { createTestCertificates, type TestCertificates, testServiceEnv } from "../testing/index.js";
import { loadServiceConfig, startService } from "./service-runtime.js";
import { loadTlsSettings, readTlsFiles } from "./tls-settings.js";

// Every bad combination of the TLS variables, and every bad file, is refused at start-up with
// a problem naming the variable, before any storage is opened (no database needed here).

let certs: TestCertificates;
beforeAll(async () => {
  certs = await createTestCertificates();
});
afterAll(() => certs?.remove());

/** What starting the fixture with `tls` (on top of a valid environment) reports. */
async function startProblems(tls: Env): Promise<readonly ConfigProblem[]> {
  const env = testServiceEnv({ extra: tls });
  try {
    const running = await startService(fixtureService, { env });
    await running.stop();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("TLS configuration", () => {
  it.each([
    {
      name: "a certificate without its key",
      env: { TLS_CERT_FILE: "/certs/tls.crt" },
      problems: [{ variable: "TLS_KEY_FILE", message: "is required with TLS_CERT_FILE" }],
    },
    {
      name: "a key without its certificate",
      env: { TLS_KEY_FILE: "/certs/tls.key" },
      problems: [{ variable: "TLS_CERT_FILE", message: "is required with TLS_KEY_FILE" }],
    },
    {
      name: "mutual TLS without a CA to verify callers against",
      env: {
        TLS_CERT_FILE: "/certs/tls.crt",
        TLS_KEY_FILE: "/certs/tls.key",
        TLS_CLIENT_AUTH: "require",
      },
      problems: [
        {
          variable: "TLS_CA_FILE",
          message:
            "is required when TLS_CLIENT_AUTH=require (client certificates are verified against it)",
        },
      ],
    },
    {
      name: "mutual TLS on a cleartext port",
      env: { TLS_CA_FILE: "/certs/ca.crt", TLS_CLIENT_AUTH: "require" },
      problems: [
        {
          variable: "TLS_CERT_FILE",
          message: "is required when TLS_CLIENT_AUTH=require (the port must serve TLS)",
        },
        { variable: "TLS_KEY_FILE", message: "is required when TLS_CLIENT_AUTH=require" },
      ],
    },
    {
      name: "an unknown client authentication mode",
      env: { TLS_CLIENT_AUTH: "optional" },
      problems: [{ variable: "TLS_CLIENT_AUTH", message: "must be none or require" }],
    },
  ])("refuses $name while reading the configuration", ({ env, problems }) => {
    expect(() => loadServiceConfig(fixtureService, testServiceEnv({ extra: env }))).toThrow(
      new ConfigError(problems),
    );
  });

  it("accepts a CA alone: a cleartext port whose https:// dependencies are verified", () => {
    const settings = loadTlsSettings({ TLS_CA_FILE: certs.caFile, TLS_CLIENT_AUTH: "none" });
    expect(settings.server).toBeUndefined();
    expect(settings.client).toEqual({ ca: certs.ca });
  });

  it("asks for and verifies client certificates only with TLS_CLIENT_AUTH=require", () => {
    const files = {
      TLS_CERT_FILE: certs.service.certFile,
      TLS_KEY_FILE: certs.service.keyFile,
      TLS_CA_FILE: certs.caFile,
    };
    const plain = loadTlsSettings({ ...files, TLS_CLIENT_AUTH: "none" });
    expect(plain.server).toEqual({ cert: certs.service.cert, key: certs.service.key });
    const mutual = loadTlsSettings({ ...files, TLS_CLIENT_AUTH: "require" });
    expect(mutual.server).toMatchObject({
      ca: certs.ca,
      requestCert: true,
      rejectUnauthorized: true,
    });
    // Either way the service presents its certificate to dependencies that ask for one.
    expect(mutual.client).toEqual({
      ca: certs.ca,
      cert: certs.service.cert,
      key: certs.service.key,
    });
    expect(plain.client).toEqual(mutual.client);
  });

  it("refuses to start with an unreadable file, naming the variable and not the path", async () => {
    const missing = path.join(path.dirname(certs.caFile), "nowhere.crt");
    const problems = await startProblems({
      TLS_CERT_FILE: certs.service.certFile,
      TLS_KEY_FILE: certs.service.keyFile,
      TLS_CA_FILE: missing,
    });
    expect(problems).toEqual([
      { variable: "TLS_CA_FILE", message: "cannot be read (no such file)" },
    ]);
    expect(JSON.stringify(problems)).not.toContain(missing);
  });

  it("refuses files that do not hold what their variable says, or a key of another certificate", async () => {
    const garbage = path.join(path.dirname(certs.caFile), "garbage.pem");
    await writeFile(garbage, "not a PEM file\n");
    expect(
      await startProblems({
        TLS_CERT_FILE: garbage,
        TLS_KEY_FILE: garbage,
        TLS_CA_FILE: certs.service.keyFile,
      }),
    ).toEqual([
      { variable: "TLS_CERT_FILE", message: "does not hold a PEM certificate" },
      { variable: "TLS_KEY_FILE", message: "does not hold an unencrypted PEM private key" },
      { variable: "TLS_CA_FILE", message: "does not hold a PEM certificate" },
    ]);
    expect(
      await startProblems({
        TLS_CERT_FILE: certs.service.certFile,
        TLS_KEY_FILE: certs.client.keyFile,
      }),
    ).toEqual([
      { variable: "TLS_KEY_FILE", message: "does not match the certificate in TLS_CERT_FILE" },
    ]);
  });

  it("names the caller's own variables when another program reads its files with it", () => {
    expect(() =>
      readTlsFiles({
        cert: { variable: "KASSA_TLS_CERT_FILE", path: certs.client.certFile },
        key: { variable: "KASSA_TLS_KEY_FILE", path: undefined },
        ca: { variable: "KASSA_TLS_CA_FILE", path: certs.caFile },
      }),
    ).toThrow(
      new ConfigError([
        { variable: "KASSA_TLS_KEY_FILE", message: "is required with KASSA_TLS_CERT_FILE" },
      ]),
    );
  });
});
