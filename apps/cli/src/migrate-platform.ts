import { migrateService } from "@kassa/platform";
import { startEmbeddedPostgres } from "./embedded-postgres.js";
import { embeddedPostgresDir, localDataDir } from "./local-data-dir.js";
import { serviceDefinitions } from "./service-definitions.js";

/**
 * Applies every service's migrations to `DATABASE_URL`, or to the embedded Postgres under
 * `<data dir>/postgres` (as `kassa start` would, which must not be running) when it is unset,
 * without starting anything: `npm run migrate`.
 */
export async function migratePlatform(
  rootDir: string,
  env: NodeJS.ProcessEnv,
  out: NodeJS.WritableStream,
): Promise<void> {
  const embedded = env.DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres({ dataDir: embeddedPostgresDir(localDataDir(env, rootDir)) });
  try {
    const migrationEnv = { ...env, ...(embedded && { DATABASE_URL: embedded.url }) };
    for (const definition of serviceDefinitions) {
      await migrateService(definition, migrationEnv);
      out.write(`kassa: ${definition.name} migrated\n`);
    }
  } finally {
    await embedded?.close();
  }
}
