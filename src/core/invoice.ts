/**
 * Invoices as documents. The meter records one Invoice per settlement period of an order (covered
 * sequence ranges, the reports hash after its last report, the period's totals); the signed reports
 * themselves live only in the inputs of the transactions that recorded them, named by the digest in each
 * ReportRecorded event. `loadInvoice` gathers them, proves that they are exactly the reports the invoice
 * covers (their digests fold from the previous invoice's reports hash to this one's), prices each line
 * with the TypeScript tariff mirror (src/core/tariff.ts) the way UsageMeter prices it, and reconciles
 * the lines with the on-chain totals.
 */
import {
  concatHex,
  decodeFunctionData,
  keccak256,
  padHex,
  sliceHex,
  type Address,
  type Hex,
  type PublicClient,
} from "viem";

import { KeyKind } from "./listing.js";
import { price, type Tariff, type Usage } from "./tariff.js";
import { renderTable } from "../cli/table.js";
import { machineRegistryAbi, usageMeterAbi } from "../generated/abis.js";
import { contractEvents } from "../chain/events.js";
import { formatEuro } from "./money.js";
import { decodeReportBatch } from "../codec/batch.js";
import { reportDigest, reportSigner, type MeterDomain, type SignedReport } from "./report.js";

/** Bytes of an order's reports hash (the top 96 bits of its meter word). */
export const REPORTS_HASH_BYTES = 12;
/** The reports hash of an order before its first report. */
export const ZERO_REPORTS_HASH: Hex = `0x${"00".repeat(REPORTS_HASH_BYTES)}`;
const BPS = 10_000n;

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

/* ---------------------------------------------------------------- loading */

export interface LoadInvoiceOptions {
  /** The MachineRegistry the meter uses (the meter does not expose it): tariff, royalties and key kinds. */
  registry: Address;
  /** A block at or before the order's opening (default: the first block); bounds the log queries. */
  fromBlock?: bigint;
}

interface Recorded {
  signed: SignedReport;
  kind: ReportKind;
  digest: Hex;
  charge: bigint;
  transactionHash: Hex;
}

/**
 * Reads invoice `number` of `orderId`, recovers the signed reports it covers from the transactions that
 * recorded them, checks them against the invoice's reports hash and prices them line by line.
 */
