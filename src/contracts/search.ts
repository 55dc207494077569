/**
 * The broker's yellow-pages search over the MachineRegistry: listings with a capability, filtered by status,
 * site and price, each with its booking terms and, given a job, its quote. Everything is read at one block,
 * in multicalls, so that a search takes the same few requests over four listings or four hundred: the block
 * number, the capability's count, its pages, the listings, their terms (src/chain/multicall.ts).
 */
import type { BookingTerms, Listing, MarketRegistry } from "./registries.js";
import { readAll } from "../chain/multicall.js";
import { MachineStatus, type MachineStatusName } from "../core/listing.js";
import { jobUsage, missingLicences, price, type Charge, type Job } from "../core/tariff.js";
import { capabilityTag, siteCode } from "../core/vocabulary.js";

export interface SearchFilter {
  /** Capability name (e.g. "laser-cutting") or tag. */
  capability: string;
  /** Default "Active": what can be booked now. Other statuses are found by scanning every listing. */
  status?: Exclude<MachineStatusName, "None"> | "any";
  /** Only listings at this site code. */
  site?: string;
  /** Price this job on each bookable listing (quote), and sort by its total. */
  job?: Job;
  /** Only listings whose quote for `job` is at most this many base units. */
  maxPrice?: bigint;
  /** Only listings whose machine time costs at most this many base units per hour. */
  maxPricePerHour?: bigint;
  /** Read every page at this block (default: the latest), so that pages agree with each other. */
  blockNumber?: bigint;
}

export interface SearchResult {
  listing: Listing;
  bookable: boolean;
  /** Present for bookable listings. */
  terms?: BookingTerms;
  /** Present when a job was given and the listing is bookable. */
  quote?: Charge;
}

/** The search behind MarketRegistry.find: matching listings, cheapest first when a job is priced. */
export async function searchListings(market: MarketRegistry, filter: SearchFilter): Promise<SearchResult[]> {
  const tag = capabilityTag(filter.capability);
  const status = filter.status ?? "Active";
  if (filter.maxPrice !== undefined && filter.job === undefined) {
    throw new Error("maxPrice limits the quote for a job; give the job too (parts, seconds per part, inspections).");
  }
  const site = filter.site === undefined ? undefined : siteCode(filter.site);
  const block = filter.blockNumber ?? (await market.chain.publicClient.getBlockNumber({ cacheTime: 0 }));

  const ids =
    status === "Active"
      ? await market.bookableWith(tag, block)
      : Array.from({ length: Number(await market.machineCount(block)) }, (_, i) => BigInt(i + 1));
  const candidates = (await market.listings(ids, block)).filter(
    (listing) =>
      listing.capabilities.includes(tag) &&
      (status === "any" || listing.status === MachineStatus[status]) &&
      (site === undefined || listing.site === site),
  );
  const terms = await termsOf(market, candidates, status === "Active", block);

  const results: SearchResult[] = [];
  for (const [i, listing] of candidates.entries()) {
    const result = searchResult(listing, terms[i], filter);
    if (result !== undefined) results.push(result);
  }
  if (filter.job !== undefined) {
    results.sort(
      (a, b) => compare(a.quote?.total, b.quote?.total) || compare(a.listing.machineId, b.listing.machineId),
    );
  }
  return results;
}

/**
 * The booking terms of each listing that is bookable (undefined for the others): with `allBookable` (listings
 * found through bookableWith) one multicall of their terms, else first one of isBookable (the terms of a
 * listing that is not bookable revert).
 */
async function termsOf(
  market: MarketRegistry,
  listings: readonly Listing[],
  allBookable: boolean,
  blockNumber: bigint,
): Promise<(BookingTerms | undefined)[]> {
  const { publicClient } = market.chain;
  const registry = market.registryContract;
  const bookable = allBookable
    ? listings.map(() => true)
    : await readAll(
        publicClient,
        listings.map(({ machineId }) => ({ ...registry, functionName: "isBookable", args: [machineId] }) as const),
        { blockNumber },
      );
  const ids = listings.filter((_, i) => bookable[i]).map(({ machineId }) => machineId);
  const terms = await readAll(
    publicClient,
    ids.map((machineId) => ({ ...registry, functionName: "bookingTerms", args: [machineId] }) as const),
    { blockNumber },
  );
  const byId = new Map(ids.map((machineId, i) => [machineId, terms[i]!]));
  return listings.map(({ machineId }) => byId.get(machineId));
}

/**
 * A listing as a search result under the filter's price limits, or undefined if they leave it out: a listing
 * that is not bookable has no price to judge, so a price limit leaves it out too.
 */
function searchResult(
  listing: Listing,
  terms: BookingTerms | undefined,
  filter: SearchFilter,
): SearchResult | undefined {
  if (terms === undefined) {
    const limited = filter.maxPrice !== undefined || filter.maxPricePerHour !== undefined;
    return limited ? undefined : { listing, bookable: false };
  }
  if (filter.maxPricePerHour !== undefined && terms.tariff.pricePerHour > filter.maxPricePerHour) return undefined;
  const result: SearchResult = { listing, bookable: true, terms };
  if (filter.job !== undefined) {
    // A listing whose tariff lacks a licence the job makes products under cannot take the job.
    if (missingLicences(filter.job, terms.tariff).length > 0) return undefined;
    result.quote = price(terms.tariff, terms.royalties, jobUsage(filter.job, terms.tariff));
    if (filter.maxPrice !== undefined && result.quote.total > filter.maxPrice) return undefined;
  }
  return result;
}

function compare(a: bigint | undefined, b: bigint | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return a < b ? -1 : 1;
}
