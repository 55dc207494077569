/**
 * Invoices as documents, pure: no I/O. The meter records one Invoice per settlement period of an order
 * (covered sequence ranges, the reports hash after its last report, the period's totals); the signed reports
 * themselves live only in the inputs of the transactions that recorded them, named by the digest in each
 * ReportRecorded event. `invoiceDocument` takes what the loader gathered from the chain
 * (src/contracts/invoices.ts), proves that the reports are exactly the ones the invoice covers (their
 * digests fold from the previous invoice's reports hash to this one's), prices each line with the TypeScript
 * tariff mirror the way UsageMeter prices it and reconciles the lines with the on-chain totals
 * (src/core/invoice-lines.ts). The document's JSON is here too; its table is in src/cli/render/invoice.ts.
 */
import { concatHex, keccak256, padHex, sliceHex, type Address, type Hex } from "viem";

import { priceLines, reconcile, sumLines } from "./invoice-lines.js";
import type { Tariff } from "./tariff.js";
import type { SignedReport } from "./report.js";

/** Bytes of an order's reports hash (the top 96 bits of its meter word). */
export const REPORTS_HASH_BYTES = 12;
/** The reports hash of an order before its first report. */
export const ZERO_REPORTS_HASH: Hex = `0x${"00".repeat(REPORTS_HASH_BYTES)}`;

export type ReportKind = "device" | "inspector";
export type InvoiceStatus = "pending" | "settled" | "settled, part held back";

export interface InvoiceHeader {
  chainId: number;
  meter: Address;
  orderId: bigint;
  invoiceNumber: number;
  machineId: bigint;
  /** Member ids. */
  consumer: bigint;
  provider: bigint;
  payer: Address;
  tariffVersion: number;
  /** The order's platform fee, in basis points of the provider's part. */
  feeBps: number;
  disputeWindow: number;
  /** Unix seconds; `settledAt` is 0 while pending. */
  issuedAt: number;
  settledAt: number;
  status: InvoiceStatus;
  /** The covered sequence ranges (`first > last`: none of that kind). */
  deviceSequences: { first: number; last: number };
  inspectorSequences: { first: number; last: number };
  previousReportsHash: Hex;
  reportsHash: Hex;
}

/** One covered report, priced. Amounts in token base units (1e-6 EUR). */
export interface InvoiceLine {
  kind: ReportKind;
  sequence: number;
  periodStart: number;
  periodEnd: number;
  machineSeconds: bigint;
  units: bigint;
  /** Per licence of the tariff, in its order (empty: none counted). */
  licensedProducts: bigint[];
  inspections: number;
  digest: Hex;
  transactionHash: Hex;
  /** The price components, on top of the order's totals before the report (as the meter prices them). */
  machineTime: bigint;
  production: bigint;
  inspectionsPrice: bigint;
  setupFee: bigint;
  royalty: bigint;
  /** Sum of the components and the royalty. */
  price: bigint;
  /** What the meter recorded (below `price` when the escrow ran out or a spending cap applied). */
  charge: bigint;
  /** Of `charge`, the licensors' part (royalties are booked first) and the rest split between platform and provider. */
  royaltyCharged: bigint;
  platformFee: bigint;
  providerNet: bigint;
}

/** A row of the totals: amounts per column. */
export interface InvoiceAmounts {
  charged: bigint;
  royalties: bigint;
  platformFee: bigint;
  providerNet: bigint;
  heldBack: bigint;
}

export interface InvoiceAdjustment extends InvoiceAmounts {
  item: string;
}

export interface InvoiceTotals {
  /** Sums of the lines. */
  lines: InvoiceAmounts;
  /** What makes the lines add up to the on-chain record (minimum charge, disputes, fee rounding). */
  adjustments: InvoiceAdjustment[];
  /** The meter's Invoice record. */
  onChain: InvoiceAmounts;
  machineSeconds: bigint;
  units: bigint;
}

export interface InvoiceDocument {
  header: InvoiceHeader;
  lines: InvoiceLine[];
  totals: InvoiceTotals;
}

