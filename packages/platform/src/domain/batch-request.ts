import { Code, ConnectError } from "@connectrpc/connect";
import { fieldPath } from "./field-path.js";
import { rpcErrors } from "./rpc-errors.js";

/** The most items a batch RPC (`RecordPayments`, `MarkOrdersPaid`) takes in one call. */
export const maxBatchItems = 100;

/**
 * Runs a batch RPC's items, each through the single RPC's own operation (`one`, given the
 * transaction as its database), in ONE transaction and in order: all or nothing, one commit for
 * the lot. The batch must hold 1 to {@link maxBatchItems} items (INVALID_ARGUMENT naming
 * `field` otherwise); an item's error rolls everything back and is answered with its code, an
 * INVALID_ARGUMENT naming the item's field inside the batch (`payments[2].amount: …`).
 */
export async function eachInOneTransaction<Db, Item, Result>(
  db: { transaction<T>(run: (tx: Db) => Promise<T>): Promise<T> },
  field: string,
  items: readonly Item[],
  one: (tx: Db, item: Item) => Promise<Result>,
): Promise<Result[]> {
  if (items.length === 0 || items.length > maxBatchItems) {
    throw rpcErrors.invalidArgument(field, `must hold 1 to ${maxBatchItems} items`);
  }
  return db.transaction(async (tx) => {
    const results: Result[] = [];
    for (const [index, item] of items.entries()) {
      try {
        results.push(await one(tx, item));
      } catch (error) {
        throw namedItem(error, fieldPath.item(field, index));
      }
    }
    return results;
  });
}

/** An item's INVALID_ARGUMENT, its field named inside the batch; any other error as it is. */
function namedItem(error: unknown, item: string): unknown {
  if (!(error instanceof ConnectError) || error.code !== Code.InvalidArgument) return error;
  return new ConnectError(fieldPath.nested(item, error.rawMessage), Code.InvalidArgument);
}
