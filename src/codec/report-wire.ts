/**
 * Signed usage reports as JSON on the wire between device agents and the gateway: numbers that may exceed
 * 2^53 as decimal strings, hex as 0x-strings. Parsing names the field that is wrong.
 */
import { z } from "zod";

import { hexField, messageDecoder, messageToJson, type MessageJson } from "../core/message.js";
import { usageReportFields, type SignedReport } from "../core/report.js";
import { hexSchema, messageSchema, parseWire } from "./wire-schema.js";

export { WireError } from "../core/message.js";

/** A signed report on the wire: the report's fields (src/core/report.ts) and its signature. */
export type ReportJson = MessageJson<typeof usageReportFields> & { signature: string };

export function reportToJson({ report, signature }: SignedReport): ReportJson {
  return { ...messageToJson(usageReportFields, report), signature };
}

const readReport = messageDecoder(usageReportFields, { name: "report", lowerHex: true });

/**
 * Reads one signed report from parsed JSON with the decoder derived from the report's field table (hex
 * lower-cased): the gateway's hot path. `signedReportSchema` is the same rule as a zod schema.
 */
export function reportFromJson(input: unknown): SignedReport {
  const report = readReport(input);
  return { report, signature: hexField((input as Record<string, unknown>).signature, "signature", 65, true) };
}

/** A signed report on the wire as a zod schema (the rules of `reportFromJson`, which tests hold equal). */
export const signedReportSchema: z.ZodType<SignedReport> = z
  .object({ signature: hexSchema(65, true) })
  .and(messageSchema(usageReportFields, { lowerHex: true }))
  .transform(({ signature, ...report }) => ({ report, signature }));

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

const int = z.number().int();
const seconds = int;

const clockSchema = z.object({
  chainId: int,
  meter: z.string(),
  chainTime: seconds,
  hostTime: seconds,
  hostAheadSeconds: seconds,
  toleranceSeconds: seconds,
});

const pairSchema = z.object({ lastSequence: int, periodEnd: seconds });

const positionSchema = z.object({
  orderId: z.string(),
  stream: z.enum(STREAM_NAMES),
  nextSequence: int,
  periodStart: seconds,
  recorded: pairSchema,
  held: pairSchema,
  refused: z
    .object({
      sequence: int,
      reasons: z.array(z.string()),
      digests: z.array(z.string()),
      readingsRoot: z.string(),
      machineSeconds: z.string(),
      units: z.string(),
      inspections: int,
    })
    .nullable(),
  open: z.boolean(),
  openedAt: seconds,
  expiresAt: seconds,
  chainTime: seconds,
  toleranceSeconds: seconds,
}) satisfies z.ZodType<StreamPositionJson>;

/** Reads a GET /clock answer. */
export function clockFromJson(input: unknown): ClockJson {
  return parseWire(clockSchema, input, "clock");
}

/** Reads a GET /streams/<orderId>/<kind> answer. */
export function positionFromJson(input: unknown): StreamPositionJson {
  return parseWire(positionSchema, input, "position");
}
