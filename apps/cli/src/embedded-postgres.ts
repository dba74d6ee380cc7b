import { mkdir } from "node:fs/promises";
import { setFlagsFromString } from "node:v8";
import { PGlite } from "@electric-sql/pglite";
import { createPgliteWireServer, type PgliteWireServerOptions } from "./pglite-wire-server.js";

/** Options for {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions extends PgliteWireServerOptions {
  /** Where PGlite keeps its files; absent means in memory (tests). */
  dataDir?: string;
  /** Port on 127.0.0.1. Default 0: any free one. */
  port?: number;
}

/** A running embedded Postgres; see {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`, the same for as long as it runs. */
  readonly url: string;
  /** Settles once PGlite has started (created its data directory the first time). */
  readonly ready: Promise<void>;
  /** Closes every connection (rolling back what they left open), then PGlite. */
  close(): Promise<void>;
}

/**
 * Postgres settings for a development database holding a few megabytes, appended to PGlite's
 * own (`-c` start parameters). Postgres's default 128 MB of shared buffers is memory the
 * developer's machine would hold for pages that are not there.
 */
const embeddedSettings = ["shared_buffers=16MB"];

/**
 * One PGlite for every service of `kassa start`, served on 127.0.0.1 over the Postgres wire
 * protocol (see {@link createPgliteWireServer}). It listens at once and PGlite starts in the
 * background: connections made meanwhile wait, so the services can start alongside it.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgres> {
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  // PGlite is Postgres compiled to WebAssembly. V8 compiles it with its baseline compiler
  // (Liftoff), then recompiles hot functions with TurboFan in the background: over a second of
  // CPU while the six services start on the same cores, and ~50 MB of code kept. A development
  // database runs well on baseline code (a loop of small queries was no slower), so TurboFan
  // is off for WebAssembly, before PGlite compiles its module; nothing else here uses any.
  setFlagsFromString("--liftoff-only");
  const startParams = [
    ...PGlite.defaultStartParams,
    ...embeddedSettings.flatMap((setting) => ["-c", setting]),
  ];
  const db = new PGlite({ ...(options.dataDir && { dataDir: options.dataDir }), startParams });
  const server = createPgliteWireServer(db, options);
  let port: number;
  try {
    port = await server.listen(options.port ?? 0, "127.0.0.1");
  } catch (error) {
    await db.waitReady.then(() => db.close()).catch(() => {});
    throw error;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    ready: db.waitReady,
    async close() {
      await server.close();
      await db.waitReady.then(
        () => db.close(),
        () => {},
      );
    },
  };
}
