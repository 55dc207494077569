/** Listing a machine with its tariff, and finding machines in the yellow pages. */
import type { Address, Hex } from "viem";

import { MachineKind } from "../core/listing.js";
import { profileOf, type SearchFilter, type SearchResult } from "../contracts/registries.js";
import type { Tariff } from "../core/tariff.js";
import { capabilityTag, siteCode } from "../core/vocabulary.js";
import type { Wallet } from "../chain/transact.js";
import { clients, OpsInputError, type Ops } from "./context.js";

export interface MachineInput {
  kind: keyof typeof MachineKind;
  site: string;
  capabilities: readonly string[];
  metadataURI: string;
  metadataHash: Hex;
  keys: readonly Address[];
  tariff: Tariff;
}

export interface Registered {
  machineId: bigint;
  kind: string;
  site: string;
  capabilities: string[];
  keys: Address[];
  tariffVersion: number;
  tariff: Tariff;
}

function checked<T>(what: string, make: () => T): T {
  try {
    return make();
  } catch (error) {
    throw new OpsInputError(`${what}: ${(error as Error).message}`);
  }
}

/** A provider lists a machine (or service) with its signer keys and first tariff. */
export async function registerMachine(ops: Ops, provider: Wallet, input: MachineInput): Promise<Registered> {
  if (input.capabilities.length === 0) {
    throw new OpsInputError("A listing needs at least one capability (--capabilities laser-cutting,sheet-metal).");
  }
  if (input.keys.length === 0) {
    throw new OpsInputError(
      "A listing needs at least one signer key (--keys 0x…): the device's or inspector's address.",
    );
  }
  const profile = checked("the listing", () =>
    profileOf(input.kind, input.site, input.capabilities, input.metadataURI, input.metadataHash),
  );
  const { market } = clients(ops);
  const machineId = await market.registerMachine(provider, profile, input.keys, input.tariff);
  return {
    machineId,
    kind: input.kind,
    site: input.site,
    capabilities: [...input.capabilities],
    keys: [...input.keys],
    tariffVersion: 1,
    tariff: input.tariff,
  };
}

/** The broker's search, as the yellow pages answer it. */
export async function findMachines(ops: Ops, filter: SearchFilter): Promise<SearchResult[]> {
  if (filter.maxPrice !== undefined && filter.job === undefined) {
    throw new OpsInputError("--max-price limits the quote for a job; give the job too (--parts, --seconds-per-part).");
  }
  checked("--capability", () => capabilityTag(filter.capability));
  if (filter.site !== undefined) checked("--site", () => siteCode(filter.site!));
  return clients(ops).market.find(filter);
}