export async function loadInvoice(
  client: PublicClient,
  meterAddress: Address,
  orderId: bigint,
  number: number,
  options: LoadInvoiceOptions,
): Promise<InvoiceDocument> {
  const what = `invoice ${number} of order ${orderId}`;
  const read = { address: meterAddress, abi: usageMeterAbi } as const;
  const order = await client.readContract({ ...read, functionName: "getOrder", args: [orderId] });
  if (order.status === 0) throw new Error(`No order ${orderId} on the meter at ${meterAddress}; check the order id.`);
  if (number < 1 || number > order.invoiceCount) {
    throw new Error(`Order ${orderId} has ${order.invoiceCount} invoice(s), numbered from 1; there is no ${what}.`);
  }
  const invoice = await client.readContract({ ...read, functionName: "invoiceOf", args: [orderId, number] });
  const previousReportsHash =
    number === 1
      ? ZERO_REPORTS_HASH
      : (await client.readContract({ ...read, functionName: "invoiceOf", args: [orderId, number - 1] })).reportsHash;

  const fromBlock = options.fromBlock ?? 0n;
  const [opened] = await contractEvents(client, {
    ...read,
    eventName: "OrderOpened",
    args: { orderId },
    fromBlock,
  });
  const [issued] = await contractEvents(client, {
    ...read,
    eventName: "InvoiceIssued",
    args: { orderId, number },
    fromBlock,
  });
  if (opened === undefined || issued === undefined) {
    throw new Error(
      `The events of ${what} are not in the logs from block ${fromBlock}: query a node that keeps them, from a block before the order opened.`,
    );
  }
  const registry = { address: options.registry, abi: machineRegistryAbi } as const;
  const tariff: Tariff = await client.readContract({
    ...registry,
    functionName: "tariffOf",
    args: [order.machineId, order.tariffVersion],
  });
  // Royalties were locked at opening; the registry's booking terms at that block are what the order got.
  const booked = await client.readContract({
    ...registry,
    functionName: "bookingTerms",
    args: [order.machineId],
    blockNumber: opened.blockNumber,
  });
  if (booked.tariffVersion !== order.tariffVersion) {
    throw new Error(
      `Order ${orderId} was booked under tariff v${order.tariffVersion}, but the registry at ${options.registry} ` +
        `offered v${booked.tariffVersion} at the opening block; is this the meter's registry?`,
    );
  }

  const domain: MeterDomain = { chainId: await client.getChainId(), meter: meterAddress };
  const logs = await contractEvents(client, {
    ...read,
    eventName: "ReportRecorded",
    args: { orderId },
    fromBlock: opened.blockNumber,
    toBlock: issued.blockNumber,
  });
  const signedReport = recordedReportFinder(client, domain);
  const kinds = new Map<Address, ReportKind>();
  const recorded: Recorded[] = [];
  for (const log of logs) {
    const { digest, charge } = log.args;
    if (digest === undefined || charge === undefined) continue;
    const signed = await signedReport(log.transactionHash, digest, orderId);
    const signer = await reportSigner(domain, signed);
    let kind = kinds.get(signer);
    if (kind === undefined) {
      const key = await client.readContract({ ...registry, functionName: "signerKey", args: [signer] });
      if (key.machineId !== order.machineId) {
        throw new InvoiceVerificationError(
          `Report ${digest} was signed by ${signer}, which the registry does not hold as a key of machine ${order.machineId}.`,
        );
      }
      kind = key.kind === KeyKind.Inspector ? "inspector" : "device";
      kinds.set(signer, kind);
    }
    recorded.push({ signed, kind, digest, charge, transactionHash: log.transactionHash });
  }

  const covers = (r: Recorded): boolean => {
    const sequence = r.signed.report.sequence;
    return r.kind === "device"
      ? sequence >= invoice.firstDeviceSequence && sequence <= invoice.lastDeviceSequence
      : sequence >= invoice.firstInspectorSequence && sequence <= invoice.lastInspectorSequence;
  };
  const covered = recorded.filter(covers);
  const expectedCount =
    Math.max(0, invoice.lastDeviceSequence - invoice.firstDeviceSequence + 1) +
    Math.max(0, invoice.lastInspectorSequence - invoice.firstInspectorSequence + 1);
  if (covered.length !== expectedCount) {
    throw new InvoiceVerificationError(
      `${what} covers ${expectedCount} report(s) (device ${invoice.firstDeviceSequence}..${invoice.lastDeviceSequence}, ` +
        `inspector ${invoice.firstInspectorSequence}..${invoice.lastInspectorSequence}), but ${covered.length} were found ` +
        `in the logs up to block ${issued.blockNumber}.`,
    );
  }
  try {
    verifyReportsHash(
      previousReportsHash,
      covered.map((r) => r.digest),
      invoice.reportsHash,
    );
  } catch (error) {
    if (!(error instanceof InvoiceVerificationError)) throw error;
    throw new InvoiceVerificationError(`${what}: ${error.message}`, { cause: error });
  }

  const lines = priceLines(tariff, booked.royalties, order.feeBps, recorded).filter((_, i) => covers(recorded[i]!));
  const settledAt = invoice.settledAt;
  const header: InvoiceHeader = {
    chainId: domain.chainId,
    meter: meterAddress,
    orderId,
    invoiceNumber: number,
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
    previousReportsHash,
    reportsHash: invoice.reportsHash,
  };
  const onChain: InvoiceAmounts = {
    charged: invoice.charged,
    royalties: invoice.royalties,
    platformFee: invoice.platformFee,
    providerNet: invoice.providerNet,
    heldBack: invoice.heldBack,
  };
  return {
    header,
    lines,
    totals: {
      lines: sumLines(lines),
      adjustments: reconcile(lines, onChain, settledAt !== 0),
      onChain,
      machineSeconds: BigInt(invoice.machineSeconds),
      units: BigInt(invoice.units),
    },
  };
}

