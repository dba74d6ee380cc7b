import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createConnectRouter } from "@connectrpc/connect";
import {
  type AnyServiceDefinition,
  createLogger,
  createMemoryRedisStore,
  createServiceMetrics,
  loadServiceConfig,
  type ServiceContext,
  systemClock,
} from "@kassa/platform";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { serviceDefinitions } from "./service-definitions.js";

// deploy/observability (Prometheus's configuration, Grafana's provisioning and the Kassa
// dashboard) checked against the services' code: every metric and label the dashboard asks
// for is one a service exports, and Prometheus scrapes all six where they serve /metrics.
// deployment-manifests.test.ts checks how docker-compose mounts these files.

const rootDir = fileURLToPath(new URL("../../../", import.meta.url));
const observabilityDir = "deploy/observability";
const readText = (file: string) => readFileSync(path.join(rootDir, file), "utf8");

// ---------------------------------------------------------------------------------------------
// What the services export

/** One metric on a service's `/metrics`. */
interface ExportedMetric {
  readonly help: string;
  /** Its own labels and the registry's default ones (`service`). */
  readonly labels: ReadonlySet<string>;
}

/**
 * Stands in for storage, dependencies and anything else the runtime hands a service while its
 * wiring runs: the wiring only keeps them for later calls, and a call now fails the test.
 */
const inert: unknown = new Proxy(() => {}, {
  get: (_target, key) => (key === "then" ? undefined : inert),
  apply: () => {
    throw new Error("a service's wiring called storage or a dependency while being built");
  },
});

/**
 * The registry a service's `/metrics` renders, built as the runtime builds it: the platform's
 * metrics (`createServiceMetrics`), then whatever the service's `setup` and the routes it
 * returns register on it (the gateway's payments and outbox, the accounting's ledger…).
 */
function serviceRegistry(definition: AnyServiceDefinition) {
  const env: Record<string, string> = {
    KASSA_INTERNAL_TOKEN: "metrics-test-internal-token-0123456789abcdef",
    KASSA_ADMIN_TOKEN: "metrics-test-admin-token-0123456789abcdef",
    LOG_LEVEL: "silent",
    // Read, never connected to: nothing here opens storage.
    DATABASE_URL: "postgres://127.0.0.1:1/unused",
  };
  for (const dependency of Object.keys(definition.dependencies)) {
    env[`${dependency.toUpperCase()}_URL`] = "http://127.0.0.1:9";
  }
  const metrics = createServiceMetrics(definition.name);
  const context = {
    name: definition.name,
    config: loadServiceConfig(definition, env),
    logger: createLogger({ service: definition.name, level: "silent" }),
    clock: systemClock,
    metrics,
    redis: createMemoryRedisStore(),
    db: inert,
    database: inert,
    clients: inert,
    breakers: inert,
    dependencyHealth: inert,
    health: inert,
    tracer: inert,
    shutdownSignal: new AbortController().signal,
  } as unknown as ServiceContext<Record<string, unknown>, never, never>;
  definition.setup(context).routes(createConnectRouter());
  return metrics.registry;
}

/** The series Prometheus stores for a metric, each with its labels. */
function seriesOf(name: string, type: string, labels: string[]): Array<[string, string[]]> {
  if (type === "histogram") {
    return [
      [`${name}_bucket`, [...labels, "le"]],
      [`${name}_sum`, labels],
      [`${name}_count`, labels],
    ];
  }
  if (type === "summary") {
    return [
      [name, [...labels, "quantile"]],
      [`${name}_sum`, labels],
      [`${name}_count`, labels],
    ];
  }
  return [[name, labels]];
}

/** Every metric the six services export, by the names Prometheus stores. */
async function collectExportedMetrics(): Promise<Map<string, ExportedMetric>> {
  const exported = new Map<string, ExportedMetric>();
  for (const definition of serviceDefinitions) {
    const registry = serviceRegistry(definition);
    const metrics = registry.getMetricsAsArray();
    const ownLabels = new Map(
      metrics.map((metric) => [
        metric.name,
        (metric as { labelNames?: readonly string[] }).labelNames ?? [],
      ]),
    );
    // The registry's default labels (`service`): on every value, yet no metric's own.
    const defaultLabels = new Set(
      (await registry.getMetricsAsJSON()).flatMap((metric) =>
        metric.values
          .flatMap((value) => Object.keys(value.labels))
          .filter((label) => !ownLabels.get(metric.name)?.includes(label))
          .filter((label) => label !== "le" && label !== "quantile"),
      ),
    );
    for (const metric of metrics) {
      const labels = [...(ownLabels.get(metric.name) ?? []), ...defaultLabels];
      for (const [name, seriesLabels] of seriesOf(metric.name, String(metric.type), labels)) {
        const known = exported.get(name);
        exported.set(name, {
          help: metric.help,
          labels: new Set([...(known?.labels ?? []), ...seriesLabels]),
        });
      }
    }
  }
  return exported;
}

