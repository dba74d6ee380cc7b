import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  type AnyServiceDefinition,
  baseEnvSchema,
  ConfigError,
  type ConfigProblem,
  dependencyEnvSchema,
  type Env,
  loadConfig,
  loadServiceConfig,
} from "@kassa/platform";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { platformServices } from "./platform-services.js";
import { serviceDefinitions } from "./service-definitions.js";

// docker-compose.yml, the Dockerfile and deploy/k8s checked against the services' own
// definitions (names, ports, proto names, dependencies, environment schemas), so a port, a new
// dependency or a new required variable cannot drift out of the deployment files unnoticed.

const rootDir = fileURLToPath(new URL("../../../", import.meta.url));
const k8sDir = path.join(rootDir, "deploy/k8s");
const readText = (file: string) => readFileSync(path.join(rootDir, file), "utf8");

const dockerfile = readText("Dockerfile");
const finalStage = dockerfile.slice(dockerfile.lastIndexOf("\nFROM ") + 1);
/** Where the image has grpc_health_probe: the destination of the final stage's COPY of it. */
const probeBinary =
  finalStage.match(/^COPY --from=\S+ \S*\/grpc_health_probe (\/\S+)$/m)?.[1] ??
  "(not in the image)";

const byName = new Map(serviceDefinitions.map((definition) => [definition.name, definition]));
const names = serviceDefinitions.map((definition) => definition.name);

/** The entry point a service's image runs: `src/main.ts` compiled by its build. */
const mainScript = (name: string) => `services/${name}/dist/main.js`;

/**
 * The variables a service refuses to start without, read from its schemas: whatever parsing
 * an empty environment reports (the base and the service's own schema, then each
 * dependency's), plus KASSA_ADMIN_TOKEN where the service has admin methods, as the runtime
 * demands.
 */
function requiredVariables(definition: AnyServiceDefinition): string[] {
  const missing = (result: { error?: { issues: ReadonlyArray<{ path: PropertyKey[] }> } }) =>
    (result.error?.issues ?? []).map((issue) => String(issue.path[0]));
  const required = [
    ...missing(baseEnvSchema(definition.defaultPort).extend(definition.env).safeParse({})),
    ...Object.keys(definition.dependencies).flatMap((dependency) =>
      missing(dependencyEnvSchema(dependency).safeParse({})),
    ),
  ];
  const { access } = definition;
  if (access.kind === "internal" && (access.adminMethods ?? []).length > 0) {
    required.push("KASSA_ADMIN_TOKEN");
  }
  return required;
}

