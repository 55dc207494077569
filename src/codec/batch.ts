/**
 * The packed batch encoding `UsageMeter.submitReports(bytes)` reads: each report big-endian without
 * padding, then its signature. About a third of the calldata of ABI-encoded structs, and decoded on-chain
 * with a few shifts. Layout per report (140 + 8n bytes):
 *
 *   orderId 8 | sequence 4 | periodStart 5 | periodEnd 5 | machineSeconds 8 | units 8 | inspections 4 |
 *   n 1 | licensedProducts 8 × n | readingsRoot 32 | r 32 | s 32 | v 1
 */
import { concatHex, hexToBigInt, hexToNumber, numberToHex, parseSignature, sliceHex, size, type Hex } from "viem";

import type { SignedReport, UsageReport } from "../core/report.js";

const FIELDS: readonly { name: string; bytes: number }[] = [
  { name: "orderId", bytes: 8 },
  { name: "sequence", bytes: 4 },
  { name: "periodStart", bytes: 5 },
  { name: "periodEnd", bytes: 5 },
  { name: "machineSeconds", bytes: 8 },
  { name: "units", bytes: 8 },
  { name: "inspections", bytes: 4 },
];
/** Bytes of a packed report without its licensed-product counts. */
export const PACKED_REPORT_BYTES = 140;
const MAX_LICENSED = 255;

function field(name: string, value: bigint | number, bytes: number): Hex {
  const big = BigInt(value);
  if (big < 0n || big >= 1n << BigInt(8 * bytes)) {
    throw new RangeError(`${name} ${value} does not fit in ${bytes} bytes; a usage report cannot carry it.`);
  }
  return numberToHex(big, { size: bytes });
}

/** One signed report, packed. */
export function encodePackedReport({ report, signature }: SignedReport): Hex {
  if (report.licensedProducts.length > MAX_LICENSED) {
    throw new RangeError(
      `A report counts at most ${MAX_LICENSED} licences; this one has ${report.licensedProducts.length}.`,
    );
  }
  if (size(signature) !== 65) {
    throw new RangeError(`A report signature is 65 bytes (r, s, v); got ${size(signature)}. Sign with signReport.`);
  }
  const values = report as unknown as Record<string, bigint | number>;
  const { r, s, v, yParity } = parseSignature(signature);
  return concatHex([
    ...FIELDS.map(({ name, bytes }) => field(name, values[name]!, bytes)),
    field("licensed-product count", report.licensedProducts.length, 1),
    ...report.licensedProducts.map((count, i) => field(`licensedProducts[${i}]`, count, 8)),
    report.readingsRoot,
    r,
    s,
    numberToHex(v ?? BigInt(27 + yParity), { size: 1 }),
  ]);
}

/** Reports packed for `submitReports`, in the order given (the contract records them in that order). */
export function encodeReportBatch(reports: readonly SignedReport[]): Hex {
  return concatHex(reports.map(encodePackedReport));
}

/** The signed reports of a packed batch (for instance a `submitReports` transaction's input). */
export function decodeReportBatch(batch: Hex): SignedReport[] {
  const reports: SignedReport[] = [];
  const length = size(batch);
  let offset = 0;
  while (offset < length) {
    if (offset + PACKED_REPORT_BYTES > length) {
      throw new RangeError(`The batch ends inside the report starting at byte ${offset}.`);
    }
    const values: Record<string, bigint> = {};
    let at = offset;
    for (const { name, bytes } of FIELDS) {
      values[name] = hexToBigInt(sliceHex(batch, at, at + bytes));
      at += bytes;
    }
    const n = hexToNumber(sliceHex(batch, at, at + 1));
    at += 1;
    if (offset + PACKED_REPORT_BYTES + 8 * n > length) {
      throw new RangeError(`The batch ends inside the report starting at byte ${offset}.`);
    }
    const licensedProducts: bigint[] = [];
    for (let i = 0; i < n; i++, at += 8) licensedProducts.push(hexToBigInt(sliceHex(batch, at, at + 8)));
    const readingsRoot = sliceHex(batch, at, at + 32);
    const signature = sliceHex(batch, at + 32, at + 97);
    const report: UsageReport = {
      orderId: values.orderId!,
      sequence: Number(values.sequence),
      periodStart: Number(values.periodStart),
      periodEnd: Number(values.periodEnd),
      machineSeconds: values.machineSeconds!,
      units: values.units!,
      inspections: Number(values.inspections),
      licensedProducts,
      readingsRoot,
    };
    reports.push({ report, signature });
    offset = at + 97;
  }
  return reports;
}