/** The reports found on-chain do not match what the invoice records. */
export class InvoiceVerificationError extends Error {
  override name = "InvoiceVerificationError";
}

/* ---------------------------------------------------------------- the reports hash */

/** Folds digests into a reports hash the way the meter does: h' = bytes12(keccak256(h left-aligned in 32 bytes ‖ digest)). */
export function foldReportsHash(previous: Hex, digests: readonly Hex[]): Hex {
  let hash = padHex(previous, { size: REPORTS_HASH_BYTES });
  for (const digest of digests) {
    hash = sliceHex(keccak256(concatHex([padHex(hash, { size: 32, dir: "right" }), digest])), 0, REPORTS_HASH_BYTES);
  }
  return hash;
}

/**
 * The reports hash after `digests`, folded from `previous`; with `expected`, throws an
 * InvoiceVerificationError naming both hashes if they differ.
 */
export function verifyReportsHash(previous: Hex, digests: readonly Hex[], expected?: Hex): Hex {
  const folded = foldReportsHash(previous, digests);
  if (expected !== undefined && folded.toLowerCase() !== expected.toLowerCase()) {
    throw new InvoiceVerificationError(
      `Folding ${digests.length} report digest(s) over ${previous} gives reports hash ${folded}, ` +
        `but ${expected} was expected: the reports or their order differ from what the meter recorded, ` +
        "or the starting hash is not the previous invoice's.",
    );
  }
  return folded;
}

/* ---------------------------------------------------------------- the document */

/** The meter's record of an order, as far as its invoices need it (UsageMeter.getOrder). */
export interface OrderRecord {
  machineId: bigint;
  tariffVersion: number;
  payer: Address;
  consumer: bigint;
  provider: bigint;
  feeBps: number;
  disputeWindow: number;
}

/** The meter's record of one invoice (UsageMeter.invoiceOf). */
export interface InvoiceRecord {
  issuedAt: number;
  settledAt: number;
  firstDeviceSequence: number;
  lastDeviceSequence: number;
  firstInspectorSequence: number;
  lastInspectorSequence: number;
  reportsHash: Hex;
  machineSeconds: number;
  units: number;
  charged: bigint;
  royalties: bigint;
  platformFee: bigint;
  providerNet: bigint;
  heldBack: bigint;
}

/** A report the meter recorded for the order, recovered from the transaction that recorded it. */
export interface RecordedReport {
  signed: SignedReport;
  kind: ReportKind;
  digest: Hex;
  charge: bigint;
  transactionHash: Hex;
}

/** Everything an invoice document is made of, as read from the chain. */
export interface InvoiceSources {
  chainId: number;
  meter: Address;
  orderId: bigint;
  number: number;
  order: OrderRecord;
  invoice: InvoiceRecord;
  /** The previous invoice's reports hash (ZERO_REPORTS_HASH for the first). */
  previousReportsHash: Hex;
  /** The tariff version the order booked, and the royalties locked when it opened. */
  tariff: Tariff;
  royalties: readonly bigint[];
  /** Every report recorded for the order up to the invoice, in recording order: lines price on top of earlier ones. */
  recorded: readonly RecordedReport[];
  /** The block the invoice was issued in, for messages. */
  issuedInBlock: bigint;
}

/**
 * The invoice as a document: checks that the recorded reports the invoice covers are as many as its sequence
 * ranges say and fold to its reports hash (else an InvoiceVerificationError), then prices them line by line
 * and reconciles the lines with the on-chain totals.
 */
