/**
 * The registries seen from off-chain: licences, listings, signer keys and tariffs (reads and the
 * providers' and licensors' transactions), and the broker's yellow-pages search with quotes.
 */
import { getContract, type Address, type Hex, type TransactionReceipt } from "viem";

import { licenseRegistryAbi, machineRegistryAbi } from "../generated/abis.js";
import { readAll } from "../chain/multicall.js";
import { eventOf, transact, type ChainContext, type MarketAddresses, type Wallet } from "../chain/transact.js";
import { KeyKind, MachineKind, MachineStatus } from "../core/listing.js";
import { searchListings, type SearchFilter, type SearchResult } from "./search.js";
import type { Charge, Tariff, Usage } from "../core/tariff.js";
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

export type { SearchFilter, SearchResult } from "./search.js";

/** How many listings one call of machinesByCapability returns at most. */
const PAGE_SIZE = 50n;
/** Pages per `eth_call`: a page checks each of its listings' bookability, about 650k gas for 50 with a licence. */
const PAGES_PER_REQUEST = 4;

export class MarketRegistry {
  readonly #machines;
  readonly #licenses;

  constructor(
    readonly chain: ChainContext,
    readonly addresses: Pick<MarketAddresses, "licenseRegistry" | "machineRegistry">,
  ) {
    const client = chain.publicClient;
    this.#machines = getContract({ address: addresses.machineRegistry, abi: machineRegistryAbi, client });
    this.#licenses = getContract({ address: addresses.licenseRegistry, abi: licenseRegistryAbi, client });
  }

  /* ------------------------------------------------------------------ reads */

  async machineCount(blockNumber?: bigint): Promise<bigint> {
    return this.#machines.read.machineCount({ blockNumber });
  }

  async listing(machineId: bigint, blockNumber?: bigint): Promise<Listing> {
    return listingOf(machineId, await this.#machines.read.getMachine([machineId], { blockNumber }));
  }

  async tariff(machineId: bigint, version: number, blockNumber?: bigint): Promise<Tariff> {
    return this.#machines.read.tariffOf([machineId, version], { blockNumber });
  }

  async isBookable(machineId: bigint, blockNumber?: bigint): Promise<boolean> {
    return this.#machines.read.isBookable([machineId], { blockNumber });
  }

  /** The terms a new order is booked under now; refused (with the reason) if the listing is not bookable. */
  async bookingTerms(machineId: bigint, blockNumber?: bigint): Promise<BookingTerms> {
    return this.#machines.read.bookingTerms([machineId], { blockNumber });
  }

  /** The contract's own price for `usage` on the listing now (the broker computes the same off-chain). */
  async quoteOnChain(
    machineId: bigint,
    usage: Usage,
    blockNumber?: bigint,
  ): Promise<{ tariffVersion: number; charge: Charge }> {
    const [tariffVersion, charge] = await this.#machines.read.quote([machineId, usage], { blockNumber });
    return { tariffVersion, charge: { ...charge, royalties: [...charge.royalties] } };
  }

  async keysOf(machineId: bigint): Promise<readonly Address[]> {
    return this.#machines.read.keysOf([machineId]);
  }

  async signerKey(key: Address) {
    return this.#machines.read.signerKey([key]);
  }

  async license(licenseId: number) {
    return this.#licenses.read.getLicense([licenseId]);
  }

  async licenseVersion(licenseId: number, version: number) {
    return this.#licenses.read.licenseVersion([licenseId, version]);
  }

  /**
   * Every bookable listing with the capability, read at one block in two requests: the count, then every
   * page in one multicall. Pages start at fixed offsets; a page that skipped listings which are not bookable
   * reads on past its successor's start, so the overlap is dropped (a listing is on a capability's list once).
   */
  async bookableWith(capability: string, blockNumber?: bigint): Promise<bigint[]> {
    const tag = capabilityTag(capability);
    const block = blockNumber ?? (await this.#latestBlock());
    const total = await this.#machines.read.capabilityCount([tag], { blockNumber: block });
    const offsets = Array.from(
      { length: Math.ceil(Number(total) / Number(PAGE_SIZE)) },
      (_, i) => BigInt(i) * PAGE_SIZE,
    );
    const pages = await readAll(
      this.chain.publicClient,
      offsets.map(
        (offset) =>
          ({ ...this.registryContract, functionName: "machinesByCapability", args: [tag, offset, PAGE_SIZE] }) as const,
      ),
      { blockNumber: block, callsPerRequest: PAGES_PER_REQUEST },
    );
    return [...new Set(pages.flatMap(([page]) => page))];
  }

  /** Listings by id, read at one block in one multicall. */
  async listings(machineIds: readonly bigint[], blockNumber?: bigint): Promise<Listing[]> {
    const block = blockNumber ?? (await this.#latestBlock());
    const machines = await readAll(
      this.chain.publicClient,
      machineIds.map(
        (machineId) => ({ ...this.registryContract, functionName: "getMachine", args: [machineId] }) as const,
      ),
      { blockNumber: block },
    );
    return machines.map((machine, i) => listingOf(machineIds[i]!, machine));
  }

  /**
   * The broker's search (src/contracts/search.ts): listings with a capability, filtered by status, site and
   * price, with booking terms and quotes, read at one block in a fixed number of requests.
   */
  async find(filter: SearchFilter): Promise<SearchResult[]> {
    return searchListings(this, filter);
  }

  /** Where the machine registry's reads go, for multicalls (src/contracts/search.ts too). */
  get registryContract() {
    return { address: this.addresses.machineRegistry, abi: machineRegistryAbi } as const;
  }

  async #latestBlock(): Promise<bigint> {
    return this.chain.publicClient.getBlockNumber({ cacheTime: 0 });
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

/** A listing from the registry's record of it; there is no record (status None) under an id never issued. */
function listingOf(
  machineId: bigint,
  machine: Omit<Listing, "machineId" | "kind" | "status"> & { kind: number; status: number },
): Listing {
  if (machine.status === MachineStatus.None) {
    throw new Error(`No listing has id ${machineId}; ids run from 1 to machineCount().`);
  }
  return { machineId, ...machine, kind: machine.kind as MachineKind, status: machine.status as MachineStatus };
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
