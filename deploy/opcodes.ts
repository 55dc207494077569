/** Reading EVM bytecode: which opcodes a contract uses, so a build can be checked against a chain's EVM. */

/** Opcodes that older PoA chains lack, by the fork that introduced them. */
export const NEWER_OPCODES = {
  PUSH0: { byte: 0x5f, fork: "shanghai" },
  MCOPY: { byte: 0x5e, fork: "cancun" },
  TLOAD: { byte: 0x5c, fork: "cancun" },
  TSTORE: { byte: 0x5d, fork: "cancun" },
} as const;
export type NewerOpcode = keyof typeof NEWER_OPCODES;

/** Strips the CBOR metadata solc appends (its length sits in the last two bytes). */
export function stripMetadata(code: Uint8Array): Uint8Array {
  if (code.length < 2) return code;
  const length = (code[code.length - 2]! << 8) | code[code.length - 1]!;
  return length + 2 <= code.length ? code.subarray(0, code.length - length - 2) : code;
}

/** Counts how often each opcode byte occurs as an instruction (PUSH data is skipped, metadata stripped). */
export function countOpcodes(hex: string): Map<number, number> {
  const code = stripMetadata(Buffer.from(hex.replace(/^0x/, ""), "hex"));
  const counts = new Map<number, number>();
  for (let pc = 0; pc < code.length; pc++) {
    const op = code[pc]!;
    counts.set(op, (counts.get(op) ?? 0) + 1);
    if (op >= 0x60 && op <= 0x7f) pc += op - 0x5f;
  }
  return counts;
}

/** The newer opcodes a bytecode uses, with how often. */
export function newerOpcodesIn(hex: string): Partial<Record<NewerOpcode, number>> {
  const counts = countOpcodes(hex);
  const found: Partial<Record<NewerOpcode, number>> = {};
  for (const [name, { byte }] of Object.entries(NEWER_OPCODES) as [NewerOpcode, { byte: number }][]) {
    const count = counts.get(byte);
    if (count !== undefined) found[name] = count;
  }
  return found;
}
