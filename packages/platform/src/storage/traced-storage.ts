import { type Attributes, SpanKind, trace } from "@opentelemetry/api";
import type postgres from "postgres";
import { markFailed, type Tracing } from "../observability/tracing.js";
import type { RedisStore, WindowCounter } from "./redis-store.js";

// postgres.js has no OpenTelemetry instrumentation of its own, and drizzle's hooks see a
// statement before it runs, not when it ends. So the one method drizzle sends every statement
// through (`unsafe`) is wrapped, on the pool and on each transaction's connection. A span
// records the operation and the table, never the statement's parameters (amounts, emails,
// tokens), and is made only inside a span that already exists: a health check's `select 1`
// or a relay's idle poll starts no trace.

/** Statement spans on a postgres.js client. */
export function tracePostgres(client: postgres.Sql, tracing: Tracing): postgres.Sql {
  if (!tracing.enabled) return client;
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === "unsafe") {
        return (text: string, ...rest: unknown[]) => {
          const query = (target.unsafe as (...args: unknown[]) => Promise<unknown>)(text, ...rest);
          traceStatement(tracing, text, query);
          return query;
        };
      }
      if (property === "begin" || property === "savepoint") {
        return (...args: unknown[]) => {
          const body = args.pop() as (sql: postgres.Sql) => unknown;
          const method = target[property as "begin"] as (...args: unknown[]) => unknown;
          return method(...args, (sql: postgres.Sql) => body(tracePostgres(sql, tracing)));
        };
      }
      return Reflect.get(target, property, receiver);
    },
  });
}

function traceStatement(tracing: Tracing, text: string, settled: PromiseLike<unknown>): void {
  if (!trace.getActiveSpan()) return;
  const { operation, table } = describeStatement(text);
  const attributes: Attributes = {
    "db.system": "postgresql",
    "db.system.name": "postgresql",
    "db.operation.name": operation,
  };
  if (table) attributes["db.collection.name"] = table;
  const span = tracing.tracer.startSpan(table ? `${operation} ${table}` : operation, {
    kind: SpanKind.CLIENT,
    attributes,
  });
  settled.then(
    () => span.end(),
    (error: unknown) => {
      markFailed(span, error);
      span.end();
    },
  );
}

const firstTable = /\b(?:from|into|update|join)\s+((?:"[^"]+"|\w+)(?:\.(?:"[^"]+"|\w+))?)/i;

const firstWrite =
  /\b(insert\s+into|update|delete\s+from)\s+((?:"[^"]+"|\w+)(?:\.(?:"[^"]+"|\w+))?)/i;

/**
 * The operation (`SELECT`, `INSERT`…) and first table (`gateway.payments`) of a statement, as
 * drizzle writes them; the statement text itself is not recorded. A statement of CTEs that
 * writes (a row with its history in one round trip) is named by its first write.
 */
export function describeStatement(text: string): { operation: string; table?: string } {
  const operation = (/^\s*(\w+)/.exec(text)?.[1] ?? "QUERY").toUpperCase();
  const write = operation === "WITH" ? firstWrite.exec(text) : null;
  if (write?.[1] && write[2]) {
    const writeOperation = (write[1].split(/\s/)[0] ?? "").toUpperCase();
    return { operation: writeOperation, table: write[2].replaceAll('"', "") };
  }
  const table = firstTable.exec(text)?.[1]?.replaceAll('"', "");
  return table ? { operation, table } : { operation };
}

/** Command spans on a Redis store (`db.system=redis`); keys and values are not recorded. */
export function traceRedis(store: RedisStore, tracing: Tracing): RedisStore {
  if (!tracing.enabled) return store;
  const command =
    <A extends unknown[], R>(name: string, run: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      if (!trace.getActiveSpan()) return run(...args);
      return tracing.inSpan(
        `redis ${name}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            "db.system": "redis",
            "db.system.name": "redis",
            "db.operation.name": name,
          },
        },
        () => run(...args),
      );
    };
  return {
    get kind() {
      return store.kind;
    },
    get connectionState() {
      return store.connectionState;
    },
    ping: () => store.ping(),
    get: command("GET", (key: string) => store.get(key)),
    set: command("SET", (key: string, value: string, options?: Parameters<RedisStore["set"]>[2]) =>
      store.set(key, value, options),
    ),
    del: command("DEL", (...keys: string[]) => store.del(...keys)),
    // One span for all of a call's counters (one pipeline, one round trip).
    incrementWindows: command("HINCRBY", (counters: readonly WindowCounter[]) =>
      store.incrementWindows(counters),
    ),
    countInWindow: command("HGET", (counter: WindowCounter) => store.countInWindow(counter)),
    publish: command("PUBLISH", (channel: string, message: string) =>
      store.publish(channel, message),
    ),
    // A subscription is one long-lived command, not a step of a request: no span.
    subscribe: (channel, onMessage) => store.subscribe(channel, onMessage),
    close: () => store.close(),
  };
}
