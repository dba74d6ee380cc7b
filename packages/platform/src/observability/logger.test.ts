import { fileURLToPath } from "node:url";
import { Code, ConnectError } from "@connectrpc/connect";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Secret } from "../config/secret.js";
import { type DatabaseHandle, openDatabase } from "../storage/database.js";
import * as schema from "../test-fixtures/fixture-schema.js";
import { captureLogs, createTestDatabase, type TestDatabase } from "../testing/index.js";
import { createLogger } from "./logger.js";

// Values a statement could carry that must never reach a log line.
const email = "jane.doe+leak@example.com";
const ip = "203.0.113.77";
const token = "tok_live_4eC39HqLyjWDarjtT1zdp7dc";
const leaks = [email, ip, token];

const migrations = {
  migrationsFolder: fileURLToPath(new URL("../../test-fixtures/drizzle", import.meta.url)),
  schemaName: "fixture",
};

let testDatabase: TestDatabase;
let postgres: DatabaseHandle<typeof schema>;
beforeAll(async () => {
  testDatabase = await createTestDatabase("logger");
  postgres = await openDatabase({ url: testDatabase.url, schema, applicationName: "kassa-test" });
  await postgres.migrate(migrations);
});
afterAll(async () => {
  await postgres.close();
  await testDatabase.drop();
});

/** Logs `err` the way the platform does, and returns the one line it wrote, parsed. */
function logged(err: unknown): { line: string; err: Record<string, unknown> } {
  const logs = captureLogs();
  createLogger({ service: "test", destination: logs.stream }).error({ err }, "unexpected error");
  const [line = ""] = logs.lines;
  return { line, err: (JSON.parse(line) as { err: Record<string, unknown> }).err };
}

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error("expected the statement to fail");
}

describe("a failed query logged", () => {
  const database = () => postgres;
  it("names the operation, table, SQLSTATE and constraint of a unique violation, not the key", async () => {
    const row = { id: email, amount: 1n, currency: token };
    await database().db.insert(schema.widgets).values(row);
    const error = await failure(() => database().db.insert(schema.widgets).values(row));

    const { line, err } = logged(error);
    for (const leak of leaks) expect(line).not.toContain(leak);
    expect(line).not.toContain("already exists"); // Postgres's detail: Key (id)=(…) already exists.
    expect(err).toMatchObject({
      type: "DrizzleQueryError",
      message: "failed query: insert fixture.widgets",
      operation: "insert",
      table: "fixture.widgets",
      cause: {
        code: "23505",
        condition: "unique_violation",
        constraint: "widgets_pkey",
        message: "unique_violation (SQLSTATE 23505)",
      },
    });
  });

  it("names a NUL that Postgres refused, without the text it was in", async () => {
    const error = await failure(() =>
      database()
        .db.insert(schema.widgets)
        .values({ id: `${ip}\u0000`, amount: 1n, currency: token }),
    );

    const { line, err } = logged(error);
    for (const leak of leaks) expect(line).not.toContain(leak);
    expect(err).toMatchObject({ operation: "insert", table: "fixture.widgets" });
    expect(String((err.cause as { code?: unknown } | undefined)?.code)).toMatch(/^22/);
  });

  it("keeps values out when the error arrives wrapped in a ConnectError", async () => {
    const error = await failure(() =>
      database().db.select().from(schema.widgets).where(uuidEquals(email)),
    );
    for (const wrapped of [
      ConnectError.from(error),
      new ConnectError(
        "internal error (request id r1)",
        Code.Internal,
        undefined,
        undefined,
        error,
      ),
    ]) {
      const { line } = logged(wrapped);
      for (const leak of leaks) expect(line).not.toContain(leak);
      expect(line).toContain("failed query: select fixture.widgets");
      expect(line).toContain("invalid_text_representation (SQLSTATE 22P02)");
    }
    // Its message pasted into another's, or logged as a string: cut where the query starts.
    for (const pasted of [
      new Error(`reconciliation failed: ${(error as Error).message}`),
      ConnectError.from(error).message,
    ]) {
      const { line } = logged(pasted);
      for (const leak of leaks) expect(line).not.toContain(leak);
      expect(line).toContain("failed query (statement withheld)");
    }
  });
});

// A condition that makes Postgres quote the value in its own message:
// `invalid input syntax for type uuid: "jane.doe+leak@example.com"`.
function uuidEquals(value: string) {
  return sql`${schema.widgets.id}::uuid = ${value}::uuid`;
}

describe("createLogger", () => {
  it("redacts customer data and tokens handed to it by mistake", () => {
    const logs = captureLogs();
    createLogger({ service: "test", destination: logs.stream }).info(
      {
        email,
        customer: { email, ip },
        subjects: { ip, payment_method: token },
        paymentMethod: token,
        params: [email, ip, token],
      },
      "oops",
    );
    for (const leak of leaks) expect(logs.lines.join("\n")).not.toContain(leak);
  });

  it("prints a Secret masked, with its label", () => {
    const logs = captureLogs();
    createLogger({ service: "test", destination: logs.stream }).info(
      { who: new Secret(email, "email"), key: new Secret("sk_test_abc") },
      "masked",
    );
    expect(logs.lines[0]).toContain('"who":"[redacted email]"');
    expect(logs.lines[0]).toContain('"key":"[redacted]"');
  });

  it("keeps a plain error's message, code and stack frames", () => {
    const error = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), {
      code: "ECONNREFUSED",
      command: { name: "get", args: [`risk:velocity:email:${email}`] },
    });
    const { line, err } = logged(error);
    expect(err).toMatchObject({
      type: "Error",
      message: "connect ECONNREFUSED 127.0.0.1:5432",
      code: "ECONNREFUSED",
    });
    expect(String(err.stack)).toMatch(/^Error: connect ECONNREFUSED[^\n]*\n\s+at /);
    expect(line).not.toContain(email);
  });
});
