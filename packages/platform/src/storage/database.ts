import { hostname } from "node:os";
import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import type { Tracing } from "../observability/tracing.js";
import { tracePostgres } from "./traced-storage.js";

/** A drizzle database over postgres.js. */
export type Database<TSchema extends Record<string, unknown> = Record<string, never>> = PgDatabase<
  PgQueryResultHKT,
  TSchema
>;

/** Options for {@link openDatabase}. */
export interface DatabaseOptions<TSchema extends Record<string, unknown>> {
  /**
   * A `postgres://` URL: a real server, or the embedded one `kassa start` serves from its
   * own process when the user gives none (the services cannot tell them apart).
   */
  url: string;
  /** The drizzle schema object, for relational queries. */
  schema: TSchema;
  /** Identifies this process's connections in `pg_stat_activity`, e.g. `kassa-order`. */
  applicationName: string;
  /** postgres.js pool size. Default 10. */
  maxConnections?: number;
  /**
   * How long a new connection may take to be ready, in seconds. Default 5; the embedded
   * Postgres, which may still be creating its data directory when the services start, needs
   * longer.
   */
  connectTimeoutSeconds?: number;
  /** With tracing on, every statement run inside a span gets a span of its own. */
  tracing?: Tracing | undefined;
}

/** Connections of this process's pool, as seen by the server. */
export interface PoolUsage {
  /** Connections open. */
  open: number;
  /** Connections running a query, not counting the one that asked. */
  inUse: number;
  /** The pool's size. */
  max: number;
}

/** Where a service's migrations live and which schema they own. */
export interface MigrationOptions {
  /** The drizzle-kit output folder (holds `meta/_journal.json`). */
  migrationsFolder: string;
  /**
   * The Postgres schema the service owns. Its migration journal is the table of that name in
   * the shared `kassa_migrations` schema (the service's own schema is created by its first
   * migration, so the journal cannot live inside it).
   */
  schemaName: string;
}

/** The schema holding one migration journal table per service. */
const journalSchema = "kassa_migrations";

/** An open database plus what health checks and start-up need. */
export interface DatabaseHandle<TSchema extends Record<string, unknown>> {
  readonly db: Database<TSchema>;
  /** Runs a round-trip query; resolves with its latency in milliseconds. */
  ping(): Promise<number>;
  /**
   * Pool use as `pg_stat_activity` shows it; undefined where the server shows no connections
   * (the embedded Postgres serves every client from one session).
   */
  poolUsage(): Promise<PoolUsage | undefined>;
  /** Applies pending migrations. On Postgres, replicas starting together take turns. */
  migrate(options: MigrationOptions): Promise<void>;
  close(): Promise<void>;
}

/** Opens a postgres.js pool on `url` under drizzle. */
export async function openDatabase<TSchema extends Record<string, unknown>>(
  options: DatabaseOptions<TSchema>,
): Promise<DatabaseHandle<TSchema>> {
  const { url } = options;
  const max = options.maxConnections ?? 10;
  // Unique per process so pool use can be read back from pg_stat_activity.
  const applicationName = `${options.applicationName}-${hostname()}-${process.pid}`.slice(0, 63);
  const client = postgres(url, {
    max,
    idle_timeout: 30,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    onnotice: () => {},
    connection: { application_name: applicationName },
  });
  const db = drizzlePostgres({
    client: options.tracing ? tracePostgres(client, options.tracing) : client,
    schema: options.schema,
  });
  return {
    db,
    ping: () => timed(() => db.execute(sql`select 1`)),
    async poolUsage() {
      const [row] = await client<{ open: number; in_use: number }[]>`
        select count(*)::int as open,
               (count(*) filter (where state <> 'idle' and pid <> pg_backend_pid()))::int as in_use
        from pg_stat_activity
        where application_name = ${applicationName}`;
      // Not even this connection: the embedded Postgres, which has no pg_stat_activity rows.
      if (!row || row.open === 0) return undefined;
      return { open: row.open, inUse: row.in_use, max };
    },
    async migrate({ migrationsFolder, schemaName }) {
      // A session-level advisory lock on a connection of its own: a replica (or another
      // service creating the shared journal schema) waits here while the first applies its
      // migrations on the pool, then finds nothing to do.
      const lock = await client.reserve();
      try {
        await lock`select pg_advisory_lock(hashtext('kassa:migrate'))`;
        await migratePostgres(db, {
          migrationsFolder,
          migrationsSchema: journalSchema,
          migrationsTable: schemaName,
        });
      } finally {
        await lock`select pg_advisory_unlock(hashtext('kassa:migrate'))`;
        lock.release();
      }
    },
    close: () => client.end({ timeout: 5 }),
  };
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return Math.round((performance.now() - started) * 100) / 100;
}
