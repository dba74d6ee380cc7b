import path from "node:path";
import { migrateService } from "@kassa/platform";
import { serviceDefinitions } from "./platform-services.js";

/**
 * Applies every service's migrations to `DATABASE_URL`, or to the embedded PGlite stores
 * under `<root>/.data` when it is unset, without starting anything: `npm run migrate`.
 */
export async function migratePlatform(
  rootDir: string,
  env: NodeJS.ProcessEnv,
  out: NodeJS.WritableStream,
): Promise<void> {
  const migrationEnv = {
    ...env,
    KASSA_DATA_DIR: env.KASSA_DATA_DIR ?? path.join(rootDir, ".data"),
  };
  for (const definition of serviceDefinitions) {
    await migrateService(definition, migrationEnv);
    out.write(`kassa: ${definition.name} migrated\n`);
  }
}
