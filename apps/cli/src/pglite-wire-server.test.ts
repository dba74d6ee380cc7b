import { once } from "node:events";
import net from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { PGlite } from "@electric-sql/pglite";
import { migrateService } from "@kassa/platform";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPgliteWireServer, type PgliteWireServer } from "./pglite-wire-server.js";
import { serviceDefinitions } from "./service-definitions.js";

// One in-memory PGlite for the file: creating one takes seconds.
let db: PGlite;
let server: PgliteWireServer;
let url: string;
let port: number;
const clients: postgres.Sql[] = [];

function client(options: postgres.Options<Record<string, never>> = {}): postgres.Sql {
  const sql = postgres(url, { max: 1, onnotice: () => {}, ...options });
  clients.push(sql);
  return sql;
}

beforeAll(async () => {
  db = new PGlite();
  server = createPgliteWireServer(db, { idleInTransactionTimeoutMs: 1000 });
  port = await server.listen(0, "127.0.0.1");
  url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await db.waitReady;
  await db.exec(`
    create table steps (id serial primary key, client text not null, step int not null);
    create table jobs (id int primary key, claimed_by text);
    insert into jobs select g, null from generate_series(1, 20) g;
  `);
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((sql) => sql.end({ timeout: 1 })));
  await server.close();
  await db.close();
});

/** A bare wire-protocol connection: what a client other than postgres.js might send. */
async function rawConnection() {
  const socket = net.connect(port, "127.0.0.1");
  let received = Buffer.alloc(0);
  let waiter: (() => void) | undefined;
  socket.on("data", (chunk) => {
    received = Buffer.concat([received, chunk]);
    waiter?.();
  });
  const message = (type: string, body: string | Buffer) => {
    const payload = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    const bytes = Buffer.alloc(5 + payload.length);
    bytes.write(type, 0, "latin1");
    bytes.writeInt32BE(4 + payload.length, 1);
    payload.copy(bytes, 5);
    return bytes;
  };
  /** The messages received up to the next ReadyForQuery, as `type` or `type:text`. */
  const untilReady = async (): Promise<string[]> => {
    for (;;) {
      const messages: string[] = [];
      for (let offset = 0; offset + 5 <= received.length; ) {
        const type = String.fromCharCode(received[offset] ?? 0);
        const end = offset + 1 + received.readInt32BE(offset + 1);
        if (end > received.length) break;
        const body = received.subarray(offset + 5, end);
        messages.push(type === "D" ? `D:${body.toString("utf8", 6)}` : type === "E" ? `E` : type);
        if (type === "Z") {
          received = received.subarray(end);
          return messages;
        }
        offset = end;
      }
      await new Promise<void>((resolve) => {
        waiter = resolve;
      });
    }
  };
  const params = Buffer.from("user\0postgres\0database\0postgres\0\0");
  const startup = Buffer.alloc(8 + params.length);
  startup.writeInt32BE(startup.length, 0);
  startup.writeInt32BE(196_608, 4);
  params.copy(startup, 8);
  socket.write(startup);
  await untilReady();
  return {
    socket,
    untilReady,
    received: () => received,
    parse: (name: string, sql: string) =>
      message("P", Buffer.concat([Buffer.from(`${name}\0${sql}\0`), Buffer.alloc(2)])),
    bindExecute: (statement: string) =>
      Buffer.concat([
        message("B", Buffer.concat([Buffer.from(`\0${statement}\0`), Buffer.alloc(6)])),
        message("E", Buffer.from("\0\0\0\0\0")),
      ]),
    sync: message("S", ""),
    query: (sql: string) => message("Q", `${sql}\0`),
  };
}