/**
 * Finds the signed report a ReportRecorded event names (by its transaction and digest) in the input of the
 * transaction that recorded it; reads each transaction once.
 */
export function recordedReportFinder(
  client: PublicClient,
  domain: MeterDomain,
): (transactionHash: Hex, digest: Hex, orderId: bigint) => Promise<SignedReport> {
  const inputs = new Map<Hex, Map<Hex, SignedReport>>();
  return async (transactionHash, digest, orderId) => {
    let byDigest = inputs.get(transactionHash);
    if (byDigest === undefined) {
      byDigest = await reportsOfTransaction(client, domain, transactionHash);
      inputs.set(transactionHash, byDigest);
    }
    const signed = byDigest.get(digest);
    if (signed === undefined) {
      throw new InvoiceVerificationError(
        `Transaction ${transactionHash} recorded report ${digest} of order ${orderId}, but its input holds no ` +
          "report with that digest (was it relayed through another contract?).",
      );
    }
    return signed;
  };
}

/** The reports in a recording transaction's input (a `submitReports` or `submitReport` call), by digest. */
async function reportsOfTransaction(
  client: PublicClient,
  domain: MeterDomain,
  hash: Hex,
): Promise<Map<Hex, SignedReport>> {
  const tx = await client.getTransaction({ hash });
  if (tx.to?.toLowerCase() !== domain.meter.toLowerCase()) {
    throw new InvoiceVerificationError(
      `Transaction ${hash} recorded reports but was sent to ${tx.to}, not the meter; reports relayed through ` +
        "another contract cannot be read from the transaction input.",
    );
  }
  const call = decodeFunctionData({ abi: usageMeterAbi, data: tx.input });
  let reports: SignedReport[];
  if (call.functionName === "submitReports") {
    reports = decodeReportBatch(call.args[0]);
  } else if (call.functionName === "submitReport") {
    const [report, signature] = call.args;
    reports = [{ report: { ...report, licensedProducts: [...report.licensedProducts] }, signature }];
  } else {
    throw new InvoiceVerificationError(`Transaction ${hash} calls ${call.functionName}, which records no reports.`);
  }
  return new Map(reports.map((signed) => [reportDigest(domain, signed.report), signed]));
}

/**
 * Prices every recorded report of the order in recording order, as UsageMeter does: machine time and units
 * on top of the order's totals before the report (time rounds once over the order, units climb the tiers),
 * inspections linearly, the setup fee with the first report that counts anything, royalties per product.
 */
function priceLines(
  tariff: Tariff,
  royalties: readonly bigint[],
  feeBps: number,
  recorded: readonly Recorded[],
): InvoiceLine[] {
  const cumulative = (machineSeconds: bigint, units: bigint): Usage => ({
    machineSeconds,
    units,
    inspections: 0,
    licensedProducts: [],
  });
  let seconds = 0n;
  let units = 0n;
  let used = false;
  return recorded.map(({ signed: { report }, kind, digest, charge, transactionHash }) => {
    const before = price(tariff, royalties, cumulative(seconds, units));
    seconds += report.machineSeconds;
    units += report.units;
    const after = price(tariff, royalties, cumulative(seconds, units));
    const own = price(tariff, royalties, {
      machineSeconds: 0n,
      units: 0n,
      inspections: report.inspections,
      licensedProducts: report.licensedProducts,
    });
    const counts =
      report.machineSeconds !== 0n ||
      report.units !== 0n ||
      report.inspections !== 0 ||
      report.licensedProducts.some((count) => count !== 0n);
    const setupFee = counts && !used ? tariff.setupFee : 0n;
    used ||= counts;
    const machineTime = after.machineTime - before.machineTime;
    const production = after.production - before.production;
    const royalty = own.royaltyTotal;
    const royaltyCharged = royalty < charge ? royalty : charge;
    const providerPart = charge - royaltyCharged;
    const platformFee = (providerPart * BigInt(feeBps)) / BPS;
    return {
      kind,
      sequence: report.sequence,
      periodStart: report.periodStart,
      periodEnd: report.periodEnd,
      machineSeconds: report.machineSeconds,
      units: report.units,
      licensedProducts: [...report.licensedProducts],
      inspections: report.inspections,
      digest,
      transactionHash,
      machineTime,
      production,
      inspectionsPrice: own.inspections,
      setupFee,
      royalty,
      price: machineTime + production + own.inspections + setupFee + royalty,
      charge,
      royaltyCharged,
      platformFee,
      providerNet: providerPart - platformFee,
    };
  });
}

