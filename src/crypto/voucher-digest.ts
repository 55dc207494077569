/**
 * Vouchers and usage increments on the payment hot path: the same EIP-712 digests as `voucherDigest` in
 * src/core/voucher.ts and `usageDigest` in src/core/increment.ts (which viem computes from the same field
 * tables; tests hold them equal), computed by the one struct hasher (./eip712.ts) over buffers allocated once,
 * and signatures made and recovered with libsecp256k1. A payee verifies a voucher in about the time of one
 * public-key recovery; a payer signs one in a fraction of that.
 */
import type { Address, Hex } from "viem";

import { hexOf, StructHasher, writeHex } from "./eip712.js";
import { recoverAddress, signDigest } from "./secp256k1.js";
import { usageIncrementFields } from "../core/increment.js";
import { channelsDomain, voucherFields, type ChannelsDomain, type Voucher } from "../core/voucher.js";

/** EIP-712 digests of vouchers of one channels deployment, computed without allocating per voucher. */
export class VoucherHasher extends StructHasher<typeof voucherFields> {
  constructor(domain: ChannelsDomain) {
    super(channelsDomain(domain.chainId, domain.channels), "Voucher", voucherFields);
  }
}

/** EIP-712 digests of usage increments of one channels deployment (what devices sign, vouchers name). */
export class UsageHasher extends StructHasher<typeof usageIncrementFields> {
  constructor(domain: ChannelsDomain) {
    super(channelsDomain(domain.chainId, domain.channels), "ChannelUsage", usageIncrementFields);
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
    return hexOf(recoverAddress(this.#hasher.digest(voucher), this.#signature));
  }
}

/** Signs vouchers of one channels deployment with a payer's raw private key. */
export class VoucherSigner {
  readonly #hasher: VoucherHasher;
  readonly #key = Buffer.alloc(32);

  constructor(domain: ChannelsDomain, privateKey: Hex) {
    this.#hasher = new VoucherHasher(domain);
    writeHex(this.#key, 0, privateKey, 32, "private key");
  }

  /** The payer's 65-byte signature of `voucher`. */
  sign(voucher: Voucher): Hex {
    return hexOf(signDigest(this.#hasher.digest(voucher), this.#key));
  }
}
