/**
 * A listing over its life, by its provider: pause it (no new orders; running ones go on), resume it, retire
 * it for good, and publish a new tariff (orders booked before keep theirs). A licensor registers a licence and
 * rotates its royalty (a new licence version; orders booked under the old one keep it).
 */
import type { Hex } from "viem";

import { MachineStatus, machineStatusName, type MachineStatusName } from "../core/listing.js";
import type { Tariff } from "../core/tariff.js";
import type { Wallet } from "../chain/transact.js";
import { clients, OpsInputError, type Ops } from "./context.js";

export type ListingAction = "pause" | "resume" | "retire";

export interface ListingChange {
  machineId: bigint;
  action: ListingAction;
  nothingToDo: boolean;
  status: MachineStatusName;
  transaction: Hex | null;
}

const TARGET: Record<ListingAction, MachineStatusName> = { pause: "Paused", resume: "Active", retire: "Retired" };

/** The listing, or an error naming the ids that exist. */
async function existing(ops: Ops, machineId: bigint) {
  const { market } = clients(ops);
  const count = await market.machineCount();
  if (machineId < 1n || machineId > count) {
    throw new OpsInputError(`There is no listing ${machineId}; listing ids run from 1 to ${count}.`, {
      code: "listing.unknown",
      input: { name: "--machine", value: machineId.toString() },
      hint: "Find one with `capacity machine find --capability …`.",
    });
  }
  return market.listing(machineId);
}

/** Pauses, resumes or retires a listing; a listing in that state already is nothing to do. */
export async function changeListing(
  ops: Ops,
  provider: Wallet,
  machineId: bigint,
  action: ListingAction,
): Promise<ListingChange> {
  const listing = await existing(ops, machineId);
  const status = machineStatusName(listing.status);
  if (status === TARGET[action]) return { machineId, action, nothingToDo: true, status, transaction: null };
  if (status === "Retired") {
    throw new OpsInputError(`Listing ${machineId} is retired; a retired listing cannot ${action}.`, {
      code: "listing.retired",
      input: { name: "--machine", value: machineId.toString() },
      hint: "List the machine anew (capacity machine register).",
    });
  }
  const receipt = await clients(ops).market.setStatus(provider, machineId, action);
  const after = await clients(ops).market.listing(machineId);
  return {
    machineId,
    action,
    nothingToDo: false,
    status: machineStatusName(after.status),
    transaction: receipt.transactionHash,
  };
}

export interface TariffPublished {
  machineId: bigint;
  tariffVersion: number;
  previousVersion: number;
  tariff: Tariff;
}

/** Publishes a new tariff on the provider's listing; new orders book it, running orders keep the one they booked. */
export async function publishTariff(
  ops: Ops,
  provider: Wallet,
  machineId: bigint,
  tariff: Tariff,
): Promise<TariffPublished> {
  const listing = await existing(ops, machineId);
  if (listing.status === MachineStatus.Retired) {
    throw new OpsInputError(`Listing ${machineId} is retired; it takes no new tariff.`, { code: "listing.retired" });
  }
  const tariffVersion = await clients(ops).market.publishTariff(provider, machineId, tariff);
  return { machineId, tariffVersion, previousVersion: listing.tariffVersion, tariff };
}

export interface LicenceVersion {
  licenseId: number;
  version: number;
  royaltyPerProduct: bigint;
  termsHash: Hex;
  /** The royalty of the version before (undefined for a new licence). */
  previousRoyalty?: bigint;
}

/** A licensor registers a licence with its royalty per licensed product and the hash of its terms. */
export async function registerLicence(
  ops: Ops,
  licensor: Wallet,
  royaltyPerProduct: bigint,
  termsHash: Hex,
): Promise<LicenceVersion> {
  const licenseId = await clients(ops).market.registerLicense(licensor, royaltyPerProduct, termsHash);
  return { licenseId, version: 1, royaltyPerProduct, termsHash };
}

/** A licensor rotates a licence's royalty: a new version with new terms; orders booked before keep theirs. */
export async function rotateRoyalty(
  ops: Ops,
  licensor: Wallet,
  licenseId: number,
  royaltyPerProduct: bigint,
  termsHash: Hex,
): Promise<LicenceVersion> {
  const { market } = clients(ops);
  const licence = await market.license(licenseId).catch(() => undefined);
  if (licence === undefined || licence.status === 0) {
    throw new OpsInputError(`There is no licence ${licenseId}.`, {
      code: "licence.unknown",
      input: { name: "--licence", value: licenseId.toString() },
      hint: "A licensor registers one first (capacity licence register).",
    });
  }
  const previous = await market.licenseVersion(licenseId, licence.currentVersion);
  const version = await market.publishRoyalty(licensor, licenseId, royaltyPerProduct, termsHash);
  return { licenseId, version, royaltyPerProduct, termsHash, previousRoyalty: previous.royaltyPerProduct };
}
