import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import {
  Health,
  HealthCheckResponse_ServingStatus,
} from "@kassa/contracts/grpc/health/v1/health_pb";
import { openDatabase, startService } from "@kassa/platform";
import {
  createTestDatabase,
  type TestDatabase,
  testServiceEnv,
  uniqueRedisPrefix,
} from "@kassa/platform/testing";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "./embedded-postgres.js";
import { platformServices } from "./platform-services.js";
import { serviceDefinitions } from "./service-definitions.js";

// Dependencies first, so each service starts knowing where the ones it calls listen.
const definitions = [...serviceDefinitions].sort(
  (a, b) => Object.keys(a.dependencies).length - Object.keys(b.dependencies).length,
);

let database: TestDatabase;
let embedded: EmbeddedPostgres;
const running = new Map<string, { url: string; stop(): Promise<void> }>();

beforeAll(async () => {
  database = await createTestDatabase("platform");
  embedded = await startEmbeddedPostgres();
  const urls: Record<string, string> = {};
  for (const definition of definitions) {
    const service = await startService(definition, {
      env: testServiceEnv({
        databaseUrl: database.url,
        redisPrefix: uniqueRedisPrefix("platform"),
        extra: { ...urls, HEALTH_POLL_INTERVAL_MS: "100" },
      }),
    });
    running.set(definition.name, service);
    urls[`${definition.name.toUpperCase()}_URL`] = service.url;
  }
});
afterAll(async () => {
  await Promise.all([...running.values()].map((service) => service.stop()));
  await Promise.all([database.drop(), embedded.close()]);
});

describe("the six services", () => {
  it("are the ones DESIGN.md names, on ports 8080-8085", () => {
    expect(platformServices.map((s) => [s.name, s.port, s.typeName])).toEqual([
      ["gateway", 8080, "kassa.gateway.v1.GatewayService"],
      ["merchant", 8081, "kassa.merchant.v1.MerchantService"],
      ["order", 8082, "kassa.order.v1.OrderService"],
      ["channel", 8083, "kassa.channel.v1.ChannelService"],
      ["risk", 8084, "kassa.risk.v1.RiskService"],
      ["accounting", 8085, "kassa.accounting.v1.AccountingService"],
    ]);
    expect(Object.fromEntries(platformServices.map((s) => [s.name, s.dependencies]))).toEqual({
      gateway: ["merchant", "order", "channel", "risk", "accounting"],
      merchant: [],
      order: [],
      channel: [],
      risk: [],
      accounting: ["merchant"],
    });
  });

  it("are listed for the launcher exactly as their own definitions say", () => {
    expect(platformServices).toEqual(
      serviceDefinitions.map((definition) => ({
        name: definition.name,
        port: definition.defaultPort,
        dependencies: Object.keys(definition.dependencies),
        typeName: definition.service.typeName,
        packageName: `@kassa/${definition.name}`,
      })),
    );
  });

  it.each(definitions.map((d) => [d.name, d.service.typeName]))(
    "%s starts on Postgres and Redis, is ready, and answers SERVING for its service name",
    async (name, typeName) => {
      const service = running.get(name);
      expect(service).toBeDefined();
      const url = service?.url ?? "";
      // Dependencies' health is polled, so a caller may see it a moment after they are up.
      let ready = await fetch(`${url}/health/ready`);
      while (ready.status !== 200) ready = await fetch(`${url}/health/ready`);
      const body = (await ready.json()) as { checks: Array<{ name: string; status: string }> };
      const dependencies = platformServices.find((s) => s.name === name)?.dependencies ?? [];
      // The platform's checks first; a service may add its own after them (the gateway's outbox).
      expect(body.checks.map((c) => c.name).slice(0, 2 + dependencies.length)).toEqual([
        "postgres",
        "redis",
        ...dependencies.map((d) => `dependency:${d}`),
      ]);
      const health = createClient(Health, createGrpcTransport({ baseUrl: url }));
      for (const serviceName of ["", typeName]) {
        const response = await health.check({ service: serviceName });
        expect(response.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
      }
    },
  );

  it.each(definitions.map((d) => [d.name, d]))(
    "%s migrations give the same schema on the embedded Postgres as on Postgres",
    async (_name, definition) => {
      const { schemaName, migrationsFolder } = definition.database;
      const describeSchema = async (url: string) => {
        const handle = await openDatabase({ url, schema: {}, applicationName: "kassa-test" });
        try {
          if (url === embedded.url) await handle.migrate({ schemaName, migrationsFolder });
          const result = await handle.db.execute(sql`
            select table_name, column_name, data_type, is_nullable, column_default
            from information_schema.columns where table_schema = ${schemaName}
            order by table_name, ordinal_position`);
          const schemas = await handle.db.execute(
            sql`select count(*)::int as n from information_schema.schemata where schema_name = ${schemaName}`,
          );
          // postgres.js answers `execute` with the rows themselves.
          return { columns: result as unknown[], schemas: schemas as unknown[] };
        } finally {
          await handle.close();
        }
      };
      const onEmbedded = await describeSchema(embedded.url);
      expect(onEmbedded.schemas).toEqual([{ n: 1 }]);
      expect(await describeSchema(database.url)).toEqual(onEmbedded);
    },
  );
});
