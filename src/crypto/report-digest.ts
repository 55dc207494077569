/**
 * Usage reports on the gateway's hot path: the same EIP-712 digest as `reportDigest` in
 * src/core/report.ts (which viem computes from the shared type definition; tests hold them equal),
 * computed with native keccaks over buffers allocated once, and the signer recovered with libsecp256k1
 * (src/crypto/secp256k1.ts), refusing high-s twins as the meter does.
 */
import { domainSeparator, keccak256, stringToBytes, type Address, type Hex } from "viem";

import { keccak256Bytes } from "./keccak.js";
import { recoverAddress, SignatureError, signDigest } from "./secp256k1.js";
import type { MeterDomain, SignedReport, UsageReport } from "../core/report.js";
import { meterDomain, usageReportTypes } from "../core/typed-data.js";

const TYPE = `UsageReport(${usageReportTypes.UsageReport.map((f) => `${f.type} ${f.name}`).join(",")})`;
const TYPEHASH = Buffer.from(keccak256(stringToBytes(TYPE)).slice(2), "hex");
const EMPTY = keccak256Bytes(new Uint8Array(0));

function writeUint(buffer: Buffer, offset: number, value: bigint | number): void {
  buffer.write(BigInt(value).toString(16).padStart(64, "0"), offset, 32, "hex");
}

/** EIP-712 digests of usage reports for one meter deployment. */
export class ReportHasher {
  readonly #struct = Buffer.alloc(10 * 32);
  readonly #message = Buffer.alloc(66);

  constructor(domain: MeterDomain) {
    TYPEHASH.copy(this.#struct, 0);
    this.#message[0] = 0x19;
    this.#message[1] = 0x01;
    const separator = domainSeparator({ domain: meterDomain(domain.chainId, domain.meter) });
    this.#message.write(separator.slice(2), 2, 32, "hex");
  }

  /** The digest as 32 bytes (valid until the next call). The report's fields must fit their types. */
  digest(report: UsageReport): Uint8Array {
    const s = this.#struct;
    writeUint(s, 32, report.orderId);
    writeUint(s, 64, report.sequence);
    writeUint(s, 96, report.periodStart);
    writeUint(s, 128, report.periodEnd);
    writeUint(s, 160, report.machineSeconds);
    writeUint(s, 192, report.units);
    writeUint(s, 224, report.inspections);
    const n = report.licensedProducts.length;
    if (n === 0) s.set(EMPTY, 256);
    else {
      const words = Buffer.alloc(32 * n);
      report.licensedProducts.forEach((count, i) => writeUint(words, 32 * i, count));
      s.set(keccak256Bytes(words), 256);
    }
    s.write(report.readingsRoot.slice(2), 288, 32, "hex");
    this.#message.set(keccak256Bytes(s), 34);
    return keccak256Bytes(this.#message);
  }

  hex(report: UsageReport): Hex {
    return `0x${Buffer.from(this.digest(report)).toString("hex")}`;
  }
}

/** Recovers who signed usage reports of one meter deployment. */
export class ReportVerifier {
  readonly #hasher: ReportHasher;
  readonly #signature = Buffer.alloc(65);

  constructor(domain: MeterDomain) {
    this.#hasher = new ReportHasher(domain);
  }

  /**
   * The digest and the signer (lower case); throws a SignatureError for a malformed signature or the
   * high-s twin of one.
   */
  verify(signed: SignedReport): { digest: Hex; signer: Address } {
    const sig = signed.signature;
    if (sig.length !== 132 || this.#signature.write(sig.slice(2), 0, 65, "hex") !== 65) {
      throw new SignatureError("a signature has 65 bytes (0x and 130 hex digits)");
    }
    const digest = this.#hasher.digest(signed.report);
    const digestHex = `0x${Buffer.from(digest).toString("hex")}` as Hex;
    const address = recoverAddress(digest, this.#signature);
    return { digest: digestHex, signer: `0x${Buffer.from(address).toString("hex")}` };
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
    const signature = signDigest(this.#hasher.digest(report), this.#key);
    return { report, signature: `0x${Buffer.from(signature).toString("hex")}` };
  }
}

const hexOf = (value: bigint | number, bytes: number): string => value.toString(16).padStart(2 * bytes, "0");

/**
 * The packed form `UsageMeter.submitReports` reads (the same bytes as `encodePackedReport` in
 * src/codec/batch.ts, which tests hold equal), built as one hex string. The fields must fit their types,
 * as a verified report's do; the signature must be 65 bytes with v 27 or 28.
 */
export function packReport({ report, signature }: SignedReport): Hex {
  const v = signature.slice(130, 132);
  if (signature.length !== 132 || (v !== "1b" && v !== "1c")) {
    throw new SignatureError("a packed report needs a 65-byte signature with v 27 or 28");
  }
  let out = "0x";
  out += hexOf(report.orderId, 8);
  out += hexOf(report.sequence, 4);
  out += hexOf(report.periodStart, 5);
  out += hexOf(report.periodEnd, 5);
  out += hexOf(report.machineSeconds, 8);
  out += hexOf(report.units, 8);
  out += hexOf(report.inspections, 4);
  out += hexOf(report.licensedProducts.length, 1);
  for (const count of report.licensedProducts) out += hexOf(count, 8);
  out += report.readingsRoot.slice(2);
  out += signature.slice(2);
  return out.toLowerCase() as Hex;
}
