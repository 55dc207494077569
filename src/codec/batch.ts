/**
 * The packed batch encoding `UsageMeter.submitReports(bytes)` reads: each report big-endian without
 * padding, then its signature. About a third of the calldata of ABI-encoded structs, and decoded on-chain
 * with a few shifts. The layout comes from the report's field table (`PACKED_REPORT_LAYOUT`,
 * src/core/report.ts): each field in its type's width, an array as a one-byte count and its entries, so per
 * report (140 + 8n bytes):
 *
 *   orderId 8 | sequence 4 | periodStart 5 | periodEnd 5 | machineSeconds 8 | units 8 | inspections 4 |
 *   n 1 | licensedProducts 8 × n | readingsRoot 32 | r 32 | s 32 | v 1
 */
import { bytesToHex, hexToBytes, isHex, type Hex } from "viem";

import { MAX_ARRAY_ENTRIES } from "../core/message.js";
import { PACKED_REPORT_LAYOUT, type SignedReport, type UsageReport } from "../core/report.js";

/** Bytes of a packed report without its array entries (its licensed-product counts), signature included. */
export const PACKED_REPORT_BYTES = PACKED_REPORT_LAYOUT.reduce((n, { bytes, array }) => n + (array ? 1 : bytes), 65);

function fits(name: string, value: bigint | number, bytes: number): bigint {
  const big = BigInt(value);
  if (big < 0n || big >= 1n << BigInt(8 * bytes)) {
    throw new RangeError(`${name} ${value} does not fit in ${bytes} bytes; a usage report cannot carry it.`);
  }
  return big;
}

/** Writes `value` big-endian in `bytes` bytes at `at`; returns where the next field starts. */
function writeField(out: Uint8Array, at: number, value: bigint, bytes: number): number {
  for (let i = bytes - 1; i >= 0; i--, value >>= 8n) out[at + i] = Number(value & 0xffn);
  return at + bytes;
}

/** One signed report, packed. */
export function encodePackedReport({ report, signature }: SignedReport): Hex {
  if (!isHex(signature) || signature.length !== 132) {
    const got = isHex(signature) ? (signature.length - 2) / 2 : "not hex";
    throw new RangeError(`A report signature is 65 bytes (r, s, v); got ${got}. Sign with signReport.`);
  }
  const values = report as unknown as Record<string, bigint | number | Hex | readonly bigint[]>;
  let size = 65;
  for (const { key, bytes, array } of PACKED_REPORT_LAYOUT) {
    const n = array ? (values[key] as readonly bigint[]).length : 0;
    if (n > MAX_ARRAY_ENTRIES) {
      throw new RangeError(`A report counts at most ${MAX_ARRAY_ENTRIES} licences; this one has ${n}.`);
    }
    size += array ? 1 + bytes * n : bytes;
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const { key, bytes, array } of PACKED_REPORT_LAYOUT) {
    const value = values[key]!;
    if (array) {
      const entries = value as readonly bigint[];
      out[at++] = entries.length;
      entries.forEach((entry, i) => (at = writeField(out, at, fits(`${key}[${i}]`, entry, bytes), bytes)));
    } else if (typeof value === "string") {
      // Hex (the readings root).
      out.set(hexToBytes(value, { size: bytes }), at);
      at += bytes;
    } else at = writeField(out, at, fits(key, value as bigint | number, bytes), bytes);
  }
  out.set(hexToBytes(signature), at);
  // v as the contract takes it: 27 or 28 (a signature may carry the parity as 0 or 1).
  if (out[size - 1]! < 27) out[size - 1]! += 27;
  return bytesToHex(out);
}

/** Reports packed for `submitReports`, in the order given (the contract records them in that order). */
export function encodeReportBatch(reports: readonly SignedReport[]): Hex {
  return `0x${reports.map((r) => encodePackedReport(r).slice(2)).join("")}`;
}

function readField(batch: Uint8Array, at: number, bytes: number): bigint {
  let value = 0n;
  for (let i = 0; i < bytes; i++) value = (value << 8n) | BigInt(batch[at + i]!);
  return value;
}

/** The signed reports of a packed batch (for instance a `submitReports` transaction's input). */
export function decodeReportBatch(batch: Hex): SignedReport[] {
  const bytes = hexToBytes(batch);
  const reports: SignedReport[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const truncated = () => new RangeError(`The batch ends inside the report starting at byte ${offset}.`);
    if (offset + PACKED_REPORT_BYTES > bytes.length) throw truncated();
    const report: Record<string, unknown> = {};
    let at = offset;
    let extra = 0;
    for (const { key, bytes: width, array, number, hex } of PACKED_REPORT_LAYOUT) {
      if (array) {
        const n = bytes[at++]!;
        extra += width * n;
        if (offset + PACKED_REPORT_BYTES + extra > bytes.length) throw truncated();
        report[key] = Array.from({ length: n }, (_, i) => readField(bytes, at + width * i, width));
        at += width * n;
      } else {
        report[key] = hex ? bytesToHex(bytes.subarray(at, at + width)) : readField(bytes, at, width);
        if (number) report[key] = Number(report[key]);
        at += width;
      }
    }
    reports.push({ report: report as unknown as UsageReport, signature: bytesToHex(bytes.subarray(at, at + 65)) });
    offset = at + 65;
  }
  return reports;
}
