/**
 * JSON with bigints: the one replacer every JSON writer of the project uses (answers, command output, log
 * lines, documents), so a bigint always goes out as its decimal string and never throws "Do not know how to
 * serialize a BigInt". Readers take such strings back where their schema says a field is a bigint
 * (src/core/message.ts, src/codec/wire-schema.ts).
 */

/** The `JSON.stringify` replacer that writes bigints as decimal strings. */
export function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

/** `JSON.stringify(value)` with bigints as decimal strings, indented by `space` if given. */
export function toJson(value: unknown, space?: number): string {
  return JSON.stringify(value, bigintReplacer, space);
}