describe("PGlite wire server", () => {
  it("runs concurrent transactions from several connections one at a time, and commits each", async () => {
    const names = ["a", "b", "c"];
    await Promise.all(
      names.map((name) =>
        client().begin(async (tx) => {
          for (let step = 1; step <= 3; step++) {
            await tx`insert into steps (client, step) values (${name}, ${step})`;
            await delay(5);
          }
        }),
      ),
    );
    const rows = await client()<{ client: string }[]>`select client from steps order by id`;
    // Each client's three inserts are next to each other: no transaction saw another's.
    const runs = rows.map((row) => row.client).join("");
    expect(runs).toMatch(/^(aaa|bbb|ccc){3}$/);
    expect(new Set(runs).size).toBe(3);
  });

  it("keeps an error in one connection's pipeline from disturbing another's", async () => {
    const failing = client();
    const other = client();
    const [pipeline, quiet] = await Promise.all([
      Promise.allSettled([
        failing`select 1 as n`,
        failing`select * from no_such_table`,
        failing`select 3 as n`,
      ]),
      Promise.all(Array.from({ length: 10 }, (_, i) => other`select ${i}::int as n`)),
    ]);
    expect(pipeline.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(quiet.map(([row]) => row?.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("keeps two clients' prepared statements of the same name apart", async () => {
    const first = await rawConnection();
    const second = await rawConnection();
    first.socket.write(Buffer.concat([first.parse("s1", "select 'first'"), first.sync]));
    second.socket.write(Buffer.concat([second.parse("s1", "select 'second'"), second.sync]));
    expect(await first.untilReady()).toEqual(["1", "Z"]);
    expect(await second.untilReady()).toEqual(["1", "Z"]);
    first.socket.write(Buffer.concat([first.bindExecute("s1"), first.sync]));
    second.socket.write(Buffer.concat([second.bindExecute("s1"), second.sync]));
    expect((await first.untilReady()).filter((m) => m.startsWith("D"))).toEqual(["D:first"]);
    expect((await second.untilReady()).filter((m) => m.startsWith("D"))).toEqual(["D:second"]);
    first.socket.destroy();
    second.socket.destroy();
  });

  it("rolls back and releases the session when a client dies in a transaction", async () => {
    const dying = await rawConnection();
    dying.socket.write(dying.query("begin; insert into steps (client, step) values ('dead', 1)"));
    expect((await dying.untilReady()).at(-1)).toBe("Z");
    dying.socket.destroy();
    const started = performance.now();
    const [row] = await client()<{ n: number }[]>`
      select count(*)::int as n from steps where client = 'dead'`;
    expect(row?.n).toBe(0);
    // Released on disconnect, not by the idle-in-transaction timeout.
    expect(performance.now() - started).toBeLessThan(900);
  });

  it("closes a connection idle in a transaction so the others go on", async () => {
    const idle = await rawConnection();
    const closed = once(idle.socket, "close");
    idle.socket.write(idle.query("begin; insert into steps (client, step) values ('idle', 1)"));
    await idle.untilReady();
    const [row] = await client()<{ n: number }[]>`
      select count(*)::int as n from steps where client = 'idle'`;
    expect(row?.n).toBe(0);
    await closed;
    expect(idle.received().toString()).toContain("idle in a transaction");
  });

  it("gives every FOR UPDATE SKIP LOCKED claim a different row", async () => {
    const claims = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        client().begin(async (tx) => {
          const [job] = await tx<{ id: number }[]>`
            select id from jobs where claimed_by is null order by id limit 1
            for update skip locked`;
          await tx`update jobs set claimed_by = ${`worker-${i}`} where id = ${job?.id ?? 0}`;
          return job?.id;
        }),
      ),
    );
    expect(new Set(claims).size).toBe(8);
  });

  it("migrates every service's schema at once", async () => {
    const env = { DATABASE_URL: url, KASSA_INTERNAL_TOKEN: "x".repeat(32), LOG_LEVEL: "silent" };
    await Promise.all(serviceDefinitions.map((definition) => migrateService(definition, env)));
    const schemas = await client()<{ table_name: string }[]>`
      select table_name from information_schema.tables
      where table_schema = 'kassa_migrations' order by table_name`;
    expect(schemas.map((row) => row.table_name)).toEqual(
      serviceDefinitions.map((definition) => definition.database.schemaName).sort(),
    );
  }, 60_000);
});
