import { createHash } from "node:crypto";
import { rpcErrors } from "./rpc-errors.js";

/** Page sizes every List RPC accepts: 0 means the default. */
export const pageSizes = { default: 50, max: 200 } as const;

/** The page size a List RPC should use: 0 → 50, above 200 → 200, negative → INVALID_ARGUMENT. */
export function pageSizeOf(requested: number): number {
  if (requested < 0) throw rpcErrors.invalidArgument("page_size", "must not be negative");
  if (requested === 0) return pageSizes.default;
  return Math.min(requested, pageSizes.max);
}

/**
 * An opaque `page_token`: the id of the last item returned (ids sort by creation time, so
 * the next page is everything before it) bound to the query's filters, so a token cannot
 * be replayed against another query.
 */
export function encodePageToken(lastId: string, query: unknown): string {
  return Buffer.from(JSON.stringify({ after: lastId, query: fingerprint(query) })).toString(
    "base64url",
  );
}

/**
 * The id to continue after, or undefined for the first page.
 *
 * @throws INVALID_ARGUMENT `page_token` when it is malformed or belongs to another query.
 */
export function decodePageToken(token: string, query: unknown): string | undefined {
  if (token === "") return undefined;
  try {
    const decoded = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as {
      after?: unknown;
      query?: unknown;
    };
    if (typeof decoded.after === "string" && decoded.query === fingerprint(query)) {
      return decoded.after;
    }
  } catch {
    // Falls through to the error below.
  }
  throw rpcErrors.invalidArgument("page_token", "is malformed or belongs to another query");
}

/**
 * One page of a List RPC from rows fetched with `limit: pageSize + 1` (newest first): the
 * page itself, and the token of the next one (empty on the last page). The extra row only
 * says whether there is more.
 */
export function pageOf<Row extends { id: string }>(
  rows: readonly Row[],
  pageSize: number,
  query: unknown,
): { page: Row[]; nextPageToken: string } {
  const page = rows.slice(0, pageSize);
  const last = page.at(-1);
  return {
    page,
    nextPageToken: rows.length > pageSize && last ? encodePageToken(last.id, query) : "",
  };
}

function fingerprint(query: unknown): string {
  return createHash("sha256")
    .update(
      JSON.stringify(query, (_key, value) => (typeof value === "bigint" ? String(value) : value)),
    )
    .digest("base64url")
    .slice(0, 16);
}
