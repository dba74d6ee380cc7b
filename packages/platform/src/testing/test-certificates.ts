import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { Env } from "../config/load-config.js";
import type { TlsClientOptions } from "../server/tls-settings.js";

const run = promisify(execFile);

/** One certificate and its private key, as files and as the options a TLS client takes. */
export interface TestIdentity {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: Buffer;
  readonly key: Buffer;
}

/**
 * Throwaway TLS material for one test file, made with the `openssl` CLI in a temporary
 * directory (no private key is ever committed): a CA, and certificates it signed.
 */
export interface TestCertificates {
  /** The CA that signed `service` and `client`. */
  readonly caFile: string;
  readonly ca: Buffer;
  /**
   * A service's certificate: SAN 127.0.0.1 and localhost, for both serverAuth and clientAuth
   * (a service serves its port and presents the same certificate to its dependencies).
   */
  readonly service: TestIdentity;
  /** A client-only certificate (an operator, a probe). */
  readonly client: TestIdentity;
  /** A client certificate signed by a CA nobody here trusts. */
  readonly stranger: TestIdentity;
  /** The environment that turns TLS on for a service; `mutual` adds TLS_CLIENT_AUTH=require. */
  serviceEnv(options?: { mutual?: boolean }): Env;
  /** Client options trusting the CA, presenting `identity` when given. */
  clientTls(identity?: TestIdentity): TlsClientOptions;
  /** Deletes the directory. */
  remove(): Promise<void>;
}

/** Creates a CA and the certificates of {@link TestCertificates}, valid for two days. */
export async function createTestCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(path.join(tmpdir(), "kassa-tls-"));
  const file = (name: string) => path.join(dir, name);
  try {
    await Promise.all([createCa(file("ca")), createCa(file("stranger-ca"))]);
    const [service, client, stranger] = await Promise.all([
      createLeaf(file("ca"), file("service"), "kassa-test-service", {
        extendedKeyUsage: "serverAuth,clientAuth",
        subjectAltName: "IP:127.0.0.1,DNS:localhost",
      }),
      createLeaf(file("ca"), file("client"), "kassa-test-operator", {
        extendedKeyUsage: "clientAuth",
      }),
      createLeaf(file("stranger-ca"), file("stranger"), "kassa-test-stranger", {
        extendedKeyUsage: "clientAuth",
      }),
    ]);
    const ca = await readFile(file("ca.crt"));
    return {
      caFile: file("ca.crt"),
      ca,
      service,
      client,
      stranger,
      serviceEnv: (options = {}) => ({
        TLS_CERT_FILE: service.certFile,
        TLS_KEY_FILE: service.keyFile,
        TLS_CA_FILE: file("ca.crt"),
        ...(options.mutual && { TLS_CLIENT_AUTH: "require" }),
      }),
      clientTls: (identity) => ({
        ca,
        ...(identity && { cert: identity.cert, key: identity.key }),
      }),
      remove: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** A self-signed CA: `<base>.crt` and `<base>.key`. */
async function createCa(base: string): Promise<void> {
  await openssl(
    ...["req", "-x509", "-new", ...newKey(`${base}.key`), "-out", `${base}.crt`, "-days", "2"],
    ...["-subj", `/CN=Kassa test CA ${path.basename(base)}`],
    ...["-addext", "basicConstraints=critical,CA:TRUE"],
    ...["-addext", "keyUsage=critical,keyCertSign,cRLSign"],
  );
}

/** A certificate signed by the CA at `caBase`, with the given X.509 v3 extensions. */
async function createLeaf(
  caBase: string,
  base: string,
  commonName: string,
  extensions: Record<string, string>,
): Promise<TestIdentity> {
  const lines = {
    basicConstraints: "critical,CA:FALSE",
    keyUsage: "critical,digitalSignature",
    ...extensions,
  };
  await writeFile(
    `${base}.ext`,
    Object.entries(lines)
      .map(([name, value]) => `${name}=${value}\n`)
      .join(""),
  );
  await openssl(
    "req",
    "-new",
    ...newKey(`${base}.key`),
    "-out",
    `${base}.csr`,
    "-subj",
    `/CN=${commonName}`,
  );
  await openssl(
    ...["x509", "-req", "-in", `${base}.csr`, "-out", `${base}.crt`, "-days", "2"],
    ...["-CA", `${caBase}.crt`, "-CAkey", `${caBase}.key`],
    ...["-set_serial", `0x${randomBytes(8).toString("hex")}`, "-extfile", `${base}.ext`],
  );
  const [cert, key] = await Promise.all([readFile(`${base}.crt`), readFile(`${base}.key`)]);
  return { certFile: `${base}.crt`, keyFile: `${base}.key`, cert, key };
}

/** Arguments making `openssl req` generate an unencrypted P-256 key into `keyFile`. */
function newKey(keyFile: string): string[] {
  return ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", keyFile];
}

async function openssl(...args: string[]): Promise<void> {
  await run("openssl", args);
}
