import { once } from "node:events";
import net from "node:net";
import type { PGlite } from "@electric-sql/pglite";
import {
  closeStatementMessage,
  createFrontendMessageReader,
  errorResponseMessage,
  type FrontendMessage,
  lastReadyStatus,
  queryMessage,
  scopeNames,
  startupCode,
  startupCodes,
  statementName,
  syncMessage,
} from "./postgres-wire-messages.js";

/** What the server needs of a PGlite. */
export type PgliteSession = Pick<PGlite, "waitReady" | "execProtocolRaw" | "runExclusive">;

/** Options for {@link createPgliteWireServer}. */
export interface PgliteWireServerOptions {
  /**
   * A connection holding the session inside a transaction and sending nothing for this long is
   * closed (FATAL 25P03, rolled back), as Postgres's `idle_in_transaction_session_timeout`
   * would: every other connection waits while one holds the session, so a client stuck in a
   * transaction must not hang them all. Default 30 000 ms, far above any of Kassa's
   * transactions, which do no I/O but the database's.
   */
  idleInTransactionTimeoutMs?: number;
}

/** A Postgres wire-protocol server in front of one PGlite; see {@link createPgliteWireServer}. */
export interface PgliteWireServer {
  /** Listens on `host:port` (0: any free port); resolves with the bound port. */
  listen(port: number, host: string): Promise<number>;
  /** Connections open now. */
  readonly connectionCount: number;
  /**
   * Stops accepting, closes every connection (rolling back what they left open) and resolves
   * once the session is idle, so the PGlite can be closed.
   */
  close(): Promise<void>;
}

/** A connection's messages up to and including a Sync, or one simple Query; run as one. */
interface Unit {
  readonly bytes: Buffer;
  /** Ended by Sync or Query: the backend said ReadyForQuery, the batch is over. */
  readonly complete: boolean;
}

interface Connection {
  readonly id: number;
  /** Prepended to its prepared statement and portal names, which the session shares. */
  readonly prefix: string;
  readonly socket: net.Socket;
  /** Messages read since its last unit ended. */
  partial: Buffer[];
  units: Unit[];
  /** Its prepared statements, as the backend knows them, for closing on disconnect. */
  readonly statements: Set<string>;
  /** Its last unit ended with Flush, not Sync: an extended-protocol batch is still open. */
  batchOpen: boolean;
  closed: boolean;
  /** It has gone and what it left in the session is not cleaned up yet. */
  cleanupPending: boolean;
  idleTimer?: NodeJS.Timeout;
}

/**
 * Serves one PGlite (a single Postgres session) to many clients over the wire protocol, so
 * every service reaches the embedded database through the same postgres.js driver as in
 * production.
 *
 * The unit of work is one connection's messages up to and including Sync (or one simple
 * Query, or a batch ended by Flush); units run one at a time, whole, so two clients'
 * pipelined Parse/Bind/Execute never interleave and an error in one (after which the backend
 * skips to Sync) never swallows another's messages. A unit that leaves the session in a
 * transaction (ReadyForQuery `T` or `E`) or mid-batch (Flush) pins the session to its
 * connection: only that connection's units run until it is idle again. Prepared statement and
 * portal names are prefixed per connection (postgres.js names them from a per-process
 * counter, so two services would collide); the unnamed ones stay unnamed, as units never
 * interleave. A connection that goes away has its transaction rolled back and its statements
 * closed.
 *
 * Session-wide things are shared by every client: `SET` (without LOCAL), advisory locks
 * (re-entrant within the one session, so they never block: they order nothing here, and
 * nothing needs them to, as transactions are serialised), LISTEN/NOTIFY, and SQL-level
 * PREPARE and cursors, whose names are not scoped. COPY is not supported. A statement that
 * runs long holds everyone up; there is no cancelling it (CancelRequest is ignored).
 */
