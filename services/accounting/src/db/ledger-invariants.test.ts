import { fileURLToPath } from "node:url";
import { createId, type DatabaseHandle, openDatabase } from "@kassa/platform";
import { createTestDatabase, type TestDatabase } from "@kassa/platform/testing";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccountingDatabase } from "./accounting-database.js";
import { databaseErrorOf } from "./database-error.js";
import { ledgerRepository } from "./ledger-repository.js";
import * as schema from "./schema.js";

// The ledger's rules are the database's, not only the service's: raw SQL, as a bug or a
// hand-made fix in psql would send it, is refused.

const migrationsFolder = fileURLToPath(new URL("../../drizzle", import.meta.url));

interface Backend {
  handle: DatabaseHandle<typeof schema>;
  drop(): Promise<void>;
}

const backends: Record<string, () => Promise<Backend>> = {
  Postgres: async () => {
    const database: TestDatabase = await createTestDatabase("accounting_invariants");
    const handle = await openDatabase({ url: database.url, schema, applicationName: "test" });
    await handle.migrate({ migrationsFolder, schemaName: "accounting" });
    return {
      handle,
      async drop() {
        await handle.close();
        await database.drop();
      },
    };
  },
};

/** The database's message for a statement or transaction it refused. */
async function refusal(attempt: Promise<unknown>): Promise<string> {
  try {
    await attempt;
  } catch (error) {
    return databaseErrorOf(error)?.message ?? String(error);
  }
  throw new Error("expected the database to refuse, but it accepted");
}