let exportedOnce: Promise<Map<string, ExportedMetric>> | undefined;
/** {@link collectExportedMetrics}, once for the whole file. */
const exportedMetrics = () => {
  exportedOnce ??= collectExportedMetrics();
  return exportedOnce;
};

// ---------------------------------------------------------------------------------------------
// Prometheus

interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  scheme?: string;
  static_configs?: Array<{ targets: string[]; labels?: Record<string, string> }>;
}

interface PrometheusConfig {
  global?: { scrape_interval?: string };
  scrape_configs: ScrapeConfig[];
  rule_files?: string[];
}

const prometheusFiles = readdirSync(path.join(rootDir, observabilityDir)).filter((file) =>
  /^prometheus.*\.ya?ml$/.test(file),
);
const prometheusConfigs = prometheusFiles.map(
  (file) => [file, parse(readText(`${observabilityDir}/${file}`)) as PrometheusConfig] as const,
);
/** The configuration without TLS (docker-compose.yml's). */
const prometheus = parse(readText(`${observabilityDir}/prometheus.yml`)) as PrometheusConfig;

/**
 * Labels Prometheus adds to every series it scrapes: `job`, `instance`, and the targets'
 * static labels.
 */
const targetLabels = new Set([
  "job",
  "instance",
  ...prometheus.scrape_configs.flatMap((job) =>
    (job.static_configs ?? []).flatMap((group) => Object.keys(group.labels ?? {})),
  ),
]);
/** The series Prometheus itself makes for every target, with their labels. */
const prometheusSeries = new Map([["up", targetLabels]]);

interface GrafanaDatasource {
  name: string;
  uid: string;
  type: string;
  url: string;
  jsonData?: { timeInterval?: string };
}

const provisioningDir = `${observabilityDir}/grafana/provisioning`;
const grafanaDatasources = readdirSync(path.join(rootDir, provisioningDir, "datasources")).flatMap(
  (file) =>
    (
      parse(readText(`${provisioningDir}/datasources/${file}`)) as {
        datasources: GrafanaDatasource[];
      }
    ).datasources,
);

describe.each(prometheusConfigs)("Prometheus (%s)", (_file, config) => {
  it("scrapes each of the six services at /metrics, on its port, by its compose name", () => {
    const scraped = config.scrape_configs.flatMap((job) =>
      (job.static_configs ?? []).flatMap((group) =>
        group.targets.map((target) => `${target}${job.metrics_path ?? "/metrics"}`),
      ),
    );
    expect([...scraped].sort()).toEqual(
      serviceDefinitions.map((d) => `${d.name}:${d.defaultPort}/metrics`).sort(),
    );
  });

  it("leaves the services' own `service` label alone", () => {
    // A target label of the same name would rename the services' label to exported_service.
    for (const job of config.scrape_configs) {
      for (const group of job.static_configs ?? []) {
        expect(Object.keys(group.labels ?? {})).not.toContain("service");
      }
    }
  });

  it("loads no rule files (their expressions would need the dashboard's checks below)", () => {
    expect(config.rule_files ?? []).toEqual([]);
  });

  it("scrapes as often as Grafana's Prometheus data source expects", () => {
    const [source] = grafanaDatasources.filter((d) => d.type === "prometheus");
    expect(config.global?.scrape_interval).toBeDefined();
    expect(source?.jsonData?.timeInterval).toBe(config.global?.scrape_interval);
  });
});

describe("Prometheus without TLS (prometheus.yml)", () => {
  it("scrapes in cleartext", () => {
    expect(prometheus.scrape_configs.map((job) => job.scheme ?? "http")).not.toContain("https");
  });
});

// ---------------------------------------------------------------------------------------------
// Grafana

interface DashboardTarget {
  refId: string;
  expr?: string;
  legendFormat?: string;
  datasource?: { type: string; uid: string };
}

interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: DashboardTarget[];
  fieldConfig?: {
    defaults?: {
      mappings?: Array<{ type: string; options: Record<string, { text: string }> }>;
    };
  };
  panels?: DashboardPanel[];
}