export function createPgliteWireServer(
  db: PgliteSession,
  options: PgliteWireServerOptions = {},
): PgliteWireServer {
  const idleInTransactionTimeoutMs = options.idleInTransactionTimeoutMs ?? 30_000;
  const connections = new Set<Connection>();
  /** Connections with a unit or a cleanup to run, in arrival order; each at most once. */
  const waiting: Connection[] = [];
  /** The connection the session is pinned to (in a transaction or mid-batch), if any. */
  let owner: Connection | undefined;
  /** The connection whose unit or cleanup is running. */
  let current: Connection | undefined;
  let pumping = false;
  let nextId = 1;
  const idleWaiters: (() => void)[] = [];

  const hasWork = (connection: Connection) =>
    connection.cleanupPending || (!connection.closed && connection.units.length > 0);

  const schedule = (connection: Connection) => {
    if (connection !== current && !waiting.includes(connection)) waiting.push(connection);
    void pump();
  };

  const next = (): Connection | undefined => {
    if (owner) {
      if (!hasWork(owner)) return undefined;
      const index = waiting.indexOf(owner);
      if (index !== -1) waiting.splice(index, 1);
      return owner;
    }
    for (;;) {
      const connection = waiting.shift();
      if (!connection || hasWork(connection)) return connection;
    }
  };

  const pump = async () => {
    if (pumping) return;
    pumping = true;
    try {
      await db.waitReady;
      for (let connection = next(); connection; connection = next()) {
        current = connection;
        if (connection.cleanupPending) {
          await cleanUp(connection);
        } else {
          const unit = connection.units.shift();
          if (unit) await run(connection, unit);
        }
        current = undefined;
        if (hasWork(connection) && connection !== owner) waiting.push(connection);
        if (owner === connection && !hasWork(connection)) armIdleTimer(connection);
      }
    } catch (error) {
      // PGlite itself failed (it did not start, or it died): no client can be served.
      for (const connection of connections) fail(connection, error);
    } finally {
      current = undefined;
      pumping = false;
      if (!owner && waiting.length === 0) for (const resolve of idleWaiters.splice(0)) resolve();
    }
  };

  const run = async (connection: Connection, unit: Unit) => {
    const response = await db.runExclusive(() => db.execProtocolRaw(unit.bytes));
    const status = lastReadyStatus(response);
    const pinned = !unit.complete || status === "T" || status === "E";
    connection.batchOpen = !unit.complete;
    owner = pinned ? connection : undefined;
    if (!connection.closed) connection.socket.write(response);
  };

  const cleanUp = async (connection: Connection) => {
    connection.cleanupPending = false;
    const closes = [...connection.statements].map(closeStatementMessage);
    await db.runExclusive(async () => {
      if (connection.batchOpen) await db.execProtocolRaw(syncMessage);
      if (owner === connection) await db.execProtocolRaw(queryMessage("rollback"));
      if (closes.length > 0) await db.execProtocolRaw(Buffer.concat([...closes, syncMessage]));
    });
    connection.statements.clear();
    connection.batchOpen = false;
    if (owner === connection) owner = undefined;
  };

  const armIdleTimer = (connection: Connection) => {
    clearTimeout(connection.idleTimer);
    connection.idleTimer = setTimeout(() => {
      if (owner !== connection || hasWork(connection) || connection.closed) return;
      connection.socket.end(
        errorResponseMessage({
          severity: "FATAL",
          code: "25P03",
          message: `terminating connection: idle in a transaction for ${idleInTransactionTimeoutMs} ms while other clients of the embedded Postgres waited`,
        }),
      );
      connection.socket.destroy();
    }, idleInTransactionTimeoutMs);
    connection.idleTimer.unref();
  };

  const fail = (connection: Connection, error: unknown) => {
    if (connection.closed) return;
    connection.socket.end(
      errorResponseMessage({
        severity: "FATAL",
        code: "58000",
        message: `embedded Postgres failed: ${error instanceof Error ? error.message : String(error)}`,
      }),
    );
    connection.socket.destroy();
  };

  const onClosed = (connection: Connection) => {
    if (connection.closed) return;
    connection.closed = true;
    connections.delete(connection);
    clearTimeout(connection.idleTimer);
    connection.units = [];
    connection.partial = [];
    if (connection.statements.size > 0 || connection.batchOpen || owner === connection) {
      connection.cleanupPending = true;
      schedule(connection);
    } else if (connection === current) {
      // Its running unit may yet pin the session; the pump sees `cleanupPending` afterwards.
      connection.cleanupPending = true;
    }
  };

  const onMessage = (connection: Connection, message: FrontendMessage) => {
    if (message.type === "") {
      const code = startupCode(message);
      if (code === startupCodes.sslRequest || code === startupCodes.gssEncRequest) {
        connection.socket.write("N");
      } else if (code === startupCodes.protocol3) {
        // PGlite answers a startup message as a server would (authentication ok, parameters,
        // ReadyForQuery) without touching the session's state.
        connection.units.push({ bytes: message.bytes, complete: true });
        schedule(connection);
      } else {
        // A CancelRequest (nothing to cancel: PGlite has no backend to signal) or garbage.
        connection.socket.destroy();
      }
      return;
    }
    if (message.type === "X") {
      connection.socket.end();
      return;
    }
    const scoped = scopeNames(message, connection.prefix);
    const name = statementName(scoped);
    if (name) {
      if (message.type === "P") connection.statements.add(name);
      else connection.statements.delete(name);
    }
    connection.partial.push(scoped.bytes);
    // Sync and Query end a batch; Flush asks for the answers so far (postgres.js describes a
    // statement that way before binding it), so it ends a unit too, pinning the session.
    if (
      message.type === "S" ||
      message.type === "Q" ||
      message.type === "F" ||
      message.type === "H"
    ) {
      connection.units.push({
        bytes: Buffer.concat(connection.partial),
        complete: message.type !== "H",
      });
      connection.partial = [];
      schedule(connection);
    }
  };

  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    const id = nextId++;
    const connection: Connection = {
      id,
      prefix: `c${id}_`,
      socket,
      partial: [],
      units: [],
      statements: new Set(),
      batchOpen: false,
      closed: false,
      cleanupPending: false,
    };
    connections.add(connection);
    const reader = createFrontendMessageReader();
    socket.on("data", (chunk) => {
      clearTimeout(connection.idleTimer);
      for (const message of reader.push(chunk)) onMessage(connection, message);
      // Half a unit arrived and the rest may never come: it still holds the session.
      if (owner === connection && connection !== current && !hasWork(connection)) {
        armIdleTimer(connection);
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => onClosed(connection));
  });

  return {
    async listen(port, host) {
      // `once` rejects with the server's error (a port taken) instead.
      await once(server.listen(port, host), "listening");
      return (server.address() as net.AddressInfo).port;
    },
    get connectionCount() {
      return connections.size;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const connection of connections) connection.socket.destroy();
      await closed;
      if (pumping || owner || waiting.length > 0) {
        await new Promise<void>((resolve) => idleWaiters.push(resolve));
      }
    },
  };
}
