/**
 * Tariff arithmetic off-chain: the exact mirror of contracts/libraries/TariffMath.sol, plus the
 * line-by-line breakdown a quote shows. `price` returns what the contract's `quote` returns, to the
 * base unit (the tests fuzz the two against each other); read TariffMath's NatSpec for the rules,
 * their bounds and their rounding.
 */
import { formatEuro } from "./money.js";

export interface UnitTier {
  threshold: bigint;
  pricePerUnit: bigint;
}

/** A tariff version as the registry stores it (the shape viem decodes `tariffOf` into). */
export interface Tariff {
  /** Per machine hour, metered by the second. */
  pricePerHour: bigint;
  pricePerUnit: bigint;
  pricePerInspection: bigint;
  setupFee: bigint;
  minimumCharge: bigint;
  tiers: readonly UnitTier[];
  licenseIds: readonly number[];
}

export interface Usage {
  machineSeconds: bigint;
  units: bigint;
  inspections: number;
  /** Per licence of the tariff, in its order; empty = none. */
  licensedProducts: readonly bigint[];
}

export interface Charge {
  setupFee: bigint;
  machineTime: bigint;
  production: bigint;
  inspections: bigint;
  minimumTopUp: bigint;
  royalties: bigint[];
  royaltyTotal: bigint;
  total: bigint;
}

/** Machine time is priced per hour and metered per second. */
export const SECONDS_PER_HOUR = 3600n;
const UINT32_MAX = 2n ** 32n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const UINT96_MAX = 2n ** 96n - 1n;

function checkRange(name: string, value: bigint, max: bigint): void {
  if (value < 0n || value > max) {
    throw new RangeError(`${name} is ${value}, outside 0..${max}; the contracts cannot take it.`);
  }
}

function checkTariff(tariff: Tariff): void {
  for (const key of ["pricePerHour", "pricePerUnit", "pricePerInspection", "setupFee", "minimumCharge"] as const) {
    checkRange(`tariff.${key}`, tariff[key], UINT96_MAX);
  }
  let previous = 0n;
  tariff.tiers.forEach((tier, i) => {
    checkRange(`tariff.tiers[${i}].threshold`, tier.threshold, UINT64_MAX);
    checkRange(`tariff.tiers[${i}].pricePerUnit`, tier.pricePerUnit, UINT96_MAX);
    if (tier.threshold <= previous) {
      throw new RangeError(`tariff.tiers[${i}].threshold must be above ${previous} (thresholds rise strictly).`);
    }
    previous = tier.threshold;
  });
}

function checkUsage(usage: Usage, licenses: number): void {
  checkRange("usage.machineSeconds", usage.machineSeconds, UINT64_MAX);
  checkRange("usage.units", usage.units, UINT64_MAX);
  if (!Number.isInteger(usage.inspections)) {
    throw new RangeError(`usage.inspections is ${usage.inspections}; count whole inspections.`);
  }
  checkRange("usage.inspections", BigInt(usage.inspections), UINT32_MAX);
  usage.licensedProducts.forEach((count, i) => checkRange(`usage.licensedProducts[${i}]`, count, UINT64_MAX));
  const counted = usage.licensedProducts.length;
  if (counted !== 0 && counted !== licenses) {
    throw new RangeError(
      `usage counts licensed products for ${counted} licences, but the tariff names ${licenses}; ` +
        "give one count per licence of the tariff, in its order (or none).",
    );
  }
}

/** Units priced in each band: the base price up to the first threshold, then each tier's price. */
export interface ProductionBand {
  from: bigint;
  to: bigint;
  units: bigint;
  pricePerUnit: bigint;
  amount: bigint;
}

export function productionBands(basePrice: bigint, tiers: readonly UnitTier[], units: bigint): ProductionBand[] {
  const bounds = [0n, ...tiers.map((tier) => tier.threshold)];
  const prices = [basePrice, ...tiers.map((tier) => tier.pricePerUnit)];
  const bands: ProductionBand[] = [];
  for (let i = 0; i < bounds.length; i++) {
    const from = bounds[i]!;
    if (units <= from) break;
    const next = bounds[i + 1];
    const to = next !== undefined && next < units ? next : units;
    const count = to - from;
    if (count > 0n) bands.push({ from, to, units: count, pricePerUnit: prices[i]!, amount: count * prices[i]! });
  }
  return bands;
}

/** Whether `usage` counts anything; an order without usage pays nothing, not even its setup fee. */
export function isUsed(usage: Usage): boolean {
  return (
    usage.machineSeconds !== 0n ||
    usage.units !== 0n ||
    usage.inspections !== 0 ||
    usage.licensedProducts.some((count) => count !== 0n)
  );
}