describe.each(Object.keys(backends))("the ledger on %s", (name) => {
  let backend: Backend;
  let db: AccountingDatabase;
  beforeAll(async () => {
    backend = await (backends[name] as () => Promise<Backend>)();
    db = backend.handle.db;
  });
  afterAll(() => backend.drop());

  const merchant = `merchant:${createId("mer")}`;
  const entrySql = (id: string) =>
    sql.raw(`insert into accounting.entries (id, merchant_id, kind, reference_id, payment_id, amount, currency, occurred_at, created_at)
      values ('${id}', '${merchant.slice("merchant:".length)}', 'PAYMENT', '${id.replace("ent_", "pay_")}', '${id.replace("ent_", "pay_")}', 100, 'USD', now(), now())`);
  const postingSql = (entryId: string, account: string, amount: number, currency = "USD") =>
    sql.raw(`insert into accounting.postings (entry_id, account, currency, amount)
      values ('${entryId}', '${account}', '${currency}', ${amount})`);
  const countOf = async (entryId: string) => {
    const [row] = await db
      .select({ count: sql<number>`count(*)::int` })
      .from(schema.entries)
      .where(sql`id = ${entryId}`);
    return row?.count;
  };
  async function balancedEntry(): Promise<string> {
    const id = createId("ent");
    await db.transaction(async (tx) => {
      await tx.execute(entrySql(id));
      await tx.execute(postingSql(id, "platform:clearing", -100));
      await tx.execute(postingSql(id, merchant, 100));
    });
    return id;
  }

  it("commits an entry whose postings sum to zero", async () => {
    const id = await balancedEntry();
    expect(await countOf(id)).toBe(1);
  });

  it("refuses at commit an entry whose postings do not sum to zero", async () => {
    const id = createId("ent");
    const message = await refusal(
      db.transaction(async (tx) => {
        await tx.execute(entrySql(id));
        await tx.execute(postingSql(id, "platform:clearing", -100));
        await tx.execute(postingSql(id, merchant, 90));
      }),
    );
    expect(message).toBe(
      `journal entry ${id} does not balance: its USD postings do not sum to zero`,
    );
    expect(await countOf(id)).toBe(0);
  });

  it("refuses an entry that balances in total but not per currency", async () => {
    const id = createId("ent");
    const message = await refusal(
      db.transaction(async (tx) => {
        await tx.execute(entrySql(id));
        await tx.execute(postingSql(id, "platform:clearing", -100, "USD"));
        await tx.execute(postingSql(id, merchant, 100, "EUR"));
      }),
    );
    expect(message).toMatch(/^journal entry ent_\w+ does not balance: its (USD|EUR) postings/);
    expect(await countOf(id)).toBe(0);
  });

  it("refuses an entry with one posting, or none", async () => {
    const lonely = createId("ent");
    expect(
      await refusal(
        db.transaction(async (tx) => {
          await tx.execute(entrySql(lonely));
          await tx.execute(postingSql(lonely, merchant, 100));
        }),
      ),
    ).toBe(`journal entry ${lonely} has 1 posting(s); an entry needs at least 2`);
    const bare = createId("ent");
    expect(await refusal(db.execute(entrySql(bare)))).toBe(
      `journal entry ${bare} has 0 posting(s); an entry needs at least 2`,
    );
    expect([await countOf(lonely), await countOf(bare)]).toEqual([0, 0]);
  });

  it("refuses a posting added later that unbalances a committed entry", async () => {
    const id = await balancedEntry();
    expect(await refusal(db.execute(postingSql(id, merchant, 1)))).toBe(
      `journal entry ${id} does not balance: its USD postings do not sum to zero`,
    );
  });

  it("records an entry and its postings in one statement, once, and never unbalanced", async () => {
    const paymentId = createId("pay");
    const newEntry = (legs: { account: string; amount: bigint }[]) => ({
      id: createId("ent"),
      merchantId: merchant.slice("merchant:".length),
      kind: "PAYMENT" as const,
      referenceId: paymentId,
      paymentId,
      amount: 100n,
      currency: "USD",
      occurredAt: new Date(),
      createdAt: new Date(),
      postings: legs,
    });
    const unbalanced = newEntry([
      { account: "platform:clearing", amount: -100n },
      { account: merchant, amount: 90n },
    ]);
    expect(await refusal(ledgerRepository.recordIfAbsent(db, unbalanced))).toBe(
      `journal entry ${unbalanced.id} does not balance: its USD postings do not sum to zero`,
    );
    expect(await countOf(unbalanced.id)).toBe(0);

    const legs = [
      { account: "platform:clearing", amount: -100n },
      { account: merchant, amount: 100n },
    ];
    const first = await ledgerRepository.recordIfAbsent(db, newEntry(legs));
    expect(first.created).toBe(true);
    expect(first.record.postings.map((leg) => [leg.account, leg.amount])).toEqual(
      legs.map((leg) => [leg.account, leg.amount]),
    );
    const postingsBefore = await db.$count(schema.postings);
    const again = await ledgerRepository.recordIfAbsent(db, newEntry(legs));
    expect(again).toEqual({ record: first.record, created: false });
    expect(await db.$count(schema.postings)).toBe(postingsBefore);
  });

  it("refuses any UPDATE, DELETE or TRUNCATE of postings and entries", async () => {
    const id = await balancedEntry();
    for (const [statement, message] of [
      [
        `update accounting.postings set amount = amount * 2 where entry_id = '${id}'`,
        "UPDATE on accounting.postings",
      ],
      [`delete from accounting.postings where entry_id = '${id}'`, "DELETE on accounting.postings"],
      [
        `update accounting.entries set amount = 1 where id = '${id}'`,
        "UPDATE on accounting.entries",
      ],
      [`delete from accounting.entries where id = '${id}'`, "DELETE on accounting.entries"],
      ["truncate accounting.postings cascade", "TRUNCATE on accounting.postings"],
    ] as const) {
      expect(await refusal(db.execute(sql.raw(statement)))).toBe(
        `${message} is not allowed: the ledger is append-only`,
      );
    }
    expect(await countOf(id)).toBe(1);
  });

  it("refuses to settle an entry twice, and to delete a settlement", async () => {
    const id = await balancedEntry();
    const merchantId = merchant.slice("merchant:".length);
    const settlementSql = (settlementId: string, status: string) =>
      sql.raw(`insert into accounting.settlements (id, merchant_id, currency, status, up_to, fee_basis_points, fee_fixed_amount, created_at, updated_at, failure_reason)
        values ('${settlementId}', '${merchantId}', 'USD', '${status}', now(), 0, 0, now(), now(), ${status === "FAILED" ? "'test'" : "null"})`);
    const first = createId("stl");
    const second = createId("stl");
    await db.execute(settlementSql(first, "FAILED"));
    await db.execute(settlementSql(second, "PENDING"));
    for (const settlementId of [first, second]) {
      await db.execute(
        sql.raw(`insert into accounting.settlement_candidates values ('${settlementId}', '${id}')`),
      );
    }
    await db.execute(
      sql.raw(
        `insert into accounting.settlement_entries (entry_id, settlement_id) values ('${id}', '${first}')`,
      ),
    );
    expect(
      await refusal(
        db.execute(
          sql.raw(
            `insert into accounting.settlement_entries (entry_id, settlement_id) values ('${id}', '${second}')`,
          ),
        ),
      ),
    ).toMatch(/duplicate key value violates unique constraint "settlement_entries_pkey"/);
    // Not a candidate of the settlement: refused too.
    const stranger = await balancedEntry();
    expect(
      await refusal(
        db.execute(
          sql.raw(
            `insert into accounting.settlement_entries (entry_id, settlement_id) values ('${stranger}', '${second}')`,
          ),
        ),
      ),
    ).toMatch(/violates foreign key constraint "settlement_entries_candidate_fk"/);
    expect(
      await refusal(
        db.execute(sql.raw(`delete from accounting.settlement_entries where entry_id = '${id}'`)),
      ),
    ).toBe("DELETE on accounting.settlement_entries is not allowed: the ledger is append-only");
    expect(
      await refusal(
        db.execute(sql.raw(`delete from accounting.settlements where id = '${first}'`)),
      ),
    ).toBe("DELETE on accounting.settlements is not allowed: the ledger is append-only");
    // One open settlement per merchant and currency.
    expect(await refusal(db.execute(settlementSql(createId("stl"), "PENDING")))).toMatch(
      /duplicate key value violates unique constraint "settlements_one_open_key"/,
    );
  });
});