interface Dashboard {
  uid: string;
  title: string;
  panels: DashboardPanel[];
  templating?: {
    list: Array<{
      name: string;
      datasource?: { type: string; uid: string };
      query?: string | { query: string };
    }>;
  };
}

const dashboardsDir = `${observabilityDir}/grafana/dashboards`;
const dashboardFiles = readdirSync(path.join(rootDir, dashboardsDir)).filter((file) =>
  file.endsWith(".json"),
);
const dashboards = dashboardFiles.map(
  (file) => [file, JSON.parse(readText(`${dashboardsDir}/${file}`)) as Dashboard] as const,
);

/** Every panel of a dashboard, rows' panels included. */
const allPanels = (dashboard: Dashboard): DashboardPanel[] =>
  dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);

/** Every PromQL expression of a dashboard: its panels' and its variables' queries. */
function promqlOf(dashboard: Dashboard): Array<{ where: string; expr: string; legend?: string }> {
  const panels = allPanels(dashboard).flatMap((panel) =>
    (panel.targets ?? [])
      .filter((target) => target.expr !== undefined)
      .map((target) => ({
        where: `panel "${panel.title}" ${target.refId}`,
        expr: target.expr ?? "",
        ...(target.legendFormat !== undefined && { legend: target.legendFormat }),
      })),
  );
  const variables = (dashboard.templating?.list ?? []).flatMap((variable) => {
    const query = typeof variable.query === "string" ? variable.query : variable.query?.query;
    // label_values(<selector>, <label>): the selector is PromQL, the label must be on it.
    const match = query?.match(/^label_values\((.*),\s*(\w+)\)$/);
    return match
      ? [{ where: `variable ${variable.name}`, expr: `sum by (${match[2]}) (${match[1]})` }]
      : [];
  });
  return [...panels, ...variables];
}

// ---------------------------------------------------------------------------------------------
// Reading PromQL: enough of it to find the metrics and labels an expression names.

interface Token {
  kind: "name" | "string" | "punct" | "other";
  text: string;
}

/** Splits PromQL into names, strings, brackets and the rest; Grafana's `$variables` go first. */
function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  // $__rate_interval, $__range, ${service}… stand for durations or label values.
  const source = expr.replace(/\$\{?\w+(?::\w+)?\}?/g, "1m");
  const pattern =
    /\s+|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)|([a-zA-Z_:][a-zA-Z0-9_:]*)|([(){}[\],])|([0-9.]+[a-zA-Z]*|=~|!~|!=|==|<=|>=|[-+*/%^=<>])/gy;
  for (let at = 0; at < source.length; at = pattern.lastIndex) {
    pattern.lastIndex = at;
    const match = pattern.exec(source);
    if (!match) throw new Error(`cannot read PromQL at "${source.slice(at)}" in ${expr}`);
    const [, string, name, punct, other] = match;
    if (string !== undefined) tokens.push({ kind: "string", text: string });
    else if (name !== undefined) tokens.push({ kind: "name", text: name });
    else if (punct !== undefined) tokens.push({ kind: "punct", text: punct });
    else if (other !== undefined) tokens.push({ kind: "other", text: other });
  }
  return tokens;
}

/** Keywords that take a list of labels in parentheses. */
const labelListKeywords = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);
const operatorKeywords = new Set(["and", "or", "unless", "bool", "offset"]);

/** What an expression names: its metric selectors, and the labels each grouping keeps. */
interface PromqlNames {
  selectors: Array<{ metric: string; labels: string[] }>;
  /**
   * `by (…)`/`without (…)`: the labels, the metrics of the expression they aggregate, and
   * whether no other aggregation encloses it (its labels are the result's).
   */
  aggregations: Array<{
    kind: "by" | "without";
    labels: string[];
    metrics: string[];
    outer: boolean;
  }>;
  /** `on (…)`, `ignoring (…)`, `group_left (…)`: labels some metric of the expression has. */
  matchingLabels: string[];
}

