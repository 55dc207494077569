/**
 * The registries seen from off-chain: licences, listings, signer keys and tariffs (reads and the
 * providers' and licensors' transactions), and the broker's yellow-pages search with quotes.
 */
import type { Address, Hex, TransactionReceipt } from "viem";

import { licenseRegistryAbi, machineRegistryAbi } from "../generated/abis.js";
import { eventOf, transact, type ChainContext, type MarketAddresses, type Wallet } from "../chain/transact.js";
import { KeyKind, MachineKind, MachineStatus, type MachineStatusName } from "../core/listing.js";
import { jobUsage, missingLicences, price, type Charge, type Job, type Tariff, type Usage } from "../core/tariff.js";
import { capabilityTag, siteCode } from "../core/vocabulary.js";

/** A listing's presentation, in the form the registry takes it. */
export interface Profile {
  kind: MachineKind;
  site: Hex;
  capabilities: readonly Hex[];
  metadataURI: string;
  metadataHash: Hex;
}

/** A listing as the registry reports it. */
export interface Listing {
  machineId: bigint;
  provider: bigint;
  kind: MachineKind;
  status: MachineStatus;
  tariffVersion: number;
  registeredAt: number;
  activeKeys: number;
  site: Hex;
  metadataHash: Hex;
  metadataURI: string;
  capabilities: readonly Hex[];
}

/** What a new order would be booked under now. */
export interface BookingTerms {
  provider: bigint;
  tariffVersion: number;
  tariff: Tariff;
  licensors: readonly bigint[];
  licenseVersions: readonly number[];
  royalties: readonly bigint[];
}

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

/** How many listings one call of machinesByCapability returns at most. */
const PAGE_SIZE = 50n;

export class MarketRegistry {
  constructor(
    readonly chain: ChainContext,
    readonly addresses: Pick<MarketAddresses, "licenseRegistry" | "machineRegistry">,
  ) {}

  /* ------------------------------------------------------------------ reads */

  async machineCount(blockNumber?: bigint): Promise<bigint> {
    return this.chain.publicClient.readContract({
      address: this.addresses.machineRegistry,
      abi: machineRegistryAbi,
      functionName: "machineCount",
      blockNumber,
    });
  }

  async listing(machineId: bigint, blockNumber?: bigint): Promise<Listing> {
    const machine = await this.chain.publicClient.readContract({
      address: this.addresses.machineRegistry,
      abi: machineRegistryAbi,
      functionName: "getMachine",
      args: [machineId],
      blockNumber,
    });
    if (machine.status === MachineStatus.None) {
      throw new Error(`No listing has id ${machineId}; ids run from 1 to machineCount().`);
    }
    return { machineId, ...machine, kind: machine.kind as MachineKind, status: machine.status as MachineStatus };
  }

  async tariff(machineId: bigint, version: number, blockNumber?: bigint): Promise<Tariff> {
    return this.chain.publicClient.readContract({
      address: this.addresses.machineRegistry,
      abi: machineRegistryAbi,
      functionName: "tariffOf",
      args: [machineId, version],
      blockNumber,
    });
  }

  async isBookable(machineId: bigint, blockNumber?: bigint): Promise<boolean> {
    return this.chain.publicClient.readContract({
      address: this.addresses.machineRegistry,
      abi: machineRegistryAbi,
      functionName: "isBookable",
      args: [machineId],
      blockNumber,
    });
  }

  /** The terms a new order is booked under now; refused (with the reason) if the listing is not bookable. */
  async bookingTerms(machineId: bigint, blockNumber?: bigint): Promise<BookingTerms> {
    return this.chain.publicClient.readContract({
      address: this.addresses.machineRegistry,
      abi: machineRegistryAbi,
      functionName: "bookingTerms",
      args: [machineId],
      blockNumber,
    });
  }

  /** The contract's own price for `usage` on the listing now (the broker computes the same off-chain). */
  async quoteOnChain(
    machineId: bigint,
    usage: Usage,
    blockNumber?: bigint,
  ): Promise<{ tariffVersion: number; charge: Charge }> {
    const [tariffVersion, charge] = await this.chain.publicClient.readContract({
      address: this.addresses.machineRegistry,
      abi: machineRegistryAbi,
      functionName: "quote",
      args: [machineId, usage],
      blockNumber,
    });
    return { tariffVersion, charge: { ...charge, royalties: [...charge.royalties] } };
  }

  async keysOf(machineId: bigint): Promise<readonly Address[]> {
    return this.chain.publicClient.readContract({
      address: this.addresses.machineRegistry,
      abi: machineRegistryAbi,
      functionName: "keysOf",
      args: [machineId],
    });
  }

