/** Plain-text tables for terminals and logs: results that people compare are tables. */

export type Align = "left" | "right";

export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  align?: Align;
}

/** Renders rows under a header line, columns padded to their widest cell. */
export function renderTable<Row>(columns: readonly Column<Row>[], rows: readonly Row[], title?: string): string {
  const cells = rows.map((row) => columns.map((column) => column.value(row)));
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...cells.map((line) => (line[i] ?? "").length)),
  );
  const pad = (text: string, i: number): string => {
    const width = widths[i] ?? 0;
    return columns[i]?.align === "right" ? text.padStart(width) : text.padEnd(width);
  };
  const line = (values: readonly string[]): string => values.map(pad).join("  ").trimEnd();
  const out: string[] = [];
  if (title !== undefined) out.push(title);
  out.push(line(columns.map((column) => column.header)));
  out.push(
    widths
      .map((width) => "-".repeat(width))
      .join("  ")
      .trimEnd(),
  );
  for (const row of cells) out.push(line(row));
  if (rows.length === 0) out.push("(none)");
  return out.join("\n");
}

/** Shortens an address or hash for tables: 0x1234…abcd. */
export function short(hex: string): string {
  return hex.length <= 14 ? hex : `${hex.slice(0, 6)}…${hex.slice(-4)}`;
}