/** The price of `usage` under `tariff`, with `royalties[i]` per product of licence `tariff.licenseIds[i]`. */
export function price(tariff: Tariff, royalties: readonly bigint[], usage: Usage): Charge {
  checkTariff(tariff);
  const licenses = tariff.licenseIds.length;
  if (royalties.length !== licenses) {
    throw new RangeError(`${royalties.length} royalties given for a tariff that names ${licenses} licences.`);
  }
  royalties.forEach((royalty, i) => checkRange(`royalties[${i}]`, royalty, UINT96_MAX));
  checkUsage(usage, licenses);

  const royaltyLines = royalties.map((royalty, i) => (usage.licensedProducts[i] ?? 0n) * royalty);
  const royaltyTotal = royaltyLines.reduce((sum, line) => sum + line, 0n);
  const used = isUsed(usage);
  const charge: Charge = {
    setupFee: 0n,
    machineTime: 0n,
    production: 0n,
    inspections: 0n,
    minimumTopUp: 0n,
    royalties: royaltyLines,
    royaltyTotal,
    total: 0n,
  };
  if (!used) return charge;

  charge.setupFee = tariff.setupFee;
  charge.machineTime = (usage.machineSeconds * tariff.pricePerHour) / SECONDS_PER_HOUR;
  charge.production = productionBands(tariff.pricePerUnit, tariff.tiers, usage.units).reduce(
    (sum, band) => sum + band.amount,
    0n,
  );
  charge.inspections = BigInt(usage.inspections) * tariff.pricePerInspection;
  const subtotal = charge.setupFee + charge.machineTime + charge.production + charge.inspections;
  if (subtotal < tariff.minimumCharge) charge.minimumTopUp = tariff.minimumCharge - subtotal;
  charge.total = subtotal + charge.minimumTopUp + royaltyTotal;
  return charge;
}

/** A job as people describe it: so many parts at so many seconds each, so many inspections. */
export interface Job {
  parts: bigint;
  secondsPerPart: bigint;
  inspections: number;
  /** Licensed products by licence id (default: none). */
  licensedProducts?: Readonly<Record<number, bigint>>;
}

/** Licences the job makes products under that the tariff does not name (such a listing cannot take the job). */
export function missingLicences(job: Job, tariff: Pick<Tariff, "licenseIds">): number[] {
  return Object.entries(job.licensedProducts ?? {})
    .filter(([id, count]) => count > 0n && !tariff.licenseIds.includes(Number(id)))
    .map(([id]) => Number(id));
}

/** The usage a job amounts to under `tariff`, licensed products in the tariff's licence order. */
export function jobUsage(job: Job, tariff: Pick<Tariff, "licenseIds">): Usage {
  const missing = missingLicences(job, tariff);
  if (missing.length > 0) {
    throw new RangeError(
      `The job makes products under licence ${missing.join(", ")}, which this tariff does not name; ` +
        "book a listing whose tariff carries the licence.",
    );
  }
  const counts = job.licensedProducts ?? {};
  return {
    machineSeconds: job.parts * job.secondsPerPart,
    units: job.parts,
    inspections: job.inspections,
    licensedProducts: tariff.licenseIds.length === 0 ? [] : tariff.licenseIds.map((id) => counts[id] ?? 0n),
  };
}

export interface QuoteLine {
  item: string;
  quantity: string;
  unitPrice: string;
  amount: bigint;
}

/** The price of `usage`, one line per component, in the order an invoice shows them; the last line is the total. */
export function quoteLines(
  tariff: Tariff,
  royalties: readonly bigint[],
  usage: Usage,
  licenseLabel: (licenseId: number) => string = (id) => `licence ${id}`,
): { charge: Charge; lines: QuoteLine[] } {
  const charge = price(tariff, royalties, usage);
  const lines: QuoteLine[] = [];
  if (!isUsed(usage)) {
    return { charge, lines: [{ item: "total (no usage)", quantity: "", unitPrice: "", amount: 0n }] };
  }
  lines.push({
    item: "setup fee",
    quantity: "1 order",
    unitPrice: formatEuro(tariff.setupFee),
    amount: charge.setupFee,
  });
  lines.push({
    item: "machine time",
    quantity: `${usage.machineSeconds} s`,
    unitPrice: `${formatEuro(tariff.pricePerHour)}/h`,
    amount: charge.machineTime,
  });
  for (const band of productionBands(tariff.pricePerUnit, tariff.tiers, usage.units)) {
    lines.push({
      item: band.from === 0n ? "units" : `units above ${band.from}`,
      quantity: `${band.units}`,
      unitPrice: formatEuro(band.pricePerUnit),
      amount: band.amount,
    });
  }
  lines.push({
    item: "inspections",
    quantity: `${usage.inspections}`,
    unitPrice: formatEuro(tariff.pricePerInspection),
    amount: charge.inspections,
  });
  if (charge.minimumTopUp > 0n) {
    lines.push({
      item: "up to the minimum charge",
      quantity: "",
      unitPrice: formatEuro(tariff.minimumCharge),
      amount: charge.minimumTopUp,
    });
  }
  tariff.licenseIds.forEach((licenseId, i) => {
    lines.push({
      item: `royalty, ${licenseLabel(licenseId)}`,
      quantity: `${usage.licensedProducts[i] ?? 0n}`,
      unitPrice: formatEuro(royalties[i]!),
      amount: charge.royalties[i]!,
    });
  });
  lines.push({ item: "total", quantity: "", unitPrice: "", amount: charge.total });
  return { charge, lines };
}