  async signerKey(key: Address) {
    return this.chain.publicClient.readContract({
      address: this.addresses.machineRegistry,
      abi: machineRegistryAbi,
      functionName: "signerKey",
      args: [key],
    });
  }

  async license(licenseId: number) {
    return this.chain.publicClient.readContract({
      address: this.addresses.licenseRegistry,
      abi: licenseRegistryAbi,
      functionName: "getLicense",
      args: [licenseId],
    });
  }

  async licenseVersion(licenseId: number, version: number) {
    return this.chain.publicClient.readContract({
      address: this.addresses.licenseRegistry,
      abi: licenseRegistryAbi,
      functionName: "licenseVersion",
      args: [licenseId, version],
    });
  }

  /** Every bookable listing with the capability, read page by page at one block. */
  async bookableWith(capability: string, blockNumber?: bigint): Promise<bigint[]> {
    const tag = capabilityTag(capability);
    const block = blockNumber ?? (await this.chain.publicClient.getBlockNumber({ cacheTime: 0 }));
    const total = await this.chain.publicClient.readContract({
      address: this.addresses.machineRegistry,
      abi: machineRegistryAbi,
      functionName: "capabilityCount",
      args: [tag],
      blockNumber: block,
    });
    const found: bigint[] = [];
    for (let offset = 0n; offset < total;) {
      const [page, next] = await this.chain.publicClient.readContract({
        address: this.addresses.machineRegistry,
        abi: machineRegistryAbi,
        functionName: "machinesByCapability",
        args: [tag, offset, PAGE_SIZE],
        blockNumber: block,
      });
      found.push(...page);
      offset = next;
    }
    return found;
  }

  /**
   * The broker's search: listings with a capability, filtered by status, site and price, each with its
   * booking terms and, given a job, the quote for it (cheapest first). Reads everything at one block.
   */
  async find(filter: SearchFilter): Promise<SearchResult[]> {
    const block = filter.blockNumber ?? (await this.chain.publicClient.getBlockNumber({ cacheTime: 0 }));
    const tag = capabilityTag(filter.capability);
    const status = filter.status ?? "Active";
    if (filter.maxPrice !== undefined && filter.job === undefined) {
      throw new Error("maxPrice limits the quote for a job; give the job too (parts, seconds per part, inspections).");
    }
    const site = filter.site === undefined ? undefined : siteCode(filter.site);

    let ids: bigint[];
    if (status === "Active") {
      ids = await this.bookableWith(tag, block);
    } else {
      const count = await this.machineCount(block);
      ids = Array.from({ length: Number(count) }, (_, i) => BigInt(i + 1));
    }

    const results: SearchResult[] = [];
    for (const machineId of ids) {
      const listing = await this.listing(machineId, block);
      if (!listing.capabilities.includes(tag)) continue;
      if (status !== "any" && listing.status !== MachineStatus[status]) continue;
      if (site !== undefined && listing.site !== site) continue;
      const bookable = status === "Active" || (await this.isBookable(machineId, block));
      const result: SearchResult = { listing, bookable };
      if (bookable) {
        result.terms = await this.bookingTerms(machineId, block);
        if (filter.maxPricePerHour !== undefined && result.terms.tariff.pricePerHour > filter.maxPricePerHour) continue;
        if (filter.job !== undefined) {
          // A listing whose tariff lacks a licence the job makes products under cannot take the job.
          if (missingLicences(filter.job, result.terms.tariff).length > 0) continue;
          result.quote = price(result.terms.tariff, result.terms.royalties, jobUsage(filter.job, result.terms.tariff));
          if (filter.maxPrice !== undefined && result.quote.total > filter.maxPrice) continue;
        }
      } else if (filter.maxPrice !== undefined || filter.maxPricePerHour !== undefined) {
        continue;
      }
      results.push(result);
    }
    if (filter.job !== undefined) {
      results.sort(
        (a, b) => compare(a.quote?.total, b.quote?.total) || compare(a.listing.machineId, b.listing.machineId),
      );
    }
    return results;
  }

  /* --------------------------------------------------------------- licensors */

  /** Registers a licence and returns its id. */
  async registerLicense(licensor: Wallet, royaltyPerProduct: bigint, termsHash: Hex): Promise<number> {
    const receipt = await transact(this.chain, licensor, {
      address: this.addresses.licenseRegistry,
      abi: licenseRegistryAbi,
      functionName: "registerLicense",
      args: [royaltyPerProduct, termsHash],
    });
    const event = eventOf("registerLicense", receipt, licenseRegistryAbi, "LicenseRegistered");
    return event.args.licenseId;
  }

