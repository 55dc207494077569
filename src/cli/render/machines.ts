/** Tables for listings: a registered listing with its tariff, and the broker's search results. */
import { machineKindName, machineStatusName } from "../../core/listing.js";
import { capabilityName, siteName } from "../../core/vocabulary.js";
import type { SearchResult } from "../../contracts/registries.js";
import type { Registered } from "../../ops/machines.js";
import { renderSearchResults } from "../render-listings.js";
import { short } from "../table.js";
import { fieldTable, tariffRows } from "./listings.js";

export function renderRegistered(r: Registered): string {
  return fieldTable(
    [
      ["listing id", r.machineId.toString()],
      ["kind", r.kind],
      ["site", r.site],
      ["capabilities", r.capabilities.join(", ")],
      ["signer keys", r.keys.map(short).join(", ")],
      ["tariff", `v${r.tariffVersion}`],
      ...tariffRows(r.tariff),
    ],
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
