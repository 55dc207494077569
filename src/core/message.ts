/**
 * Field tables: the one definition of a signed message's shape. A table lists each field's name and Solidity
 * type, in the order of the EIP-712 type (and of the Solidity struct, where there is one); everything else
 * follows from the type, so nothing can disagree with it:
 *
 *   Solidity type   bits   TypeScript   JSON wire form
 *   uint8..uint48   N      number       a number
 *   uint56..uint256 N      bigint       a decimal string
 *   uintN[]         N      readonly []  an array of the element's form
 *   address         160    Address      0x and 40 hex digits
 *   bytes32         256    Hex          0x and 64 hex digits
 *
 * A number field may also come on the wire as a decimal string, and a bigint field as a number (exact ones
 * only). From a table come the TypeScript type (`MessageOf`), the EIP-712 types (`eip712Fields`), the JSON
 * wire form (`messageToJson`, `messageDecoder`; zod schemas in src/codec/wire-schema.ts), the packed batch
 * layout (src/codec/batch.ts) and the fast struct hasher (src/crypto/eip712.ts).
 */
import type { Address, Hex } from "viem";

/** The Solidity types a message field takes. */
export type FieldType = `uint${number}` | `uint${number}[]` | "address" | "bytes32";

export interface Field {
  /** The name in the EIP-712 type and the Solidity struct. */
  readonly name: string;
  readonly type: FieldType;
  /** The property in TypeScript and on the wire, where it differs from `name`. */
  readonly key?: string;
}

/** Whole numbers of at most this many bits are JavaScript numbers (exact up to 2^53); wider ones bigints. */
export const NUMBER_BITS = 48;

type NumberBits = "8" | "16" | "24" | "32" | "40" | "48";

/** The TypeScript value of a Solidity type. */
export type ValueOf<T extends string> = T extends `${infer E}[]`
  ? readonly ValueOf<E>[]
  : T extends `uint${NumberBits}`
    ? number
    : T extends `uint${string}`
      ? bigint
      : T extends "address"
        ? Address
        : Hex;

type KeyOf<F extends Field> = F extends { readonly key: infer K extends string } ? K : F["name"];

/** The TypeScript type of a message with the fields of `Fs`. */
export type MessageOf<Fs extends readonly Field[]> = {
  -readonly [F in Fs[number] as KeyOf<F>]: ValueOf<F["type"]>;
};

/** The property that holds `field` in TypeScript and on the wire. */
export const keyOf = (field: Field): string => field.key ?? field.name;

/** What a field holds, and how many bits of it: "uint" (as `number` or `bigint`), "address" or "bytes32". */
export interface FieldShape {
  kind: "uint" | "address" | "bytes32";
  bits: number;
  /** For a uint: whether TypeScript holds it as a number (else a bigint). */
  number: boolean;
  /** An array of such values. */
  array: boolean;
}

/** The shape of a Solidity type; throws for a type no table may use. */
export function shapeOf(type: FieldType): FieldShape {
  const array = type.endsWith("[]");
  const element = array ? type.slice(0, -2) : type;
  if (element === "address") return { kind: "address", bits: 160, number: false, array };
  if (element === "bytes32") return { kind: "bytes32", bits: 256, number: false, array };
  const bits = Number(element.slice(4));
  if (!element.startsWith("uint") || !Number.isInteger(bits) || bits < 8 || bits > 256 || bits % 8 !== 0) {
    throw new TypeError(`${type} is not a message field type: use uint8..uint256, uintN[], address or bytes32.`);
  }
  return { kind: "uint", bits, number: bits <= NUMBER_BITS, array };
}

/** The EIP-712 type's fields (name and type only, as wallets are shown them). */
export function eip712Fields<const Fs extends readonly Field[]>(
  fields: Fs,
): { readonly [I in keyof Fs]: { readonly name: Fs[I]["name"]; readonly type: Fs[I]["type"] } } {
  return fields.map(({ name, type }) => ({ name, type })) as never;
}

/** The EIP-712 type string, e.g. `Voucher(address payee,uint96 nonce,uint256 amount,bytes32 usage)`. */
export function typeString(primaryType: string, fields: readonly Field[]): string {
  return `${primaryType}(${fields.map((f) => `${f.type} ${f.name}`).join(",")})`;
}

/** The message's values in table order, under their EIP-712 names (for viem's typed data). */
export function typedMessage(fields: readonly Field[], message: object): Record<string, unknown> {
  const values = message as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const value = values[keyOf(field)];
    out[field.name] = Array.isArray(value) ? [...(value as unknown[])] : value;
  }
  return out;
}

/** The JSON wire form of a Solidity type's value. */
export type JsonOf<T extends string> = T extends `${infer E}[]`
  ? JsonOf<E>[]
  : T extends `uint${NumberBits}`
    ? number
    : string;

/** The JSON wire form of a message with the fields of `Fs`. */
export type MessageJson<Fs extends readonly Field[]> = {
  -readonly [F in Fs[number] as KeyOf<F>]: JsonOf<F["type"]>;
};