export function invoiceDocument(sources: InvoiceSources): InvoiceDocument {
  const { order, invoice, recorded } = sources;
  const covers = coverage(invoice);
  checkCovered(sources, recorded.filter(covers));
  const lines = priceLines(sources.tariff, sources.royalties, order.feeBps, recorded).filter((_, i) =>
    covers(recorded[i]!),
  );
  const settledAt = invoice.settledAt;
  const header: InvoiceHeader = {
    chainId: sources.chainId,
    meter: sources.meter,
    orderId: sources.orderId,
    invoiceNumber: sources.number,
    machineId: order.machineId,
    consumer: order.consumer,
    provider: order.provider,
    payer: order.payer,
    tariffVersion: order.tariffVersion,
    feeBps: order.feeBps,
    disputeWindow: order.disputeWindow,
    issuedAt: invoice.issuedAt,
    settledAt,
    status: settledAt === 0 ? "pending" : invoice.heldBack > 0n ? "settled, part held back" : "settled",
    deviceSequences: { first: invoice.firstDeviceSequence, last: invoice.lastDeviceSequence },
    inspectorSequences: { first: invoice.firstInspectorSequence, last: invoice.lastInspectorSequence },
    previousReportsHash: sources.previousReportsHash,
    reportsHash: invoice.reportsHash,
  };
  const onChain: InvoiceAmounts = {
    charged: invoice.charged,
    royalties: invoice.royalties,
    platformFee: invoice.platformFee,
    providerNet: invoice.providerNet,
    heldBack: invoice.heldBack,
  };
  const totals: InvoiceTotals = {
    lines: sumLines(lines),
    adjustments: reconcile(lines, onChain, settledAt !== 0),
    onChain,
    machineSeconds: BigInt(invoice.machineSeconds),
    units: BigInt(invoice.units),
  };
  return { header, lines, totals };
}

/** Whether the invoice covers a report: its sequence lies in the invoice's range for its kind. */
function coverage(invoice: InvoiceRecord): (report: RecordedReport) => boolean {
  return ({ kind, signed: { report } }) =>
    kind === "device"
      ? report.sequence >= invoice.firstDeviceSequence && report.sequence <= invoice.lastDeviceSequence
      : report.sequence >= invoice.firstInspectorSequence && report.sequence <= invoice.lastInspectorSequence;
}

/** The covered reports are as many as the ranges say, and their digests fold to the invoice's reports hash. */
function checkCovered(sources: InvoiceSources, covered: readonly RecordedReport[]): void {
  const { invoice } = sources;
  const what = `invoice ${sources.number} of order ${sources.orderId}`;
  const expectedCount =
    Math.max(0, invoice.lastDeviceSequence - invoice.firstDeviceSequence + 1) +
    Math.max(0, invoice.lastInspectorSequence - invoice.firstInspectorSequence + 1);
  if (covered.length !== expectedCount) {
    throw new InvoiceVerificationError(
      `${what} covers ${expectedCount} report(s) (device ${invoice.firstDeviceSequence}..${invoice.lastDeviceSequence}, ` +
        `inspector ${invoice.firstInspectorSequence}..${invoice.lastInspectorSequence}), but ${covered.length} were found ` +
        `in the logs up to block ${sources.issuedInBlock}.`,
    );
  }
  try {
    verifyReportsHash(
      sources.previousReportsHash,
      covered.map((r) => r.digest),
      invoice.reportsHash,
    );
  } catch (error) {
    if (!(error instanceof InvoiceVerificationError)) throw error;
    throw new InvoiceVerificationError(`${what}: ${error.message}`, { cause: error });
  }
}

/* ---------------------------------------------------------------- JSON */

/** Bigints as decimal strings, keys sorted at every level: the same document always gives the same text. */
export function renderInvoiceJson(doc: InvoiceDocument): string {
  return `${JSON.stringify(sortKeys(doc), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

const BIGINT_FIELDS = new Set([
  "orderId",
  "machineId",
  "consumer",
  "provider",
  "machineSeconds",
  "units",
  "licensedProducts",
  "machineTime",
  "production",
  "inspectionsPrice",
  "setupFee",
  "royalty",
  "price",
  "charge",
  "royaltyCharged",
  "platformFee",
  "providerNet",
  "charged",
  "royalties",
  "heldBack",
]);

/** Reads back what renderInvoiceJson wrote. */
export function parseInvoiceJson(text: string): InvoiceDocument {
  return JSON.parse(text, (key, value: unknown) => {
    if (!BIGINT_FIELDS.has(key)) return value;
    if (typeof value === "string") return BigInt(value);
    if (Array.isArray(value)) return value.map((item) => BigInt(item as string));
    return value;
  }) as InvoiceDocument;
}