/** What the service itself says about `env` at start: no problems, or each bad variable. */
function configProblems(definition: AnyServiceDefinition, env: Env): readonly ConfigProblem[] {
  try {
    loadServiceConfig(definition, env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

/** The port a service listens on with `env` (PORT, or its default). */
const listenPort = (definition: AnyServiceDefinition, env: Env) =>
  loadConfig(baseEnvSchema(definition.defaultPort).pick({ PORT: true }), env).PORT;

/** How long a service may take to stop after SIGTERM with `env`, in milliseconds. */
function drainMs(definition: AnyServiceDefinition, env: Env): number {
  const { SHUTDOWN_DELAY_MS, SHUTDOWN_TIMEOUT_MS } = loadConfig(
    baseEnvSchema(definition.defaultPort).pick({
      SHUTDOWN_DELAY_MS: true,
      SHUTDOWN_TIMEOUT_MS: true,
    }),
    env,
  );
  // Readiness 503 for the delay, in-flight calls for up to the timeout, then background work
  // (outbox relay, reconciler) for up to the timeout again, before storage closes.
  return SHUTDOWN_DELAY_MS + 2 * SHUTDOWN_TIMEOUT_MS;
}

/** grpc_health_probe's arguments as flags: `-addr=host:port` → addr, `-tls` → "true". */
function probeFlags(args: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    args.map((arg) => {
      const at = arg.indexOf("=");
      return at < 0
        ? [arg.replace(/^-+/, ""), "true"]
        : [arg.slice(0, at).replace(/^-+/, ""), arg.slice(at + 1)];
    }),
  );
}

/**
 * Checks a grpc_health_probe command: the binary where the image has it, the service's port,
 * and with `tls` the CA, certificate and key the service itself is configured with (the probe
 * presents the service's own certificate) and the name its certificate carries.
 */
function expectHealthProbe(
  command: readonly string[],
  definition: AnyServiceDefinition,
  tls?: { env: Env; serverName: string },
): Record<string, string> {
  const [binary, ...args] = command;
  expect(binary, "grpc_health_probe where the Dockerfile installs it").toBe(probeBinary);
  const flags = probeFlags(args);
  expect(flags.addr, `${definition.name} probe address`).toBe(
    `127.0.0.1:${definition.defaultPort}`,
  );
  if (!tls) {
    expect(flags.tls, `${definition.name} probe in cleartext`).toBeUndefined();
    return flags;
  }
  expect(flags).toMatchObject({
    tls: "true",
    "tls-ca-cert": tls.env.TLS_CA_FILE,
    "tls-client-cert": tls.env.TLS_CERT_FILE,
    "tls-client-key": tls.env.TLS_KEY_FILE,
    "tls-server-name": tls.serverName,
  });
  return flags;
}

/** Checks each `<DEP>_URL` in `env` names the dependency's host (a service name) and port. */
function expectDependencyUrls(definition: AnyServiceDefinition, env: Env): void {
  for (const dependency of Object.keys(definition.dependencies)) {
    const variable = `${dependency.toUpperCase()}_URL`;
    const url = new URL(env[variable] ?? "http://unset");
    // `merchant`, or a cluster DNS name starting with it (`merchant.kassa.svc.cluster.local`).
    expect(url.hostname.split(".")[0], `${definition.name} ${variable}`).toBe(dependency);
    expect(Number(url.port), `${definition.name} ${variable}`).toBe(
      byName.get(dependency)?.defaultPort,
    );
  }
}

describe("what the services require", () => {
  // Guards the checks below against an empty list: every service needs the internal token and
  // the URL of each service it calls.
  it.each(names)("is read from %s's schemas", (name) => {
    const definition = byName.get(name) as AnyServiceDefinition;
    expect(requiredVariables(definition)).toEqual(
      expect.arrayContaining([
        "KASSA_INTERNAL_TOKEN",
        ...Object.keys(definition.dependencies).map((d) => `${d.toUpperCase()}_URL`),
      ]),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// docker-compose.yml

interface ComposeService {
  build?: string | { context?: string };
  image?: string;
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: Array<string | number | { target: number }>;
  healthcheck?: { test?: string | string[] };
  depends_on?: string[] | Record<string, { condition?: string }>;
  stop_grace_period?: string;
  volumes?: unknown[];
}

const compose = parse(readText("docker-compose.yml"), { merge: true }) as {
  services: Record<string, ComposeService>;
};

/** Compose's `${VAR:-default}` / `${VAR-default}` / `${VAR}` / `$$`, with nothing exported. */
const interpolate = (value: string) =>
  value.replace(/\$\$|\$\{(\w+)(?::?-([^}]*))?\}|\$(\w+)/g, (match, _name, fallback) =>
    match === "$$" ? "$" : (fallback ?? ""),
  );

function composeEnv(service: ComposeService): Record<string, string> {
  const entries = Array.isArray(service.environment)
    ? service.environment.map((line) => {
        const at = line.indexOf("=");
        return at < 0 ? [line, ""] : [line.slice(0, at), line.slice(at + 1)];
      })
    : Object.entries(service.environment ?? {}).map(([key, value]) => [key, String(value ?? "")]);
  return Object.fromEntries(entries.map(([key = "", value = ""]) => [key, interpolate(value)]));
}

/** Seconds from a compose duration such as `30s`, `1m30s` or `500ms`. */
function composeSeconds(duration: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 1e-6 };
  let seconds = 0;
  for (const [, amount, unit = "s"] of duration.matchAll(/(\d+(?:\.\d+)?)(ms|us|h|m|s)/g)) {
    seconds += Number(amount) * (units[unit] ?? Number.NaN);
  }
  return seconds;
}

const composeService = (name: string): ComposeService => {
  const service = compose.services[name];
  if (!service) throw new Error(`docker-compose.yml has no service "${name}"`);
  return service;
};

describe("docker-compose.yml", () => {
  it("runs all six services, and Postgres and Redis", () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining([...names, "postgres", "redis"]),
    );
  });

  it.each(names)("runs %s's main.js from the image the Dockerfile builds", (name) => {
    const service = composeService(name);
    const context = typeof service.build === "string" ? service.build : service.build?.context;
    expect(context).toBe(".");
    expect(service.image).toBe(composeService("gateway").image);
    const command = [service.command ?? []].flat().join(" ");
    expect(command).toBe(`node ${mainScript(name)}`);
  });

  it.each(names)("listens, publishes and health-checks %s on its port", (name) => {
    const definition = byName.get(name) as AnyServiceDefinition;
    const service = composeService(name);
    expect(listenPort(definition, composeEnv(service))).toBe(definition.defaultPort);
    const containerPorts = (service.ports ?? []).map((port) =>
      typeof port === "object"
        ? port.target
        : Number(String(port).split(":").at(-1)?.split("/")[0]),
    );
    expect(containerPorts).toContain(definition.defaultPort);
    const test = [service.healthcheck?.test ?? []].flat().join(" ");
    expect(test).toContain(`127.0.0.1:${definition.defaultPort}/health/ready`);
  });

  it.each(names)("sets every variable %s requires, with values it accepts", (name) => {
    const definition = byName.get(name) as AnyServiceDefinition;
    const env = composeEnv(composeService(name));
    expect(Object.keys(env)).toEqual(expect.arrayContaining(requiredVariables(definition)));
    // Real Postgres and Redis, not the embedded development stand-ins.
    expect(Object.keys(env)).toEqual(expect.arrayContaining(["DATABASE_URL", "REDIS_URL"]));
    expect(configProblems(definition, env)).toEqual([]);
  });

  it.each(names)("points %s's <DEP>_URLs at each dependency's service and port", (name) => {
    const definition = byName.get(name) as AnyServiceDefinition;
    expectDependencyUrls(definition, composeEnv(composeService(name)));
  });

  it.each(names)("starts %s only once its dependencies and storage are healthy", (name) => {
    const definition = byName.get(name) as AnyServiceDefinition;
    const service = composeService(name);
    const env = composeEnv(service);
    const storage = [env.DATABASE_URL, env.REDIS_URL].map((url) => new URL(url ?? "").hostname);
    for (const needed of [...Object.keys(definition.dependencies), ...storage]) {
      expect(compose.services[needed]?.healthcheck?.test, `${needed} healthcheck`).toBeDefined();
      const dependsOn = Array.isArray(service.depends_on) ? {} : (service.depends_on ?? {});
      expect(dependsOn[needed]?.condition, `${name} depends_on ${needed}`).toBe("service_healthy");
    }
  });

  it.each(names)("gives %s time to drain before Docker kills it", (name) => {
    const definition = byName.get(name) as AnyServiceDefinition;
    const service = composeService(name);
    const grace = composeSeconds(service.stop_grace_period ?? "10s");
    expect(grace * 1000).toBeGreaterThan(drainMs(definition, composeEnv(service)));
  });

  it("keeps Postgres and Redis data in volumes", () => {
    expect(composeService("postgres").volumes?.length).toBeGreaterThan(0);
    expect(composeService("redis").volumes?.length).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------
// docker-compose.yml: traces (Jaeger), metrics (Prometheus) and dashboards (Grafana).
// observability-config.test.ts checks the files under deploy/observability themselves.

/**
 * Every variable a service reads: its schemas' (base, own, each dependency's). The base holds
 * the OpenTelemetry SDK's standard `OTEL_*` variables, so a misspelt one fails the checks below.
 */
function readVariables(definition: AnyServiceDefinition): Set<string> {
  return new Set([
    ...Object.keys(baseEnvSchema(definition.defaultPort).extend(definition.env).shape),
    ...Object.keys(definition.dependencies).flatMap((dependency) =>
      Object.keys(dependencyEnvSchema(dependency).shape),
    ),
  ]);
}

/** Variables of `env` that `definition`'s service does not read (a typo, or a stale setting). */
const unreadVariables = (definition: AnyServiceDefinition, env: Record<string, unknown>) => {
  const read = readVariables(definition);
  return Object.keys(env).filter((variable) => !read.has(variable));
};

/**
 * Where the bind mounts in `volumes` (`./host:/container[:mode]`) put `containerPath` on the
 * host, relative to the repository; undefined when no bind mount holds it.
 */
function hostPath(volumes: readonly unknown[] | undefined, containerPath: string) {
  for (const volume of volumes ?? []) {
    const [source = "", target = ""] = interpolate(String(volume)).split(":");
    const isBindMount = source.startsWith(".") || source.startsWith("/");
    if (isBindMount && (containerPath === target || containerPath.startsWith(`${target}/`))) {
      return path.posix.normalize(source + containerPath.slice(target.length));
    }
  }
  return undefined;
}

/** The configuration file a Prometheus container reads: its `--config.file`. */
const prometheusConfigFile = (service: ComposeService) =>
  [service.command ?? []]
    .flat()
    .find((arg) => arg.startsWith("--config.file="))
    ?.slice("--config.file=".length) ?? "(no --config.file)";

describe("docker-compose.yml: Jaeger, Prometheus and Grafana", () => {
  it.each(names)(
    "sets only variables %s reads (its schemas', or the OpenTelemetry SDK's)",
    (name) => {
      const definition = byName.get(name) as AnyServiceDefinition;
      expect(unreadVariables(definition, composeEnv(composeService(name)))).toEqual([]);
    },
  );

  it.each(names)("sends %s's traces to Jaeger, at the port it takes OTLP/HTTP on", (name) => {
    const env = composeEnv(composeService(name));
    expect(env.OTEL_EXPORTER_OTLP_PROTOCOL).toBe("http/protobuf");
    const endpoint = new URL(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? "http://unset");
    expect(endpoint.protocol).toBe("http:");
    const jaeger = composeService(endpoint.hostname);
    expect(jaeger.image).toMatch(/^jaegertracing\/all-in-one:/);
    const jaegerEnv = composeEnv(jaeger);
    expect(jaegerEnv.COLLECTOR_OTLP_ENABLED).toBe("true");
    expect(endpoint.port).toBe(jaegerEnv.COLLECTOR_OTLP_HTTP_HOST_PORT?.split(":").at(-1));
  });

  it("runs Jaeger, Prometheus and Grafana from pinned releases", () => {
    for (const name of ["jaeger", "prometheus", "grafana"]) {
      expect(composeService(name).image, name).toMatch(/:v?\d+\.\d+\.\d+$/);
    }
  });

  it("gives Prometheus deploy/observability/prometheus.yml where its --config.file points", () => {
    const prometheus = composeService("prometheus");
    expect(hostPath(prometheus.volumes, prometheusConfigFile(prometheus))).toBe(
      "deploy/observability/prometheus.yml",
    );
  });

  it("gives Grafana its provisioning, and the dashboards where the provider reads them", () => {
    const grafana = composeService("grafana");
    const env = composeEnv(grafana);
    const provisioning = hostPath(
      grafana.volumes,
      env.GF_PATHS_PROVISIONING || "/etc/grafana/provisioning",
    );
    expect(provisioning).toBe("deploy/observability/grafana/provisioning");
    const providerFiles = readdirSync(path.join(rootDir, `${provisioning}/dashboards`));
    const providers = providerFiles.flatMap(
      (file) =>
        (
          parse(readText(`${provisioning}/dashboards/${file}`)) as {
            providers: Array<{ options: { path: string } }>;
          }
        ).providers,
    );
    expect(providers.map((provider) => hostPath(grafana.volumes, provider.options.path))).toEqual([
      "deploy/observability/grafana/dashboards",
    ]);
    // The dashboard Grafana opens on.
    expect(hostPath(grafana.volumes, env.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH ?? "")).toBe(
      "deploy/observability/grafana/dashboards/kassa.json",
    );
    // Its data sources are the services here (Prometheus, Jaeger), by their compose names.
    const datasources = readdirSync(path.join(rootDir, `${provisioning}/datasources`)).flatMap(
      (file) =>
        (
          parse(readText(`${provisioning}/datasources/${file}`)) as {
            datasources: Array<{ url: string }>;
          }
        ).datasources,
    );
    expect(datasources.length).toBeGreaterThan(0);
    for (const { url } of datasources) {
      expect(compose.services[new URL(url).hostname], url).toBeDefined();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// docker-compose.tls.yml (on top of docker-compose.yml)

const composeTls = parse(readText("docker-compose.tls.yml"), { merge: true }) as {
  services: Record<string, ComposeService>;
};

/** A service as `docker compose -f docker-compose.yml -f docker-compose.tls.yml` merges it. */
function composeTlsService(name: string) {
  const base = composeService(name);
  const overlay = composeTls.services[name];
  if (!overlay) throw new Error(`docker-compose.tls.yml has no service "${name}"`);
  return {
    env: { ...composeEnv(base), ...composeEnv(overlay) },
    // Volumes are merged by target; healthcheck.test is replaced (Compose's merge rules).
    volumeTargets: [...(base.volumes ?? []), ...(overlay.volumes ?? [])].map(
      (volume) => interpolate(String(volume)).split(":")[1],
    ),
    test: [overlay.healthcheck?.test ?? base.healthcheck?.test ?? []].flat(),
  };
}

describe("docker-compose.tls.yml", () => {
  it.each(names)(
    "turns TLS on for %s with settings it accepts and its certificates mounted",
    (name) => {
      const definition = byName.get(name) as AnyServiceDefinition;
      const { env, volumeTargets } = composeTlsService(name);
      expect(configProblems(definition, env)).toEqual([]);
      for (const variable of ["TLS_CERT_FILE", "TLS_KEY_FILE", "TLS_CA_FILE"]) {
        expect(volumeTargets, variable).toContain(path.posix.dirname(env[variable] ?? ""));
      }
      // Mutual TLS between the services; merchants call the gateway without certificates.
      expect(env.TLS_CLIENT_AUTH).toBe(name === "gateway" ? "none" : "require");
      expectDependencyUrls(definition, env);
      for (const dependency of Object.keys(definition.dependencies)) {
        expect(env[`${dependency.toUpperCase()}_URL`]).toMatch(/^https:/);
      }
    },
  );

  it.each(names)("health-checks %s over TLS with the image's grpc_health_probe", (name) => {
    const definition = byName.get(name) as AnyServiceDefinition;
    const { env, test } = composeTlsService(name);
    expect(test[0]).toBe("CMD");
    const flags = expectHealthProbe(test.slice(1), definition, { env, serverName: name });
    expect(flags.service).toBe(definition.service.typeName);
  });

  it("has a development certificate naming every service as compose does", () => {
    const script = readText("scripts/dev-tls-certificates.sh");
    const listed = script.match(/^services="([^"]*)"$/m)?.[1]?.split(" ") ?? [];
    expect([...listed].sort()).toEqual([...names].sort());
    expect(script).toContain('sign tls kassa-services "serverAuth,clientAuth"');
  });
});

/** A service's volumes as Compose merges docker-compose.tls.yml's over docker-compose.yml's. */
function composeTlsVolumes(name: string): unknown[] {
  const byTarget = new Map<string, unknown>();
  for (const volume of [
    ...(composeService(name).volumes ?? []),
    ...(composeTls.services[name]?.volumes ?? []),
  ]) {
    byTarget.set(interpolate(String(volume)).split(":")[1] ?? "", volume);
  }
  return [...byTarget.values()];
}

describe("docker-compose.tls.yml: Prometheus over TLS", () => {
  it.each(names)("sets only variables %s reads, TLS on", (name) => {
    const definition = byName.get(name) as AnyServiceDefinition;
    expect(unreadVariables(definition, composeTlsService(name).env)).toEqual([]);
  });

  it("scrapes with prometheus.tls.yml, trusting the services' CA and presenting their certificate", () => {
    const volumes = composeTlsVolumes("prometheus");
    const configFile = hostPath(volumes, prometheusConfigFile(composeService("prometheus")));
    expect(configFile).toBe("deploy/observability/prometheus.tls.yml");
    const config = parse(readText(configFile ?? "")) as {
      scrape_configs: Array<{
        scheme?: string;
        tls_config?: { ca_file?: string; cert_file?: string; key_file?: string };
      }>;
    };
    // The files the services themselves use (the development certificate allows client
    // authentication, which the internal services demand), from the same host directory.
    const { env } = composeTlsService("merchant");
    const serviceVolumes = composeTlsVolumes("merchant");
    for (const job of config.scrape_configs) {
      expect(job.scheme).toBe("https");
      const files = [
        [job.tls_config?.ca_file, env.TLS_CA_FILE],
        [job.tls_config?.cert_file, env.TLS_CERT_FILE],
        [job.tls_config?.key_file, env.TLS_KEY_FILE],
      ];
      for (const [prometheusFile = "(unset)", serviceFile = ""] of files) {
        expect(hostPath(volumes, prometheusFile), prometheusFile).toBeDefined();
        expect(hostPath(volumes, prometheusFile)).toBe(hostPath(serviceVolumes, serviceFile));
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// deploy/k8s

interface Probe {
  grpc?: { port: number; service?: string };
  httpGet?: { path: string; port: number | string };
  exec?: { command: string[] };
  tcpSocket?: { port: number | string };
}

interface Container {
  name: string;
  command?: string[];
  args?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: Array<{
    name: string;
    value?: string;
    valueFrom?: {
      configMapKeyRef?: { name: string; key: string };
      secretKeyRef?: { name: string; key: string };
    };
  }>;
  envFrom?: Array<{
    prefix?: string;
    configMapRef?: { name: string };
    secretRef?: { name: string };
  }>;
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> } & Record<string, string>;
    minAvailable?: number | string;
    maxUnavailable?: number | string;
    ports?: Array<{ name?: string; port: number; targetPort?: number | string }>;
    template?: {
      metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
      spec: {
        containers: Container[];
        terminationGracePeriodSeconds?: number;
        securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
        volumes?: Array<{ name: string; secret?: { secretName: string } }>;
      };
    };
  };
}

const loadManifests = (file: string): Manifest[] =>
  parseAllDocuments(readFileSync(path.join(k8sDir, file), "utf8")).flatMap((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]?.message}`);
    const value = document.toJS() as Manifest | null;
    return value ? [value] : [];
  });

const kustomization = parse(readFileSync(path.join(k8sDir, "kustomization.yaml"), "utf8")) as {
  namespace?: string;
  resources?: string[];
};
const manifests = (kustomization.resources ?? []).flatMap(loadManifests);
const exampleSecrets = loadManifests("secret.example.yaml").filter((m) => m.kind === "Secret");

/** Tokens, the storage URLs that carry passwords and the webhook key: only ever in the Secret. */
const secretVariables = [
  "KASSA_INTERNAL_TOKEN",
  "KASSA_ADMIN_TOKEN",
  "DATABASE_URL",
  "REDIS_URL",
  "WEBHOOK_SECRET_KEY",
];

const find = (kind: string, name: string, from: Manifest[] = manifests) =>
  from.find((manifest) => manifest.kind === kind && manifest.metadata.name === name);

function deploymentOf(name: string, from: Manifest[] = manifests) {
  const deployment = find("Deployment", name, from);
  const container = deployment?.spec?.template?.spec.containers.find((c) => c.name === name);
  if (!deployment?.spec?.template || !container) {
    throw new Error(`deploy/k8s has no Deployment "${name}" with a container "${name}"`);
  }
  return { deployment, pod: deployment.spec.template, container };
}

/** Where a container's variable comes from, and its value (the example's, for a Secret). */
interface EnvEntry {
  from: "value" | "configMap" | "secret";
  value: string;
}

/** A container's environment as Kubernetes builds it: envFrom first, then env overriding it. */
function containerEnv(container: Container, from: Manifest[] = manifests): Map<string, EnvEntry> {
  const configMap = (name: string) => {
    const found = find("ConfigMap", name, from);
    expect(found, `ConfigMap ${name}`).toBeDefined();
    return found?.data ?? {};
  };
  const secret = (name: string) => {
    const found = exampleSecrets.find((s) => s.metadata.name === name);
    expect(found, `Secret ${name} in secret.example.yaml`).toBeDefined();
    return found?.stringData ?? {};
  };
  const env = new Map<string, EnvEntry>();
  for (const source of container.envFrom ?? []) {
    const [from, data] = source.configMapRef
      ? (["configMap", configMap(source.configMapRef.name)] as const)
      : (["secret", secret(source.secretRef?.name ?? "")] as const);
    for (const [key, value] of Object.entries(data)) {
      env.set(`${source.prefix ?? ""}${key}`, { from, value: String(value) });
    }
  }
  for (const variable of container.env ?? []) {
    const { configMapKeyRef, secretKeyRef } = variable.valueFrom ?? {};
    let entry: EnvEntry = { from: "value", value: variable.value ?? "" };
    if (configMapKeyRef) {
      const value = configMap(configMapKeyRef.name)[configMapKeyRef.key];
      expect(value, `${configMapKeyRef.name}.${configMapKeyRef.key}`).toBeDefined();
      entry = { from: "configMap", value: String(value) };
    } else if (secretKeyRef) {
      const value = secret(secretKeyRef.name)[secretKeyRef.key];
      expect(value, `${secretKeyRef.name}.${secretKeyRef.key}`).toBeDefined();
      entry = { from: "secret", value: String(value) };
    }
    env.set(variable.name, entry);
  }
  return env;
}

const plainEnv = (env: Map<string, EnvEntry>): Env =>
  Object.fromEntries([...env].map(([key, entry]) => [key, entry.value]));

/** The container port a probe or Service targets, resolving a named port. */
function resolvePort(container: Container, port: number | string | undefined): number | undefined {
  if (typeof port === "number") return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

function probePort(container: Container, probe: Probe | undefined): number | undefined {
  return resolvePort(
    container,
    probe?.grpc?.port ?? probe?.httpGet?.port ?? probe?.tcpSocket?.port,
  );
}

/** What the grace period must leave beyond the preStop sleep and the drain. */
const marginMs = 5000;

/**
 * How long a container's preStop hook holds SIGTERM back: the native `sleep` action, or an
 * exec of the image's `sleep` (coreutils, in node:22-slim). Anything else counts as 0.
 */
function preStopMs(container: Container): number {
  const { exec, sleep } = container.lifecycle?.preStop ?? {};
  if (sleep) return sleep.seconds * 1000;
  const [binary, seconds, ...rest] = exec?.command ?? [];
  const isSleep = binary === "sleep" || binary === "/bin/sleep" || binary === "/usr/bin/sleep";
  return isSleep && rest.length === 0 && /^\d+$/.test(seconds ?? "") ? Number(seconds) * 1000 : 0;
}

/** Whether a non-empty label selector picks pods with `labels`. */
const selects = (selector: Record<string, string> = {}, labels: Record<string, string> = {}) =>
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([key, value]) => labels[key] === value);

describe("Kubernetes manifests (deploy/k8s)", () => {
  it("lists every manifest in kustomization.yaml, in one namespace, but never the example Secret", () => {
    const files = readdirSync(k8sDir).filter(
      (file) => /\.ya?ml$/.test(file) && file !== "kustomization.yaml",
    );
    expect([...(kustomization.resources ?? [])].sort()).toEqual(
      files.filter((file) => file !== "secret.example.yaml").sort(),
    );
    expect(kustomization.namespace).toBeTruthy();
    expect(find("Namespace", kustomization.namespace ?? "")).toBeDefined();
    expect(exampleSecrets.map((s) => s.metadata.namespace)).toEqual([kustomization.namespace]);
  });

  it("keeps tokens and storage URLs out of every ConfigMap, and in the example Secret", () => {
    for (const configMap of manifests.filter((m) => m.kind === "ConfigMap")) {
      for (const variable of secretVariables) {
        expect(configMap.data ?? {}, `${configMap.metadata.name}`).not.toHaveProperty(variable);
      }
    }
    expect(Object.keys(exampleSecrets[0]?.stringData ?? {}).sort()).toEqual(
      [...secretVariables].sort(),
    );
  });

  it.each(names)("runs %s's main.js in a Deployment, behind a Service on its port", (name) => {
    const definition = byName.get(name) as AnyServiceDefinition;
    const { pod, container } = deploymentOf(name);
    expect([...(container.command ?? []), ...(container.args ?? [])]).toContain(mainScript(name));
    expect(listenPort(definition, plainEnv(containerEnv(container)))).toBe(definition.defaultPort);
    expect(container.ports?.map((p) => p.containerPort)).toContain(definition.defaultPort);

    const service = find("Service", name);
    expect(service, `Service ${name}`).toBeDefined();
    expect(selects(service?.spec?.selector, pod.metadata?.labels), "selector").toBe(true);
    const [port] = service?.spec?.ports ?? [];
    expect(port?.port).toBe(definition.defaultPort);
    expect(resolvePort(container, port?.targetPort ?? port?.port)).toBe(definition.defaultPort);
  });

  it.each(names)("probes %s natively over gRPC for readiness, with its full proto name", (name) => {
    const definition = byName.get(name) as AnyServiceDefinition;
    const { container } = deploymentOf(name);
    expect(container.readinessProbe?.grpc).toEqual({
      port: definition.defaultPort,
      service: definition.service.typeName,
    });
    // Liveness must not follow readiness (a dependency down would restart every pod), and the
    // startup probe covers migrations; both on the service's port.
    expect(probePort(container, container.livenessProbe)).toBe(definition.defaultPort);
    expect(probePort(container, container.startupProbe)).toBe(definition.defaultPort);
  });

  it.each(names)("gives %s every variable it requires, from the ConfigMap and Secret", (name) => {
    const definition = byName.get(name) as AnyServiceDefinition;
    const env = containerEnv(deploymentOf(name).container);
    expect([...env.keys()]).toEqual(
      expect.arrayContaining([...requiredVariables(definition), "DATABASE_URL", "REDIS_URL"]),
    );
    for (const variable of secretVariables) {
      if (env.has(variable)) expect(env.get(variable)?.from, variable).toBe("secret");
    }
    // Every value not from the Secret is one the service accepts. (The example Secret's
    // placeholders are deliberately invalid, so an unedited copy cannot start.)
    const problems = configProblems(definition, plainEnv(env));
    expect(problems.filter((p) => env.get(p.variable)?.from !== "secret")).toEqual([]);
  });

  it.each(names)("points %s's <DEP>_URLs at each dependency's Service and port", (name) => {
    const definition = byName.get(name) as AnyServiceDefinition;
    const env = plainEnv(containerEnv(deploymentOf(name).container));
    expectDependencyUrls(definition, env);
    for (const dependency of Object.keys(definition.dependencies)) {
      const port = find("Service", dependency)?.spec?.ports?.[0]?.port;
      expect(port, `Service ${dependency}`).toBe(byName.get(dependency)?.defaultPort);
    }
  });

  it.each(names)("runs %s as non-root, read-only, with resources, and lets it drain", (name) => {
    const definition = byName.get(name) as AnyServiceDefinition;
    const { pod, container } = deploymentOf(name);
    expect(pod.spec.securityContext?.runAsNonRoot).toBe(true);
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    expect(container.resources?.requests).toMatchObject({
      cpu: expect.any(String),
      memory: expect.any(String),
    });
    expect(container.resources?.limits?.memory).toBeDefined();
    const env = plainEnv(containerEnv(container));
    expect(Number(env.SHUTDOWN_DELAY_MS), "SHUTDOWN_DELAY_MS lets endpoints drain").toBeGreaterThan(
      0,
    );
    // SIGTERM waits for the preStop sleep, then the service drains; the kubelet kills the
    // pod when the grace period is over, so it must cover both, with room to spare.
    const preStop = preStopMs(container);
    expect(preStop, "preStop sleep lets endpoints update before SIGTERM").toBeGreaterThan(0);
    const grace = pod.spec.terminationGracePeriodSeconds ?? 30;
    expect(grace * 1000).toBeGreaterThanOrEqual(preStop + drainMs(definition, env) + marginMs);
  });

  it("keeps two gateways, guarded by a PodDisruptionBudget", () => {
    const { deployment, pod } = deploymentOf("gateway");
    expect(deployment.spec?.replicas).toBeGreaterThanOrEqual(2);
    const budgets = manifests.filter(
      (m) =>
        m.kind === "PodDisruptionBudget" &&
        selects(m.spec?.selector?.matchLabels, pod.metadata?.labels),
    );
    expect(budgets).toHaveLength(1);
    expect(budgets[0]?.spec?.minAvailable ?? budgets[0]?.spec?.maxUnavailable).toBeDefined();
  });
});

// ---------------------------------------------------------------------------------------------
// Dockerfile

describe("Dockerfile", () => {
  it("copies every workspace's package.json before npm ci, so the install layer is complete", () => {
    const workspaces = (JSON.parse(readText("package.json")) as { workspaces: string[] })
      .workspaces;
    const packages = workspaces.flatMap((pattern) => {
      const parent = pattern.replace(/\/\*$/, "");
      return readdirSync(path.join(rootDir, parent))
        .map((dir) => `${parent}/${dir}`)
        .filter((dir) => existsSync(path.join(rootDir, dir, "package.json")));
    });
    // Up to the instruction running `npm ci` (comments may mention it).
    const install = dockerfile.search(/^[^#\n]*\bnpm ci\b/m);
    expect(install, "a RUN npm ci").toBeGreaterThan(0);
    const beforeInstall = dockerfile.slice(0, install);
    for (const dir of packages) {
      expect(beforeInstall, dir).toContain(`COPY ${dir}/package.json ${dir}/`);
    }
    // Every service's main.js is what compose and Kubernetes run, from its own package.
    for (const service of platformServices) {
      const manifest = JSON.parse(readText(`services/${service.name}/package.json`)) as {
        name: string;
      };
      expect(manifest.name).toBe(service.packageName);
      expect(existsSync(path.join(rootDir, `services/${service.name}/src/main.ts`))).toBe(true);
    }
  });

  it("runs the services on node:22-slim as a non-root user", () => {
    expect(finalStage).toMatch(/^FROM node:22-slim\b/);
    const user = finalStage.match(/^USER\s+(\S+)/m)?.[1] ?? "root";
    expect(user.split(":")[0]).not.toMatch(/^(root|0)$/);
  });

  it("ships grpc_health_probe: a pinned release, its SHA-256 checked for amd64 and arm64", () => {
    expect(probeBinary).toBe("/usr/local/bin/grpc_health_probe");
    const version = dockerfile.match(/^ARG GRPC_HEALTH_PROBE_VERSION=(v\d+\.\d+\.\d+)$/m)?.[1];
    expect(version, "a pinned version").toBeDefined();
    const download = dockerfile.match(/^ADD (https:\/\/\S+) (\S+)$/m);
    expect(download?.[1]).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's own build arguments
      "https://github.com/grpc-ecosystem/grpc-health-probe/releases/download/${GRPC_HEALTH_PROBE_VERSION}/grpc_health_probe-linux-${TARGETARCH}",
    );
    // The downloaded file is checked, in the RUN that installs it, against a sum per architecture.
    const install = dockerfile.slice(dockerfile.indexOf(download?.[0] ?? "\0"));
    const run = install.slice(install.indexOf("\nRUN "), install.indexOf("\n\n"));
    for (const arch of ["amd64", "arm64"]) {
      expect(run).toMatch(new RegExp(`^\\s+${version}/${arch}\\) sum=[0-9a-f]{64} ;;`, "m"));
    }
    expect(run).toContain(`"\${sum}  ${download?.[2]}" | sha256sum -c -`);
    expect(run).toContain(`install -m 0755 ${download?.[2]}`);
  });
});

// ---------------------------------------------------------------------------------------------
// deploy/k8s-exec-probes and deploy/k8s-tls: kustomize overlays of deploy/k8s

interface Overlay {
  resources?: string[];
  patches?: Array<{ path: string; target?: { kind: string; name: string } }>;
}

type JsonPatch = Array<{ op: "add" | "replace" | "remove"; path: string; value?: unknown }>;

/**
 * Applies an RFC 6902 patch as kustomize does; a `replace` or `remove` of something missing
 * fails, so a patch cannot silently stop matching the base.
 */
function applyJsonPatch(document: unknown, operations: JsonPatch): void {
  for (const { op, path: pointer, value } of operations) {
    const keys = pointer
      .split("/")
      .slice(1)
      .map((key) => key.replaceAll("~1", "/").replaceAll("~0", "~"));
    const last = keys.pop() ?? "";
    let parent = document as Record<string, unknown> | unknown[] | undefined;
    for (const key of keys) parent = (parent as Record<string, never> | undefined)?.[key];
    expect(parent, `${op} ${pointer}`).toBeTypeOf("object");
    if (Array.isArray(parent)) {
      const index = last === "-" ? parent.length : Number(last);
      if (op !== "add") expect(index, `${op} ${pointer}`).toBeLessThan(parent.length);
      parent.splice(index, op === "add" ? 0 : 1, ...(op === "remove" ? [] : [value]));
    } else {
      const object = parent as Record<string, unknown>;
      if (op !== "add") expect(object, `${op} ${pointer}`).toHaveProperty([last]);
      if (op === "remove") delete object[last];
      else object[last] = value;
    }
  }
}

/** Merges a strategic-merge patch's maps into `target` (lists and scalars are replaced). */
function mergeMaps(target: Record<string, unknown>, patch: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(patch)) {
    const current = target[key];
    const bothMaps = [current, value].every((v) => typeof v === "object" && v && !Array.isArray(v));
    if (bothMaps) mergeMaps(current as Record<string, unknown>, value as Record<string, unknown>);
    else target[key] = value;
  }
}

/** deploy/<dir>: the base manifests with the overlay's patches applied. */
function overlayManifests(dir: string): { overlay: Overlay; manifests: Manifest[] } {
  const root = path.join(rootDir, "deploy", dir);
  const overlay = parse(readFileSync(path.join(root, "kustomization.yaml"), "utf8")) as Overlay;
  const result = structuredClone(manifests);
  for (const entry of overlay.patches ?? []) {
    const patch = parse(readFileSync(path.join(root, entry.path), "utf8")) as unknown;
    const { kind, name } = entry.target ?? {
      kind: (patch as Manifest).kind,
      name: (patch as Manifest).metadata.name,
    };
    const document = find(kind, name, result);
    expect(document, `${dir}/${entry.path}: ${kind} ${name}`).toBeDefined();
    if (entry.target) applyJsonPatch(document, patch as JsonPatch);
    else
      mergeMaps(document as unknown as Record<string, unknown>, patch as Record<string, unknown>);
  }
  return { overlay, manifests: result };
}

describe.each(["k8s-exec-probes", "k8s-tls"])("deploy/%s", (dir) => {
  it("is an overlay of deploy/k8s listing every patch beside it (examples aside)", () => {
    const { overlay } = overlayManifests(dir);
    expect(overlay.resources).toEqual(["../k8s"]);
    const files = readdirSync(path.join(rootDir, "deploy", dir)).filter(
      (file) =>
        /\.ya?ml$/.test(file) && file !== "kustomization.yaml" && !file.includes(".example."),
    );
    expect((overlay.patches ?? []).map((patch) => patch.path).sort()).toEqual(files.sort());
  });
});

describe("Kubernetes with exec probes in cleartext (deploy/k8s-exec-probes)", () => {
  const overlay = overlayManifests("k8s-exec-probes").manifests;

  it.each(names)("asks %s's grpc.health.v1 with the image's grpc_health_probe", (name) => {
    const definition = byName.get(name) as AnyServiceDefinition;
    const { container } = deploymentOf(name, overlay);
    const flags = expectHealthProbe(container.readinessProbe?.exec?.command ?? [], definition);
    expect(flags.service).toBe(definition.service.typeName);
    expect(probePort(container, container.livenessProbe)).toBe(definition.defaultPort);
    expect(probePort(container, container.startupProbe)).toBe(definition.defaultPort);
  });
});

describe("Kubernetes with TLS (deploy/k8s-tls)", () => {
  const overlay = overlayManifests("k8s-tls").manifests;
  const certificates = parseAllDocuments(
    readFileSync(path.join(rootDir, "deploy/k8s-tls/certificates.example.yaml"), "utf8"),
  ).map((document) => document.toJS() as Manifest & { spec: Record<string, unknown> });

  it.each(names)("gives %s TLS settings it accepts, and https:// dependencies", (name) => {
    const definition = byName.get(name) as AnyServiceDefinition;
    const env = containerEnv(deploymentOf(name, overlay).container, overlay);
    const problems = configProblems(definition, plainEnv(env));
    expect(problems.filter((p) => env.get(p.variable)?.from !== "secret")).toEqual([]);
    expect(env.get("TLS_CERT_FILE")?.value).toBeTruthy();
    expect(env.get("TLS_CLIENT_AUTH")?.value).toBe(name === "gateway" ? "none" : "require");
    expectDependencyUrls(definition, plainEnv(env));
    for (const dependency of Object.keys(definition.dependencies)) {
      expect(env.get(`${dependency.toUpperCase()}_URL`)?.value).toMatch(/^https:/);
    }
  });

  it.each(names)("mounts %s's certificate Secret where its TLS variables point", (name) => {
    const { pod, container } = deploymentOf(name, overlay);
    const env = plainEnv(containerEnv(container, overlay));
    for (const variable of ["TLS_CERT_FILE", "TLS_KEY_FILE", "TLS_CA_FILE"]) {
      const directory = path.posix.dirname(env[variable] ?? "");
      const mount = container.volumeMounts?.find((m) => m.mountPath === directory);
      expect(mount, `${variable} is on a mounted volume`).toBeDefined();
      expect(mount?.readOnly).toBe(true);
      const volume = pod.spec.volumes?.find((v) => v.name === mount?.name);
      expect(volume?.secret?.secretName).toBe(`${name}-tls`);
    }
  });

  it.each(names)(
    "probes %s over TLS with grpc_health_probe, presenting its certificate",
    (name) => {
      const definition = byName.get(name) as AnyServiceDefinition;
      const { container } = deploymentOf(name, overlay);
      const tls = { env: plainEnv(containerEnv(container, overlay)), serverName: name };
      const ready = expectHealthProbe(
        container.readinessProbe?.exec?.command ?? [],
        definition,
        tls,
      );
      expect(ready.service).toBe(definition.service.typeName);
      expect(container.readinessProbe?.grpc).toBeUndefined();
      // Started and alive when it answers at all: SERVING (0) or NOT_SERVING (4).
      for (const probe of [container.startupProbe, container.livenessProbe]) {
        const [shell, flag, script = ""] = probe?.exec?.command ?? [];
        expect([shell, flag]).toEqual(["/bin/sh", "-c"]);
        const [call = "", verdict] = script.split("; s=$?; ");
        expectHealthProbe(call.split(" "), definition, tls);
        expect(verdict).toBe('[ "$s" -eq 0 ] || [ "$s" -eq 4 ]');
        expect(probe?.httpGet).toBeUndefined();
      }
    },
  );

  it.each(names)(
    "has a cert-manager Certificate for %s naming it, for both ends of TLS",
    (name) => {
      const certificate = certificates.find(
        (c) => c.kind === "Certificate" && c.spec.secretName === `${name}-tls`,
      );
      expect(certificate?.spec.dnsNames).toContain(name);
      expect(certificate?.spec.usages).toEqual(
        expect.arrayContaining(["server auth", "client auth"]),
      );
    },
  );
});

// ---------------------------------------------------------------------------------------------
// deploy/k8s and its TLS overlay: variables, traces and metrics

describe("Kubernetes: variables, traces and metrics", () => {
  const tls = overlayManifests("k8s-tls").manifests;
  const readBySomeService = new Set(serviceDefinitions.flatMap((d) => [...readVariables(d)]));

  it("sets only variables some service reads, in every ConfigMap and the example Secret", () => {
    // One ConfigMap serves all six; each service reads its part (its own dependencies' URLs…).
    const sources = [...manifests, ...tls, ...exampleSecrets].filter(
      (m) => m.kind === "ConfigMap" || m.kind === "Secret",
    );
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      const variables = Object.keys({ ...source.data, ...source.stringData });
      expect(
        variables.filter((variable) => !readBySomeService.has(variable)),
        `${source.kind} ${source.metadata.name}`,
      ).toEqual([]);
    }
  });

  it.each(names)("gives %s an OTLP/HTTP endpoint for its traces, with TLS or without", (name) => {
    for (const from of [manifests, tls]) {
      const env = plainEnv(containerEnv(deploymentOf(name, from).container, from));
      expect(env.OTEL_EXPORTER_OTLP_PROTOCOL).toBe("http/protobuf");
      const endpoint = new URL(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? "http://unset");
      expect(endpoint.protocol).toMatch(/^https?:$/);
      // OTLP/HTTP's port; 4317 is OTLP/gRPC's, which http/protobuf cannot speak.
      expect(endpoint.port).toBe("4318");
    }
  });

  it.each(names)(
    "annotates %s's pods for Prometheus: its port, /metrics, https with TLS",
    (name) => {
      const definition = byName.get(name) as AnyServiceDefinition;
      const annotations = deploymentOf(name).pod.metadata?.annotations ?? {};
      expect(annotations).toMatchObject({
        "prometheus.io/scrape": "true",
        "prometheus.io/port": String(definition.defaultPort),
        "prometheus.io/path": "/metrics",
      });
      expect(annotations["prometheus.io/scheme"] ?? "http").toBe("http");
      const tlsAnnotations = deploymentOf(name, tls).pod.metadata?.annotations ?? {};
      expect(tlsAnnotations).toMatchObject({ ...annotations, "prometheus.io/scheme": "https" });
    },
  );
});