/** A message as JSON: numbers as they are, bigints as decimal strings, hex as 0x-strings. */
export function messageToJson<const Fs extends readonly Field[]>(fields: Fs, message: MessageOf<Fs>): MessageJson<Fs> {
  const values = message as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const key = keyOf(field);
    const value = values[key];
    out[key] = Array.isArray(value) ? value.map(jsonValue) : jsonValue(value);
  }
  return out as MessageJson<Fs>;
}

const jsonValue = (value: unknown): unknown => (typeof value === "bigint" ? value.toString() : value);

/** Why a message on the wire cannot be read; `field` names the input at fault. */
export class WireError extends TypeError {
  override name = "WireError";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** Most entries of an array field: the packed form counts them in one byte. */
export const MAX_ARRAY_ENTRIES = 255;

const DECIMAL = /^(0|[1-9][0-9]*)$/;
const HEX: Record<number, RegExp> = {
  20: /^0x[0-9a-fA-F]{40}$/,
  32: /^0x[0-9a-fA-F]{64}$/,
  65: /^0x[0-9a-fA-F]{130}$/,
};

/** Reads `bytes` bytes of hex (0x and 2 × `bytes` digits) for the input named `what`, lower-cased if asked. */
export function hexField(value: unknown, what: string, bytes: number, lower: boolean): Hex {
  const pattern = HEX[bytes] ?? new RegExp(`^0x[0-9a-fA-F]{${2 * bytes}}$`);
  if (typeof value !== "string" || !pattern.test(value)) {
    throw new WireError(what, `${what} must be 0x and ${2 * bytes} hex digits, got ${JSON.stringify(value)}.`);
  }
  return (lower ? value.toLowerCase() : value) as Hex;
}

function uintField(value: unknown, what: string, bits: number, max: bigint, asNumber: boolean): number | bigint {
  // The common case first: a number field sent as a number within its width.
  if (asNumber && typeof value === "number" && value >= 0 && value < 2 ** bits && Number.isInteger(value)) return value;
  let big: bigint;
  if (typeof value === "number" && Number.isSafeInteger(value)) big = BigInt(value);
  else if (typeof value === "string" && value.length <= 78 && DECIMAL.test(value)) big = BigInt(value);
  else {
    throw new WireError(
      what,
      `${what} must be a whole number (a decimal string for large values), got ${JSON.stringify(value)}.`,
    );
  }
  if (big < 0n || big > max) throw new WireError(what, `${what} ${big} does not fit ${bits} bits.`);
  return asNumber ? Number(big) : big;
}

/** Options of a message's wire form. */
export interface DecoderOptions {
  /** What the message is called in errors, e.g. "report" or "increment". */
  name: string;
  /** Put before each field's name in errors, e.g. "increment." (default none). */
  prefix?: string;
  /** Hex fields are lower-cased (default: kept as sent). */
  lowerHex?: boolean;
}

/** One field's reader, from the table. */
type FieldReader = (input: Record<string, unknown>, out: Record<string, unknown>) => void;

function fieldReader(field: Field, prefix: string, lower: boolean): FieldReader {
  const key = keyOf(field);
  const what = `${prefix}${key}`;
  const { kind, bits, number, array } = shapeOf(field.type);
  const max = (1n << BigInt(bits)) - 1n;
  if (!array && kind === "uint")
    return (input, out) => void (out[key] = uintField(input[key], what, bits, max, number));
  if (!array) return (input, out) => void (out[key] = hexField(input[key], what, bits / 8, lower));
  const one =
    kind === "uint"
      ? (value: unknown, name: string) => uintField(value, name, bits, max, number)
      : (value: unknown, name: string) => hexField(value, name, bits / 8, lower);
  return (input, out) => {
    const values = input[key];
    if (!Array.isArray(values)) {
      throw new WireError(what, `${what} must be an array (empty for none), got ${JSON.stringify(values)}.`);
    }
    if (values.length > MAX_ARRAY_ENTRIES) {
      throw new WireError(what, `${what} has ${values.length} entries; at most ${MAX_ARRAY_ENTRIES}.`);
    }
    out[key] = values.map((value, i) => one(value, `${what}[${i}]`));
  };
}

/**
 * The reader of a message's JSON wire form, from its table: each field checked against its type (its width
 * included), a WireError naming the first field at fault. Built once per table, so the hot path only reads.
 */
export function messageDecoder<const Fs extends readonly Field[]>(
  fields: Fs,
  options: DecoderOptions,
): (input: unknown) => MessageOf<Fs> {
  const readers = fields.map((field) => fieldReader(field, options.prefix ?? "", options.lowerHex === true));
  const expected = `${options.name} must be a JSON object with the fields ${fields.map(keyOf).join(", ")}.`;
  // Every message starts as a copy of this (one object shape for all, its keys in table order): filling
  // existing properties is faster than adding them one by one.
  const template: Record<string, unknown> = Object.fromEntries(fields.map((field) => [keyOf(field), undefined]));
  return (input) => {
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      throw new WireError(options.name, expected);
    }
    const out = { ...template };
    for (const read of readers) read(input as Record<string, unknown>, out);
    return out as MessageOf<Fs>;
  };
}
