/**
 * What the database server said about a statement it refused, reduced to facts that never
 * hold a value from the statement: the SQLSTATE and its condition name, and the objects
 * concerned. Postgres's `detail` (`Key (email)=(…) already exists`, `Failing row contains
 * (…)`), `where`, `hint` and even its `message` (`invalid input syntax for type uuid: "…"`)
 * can quote the data, so none of them is kept.
 */
export interface DatabaseRefusal {
  /** SQLSTATE, e.g. `23505`. */
  readonly code: string;
  /** The SQLSTATE's condition name, e.g. `unique_violation`, when it is a common one. */
  readonly condition: string | undefined;
  readonly severity: string | undefined;
  readonly schema: string | undefined;
  readonly table: string | undefined;
  readonly column: string | undefined;
  readonly constraint: string | undefined;
  /** The server function that raised it, e.g. `_bt_check_unique`. */
  readonly routine: string | undefined;
}

/** A statement as a log line may name it: its operation and main table, never its text. */
export interface StatementSummary {
  /** The statement's first keyword, lower case: `insert`, `select`, `update`, `with`… */
  readonly operation: string;
  /** The first table it writes or reads, `schema.table`, when one can be told. */
  readonly table: string | undefined;
}

/**
 * The server's refusal carried by `error` itself, a postgres.js `PostgresError`; undefined for
 * anything else, including connection errors (which carry no SQLSTATE).
 */
export function databaseRefusalOf(error: unknown): DatabaseRefusal | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const fields = error as Record<string, unknown>;
  const code = fields.code;
  if (typeof code !== "string" || !sqlState.test(code) || typeof fields.severity !== "string") {
    return undefined;
  }
  const text = (...names: string[]) => {
    for (const name of names) {
      const value = fields[name];
      if (typeof value === "string" && value !== "") return value;
    }
    return undefined;
  };
  return {
    code,
    condition: conditionNames[code],
    severity: text("severity"),
    schema: text("schema_name"),
    table: text("table_name"),
    column: text("column_name"),
    constraint: text("constraint_name"),
    routine: text("routine"),
  };
}

/** The operation and main table of an SQL statement, e.g. `insert` into `risk.decisions`. */
export function summariseStatement(sql: string): StatementSummary {
  const operation = /^\s*([a-z]+)/i.exec(sql)?.[1]?.toLowerCase() ?? "unknown";
  const target = statementTarget.exec(sql)?.[1];
  return { operation, table: target?.replaceAll('"', "") };
}

const sqlState = /^[0-9A-Z]{5}$/;

const identifier = String.raw`(?:"[^"]+"|[a-z_][\w$]*)`;
// The first table after the keyword that introduces it; a select's `for update` comes after
// its `from`, so it is never taken for a table.
const statementTarget = new RegExp(
  String.raw`\b(?:insert\s+into|update|delete\s+from|from)\s+(${identifier}(?:\.${identifier})?)`,
  "i",
);

// The SQLSTATEs a Kassa service is likely to meet; others are logged by code alone.
const conditionNames: Readonly<Record<string, string>> = {
  "08000": "connection_exception",
  "08003": "connection_does_not_exist",
  "08006": "connection_failure",
  "22001": "string_data_right_truncation",
  "22003": "numeric_value_out_of_range",
  "22007": "invalid_datetime_format",
  "22008": "datetime_field_overflow",
  "22021": "character_not_in_repertoire",
  "22P02": "invalid_text_representation",
  "22P05": "untranslatable_character",
  "23502": "not_null_violation",
  "23503": "foreign_key_violation",
  "23505": "unique_violation",
  "23514": "check_violation",
  "23P01": "exclusion_violation",
  "25P02": "in_failed_sql_transaction",
  "40001": "serialization_failure",
  "40P01": "deadlock_detected",
  "42703": "undefined_column",
  "42P01": "undefined_table",
  "53300": "too_many_connections",
  "55P03": "lock_not_available",
  "57014": "query_canceled",
  "57P01": "admin_shutdown",
  P0001: "raise_exception",
};
