/**
 * How an INVALID_ARGUMENT message names a field inside a request, as the proto spells it and
 * in protovalidate's notation: nested fields joined by dots (`customer.email`), a repeated
 * field's item by index (`enabled_events[2]`), a map's value by its key in JSON quotes
 * (`metadata["order_ref"]`). A problem with a map's key names the map itself (`metadata`),
 * because the key is what is wrong.
 */
export const fieldPath = {
  /** `parent.child`; just `child` at the top of the request. */
  nested(parent: string, child: string): string {
    return parent === "" ? child : `${parent}.${child}`;
  },

  /** `field[index]`: one item of a repeated field. */
  item(field: string, index: number): string {
    return `${field}[${index}]`;
  },

  /**
   * `field["key"]`: the value under `key` of a map field. The key is JSON-quoted, so any
   * character in it is escaped, and cut at 40 characters so a huge key cannot bloat the
   * message (or a gRPC trailer) it is echoed in.
   */
  entry(field: string, key: string): string {
    const shown = key.length > maxKeyShown ? `${key.slice(0, maxKeyShown)}…` : key;
    return `${field}[${JSON.stringify(shown)}]`;
  },
} as const;

const maxKeyShown = 40;
