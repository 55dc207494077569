/**
 * Signed usage reports as JSON on the wire between device agents and the gateway: numbers that may exceed
 * 2^53 as decimal strings, hex as 0x-strings. Parsing names the field that is wrong.
 */
import type { Hex } from "viem";

import type { SignedReport, UsageReport } from "../core/report.js";

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

/** The streams of an order by KeyKind, as the gateway's paths and answers name them. */
export const STREAM_NAMES = ["device", "inspector"] as const;
export type StreamName = (typeof STREAM_NAMES)[number];

/** GET /clock: the chain's time, by which the gateway judges periods, and how far a period may end after it. */
export interface ClockJson {
  chainId: number;
  meter: string;
  /** The latest block's timestamp, Unix seconds. */
  chainTime: number;
  /** The gateway's host clock, and how far it runs ahead of the chain's (negative: behind). */
  hostTime: number;
  hostAheadSeconds: number;
  /** A period may end at most this many seconds after `chainTime`. */
  toleranceSeconds: number;
}

/**
 * GET /streams/<orderId>/<device|inspector>: where a stream stands, for a device that recovers its position
 * (a fresh or restored store) or re-issues a refused report.
 */
export interface StreamPositionJson {
  orderId: string;
  stream: StreamName;
  /** The number the stream's next report takes. */
  nextSequence: number;
  /** Where that report's period must start: the later of `recorded.periodEnd` and `held.periodEnd`. */
  periodStart: number;
  /** The meter's last recorded number and period end (the order's opening before the first). */
  recorded: { lastSequence: number; periodEnd: number };
  /** The gateway's: its highest number stored or recorded, and that report's period end. */
  held: { lastSequence: number; periodEnd: number };
  /** `nextSequence` refused for good before: a replacement must cover the same readings. */
  refused: {
    sequence: number;
    reasons: string[];
    digests: string[];
    readingsRoot: string;
    machineSeconds: string;
    units: string;
    inspections: number;
  } | null;
  open: boolean;
  openedAt: number;
  expiresAt: number;
  chainTime: number;
  toleranceSeconds: number;
}

/**
 * The gateway's refusals for good whose cure is the same readings under a corrected period: the device
 * re-issues that number (the refused report was never stored, so never submitted, and is refused ever after).
 */
export const PERIOD_REFUSALS: ReadonlySet<string> = new Set([
  "PeriodEndsBeforeStart",
  "PeriodInFuture",
  "PeriodAfterExpiry",
  "PeriodStartsBeforeOrder",
  "PeriodOverlapsPrevious",
  "MoreSecondsThanThePeriod",
  "RefusedBefore",
]);

/** Refusals that say the number names another report already, at the gateway or on chain: it is used up. */
export const NUMBER_TAKEN_REFUSALS: ReadonlySet<string> = new Set(["SequenceTaken", "AlreadyRecorded"]);

/** Not final: an earlier number of the stream has not reached the gateway yet; send again. */
export const SEQUENCE_GAP = "SequenceGap";

function field<T>(o: Record<string, unknown>, name: string, check: (v: unknown) => v is T, what: string): T {
  const value = o[name];
  if (!check(value)) throw new WireError(name, `${name} must be ${what}, got ${JSON.stringify(value)}.`);
  return value;
}
const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);
const isString = (v: unknown): v is string => typeof v === "string";
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Reads a GET /clock answer. */
export function clockFromJson(input: unknown): ClockJson {
  if (!isObject(input)) throw new WireError("clock", "The gateway's clock must be a JSON object.");
  return {
    chainId: field(input, "chainId", isInt, "a whole number"),
    meter: field(input, "meter", isString, "an address"),
    chainTime: field(input, "chainTime", isInt, "Unix seconds"),
    hostTime: field(input, "hostTime", isInt, "Unix seconds"),
    hostAheadSeconds: field(input, "hostAheadSeconds", isInt, "seconds"),
    toleranceSeconds: field(input, "toleranceSeconds", isInt, "seconds"),
  };
}

/** Reads a GET /streams/<orderId>/<kind> answer. */
export function positionFromJson(input: unknown): StreamPositionJson {
  if (!isObject(input)) throw new WireError("position", "A stream's position must be a JSON object.");
  const pair = (name: string) => {
    const o = field(input, name, isObject, "an object");
    return {
      lastSequence: field(o, "lastSequence", isInt, "a whole number"),
      periodEnd: field(o, "periodEnd", isInt, "Unix seconds"),
    };
  };
  const refused = input.refused === null ? null : field(input, "refused", isObject, "an object or null");
  const stream = field(input, "stream", isString, "device or inspector");
  if (stream !== "device" && stream !== "inspector") throw new WireError("stream", `stream ${stream} is unknown.`);
  return {
    orderId: field(input, "orderId", isString, "a decimal string"),
    stream,
    nextSequence: field(input, "nextSequence", isInt, "a whole number"),
    periodStart: field(input, "periodStart", isInt, "Unix seconds"),
    recorded: pair("recorded"),
    held: pair("held"),
    refused:
      refused === null
        ? null
        : {
            sequence: field(refused, "sequence", isInt, "a whole number"),
            reasons: field(refused, "reasons", (v): v is string[] => Array.isArray(v) && v.every(isString), "names"),
            digests: field(refused, "digests", (v): v is string[] => Array.isArray(v) && v.every(isString), "hashes"),
            readingsRoot: field(refused, "readingsRoot", isString, "a hash"),
            machineSeconds: field(refused, "machineSeconds", isString, "a decimal string"),
            units: field(refused, "units", isString, "a decimal string"),
            inspections: field(refused, "inspections", isInt, "a whole number"),
          },
    open: field(input, "open", (v): v is boolean => typeof v === "boolean", "true or false"),
    openedAt: field(input, "openedAt", isInt, "Unix seconds"),
    expiresAt: field(input, "expiresAt", isInt, "Unix seconds"),
    chainTime: field(input, "chainTime", isInt, "Unix seconds"),
    toleranceSeconds: field(input, "toleranceSeconds", isInt, "seconds"),
  };
}
