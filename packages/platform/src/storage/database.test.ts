import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as schema from "../test-fixtures/fixture-schema.js";
import { createTestDatabase, type TestDatabase } from "../testing/index.js";
import { type DatabaseHandle, openDatabase } from "./database.js";

const migrations = {
  migrationsFolder: fileURLToPath(new URL("../../test-fixtures/drizzle", import.meta.url)),
  schemaName: "fixture",
};

let testDatabase: TestDatabase;
beforeAll(async () => {
  testDatabase = await createTestDatabase("storage");
});
afterAll(() => testDatabase.drop());

/** The shape the migrations produced: every column with its type, nullability and default. */
async function describeSchema(database: DatabaseHandle<typeof schema>) {
  const rows = await database.db.execute(sql`
    select table_name, column_name, data_type, is_nullable, column_default
    from information_schema.columns
    where table_schema = 'fixture'
    order by table_name, ordinal_position`);
  const indexes = await database.db.execute(sql`
    select indexname from pg_indexes where schemaname = 'fixture' order by indexname`);
  return { columns: rowsOf(rows), indexes: rowsOf(indexes) };
}

/** postgres.js answers `execute` with an array of rows. */
function rowsOf(result: unknown): unknown[] {
  return result as unknown[];
}

describe("openDatabase", () => {
  it("migrates the schema and round-trips bigint money exactly", async () => {
    const database = await openDatabase({
      url: testDatabase.url,
      schema,
      applicationName: "kassa-test",
    });
    try {
      await database.migrate(migrations);
      expect((await describeSchema(database)).columns.length).toBe(4);
      await database.db
        .insert(schema.widgets)
        .values({ id: "w1", amount: 9007199254740993n, currency: "USD" });
      const [row] = await database.db.select().from(schema.widgets);
      expect(row?.amount).toBe(9007199254740993n);
    } finally {
      await database.close();
    }
  });

  it("lets replicas migrate at the same moment: one applies, the others find nothing to do", async () => {
    const fresh = await createTestDatabase("replicas");
    const replicas = await Promise.all(
      Array.from({ length: 4 }, () =>
        openDatabase({ url: fresh.url, schema, applicationName: "kassa-test" }),
      ),
    );
    try {
      await Promise.all(replicas.map((replica) => replica.migrate(migrations)));
      const applied = await replicas[0]?.db.execute(
        sql`select count(*)::int as n from kassa_migrations.fixture`,
      );
      expect(rowsOf(applied)).toEqual([{ n: 1 }]);
    } finally {
      await Promise.all(replicas.map((replica) => replica.close()));
      await fresh.drop();
    }
  });

  it("measures a round trip and reports pool use on Postgres", async () => {
    const database = await openDatabase({
      url: testDatabase.url,
      schema,
      applicationName: "kassa-pool",
      maxConnections: 4,
    });
    try {
      expect(await database.ping()).toBeGreaterThanOrEqual(0);
      // Hold two connections busy until the pool has been looked at: both wait on a lock this
      // test holds from outside the pool (no fixed sleep a slow machine could outlast).
      const holder = postgres(testDatabase.url, { max: 1 });
      await holder`select pg_advisory_lock(4242)`;
      const busy = Promise.all([
        database.db.execute(sql`select pg_advisory_xact_lock(4242)`),
        database.db.execute(sql`select pg_advisory_xact_lock(4242)`),
      ]);
      try {
        let usage = await database.poolUsage();
        while ((usage?.inUse ?? 0) < 2) usage = await database.poolUsage();
        expect(usage).toMatchObject({ inUse: 2, max: 4 });
      } finally {
        await holder`select pg_advisory_unlock(4242)`;
        await holder.end();
        await busy;
      }
    } finally {
      await database.close();
    }
  });
});