/** Reads the metrics and labels a PromQL expression names. */
function readPromql(expr: string): PromqlNames {
  const tokens = tokenize(expr);
  // Matching brackets, both ways.
  const partner = new Map<number, number>();
  const open: number[] = [];
  tokens.forEach((token, i) => {
    if (token.kind !== "punct") return;
    if ("({[".includes(token.text)) open.push(i);
    else if (")}]".includes(token.text)) {
      const start = open.pop();
      if (start === undefined) throw new Error(`unbalanced "${token.text}" in ${expr}`);
      partner.set(start, i).set(i, start);
    }
  });
  if (open.length > 0) throw new Error(`unclosed bracket in ${expr}`);

  const names: PromqlNames = { selectors: [], aggregations: [], matchingLabels: [] };
  const selectorAt = new Map<number, string>();
  const labelList = (start: number) =>
    tokens
      .slice(start + 1, partner.get(start))
      .filter((t) => t.kind === "name")
      .map((t) => t.text);
  const pendingAggregations: Array<{
    kind: "by" | "without";
    labels: string[];
    from: number;
    to: number;
  }> = [];

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    const next = tokens[i + 1];
    if (token.kind === "punct" && (token.text === "[" || token.text === "{")) {
      i = partner.get(i) ?? i; // a range (durations only), or matchers with no metric name
      continue;
    }
    if (token.kind !== "name") continue;
    if (labelListKeywords.has(token.text)) {
      if (next?.text !== "(") continue; // group_left without labels
      const labels = labelList(i + 1);
      const after = (partner.get(i + 1) ?? i + 1) + 1;
      if (token.text === "by" || token.text === "without") {
        // `sum by (l) (expr)`, or `sum (expr) by (l)`.
        const [from, to] =
          tokens[after]?.text === "("
            ? [after, partner.get(after) ?? after]
            : [partner.get(i - 1) ?? i, i - 1];
        pendingAggregations.push({ kind: token.text, labels, from, to });
      } else {
        names.matchingLabels.push(...labels);
      }
      i = after - 1;
      continue;
    }
    // A function (`rate(`), an aggregation (`sum (`, `sum by (`) or an operator.
    const isCall = next?.text === "(" || next?.text === "by" || next?.text === "without";
    if (isCall || operatorKeywords.has(token.text)) continue;
    // A metric, with its label matchers.
    names.selectors.push({ metric: token.text, labels: matcherLabels(tokens, i + 1) });
    selectorAt.set(i, token.text);
    if (next?.text === "{") i = partner.get(i + 1) ?? i;
  }
  for (const { kind, labels, from, to } of pendingAggregations) {
    const metrics = [...selectorAt].filter(([at]) => at > from && at < to).map(([, m]) => m);
    const outer = !pendingAggregations.some((other) => other.from < from && to < other.to);
    names.aggregations.push({ kind, labels, metrics, outer });
  }
  return names;
}

/** The label names in a selector's `{…}` at `start`: each name before a matcher. */
function matcherLabels(tokens: Token[], start: number): string[] {
  if (tokens[start]?.text !== "{") return [];
  const labels: string[] = [];
  for (let i = start + 1; i < tokens.length && tokens[i]?.text !== "}"; i++) {
    if (tokens[i]?.kind === "name" && /^(=~|!~|!=|=)$/.test(tokens[i + 1]?.text ?? "")) {
      labels.push(tokens[i]?.text ?? "");
    }
  }
  return labels;
}