  /** Publishes a new royalty (a new licence version) and returns the version. */
  async publishRoyalty(
    licensor: Wallet,
    licenseId: number,
    royaltyPerProduct: bigint,
    termsHash: Hex,
  ): Promise<number> {
    const receipt = await transact(this.chain, licensor, {
      address: this.addresses.licenseRegistry,
      abi: licenseRegistryAbi,
      functionName: "publishRoyalty",
      args: [licenseId, royaltyPerProduct, termsHash],
    });
    const event = eventOf("publishRoyalty", receipt, licenseRegistryAbi, "RoyaltyPublished");
    return event.args.version;
  }

  async retireLicense(licensor: Wallet, licenseId: number): Promise<TransactionReceipt> {
    return transact(this.chain, licensor, {
      address: this.addresses.licenseRegistry,
      abi: licenseRegistryAbi,
      functionName: "retireLicense",
      args: [licenseId],
    });
  }

  /* --------------------------------------------------------------- providers */

  /**
   * Lists a machine or service with its signer keys (device keys of a machine, inspector keys of a
   * service) and its first tariff; returns the listing's id.
   */
  async registerMachine(provider: Wallet, profile: Profile, keys: readonly Address[], tariff: Tariff): Promise<bigint> {
    const receipt = await transact(this.chain, provider, {
      address: this.addresses.machineRegistry,
      abi: machineRegistryAbi,
      functionName: "registerMachine",
      args: [profile, keys, tariff],
    });
    const event = eventOf("registerMachine", receipt, machineRegistryAbi, "MachineRegistered");
    return event.args.machineId;
  }

  async updateMachine(provider: Wallet, machineId: bigint, profile: Profile): Promise<TransactionReceipt> {
    return transact(this.chain, provider, {
      address: this.addresses.machineRegistry,
      abi: machineRegistryAbi,
      functionName: "updateMachine",
      args: [machineId, profile],
    });
  }

  /** Publishes a new tariff version and returns it; booked orders keep theirs. */
  async publishTariff(provider: Wallet, machineId: bigint, tariff: Tariff): Promise<number> {
    const receipt = await transact(this.chain, provider, {
      address: this.addresses.machineRegistry,
      abi: machineRegistryAbi,
      functionName: "publishTariff",
      args: [machineId, tariff],
    });
    const event = eventOf("publishTariff", receipt, machineRegistryAbi, "TariffPublished");
    return event.args.version;
  }

  async setStatus(
    provider: Wallet,
    machineId: bigint,
    action: "pause" | "resume" | "retire",
  ): Promise<TransactionReceipt> {
    const functionName = ({ pause: "pauseMachine", resume: "resumeMachine", retire: "retireMachine" } as const)[action];
    return transact(this.chain, provider, {
      address: this.addresses.machineRegistry,
      abi: machineRegistryAbi,
      functionName,
      args: [machineId],
    });
  }

  async addKey(provider: Wallet, machineId: bigint, key: Address, kind: KeyKind = KeyKind.Device) {
    return transact(this.chain, provider, {
      address: this.addresses.machineRegistry,
      abi: machineRegistryAbi,
      functionName: "addKey",
      args: [machineId, key, kind],
    });
  }

  async revokeKey(provider: Wallet, machineId: bigint, key: Address) {
    return transact(this.chain, provider, {
      address: this.addresses.machineRegistry,
      abi: machineRegistryAbi,
      functionName: "revokeKey",
      args: [machineId, key],
    });
  }

  async rotateKey(provider: Wallet, machineId: bigint, oldKey: Address, newKey: Address) {
    return transact(this.chain, provider, {
      address: this.addresses.machineRegistry,
      abi: machineRegistryAbi,
      functionName: "rotateKey",
      args: [machineId, oldKey, newKey],
    });
  }
}

function compare(a: bigint | undefined, b: bigint | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  return a < b ? -1 : 1;
}

/** A profile from names: the kind, a site code text, capability names, and the metadata document's URI and hash. */
export function profileOf(
  kind: keyof typeof MachineKind,
  site: string,
  capabilities: readonly string[],
  metadataURI: string,
  metadataHash: Hex,
): Profile {
  return {
    kind: MachineKind[kind],
    site: siteCode(site),
    capabilities: capabilities.map(capabilityTag),
    metadataURI,
    metadataHash,
  };
}
