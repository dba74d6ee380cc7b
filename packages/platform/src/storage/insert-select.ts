import { getTableColumns, type SQL, type SQLWrapper, sql } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";

/** `"a", "b", "c"`: columns named unqualified, as an INSERT's column list. */
export function columnList(...columns: PgColumn[]): SQL {
  return sql.join(
    columns.map((column) => sql.identifier(column.name)),
    sql`, `,
  );
}

/** A value for {@link insertSelect}: an expression over the source, or a value to bind. */
type InsertSelectValues<Table extends PgTable> = {
  [Key in keyof Table["$inferInsert"]]?: SQLWrapper | Table["$inferInsert"][Key] | null;
};

/**
 * `insert into <table> (<columns>) select <values> from <source>`: the rows a statement writes
 * from another CTE of the same statement (a history row from the updated row), so a row and
 * what must go with it are one round trip. drizzle's `insert().select()` wants every column
 * (the serial ones too); this names only those given. A value is an expression (a column of
 * `source`, `sql…`) or a plain value, bound with its column's encoding.
 */
export function insertSelect<Table extends PgTable>(
  table: Table,
  values: InsertSelectValues<Table>,
  source: SQLWrapper,
): SQL {
  const columns = getTableColumns(table) as Record<string, PgColumn>;
  const given = Object.entries(values).flatMap(([key, value]) => {
    const column = columns[key];
    if (!column) throw new Error(`${key} is not a column of the table`);
    return value === undefined ? [] : [{ column, value }];
  });
  const selected = given.map(({ column, value }) =>
    isSqlWrapper(value) ? sql`${value}` : sql.param(value, column),
  );
  return sql`insert into ${table} (${columnList(...given.map(({ column }) => column))}) select ${sql.join(selected, sql`, `)} from ${source}`;
}

function isSqlWrapper(value: unknown): value is SQLWrapper {
  return typeof value === "object" && value !== null && "getSQL" in value;
}
