/**
 * Usage reports on the gateway's hot path: the same EIP-712 digest as `reportDigest` in src/core/report.ts
 * (which viem computes from the report's typed data; tests hold them equal), computed by the one struct hasher
 * (./eip712.ts) from the report's field table, the signer recovered with libsecp256k1 (./secp256k1.ts),
 * refusing high-s twins as the meter does, and the report packed as `submitReports` reads it straight from the
 * words just hashed.
 */
import type { Address, Hex } from "viem";

import { hexOf, StructHasher } from "./eip712.js";
import { recoverAddress, SignatureError, signDigest } from "./secp256k1.js";
import {
  meterDomain,
  PACKED_REPORT_LAYOUT,
  usageReportFields,
  type MeterDomain,
  type SignedReport,
  type UsageReport,
} from "../core/report.js";

/** EIP-712 digests of usage reports for one meter deployment. */
export class ReportHasher extends StructHasher<typeof usageReportFields> {
  constructor(domain: MeterDomain) {
    super(meterDomain(domain.chainId, domain.meter), "UsageReport", usageReportFields);
  }
}

/** Recovers who signed usage reports of one meter deployment, and packs what it recovered. */
export class ReportVerifier {
  readonly #hasher: ReportHasher;
  readonly #signature = Buffer.alloc(65);
  /** The packed report last verified: at most 140 bytes plus 8 per licensed-product count. */
  readonly #packed = Buffer.alloc(140 + 8 * 255);
  #packedLength = 0;

  constructor(domain: MeterDomain) {
    this.#hasher = new ReportHasher(domain);
  }

  /**
   * The digest and the signer (lower case); throws a SignatureError for a malformed signature or the
   * high-s twin of one.
   */
  verify(signed: SignedReport): { digest: Hex; signer: Address } {
    const digest = this.#digest(signed);
    this.#pack(signed.report);
    const address = recoverAddress(digest, this.#signature);
    return { digest: hexOf(digest), signer: hexOf(address) };
  }

  #digest(signed: SignedReport): Uint8Array {
    const sig = signed.signature;
    if (typeof sig !== "string" || sig.length !== 132 || this.#signature.write(sig.slice(2), 0, 65, "hex") !== 65) {
      throw new SignatureError("a signature has 65 bytes (0x and 130 hex digits)");
    }
    return this.#hasher.digest(signed.report);
  }

  /**
   * The report last verified, packed with its signature as `submitReports` reads it (the bytes of
   * `encodePackedReport`, src/codec/batch.ts; tests hold them equal): each field's word cut to its width.
   */
  packed(): Hex {
    return hexOf(this.#packed.subarray(0, this.#packedLength));
  }

  /** `packed()` as a copy of its bytes. */
  packedBytes(): Uint8Array {
    // From Node's buffer pool: a Uint8Array of its own would allocate a backing store per report.
    const out = Buffer.allocUnsafe(this.#packedLength);
    this.#packed.copy(out, 0, 0, this.#packedLength);
    return out;
  }

  /** Packs `signed` alone (its digest is computed on the way, but no signer recovered). */
  pack(signed: SignedReport): Hex {
    this.#digest(signed);
    this.#pack(signed.report);
    return this.packed();
  }

  #pack(report: UsageReport): void {
    const out = this.#packed;
    let at = 0;
    PACKED_REPORT_LAYOUT.forEach(({ key, bytes, array }, i) => {
      if (!array) {
        at += this.#hasher.copyWord(i, bytes, out, at);
        return;
      }
      const values = report[key] as readonly bigint[];
      out[at++] = values.length;
      for (const value of values) at = out.writeBigUInt64BE(BigInt(value), at);
    });
    at += this.#signature.copy(out, at);
    this.#packedLength = at;
  }
}

/** Signs usage reports of one meter deployment with a raw private key, synchronously (libsecp256k1). */
export class ReportSigner {
  readonly #hasher: ReportHasher;
  readonly #key: Buffer;

  constructor(domain: MeterDomain, privateKey: Hex) {
    this.#hasher = new ReportHasher(domain);
    this.#key = Buffer.from(privateKey.slice(2), "hex");
    if (this.#key.length !== 32) throw new RangeError("A private key is 32 bytes (0x and 64 hex digits).");
  }

  sign(report: UsageReport): SignedReport {
    return { report, signature: hexOf(signDigest(this.#hasher.digest(report), this.#key)) };
  }
}

/**
 * The packed form `UsageMeter.submitReports` reads (the same bytes as `encodePackedReport` in
 * src/codec/batch.ts). The fields must fit their types, as a verified report's do; the signature must be 65
 * bytes with v 27 or 28.
 */
export function packReport(signed: SignedReport): Hex {
  const v = signed.signature.slice(130, 132);
  if (signed.signature.length !== 132 || (v !== "1b" && v !== "1c")) {
    throw new SignatureError("a packed report needs a 65-byte signature with v 27 or 28");
  }
  return packer(signed);
}

let packing: ReportVerifier | undefined;
function packer(signed: SignedReport): Hex {
  // The domain does not enter the packed form.
  packing ??= new ReportVerifier({ chainId: 1, meter: "0x0000000000000000000000000000000000000000" });
  return packing.pack(signed);
}