function sumLines(lines: readonly InvoiceLine[]): InvoiceAmounts {
  const sum = (pick: (line: InvoiceLine) => bigint) => lines.reduce((total, line) => total + pick(line), 0n);
  return {
    charged: sum((line) => line.charge),
    royalties: sum((line) => line.royaltyCharged),
    platformFee: sum((line) => line.platformFee),
    providerNet: sum((line) => line.providerNet),
    heldBack: 0n,
  };
}

const ZERO: InvoiceAmounts = { charged: 0n, royalties: 0n, platformFee: 0n, providerNet: 0n, heldBack: 0n };
const COLUMNS = ["charged", "royalties", "platformFee", "providerNet", "heldBack"] as const;

/**
 * The rows between the sum of the lines and the on-chain totals: the minimum charge topped up at closing,
 * charges not yet credited (pending), what disputes hold back, refunded or released, and the platform fee
 * rounded once on the invoice instead of per line. Whatever is left is shown as "other difference".
 */
function reconcile(lines: readonly InvoiceLine[], onChain: InvoiceAmounts, settled: boolean): InvoiceAdjustment[] {
  const sums = sumLines(lines);
  const rows: InvoiceAdjustment[] = [];
  const add = (item: string, amounts: Partial<InvoiceAmounts>): void => {
    const row = { item, ...ZERO, ...amounts };
    if (COLUMNS.some((column) => row[column] !== 0n)) rows.push(row);
  };
  const topUp = onChain.charged - sums.charged;
  add(topUp >= 0n ? "minimum charge top-up at closing" : "charged below the lines", {
    charged: topUp,
    providerNet: topUp,
  });
  const royaltyGap = onChain.royalties - sums.royalties;
  add("royalties differ from the lines", { royalties: royaltyGap, providerNet: -royaltyGap });
  const providerPart = sums.platformFee + sums.providerNet + topUp - royaltyGap;
  if (!settled) {
    add("not credited yet (dispute window running)", {
      platformFee: -sums.platformFee,
      providerNet: -(providerPart - sums.platformFee),
    });
  } else {
    add("held back by open disputes", { providerNet: -onChain.heldBack, heldBack: onChain.heldBack });
    const paid = onChain.providerNet + onChain.platformFee;
    const disputes = paid + onChain.heldBack - providerPart;
    add(disputes < 0n ? "refunded to the consumer (disputes)" : "released from earlier disputes", {
      providerNet: disputes,
    });
    add("platform fee on the invoice total (rounding, disputes)", {
      platformFee: onChain.platformFee - sums.platformFee,
      providerNet: -(onChain.platformFee - sums.platformFee),
    });
  }
  const reached = { ...sums };
  for (const row of rows) for (const column of COLUMNS) reached[column] += row[column];
  const rest = Object.fromEntries(COLUMNS.map((column) => [column, onChain[column] - reached[column]]));
  add("other difference", rest);
  return rows;
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

/* ---------------------------------------------------------------- table */

const dateTime = (seconds: number): string =>
  seconds === 0 ? "-" : `${new Date(seconds * 1000).toISOString().slice(0, 19).replace("T", " ")} UTC`;
const clock = (seconds: number): string => new Date(seconds * 1000).toISOString().slice(11, 19);
const range = ({ first, last }: { first: number; last: number }): string =>
  first > last ? "none" : first === last ? `${first}` : `${first}-${last}`;

/** The invoice as plain text: header, one row per report, the totals and the adjustments, in EUR. */
export function renderInvoiceTable(doc: InvoiceDocument): string {
  const { header, lines, totals } = doc;
  const out: string[] = [];
  out.push(`Invoice ${header.invoiceNumber} of order ${header.orderId} (${header.status})`);
  const facts: [string, string][] = [
    ["machine", `${header.machineId}, tariff v${header.tariffVersion}`],
    ["consumer", `member ${header.consumer} (payer ${header.payer})`],
    ["provider", `member ${header.provider}`],
    ["platform fee", `${(header.feeBps / 100).toFixed(2)} % of the provider's part`],
    ["issued", dateTime(header.issuedAt)],
    [
      "settled",
      header.settledAt === 0 ? `pending (dispute window ${header.disputeWindow} s)` : dateTime(header.settledAt),
    ],
    ["device reports", range(header.deviceSequences)],
    ["inspector reports", range(header.inspectorSequences)],
    ["reports hash", `${header.previousReportsHash} -> ${header.reportsHash} (verified)`],
  ];
  const width = Math.max(...facts.map(([label]) => label.length));
  for (const [label, value] of facts) out.push(`  ${label.padEnd(width)}  ${value}`);
  out.push("");
  const euro = (amount: bigint): string => formatEuro(amount);
  out.push(
    renderTable(
      [
        { header: "kind", value: (l: InvoiceLine) => l.kind },
        { header: "seq", value: (l) => `${l.sequence}`, align: "right" },
        { header: "period (UTC)", value: (l) => `${dateTime(l.periodStart).slice(0, 19)}-${clock(l.periodEnd)}` },
        { header: "seconds", value: (l) => `${l.machineSeconds}`, align: "right" },
        { header: "units", value: (l) => `${l.units}`, align: "right" },
        { header: "licensed", value: (l) => l.licensedProducts.join("/") || "-", align: "right" },
        { header: "insp.", value: (l) => `${l.inspections}`, align: "right" },
        { header: "time", value: (l) => euro(l.machineTime), align: "right" },
        { header: "units EUR", value: (l) => euro(l.production), align: "right" },
        { header: "insp. EUR", value: (l) => euro(l.inspectionsPrice), align: "right" },
        { header: "setup", value: (l) => euro(l.setupFee), align: "right" },
        { header: "royalty", value: (l) => euro(l.royalty), align: "right" },
        { header: "charge", value: (l) => euro(l.charge) + (l.charge < l.price ? "*" : ""), align: "right" },
        { header: "fee", value: (l) => euro(l.platformFee), align: "right" },
        { header: "provider net", value: (l) => euro(l.providerNet), align: "right" },
      ],
      lines,
      "Lines (EUR)",
    ),
  );
  if (lines.some((line) => line.charge < line.price)) {
    out.push("  * charged below its price: the escrow ran out or a spending cap applied");
  }
  out.push("");
  const rows: InvoiceAdjustment[] = [
    { item: "sum of the lines", ...totals.lines },
    ...totals.adjustments,
    { item: "invoice total (on-chain)", ...totals.onChain },
  ];
  out.push(
    renderTable(
      [
        { header: "", value: (r: InvoiceAdjustment) => r.item },
        { header: "charged", value: (r) => euro(r.charged), align: "right" },
        { header: "royalties", value: (r) => euro(r.royalties), align: "right" },
        { header: "platform fee", value: (r) => euro(r.platformFee), align: "right" },
        { header: "provider net", value: (r) => euro(r.providerNet), align: "right" },
        { header: "held back", value: (r) => euro(r.heldBack), align: "right" },
      ],
      rows,
      `Totals (EUR): ${totals.machineSeconds} machine seconds, ${totals.units} units`,
    ),
  );
  return out.join("\n");
}
