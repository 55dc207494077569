import { readFileSync } from "node:fs";

import { keccak256, type Hex } from "viem";

import { UsageError } from "../../core/errors.js";
import { referenceHash } from "../../core/references.js";
import { defineCommand } from "../command.js";
import { existingFile, text } from "../parse.js";

interface Hashed {
  input: string;
  kind: "file" | "text";
  hash: Hex;
}

/** A file argument that must exist: a name that is none is not hashed as a string by mistake. */
const file = (value: string, flag: string): string => {
  try {
    return existingFile(value, flag);
  } catch (error) {
    throw new UsageError(`There is no file ${value} to hash.`, {
      code: "file.missing",
      input: { name: "file", value },
      hint: `To hash the text itself, pass it as --text "${value}".`,
      cause: error,
    });
  }
};

export default defineCommand<{ text?: string[] }>({
  name: "hash",
  summary: "the keccak-256 that goes on chain for a document (its bytes) or a reference text",
  help: 'Examples:\n  capacity hash framework-agreement-v2.pdf\n  capacity hash --text "SEPA 2026-11-25 Feinteile Sued 0001"',
  chain: false,
  arguments: [{ name: "[files...]", description: "documents to hash (each must exist)", parse: file }],
  options: [
    { flags: "--text <text>", description: "a reference text to hash (repeatable)", parse: text, repeatable: true },
  ],
  async run(options, _context, args) {
    const files = (args[0] as string[] | undefined) ?? [];
    const texts = options.text ?? [];
    if (files.length === 0 && texts.length === 0) {
      throw new UsageError("Pass a file or a --text to hash.", {
        code: "hash.nothing",
        hint: 'e.g. capacity hash agreement.pdf, or capacity hash --text "SEPA 0001".',
      });
    }
    const hashed: Hashed[] = [
      ...files.map((input): Hashed => ({ input, kind: "file", hash: keccak256(readFileSync(input)) })),
      ...texts.map((input): Hashed => ({ input, kind: "text", hash: referenceHash(input) })),
    ];
    return { json: hashed, text: hashed.map((h) => `${h.hash}  ${h.input}`).join("\n") };
  },
});
