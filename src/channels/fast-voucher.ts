/**
 * Vouchers on the payment hot path: the same EIP-712 digest as `voucherDigest` in ./voucher.ts (which viem
 * computes from the shared type definition, and a test holds the two equal), computed with two keccaks
 * over preallocated buffers, and signatures made and recovered with libsecp256k1. A payee verifies a
 * voucher in about the time of one public-key recovery; a payer signs one in a fraction of that.
 */
import { domainSeparator, keccak256, toHex, type Address, type Hex } from "viem";

import { channelsDomain, voucherTypes } from "../sdk/typed-data.js";
import { keccak256Bytes } from "./keccak.js";
import { recoverAddress, signDigest } from "./secp256k1.js";
import type { ChannelsDomain, Voucher } from "./voucher.js";

const VOUCHER_TYPEHASH = Buffer.from(
  keccak256(new TextEncoder().encode(`Voucher(${voucherTypes.Voucher.map((f) => `${f.type} ${f.name}`).join(",")})`)).slice(2),
  "hex",
);

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

/** Writes `value` big-endian into the 32-byte word at `offset`. */
function writeUint(buffer: Buffer, offset: number, value: bigint, what: string): void {
  if (value < 0n || value >= 1n << 256n) throw new RangeError(`${what} must fit 256 bits, got ${value}`);
  buffer.write(value.toString(16).padStart(64, "0"), offset, 32, "hex");
}

/** EIP-712 digests of vouchers of one channels deployment, computed without allocating per voucher. */
export class VoucherHasher {
  readonly #struct = Buffer.alloc(5 * 32);
  readonly #message = Buffer.alloc(66);

  constructor(domain: ChannelsDomain) {
    VOUCHER_TYPEHASH.copy(this.#struct, 0);
    this.#message[0] = 0x19;
    this.#message[1] = 0x01;
    const separator = domainSeparator({ domain: channelsDomain(domain.chainId, domain.channels) });
    bytes(separator, 32, "domain separator").copy(this.#message, 2);
  }

  /** keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(voucher)), as 32 bytes. */
  digest(voucher: Voucher): Uint8Array {
    const struct = this.#struct;
    writeHex(struct, 44, voucher.payee, 20, "payee");
    writeUint(struct, 64, voucher.nonce, "nonce");
    writeUint(struct, 96, voucher.amount, "amount");
    writeHex(struct, 128, voucher.usage, 32, "usage");
    this.#message.set(keccak256Bytes(struct), 34);
    return keccak256Bytes(this.#message);
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
