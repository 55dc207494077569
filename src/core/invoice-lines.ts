/**
 * The lines of an invoice (src/core/invoice.ts), pure: each recorded report priced as UsageMeter prices it, the
 * sums of the lines, and the adjustments between those sums and the meter's totals for the invoice.
 */
import type { InvoiceAdjustment, InvoiceAmounts, InvoiceLine, RecordedReport } from "./invoice.js";
import { price, type Tariff, type Usage } from "./tariff.js";

const BPS = 10_000n;

/**
 * Prices every recorded report of the order in recording order, as UsageMeter does: machine time and units
 * on top of the order's totals before the report (time rounds once over the order, units climb the tiers),
 * inspections linearly, the setup fee with the first report that counts anything, royalties per product.
 */
export function priceLines(
  tariff: Tariff,
  royalties: readonly bigint[],
  feeBps: number,
  recorded: readonly RecordedReport[],
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

export function sumLines(lines: readonly InvoiceLine[]): InvoiceAmounts {
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
export function reconcile(
  lines: readonly InvoiceLine[],
  onChain: InvoiceAmounts,
  settled: boolean,
): InvoiceAdjustment[] {
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