describe("reading PromQL", () => {
  it("finds metrics, matchers and groupings, and skips functions and ranges", () => {
    expect(
      readPromql(
        'histogram_quantile(0.99, sum by (le, method) (rate(a_bucket{service=~"$service", method!~"grpc[.].*"}[$__rate_interval]))) / on (x) sum(b) by (service)',
      ),
    ).toEqual({
      selectors: [
        { metric: "a_bucket", labels: ["service", "method"] },
        { metric: "b", labels: [] },
      ],
      aggregations: [
        { kind: "by", labels: ["le", "method"], metrics: ["a_bucket"], outer: true },
        { kind: "by", labels: ["service"], metrics: ["b"], outer: true },
      ],
      matchingLabels: ["x"],
    });
    expect(readPromql('max by (a) (sum without (b) (c{d="e"}) > 0)').aggregations).toEqual([
      { kind: "by", labels: ["a"], metrics: ["c"], outer: true },
      { kind: "without", labels: ["b"], metrics: ["c"], outer: false },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// The dashboards

describe.each(dashboards)("Grafana dashboard %s", (file, dashboard) => {
  it("has a stable uid and a title", () => {
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(dashboard.title).toBeTruthy();
    expect(
      dashboards.filter(([, d]) => d.uid === dashboard.uid),
      "unique",
    ).toHaveLength(1);
  });

  it("uses only the data sources Grafana is provisioned with", () => {
    const used = [
      ...allPanels(dashboard).flatMap((panel) => [
        panel.datasource,
        ...(panel.targets ?? []).map((target) => target.datasource),
      ]),
      ...(dashboard.templating?.list ?? []).map((variable) => variable.datasource),
    ].filter(
      (source) => source !== undefined && source.type !== "grafana" && source.type !== "datasource",
    );
    expect(used.length).toBeGreaterThan(0);
    for (const source of used) {
      const provisioned = grafanaDatasources.find((d) => d.uid === source?.uid);
      expect(provisioned, `${file}: data source ${source?.uid}`).toBeDefined();
      expect(provisioned?.type).toBe(source?.type);
    }
  });

  it("asks only for metrics the services export, by labels they carry", async () => {
    const exported = await exportedMetrics();
    const labelsOf = (metric: string) =>
      exported.get(metric)?.labels ?? prometheusSeries.get(metric) ?? new Set<string>();
    const queries = promqlOf(dashboard);
    expect(queries.length).toBeGreaterThan(0);
    for (const { where, expr, legend } of queries) {
      const { selectors, aggregations, matchingLabels } = readPromql(expr);
      expect(selectors.length, `${where}: a metric`).toBeGreaterThan(0);
      for (const { metric, labels } of selectors) {
        const known = exported.has(metric) || prometheusSeries.has(metric);
        expect(known, `${where}: ${metric} is not exported by any service`).toBe(true);
        for (const label of labels) {
          expect(labelsOf(metric).has(label), `${where}: ${metric} has no label ${label}`).toBe(
            true,
          );
        }
      }
      for (const { labels, metrics } of aggregations) {
        for (const label of labels) {
          for (const metric of metrics) {
            expect(labelsOf(metric).has(label), `${where}: ${metric} has no label ${label}`).toBe(
              true,
            );
          }
        }
      }
      const anyMetricHas = (label: string) =>
        selectors.some(({ metric }) => labelsOf(metric).has(label));
      for (const label of matchingLabels) {
        expect(anyMetricHas(label), `${where}: no metric has label ${label}`).toBe(true);
      }
      // A legend can only show labels the result keeps: the outer groupings', if any.
      const outer = aggregations.filter((aggregation) => aggregation.outer);
      const kept = (label: string) =>
        outer.length > 0
          ? outer.every(({ kind, labels }) => labels.includes(label) === (kind === "by"))
          : anyMetricHas(label);
      for (const [, label = ""] of (legend ?? "").matchAll(/\{\{\s*(\w+)\s*\}\}/g)) {
        expect(kept(label), `${where}: legend {{${label}}}`).toBe(true);
      }
    }
  });

  it("names each state of a state metric as its help text does", async () => {
    const exported = await exportedMetrics();
    // "Circuit breaker state per dependency: 0 closed, 1 half-open, 2 open."
    const states = (help: string) =>
      Object.fromEntries([...help.matchAll(/\b(\d+) ([a-z][a-z-]*)/g)].map(([, n, s]) => [n, s]));
    let checked = 0;
    for (const panel of allPanels(dashboard)) {
      const mappings = panel.fieldConfig?.defaults?.mappings ?? [];
      if (mappings.length === 0) continue;
      const metrics = (panel.targets ?? []).flatMap((target) =>
        readPromql(target.expr ?? "").selectors.map((s) => s.metric),
      );
      for (const metric of metrics) {
        const help = exported.get(metric)?.help;
        if (!help || Object.keys(states(help)).length === 0) continue;
        const named = Object.fromEntries(
          mappings.flatMap((m) => Object.entries(m.options).map(([n, o]) => [n, o.text])),
        );
        expect(named, `panel "${panel.title}": ${metric}`).toEqual(states(help));
        checked++;
      }
    }
    expect(checked, "panels with state mappings").toBeGreaterThan(0);
  });
});

describe("Grafana provisioning", () => {
  it("loads the dashboards from one provider, with data sources of stable uids", () => {
    const providers = readdirSync(path.join(rootDir, provisioningDir, "dashboards")).flatMap(
      (file) =>
        (
          parse(readText(`${provisioningDir}/dashboards/${file}`)) as {
            providers: Array<{ type: string; options: { path: string } }>;
          }
        ).providers,
    );
    expect(providers.map((provider) => provider.type)).toEqual(["file"]);
    expect(dashboardFiles).toContain("kassa.json");
    const uids = grafanaDatasources.map((source) => source.uid);
    expect(new Set(uids).size).toBe(uids.length);
    expect(grafanaDatasources.map((source) => source.type).sort()).toEqual([
      "jaeger",
      "prometheus",
    ]);
  });
});
