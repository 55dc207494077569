/**
 * Signed usage reports as JSON on the wire between device agents and the gateway: numbers that may exceed
 * 2^53 as decimal strings, hex as 0x-strings. Parsing names the field that is wrong.
 */
import type { Hex } from "viem";

import type { SignedReport, UsageReport } from "../metering/report.js";

export interface ReportJson {
  orderId: string;
  sequence: number;
  periodStart: number;
  periodEnd: number;
  machineSeconds: string;
  units: string;
  inspections: number;
  licensedProducts: string[];
  readingsRoot: string;
  signature: string;
}

/** Why a report on the wire cannot be read; `field` names the input at fault. */
export class WireError extends Error {
  override name = "WireError";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export function reportToJson({ report, signature }: SignedReport): ReportJson {
  return {
    orderId: report.orderId.toString(),
    sequence: report.sequence,
    periodStart: report.periodStart,
    periodEnd: report.periodEnd,
    machineSeconds: report.machineSeconds.toString(),
    units: report.units.toString(),
    inspections: report.inspections,
    licensedProducts: report.licensedProducts.map(String),
    readingsRoot: report.readingsRoot,
    signature,
  };
}

const DECIMAL = /^(0|[1-9][0-9]{0,19})$/;
const U64 = (1n << 64n) - 1n;

function uint(value: unknown, field: string, bits: number): bigint {
  let big: bigint;
  if (typeof value === "number" && Number.isSafeInteger(value)) big = BigInt(value);
  else if (typeof value === "string" && DECIMAL.test(value)) big = BigInt(value);
  else
    throw new WireError(
      field,
      `${field} must be a whole number (a decimal string for large values), got ${JSON.stringify(value)}.`,
    );
  if (big < 0n || big > (bits === 64 ? U64 : (1n << BigInt(bits)) - 1n)) {
    throw new WireError(field, `${field} ${big} does not fit ${bits} bits.`);
  }
  return big;
}

function hex(value: unknown, field: string, bytes: number): Hex {
  if (typeof value !== "string" || value.length !== 2 + 2 * bytes || !/^0x[0-9a-fA-F]*$/.test(value)) {
    throw new WireError(field, `${field} must be 0x and ${2 * bytes} hex digits, got ${JSON.stringify(value)}.`);
  }
  return value.toLowerCase() as Hex;
}

/** Reads one signed report from parsed JSON. */
export function reportFromJson(input: unknown): SignedReport {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new WireError(
      "report",
      "A report must be a JSON object with the fields of a usage report and its signature.",
    );
  }
  const o = input as Record<string, unknown>;
  const licensed = o.licensedProducts;
  if (!Array.isArray(licensed)) {
    throw new WireError(
      "licensedProducts",
      "licensedProducts must be an array (empty when the tariff names no licence).",
    );
  }
  if (licensed.length > 255)
    throw new WireError("licensedProducts", `licensedProducts has ${licensed.length} entries; at most 255.`);
  const report: UsageReport = {
    orderId: uint(o.orderId, "orderId", 64),
    sequence: Number(uint(o.sequence, "sequence", 32)),
    periodStart: Number(uint(o.periodStart, "periodStart", 40)),
    periodEnd: Number(uint(o.periodEnd, "periodEnd", 40)),
    machineSeconds: uint(o.machineSeconds, "machineSeconds", 64),
    units: uint(o.units, "units", 64),
    inspections: Number(uint(o.inspections, "inspections", 32)),
    licensedProducts: licensed.map((v, i) => uint(v, `licensedProducts[${i}]`, 64)),
    readingsRoot: hex(o.readingsRoot, "readingsRoot", 32),
  };
  return { report, signature: hex(o.signature, "signature", 65) };
}
