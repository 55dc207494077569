/** Lines and tables for a listing's life (pause, resume, retire, a new tariff) and a licence's royalty. */
import { formatEuro } from "../../core/money.js";
import type { Tariff } from "../../core/tariff.js";
import type { LicenceVersion, ListingChange, TariffPublished } from "../../ops/listings.js";
import { renderTable, short } from "../table.js";

const DONE: Record<ListingChange["action"], string> = { pause: "paused", resume: "resumed", retire: "retired" };

export function renderListingChange(c: ListingChange): string {
  return c.nothingToDo
    ? `Listing ${c.machineId} is ${c.status} already; nothing to do.`
    : `Listing ${c.machineId} ${DONE[c.action]}: now ${c.status} (tx ${c.transaction}).`;
}

/** A tariff's prices, one row each. */
export function tariffRows(t: Tariff): [string, string][] {
  return [
    ["EUR per hour", formatEuro(t.pricePerHour)],
    ["EUR per part", formatEuro(t.pricePerUnit)],
    ["EUR per inspection", formatEuro(t.pricePerInspection)],
    ["setup fee EUR", formatEuro(t.setupFee)],
    ["minimum charge EUR", formatEuro(t.minimumCharge)],
    ["tiers", t.tiers.map((tier) => `from ${tier.threshold}: ${formatEuro(tier.pricePerUnit)}`).join("; ") || "-"],
    ["licences", t.licenseIds.join(", ") || "-"],
  ];
}

export function fieldTable(rows: readonly [string, string][], title: string): string {
  return renderTable(
    [
      { header: "field", value: (row: readonly [string, string]) => row[0] },
      { header: "value", value: (row: readonly [string, string]) => row[1] },
    ],
    rows,
    title,
  );
}

export function renderTariffPublished(p: TariffPublished): string {
  return fieldTable(
    [["tariff", `v${p.tariffVersion} (was v${p.previousVersion})`], ...tariffRows(p.tariff)],
    `Tariff v${p.tariffVersion} published for listing ${p.machineId}: new orders book it, running orders keep theirs`,
  );
}

export function renderLicenceVersion(l: LicenceVersion): string {
  const was = l.previousRoyalty === undefined ? "" : ` (was ${formatEuro(l.previousRoyalty)} EUR)`;
  return (
    `Licence ${l.licenseId} v${l.version}: ${formatEuro(l.royaltyPerProduct)} EUR per licensed product${was}, ` +
    `terms ${short(l.termsHash)}.` +
    (l.version > 1 ? " Orders booked before keep the royalty they booked." : "")
  );
}
