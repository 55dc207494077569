/** Mutants of a contract from SuMo's raw mutations: duplicates and no-ops dropped, each with a stable id. */
import { createHash } from "node:crypto";

import type { Mutant, RawMutation } from "./types.js";

/** The text of the source lines that hold source[start, end), whitespace collapsed. */
function lineText(source: string, start: number, end: number): string {
  const from = source.lastIndexOf("\n", start - 1) + 1;
  const next = source.indexOf("\n", end);
  const to = next === -1 ? source.length : next;
  return source.slice(from, to).replace(/\s+/g, " ").trim();
}

/** The source line(s) a mutation is on, whitespace collapsed. */
export function codeAt(source: string, mutation: Pick<RawMutation, "start" | "end">): string {
  return lineText(source, mutation.start, mutation.end).slice(0, 240);
}

/** The source with one mutation applied. */
export function applyMutation(source: string, mutation: Pick<RawMutation, "start" | "end" | "replacement">): string {
  return source.slice(0, mutation.start) + mutation.replacement + source.slice(mutation.end);
}

/**
 * The id of a mutant: a hash of the contract, the operator, the original and mutated text and the line they
 * sit on (not its number, nor byte offsets), plus how many identical mutants come before it in the file. An
 * edit elsewhere in the contract keeps the id, so a verdict given to it carries over to the next run.
 */
function mutantId(contract: string, mutation: RawMutation, context: string, occurrence: number): string {
  const key = [contract, mutation.operator, context, mutation.original, mutation.replacement, occurrence].join(
    "\u0000",
  );
  return `m${createHash("sha256").update(key).digest("hex").slice(0, 10)}`;
}

/** The mutants of one contract file, in source order. */
export function mutantsOf(contract: string, file: string, source: string, raw: readonly RawMutation[]): Mutant[] {
  const seen = new Set<string>();
  const occurrences = new Map<string, number>();
  const ordered = [...raw].sort((a, b) => a.start - b.start || a.end - b.end || a.operator.localeCompare(b.operator));
  const out: Mutant[] = [];
  for (const mutation of ordered) {
    if (mutation.replacement === mutation.original) continue;
    const where = `${mutation.start}:${mutation.end}:${mutation.replacement}`;
    if (seen.has(where)) continue;
    seen.add(where);
    const context = lineText(source, mutation.start, mutation.end);
    const key = [mutation.operator, context, mutation.original, mutation.replacement].join("\u0000");
    const occurrence = occurrences.get(key) ?? 0;
    occurrences.set(key, occurrence + 1);
    out.push({ ...mutation, id: mutantId(contract, mutation, context, occurrence), contract, file });
  }
  return out;
}
