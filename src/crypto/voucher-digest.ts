/**
 * Vouchers and usage increments on the payment hot path: the same EIP-712 digests as `voucherDigest` in
 * ./voucher.ts and `usageDigest` in ./usage.ts (which viem computes from the shared type definitions, and
 * tests hold them equal), computed with two keccaks over preallocated buffers, and signatures made and
 * recovered with libsecp256k1. A payee verifies a voucher in about the time of one public-key recovery; a
 * payer signs one in a fraction of that.
 */
import { domainSeparator, keccak256, toHex, type Address, type Hex } from "viem";

import { channelsDomain, channelUsageTypes, voucherTypes } from "../core/typed-data.js";
import { keccak256Bytes } from "./keccak.js";
import { recoverAddress, signDigest } from "./secp256k1.js";
import type { UsageIncrement } from "../core/increment.js";
import type { ChannelsDomain, Voucher } from "../core/voucher.js";

/** keccak256 of an EIP-712 type string such as `Voucher(address payee,uint96 nonce,...)`. */
function typeHash(name: string, fields: readonly { name: string; type: string }[]): Buffer {
  const encoded = `${name}(${fields.map((f) => `${f.type} ${f.name}`).join(",")})`;
  return Buffer.from(keccak256(new TextEncoder().encode(encoded)).slice(2), "hex");
}

const VOUCHER_TYPEHASH = typeHash("Voucher", voucherTypes.Voucher);
const USAGE_TYPEHASH = typeHash("ChannelUsage", channelUsageTypes.ChannelUsage);

function bytes(hex: string, size: number, what: string): Buffer {
  const out = Buffer.alloc(size);
  writeHex(out, 0, hex, size, what);
  return out;
}

/** Writes the `size`-byte hex string `hex` (0x-prefixed) into `buffer` at `offset`. */
function writeHex(buffer: Buffer, offset: number, hex: string, size: number, what: string): void {
  if (hex.length !== 2 + 2 * size || hex.charCodeAt(0) !== 48 || (hex.charCodeAt(1) | 32) !== 120) {
    throw new TypeError(`${what} must be 0x and ${2 * size} hex digits, got ${JSON.stringify(hex)}`);
  }
  if (buffer.write(hex.slice(2), offset, size, "hex") !== size) {
    throw new TypeError(`${what} is not hex: ${JSON.stringify(hex)}`);
  }
}

/** Writes `value` big-endian into the 32-byte word at `offset`; it must fit `bits` bits. */
function writeUint(buffer: Buffer, offset: number, value: bigint, what: string, bits = 256): void {
  if (value < 0n || value >= 1n << BigInt(bits)) throw new RangeError(`${what} must fit ${bits} bits, got ${value}`);
  buffer.write(value.toString(16).padStart(64, "0"), offset, 32, "hex");
}

/**
 * The EIP-712 digest keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(message)) of one struct type under the
 * channels deployment's domain, over buffers allocated once: subclasses write the fields into `struct`.
 */
abstract class StructHasher<T> {
  protected readonly struct: Buffer;
  readonly #message = Buffer.alloc(66);

  constructor(domain: ChannelsDomain, typehash: Buffer, fields: number) {
    this.struct = Buffer.alloc((1 + fields) * 32);
    typehash.copy(this.struct, 0);
    this.#message[0] = 0x19;
    this.#message[1] = 0x01;
    const separator = domainSeparator({ domain: channelsDomain(domain.chainId, domain.channels) });
    bytes(separator, 32, "domain separator").copy(this.#message, 2);
  }

  protected abstract write(message: T): void;

  /** The digest, as 32 bytes (valid until the next call). */
  digest(message: T): Uint8Array {
    this.write(message);
    this.#message.set(keccak256Bytes(this.struct), 34);
    return keccak256Bytes(this.#message);
  }
}

/** EIP-712 digests of vouchers of one channels deployment, computed without allocating per voucher. */
export class VoucherHasher extends StructHasher<Voucher> {
  constructor(domain: ChannelsDomain) {
    super(domain, VOUCHER_TYPEHASH, 4);
  }

  protected write(voucher: Voucher): void {
    writeHex(this.struct, 44, voucher.payee, 20, "payee");
    writeUint(this.struct, 64, voucher.nonce, "nonce", 96);
    writeUint(this.struct, 96, voucher.amount, "amount");
    writeHex(this.struct, 128, voucher.usage, 32, "usage");
  }
}

/** EIP-712 digests of usage increments of one channels deployment (what devices sign, vouchers name). */
export class UsageHasher extends StructHasher<UsageIncrement> {
  constructor(domain: ChannelsDomain) {
    super(domain, USAGE_TYPEHASH, 7);
  }

  protected write(increment: UsageIncrement): void {
    writeHex(this.struct, 32, increment.channelId, 32, "channelId");
    writeUint(this.struct, 64, BigInt(increment.sequence), "sequence", 32);
    writeUint(this.struct, 96, BigInt(increment.periodStart), "periodStart", 40);
    writeUint(this.struct, 128, BigInt(increment.periodEnd), "periodEnd", 40);
    writeUint(this.struct, 160, increment.machineSeconds, "machineSeconds", 64);
    writeUint(this.struct, 192, increment.units, "units", 64);
    writeHex(this.struct, 224, increment.readingsRoot, 32, "readingsRoot");
  }

  /** The digest as 0x-prefixed hex. */
  hex(increment: UsageIncrement): Hex {
    return toHex(this.digest(increment));
  }
}

/** Recovers who signed vouchers of one channels deployment. */
export class VoucherVerifier {
  readonly #hasher: VoucherHasher;
  readonly #signature = Buffer.alloc(65);

  constructor(domain: ChannelsDomain) {
    this.#hasher = new VoucherHasher(domain);
  }

  /**
   * The address (lower case) that signed `voucher`; throws a SignatureError if the signature is malformed
   * or the high-s twin of one. Whether that address is the channel's payer is the caller's to check.
   */
  signer(voucher: Voucher, signature: Hex): Address {
    writeHex(this.#signature, 0, signature, 65, "signature");
    const address = recoverAddress(this.#hasher.digest(voucher), this.#signature);
    return `0x${Buffer.from(address.buffer, address.byteOffset, 20).toString("hex")}`;
  }
}

/** Signs vouchers of one channels deployment with a payer's raw private key. */
export class VoucherSigner {
  readonly #hasher: VoucherHasher;
  readonly #key: Buffer;

  constructor(domain: ChannelsDomain, privateKey: Hex) {
    this.#hasher = new VoucherHasher(domain);
    this.#key = bytes(privateKey, 32, "private key");
  }

  /** The payer's 65-byte signature of `voucher`. */
  sign(voucher: Voucher): Hex {
    return toHex(signDigest(this.#hasher.digest(voucher), this.#key));
  }
}
