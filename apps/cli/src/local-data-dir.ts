import path from "node:path";

/**
 * Where a local platform keeps its embedded Postgres, tokens, demo merchant and supervisor
 * state: `KASSA_DATA_DIR`, else `<root>/.data`.
 */
export function localDataDir(env: NodeJS.ProcessEnv, rootDir: string): string {
  return env.KASSA_DATA_DIR ?? path.join(rootDir, ".data");
}

/**
 * The embedded Postgres's data directory inside the local data directory. Before there was
 * one, each service kept a PGlite of its own under `<data dir>/<service>`; those are ignored.
 */
export function embeddedPostgresDir(dataDir: string): string {
  return path.join(dataDir, "postgres");
}
