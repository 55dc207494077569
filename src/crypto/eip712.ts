/**
 * The one fast EIP-712 hasher of the hot paths (the gateway's reports, the payee's vouchers, the payer's usage
 * increments): keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(message)) of a message given by its field table
 * (src/core/message.ts), over buffers allocated once. Each field is written into its 32-byte word of the
 * struct encoding without going through hex; an array field is hashed into its word. The same digests as
 * viem's `hashTypedData` over the table's typed data (tests hold them equal for every message type).
 */
import { domainSeparator, stringToBytes, type Hex, type TypedDataDomain } from "viem";

import { keccak256Bytes } from "./keccak.js";
import { keyOf, MAX_ARRAY_ENTRIES, shapeOf, typeString, type Field, type MessageOf } from "../core/message.js";

const MASK_64 = (1n << 64n) - 1n;
const EMPTY_ARRAY_HASH = keccak256Bytes(new Uint8Array(0));

/**
 * Writes the `bytes`-byte hex string `hex` (0x-prefixed) into `buffer` at `offset`; a TypeError naming `what`
 * if it is not that.
 */
export function writeHex(buffer: Buffer, offset: number, hex: string, bytes: number, what: string): void {
  if (
    typeof hex !== "string" ||
    hex.length !== 2 + 2 * bytes ||
    hex.charCodeAt(0) !== 48 ||
    (hex.charCodeAt(1) | 32) !== 120 ||
    buffer.write(hex.slice(2), offset, bytes, "hex") !== bytes
  ) {
    throw new TypeError(`${what} must be 0x and ${2 * bytes} hex digits, got ${JSON.stringify(hex)}`);
  }
}

/** Writes `value` big-endian into the 32-byte word at `offset`; a RangeError naming `what` if it does not fit `bits`. */
export function writeUint(buffer: Buffer, offset: number, value: bigint | number, bits: number, what: string): void {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0 || (bits < 53 && value >= 2 ** bits)) {
      throw new RangeError(`${what} must fit ${bits} bits, got ${value}`);
    }
    if (value < 2 ** 48) {
      buffer.fill(0, offset, offset + 26);
      buffer.writeUIntBE(value, offset + 26, 6);
      return;
    }
    value = BigInt(value);
  }
  if (typeof value !== "bigint" || value < 0n || (bits < 256 && value >> BigInt(bits) !== 0n) || value >> 256n !== 0n) {
    throw new RangeError(`${what} must fit ${bits} bits, got ${String(value)}`);
  }
  if (value <= MASK_64) {
    buffer.fill(0, offset, offset + 24);
    buffer.writeBigUInt64BE(value, offset + 24);
    return;
  }
  for (let limb = 0; limb < 4; limb++) {
    buffer.writeBigUInt64BE((value >> BigInt(64 * (3 - limb))) & MASK_64, offset + 8 * limb);
  }
}

/** `bytes` as 0x-prefixed lower-case hex. */
export function hexOf(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`;
}

/** How one field goes into its word: from the message to `struct` at `offset`. */
type FieldWriter = (struct: Buffer, message: Record<string, unknown>) => void;

function fieldWriter(field: Field, offset: number, scratch: Buffer): FieldWriter {
  const key = keyOf(field);
  const { kind, bits, array } = shapeOf(field.type);
  if (!array && kind === "uint" && bits <= 64) {
    // The common widths, written without a detour: the word's upper bytes are only ever zero for such a field
    // (every write of it, fast or general, leaves them so), so only its low bytes are written.
    const max = 2 ** bits;
    return (struct, message) => {
      const value = message[key];
      if (typeof value === "number" && bits <= 48 && value >= 0 && value < max && Number.isInteger(value)) {
        struct.writeUIntBE(value, offset + 26, 6);
      } else if (typeof value === "bigint" && bits === 64 && value >= 0n && value <= MASK_64) {
        struct.writeBigUInt64BE(value, offset + 24);
      } else writeUint(struct, offset, value as bigint | number, bits, key);
    };
  }
  const write = (buffer: Buffer, at: number, value: unknown, what: string) => {
    if (kind === "uint") writeUint(buffer, at, value as bigint | number, bits, what);
    else if (kind === "address") writeHex(buffer, at + 12, value as string, 20, what);
    else writeHex(buffer, at, value as string, 32, what);
  };
  if (!array) return (struct, message) => write(struct, offset, message[key], key);
  return (struct, message) => {
    const values = message[key] as readonly unknown[];
    if (values.length === 0) {
      struct.set(EMPTY_ARRAY_HASH, offset);
      return;
    }
    if (values.length > MAX_ARRAY_ENTRIES) {
      throw new RangeError(`${key} has ${values.length} entries; at most ${MAX_ARRAY_ENTRIES}.`);
    }
    for (let i = 0; i < values.length; i++) write(scratch, 32 * i, values[i], `${key}[${i}]`);
    struct.set(keccak256Bytes(scratch.subarray(0, 32 * values.length)), offset);
  };
}

/**
 * EIP-712 digests of one message type (its field table) under one domain. `digest` returns 32 bytes that stay
 * valid until the next call; the struct encoding it hashed is readable through `copyWord` until then.
 */
export class StructHasher<Fs extends readonly Field[]> {
  readonly typeHash: Uint8Array;
  readonly #struct: Buffer;
  readonly #message = Buffer.alloc(66);
  readonly #writers: FieldWriter[];

  constructor(domain: TypedDataDomain, primaryType: string, fields: Fs) {
    this.typeHash = keccak256Bytes(stringToBytes(typeString(primaryType, fields)));
    this.#struct = Buffer.alloc(32 * (1 + fields.length));
    this.#struct.set(this.typeHash, 0);
    const scratch = fields.some((f) => f.type.endsWith("[]")) ? Buffer.alloc(32 * MAX_ARRAY_ENTRIES) : Buffer.alloc(0);
    this.#writers = fields.map((field, i) => fieldWriter(field, 32 * (i + 1), scratch));
    this.#message[0] = 0x19;
    this.#message[1] = 0x01;
    this.#message.write(domainSeparator({ domain }).slice(2), 2, 32, "hex");
  }

  /**
   * The digest of `message`, 32 bytes (valid until the next call). Throws a RangeError or TypeError naming
   * the field that does not fit its type, rather than cutting it.
   */
  digest(message: MessageOf<Fs>): Uint8Array {
    const struct = this.#struct;
    for (const write of this.#writers) write(struct, message as Record<string, unknown>);
    this.#message.set(keccak256Bytes(struct), 34);
    return keccak256Bytes(this.#message);
  }

  /** The digest as 0x-prefixed hex. */
  hex(message: MessageOf<Fs>): Hex {
    return hexOf(this.digest(message));
  }

  /**
   * Copies the last `bytes` bytes of field `index`'s word of the struct last hashed (its value, big-endian)
   * into `target` at `at`; returns `bytes`.
   */
  copyWord(index: number, bytes: number, target: Uint8Array, at: number): number {
    const end = 32 * (index + 2);
    return this.#struct.copy(target, at, end - bytes, end);
  }
}
