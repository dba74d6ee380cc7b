/**
 * Columns padded to their widest cell, a header row in capitals, two spaces between columns,
 * no trailing blanks: what `kubectl get` and `docker ps` print, easy to read and to grep.
 */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd();
  return `${[line(headers.map((header) => header.toUpperCase())), ...rows.map(line)].join("\n")}\n`;
}

/**
 * One object as `label  value` lines under a title, labels aligned; fields whose value is
 * undefined are left out (e.g. a failure code on a payment that did not fail).
 */
export function renderFields(
  title: string,
  fields: readonly (readonly [label: string, value: string | undefined])[],
): string {
  const shown = fields.filter(
    (field): field is readonly [string, string] => field[1] !== undefined,
  );
  const width = Math.max(0, ...shown.map(([label]) => label.length));
  return `${[title, ...shown.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`)].join("\n")}\n`;
}
