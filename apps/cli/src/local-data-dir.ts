import path from "node:path";

/**
 * Where a local platform keeps its embedded databases, tokens, demo merchant and supervisor
 * state: `KASSA_DATA_DIR`, else `<root>/.data`.
 */
export function localDataDir(env: NodeJS.ProcessEnv, rootDir: string): string {
  return env.KASSA_DATA_DIR ?? path.join(rootDir, ".data");
}
