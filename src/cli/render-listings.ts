/** Tables for the broker's answers: search results and quotes. */
import type { Hex } from "viem";

import { renderTable, short } from "./table.js";
import { formatEuro } from "../core/money.js";
import { machineKindName, machineStatusName } from "../core/listing.js";
import type { SearchResult } from "../contracts/registries.js";
import type { QuoteLine } from "../core/tariff.js";
import { capabilityName, siteName } from "../core/vocabulary.js";

function readableCapability(tag: Hex): string {
  const name = capabilityName(tag);
  return name === tag ? short(tag) : name;
}

/** One row per listing: id, kind, provider, site, status, capabilities, hourly rate, and the quote if a job was priced. */
export function renderSearchResults(
  results: readonly SearchResult[],
  providerName: (memberId: bigint) => string = (id) => `member ${id}`,
): string {
  const priced = results.some((result) => result.quote !== undefined);
  return renderTable(
    [
      { header: "id", value: (r: SearchResult) => `${r.listing.machineId}`, align: "right" },
      { header: "kind", value: (r) => machineKindName(r.listing.kind) },
      { header: "provider", value: (r) => providerName(r.listing.provider) },
      { header: "site", value: (r) => siteName(r.listing.site) },
      { header: "status", value: (r) => machineStatusName(r.listing.status) + (r.bookable ? "" : " (not bookable)") },
      {
        header: "capabilities",
        value: (r) => r.listing.capabilities.map(readableCapability).join(", "),
      },
      { header: "tariff", value: (r) => (r.terms === undefined ? "" : `v${r.terms.tariffVersion}`) },
      {
        header: "EUR/h",
        value: (r) => (r.terms === undefined ? "" : formatEuro(r.terms.tariff.pricePerHour)),
        align: "right",
      },
      ...(priced
        ? [
            {
              header: "quote EUR",
              value: (r: SearchResult) => (r.quote ? formatEuro(r.quote.total) : ""),
              align: "right" as const,
            },
          ]
        : []),
    ],
    results,
  );
}

/** A quote, line by line, amounts in euros. */
export function renderQuote(lines: readonly QuoteLine[], title?: string): string {
  return renderTable(
    [
      { header: "item", value: (line: QuoteLine) => line.item },
      { header: "quantity", value: (line) => line.quantity, align: "right" },
      { header: "unit price EUR", value: (line) => line.unitPrice, align: "right" },
      { header: "amount EUR", value: (line) => formatEuro(line.amount), align: "right" },
    ],
    lines,
    title,
  );
}
