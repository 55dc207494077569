/** Tables for listings: a registered listing with its tariff, and the broker's search results. */
import { machineKindName, machineStatusName } from "../../core/listing.js";
import { formatEuro } from "../../core/money.js";
import { capabilityName, siteName } from "../../core/vocabulary.js";
import type { SearchResult } from "../../contracts/registries.js";
import type { Registered } from "../../ops/machines.js";
import { renderSearchResults } from "../render-listings.js";
import { renderTable, short } from "../table.js";

export function renderRegistered(r: Registered): string {
  const t = r.tariff;
  const rows: [string, string][] = [
    ["listing id", r.machineId.toString()],
    ["kind", r.kind],
    ["site", r.site],
    ["capabilities", r.capabilities.join(", ")],
    ["signer keys", r.keys.map(short).join(", ")],
    ["tariff", `v${r.tariffVersion}`],
    ["EUR per hour", formatEuro(t.pricePerHour)],
    ["EUR per part", formatEuro(t.pricePerUnit)],
    ["EUR per inspection", formatEuro(t.pricePerInspection)],
    ["setup fee EUR", formatEuro(t.setupFee)],
    ["minimum charge EUR", formatEuro(t.minimumCharge)],
    ["tiers", t.tiers.map((tier) => `from ${tier.threshold}: ${formatEuro(tier.pricePerUnit)}`).join("; ") || "-"],
    ["licences", t.licenseIds.join(", ") || "-"],
  ];
  return renderTable(
    [
      { header: "field", value: (row: [string, string]) => row[0] },
      { header: "value", value: (row: [string, string]) => row[1] },
    ],
    rows,
    "Listing registered",
  );
}

export const renderFound = (results: readonly SearchResult[]): string => renderSearchResults(results);

/** A search result as plain data for --json. */
export function foundJson(result: SearchResult) {
  const { listing } = result;
  return {
    machineId: listing.machineId,
    kind: machineKindName(listing.kind),
    provider: listing.provider,
    status: machineStatusName(listing.status),
    bookable: result.bookable,
    site: siteName(listing.site),
    capabilities: listing.capabilities.map((tag) => capabilityName(tag)),
    metadataURI: listing.metadataURI,
    tariffVersion: result.terms?.tariffVersion ?? null,
    pricePerHour: result.terms?.tariff.pricePerHour ?? null,
    quote: result.quote?.total ?? null,
  };
}
