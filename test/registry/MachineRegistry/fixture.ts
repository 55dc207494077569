/**
 * The MachineRegistry tests' network, fixture (a listed machine and service) and listing helpers, shared by the files
 * of this directory.
 */
import { encodeBytes32String, id } from "ethers";
import { network } from "hardhat";

import { Role } from "../../../src/core/membership.js";
import { referenceHash } from "../../../src/core/references.js";
import type { IMachineRegistry } from "../../../typechain-types/registry/MachineRegistry.js";
import { derivedAddress, derivedAddresses, minedAt } from "../../helpers/consortium.js";
import { marketFixture, type MarketFixture } from "../../helpers/fixtures.js";
import {
  MachineKind,
  MachineStatus,
  Standing,
  admitMember,
  enterStanding,
  spareSigner,
  tariff,
  type Acting,
} from "../../helpers/registry.js";

export const connection = await network.create();
export const { networkHelpers } = connection;
export const { loadFixture, time } = networkHelpers;
export const deployMarket = marketFixture(connection);

export type Profile = IMachineRegistry.ProfileStruct;

export const LASER = id("laser-cutting");
export const BENDING = id("bending");
export const WELDING = id("welding");
export const INSPECTION = id("visual inspection");
export const SITE = encodeBytes32String("DE-HH-01");
export const METADATA_URI = "ipfs://bafy-laser-cutter-7";
export const METADATA_HASH = referenceHash("Laser cutter 7: specification sheet, photos, certificates");
export const DEVICE_KEYS = derivedAddresses("laser cutter 7 device", 2);
export const INSPECTOR_KEY = derivedAddress("inspector 1");
export const NEW_KEY = derivedAddress("new key");
export const STRANGER_KEY = derivedAddress("never registered");
export const TERMS = referenceHash("Licence terms: bracket design B-17");
export const TERMS_V2 = referenceHash("Licence terms: bracket design B-17, edition 2");
/** 1.20 EUR per licensed product; 1.50 EUR from version 2. */
export const ROYALTY = 1_200_000n;
export const NEW_ROYALTY = 1_500_000n;

export const MACHINE_PROFILE: Profile = {
  kind: MachineKind.Machine,
  site: SITE,
  capabilities: [LASER, BENDING],
  metadataURI: METADATA_URI,
  metadataHash: METADATA_HASH,
};
export const SERVICE_PROFILE: Profile = {
  kind: MachineKind.Service,
  site: SITE,
  capabilities: [INSPECTION],
  metadataURI: "ipfs://bafy-inspection",
  metadataHash: referenceHash("Visual inspection service"),
};
/**
 * 40 EUR/h (metered by the second), 0.50 EUR per part up to 50, 0.40 up to 100,
 * 0.30 above, 15 EUR per inspection, 25 EUR setup, 50 EUR minimum, licence 1.
 */
export const MACHINE_TARIFF = tariff({
  pricePerHour: 40_000_000n,
  pricePerUnit: 500_000n,
  pricePerInspection: 15_000_000n,
  setupFee: 25_000_000n,
  minimumCharge: 50_000_000n,
  tiers: [
    { threshold: 50n, pricePerUnit: 400_000n },
    { threshold: 100n, pricePerUnit: 300_000n },
  ],
  licenseIds: [1n],
});
export const SERVICE_TARIFF = tariff({ pricePerInspection: 30_000_000n, minimumCharge: 30_000_000n });
export const NEW_TARIFF = tariff({ pricePerHour: 50_000_000n, setupFee: 20_000_000n });

export interface Listed extends MarketFixture {
  machineId: bigint;
  serviceId: bigint;
  licenseId: bigint;
  registeredAt: bigint;
  serviceRegisteredAt: bigint;
}

/**
 * The market with licence 1 (licensor, ROYALTY), machine 1 (MACHINE_PROFILE, DEVICE_KEYS, MACHINE_TARIFF)
 * and service 2 (SERVICE_PROFILE, INSPECTOR_KEY, SERVICE_TARIFF), both of the provider.
 */
export async function listedMarket(): Promise<Listed> {
  const f = await deployMarket();
  await f.licenses.connect(f.licensor).registerLicense(ROYALTY, TERMS);
  const registeredAt = await minedAt(
    await f.machines.connect(f.provider).registerMachine(MACHINE_PROFILE, DEVICE_KEYS, MACHINE_TARIFF),
  );
  const serviceRegisteredAt = await minedAt(
    await f.machines.connect(f.provider).registerMachine(SERVICE_PROFILE, [INSPECTOR_KEY], SERVICE_TARIFF),
  );
  return { ...f, machineId: 1n, serviceId: 2n, licenseId: 1n, registeredAt, serviceRegisteredAt };
}

export function providerOf(f: MarketFixture): Acting {
  return { signer: f.provider, memberId: f.memberIds.provider, role: Role.Provider };
}

/** Admits a second provider on spare account #0; returns its signer and id. */
export async function secondProvider(f: MarketFixture) {
  const signer = spareSigner(f, 0);
  const memberId = await admitMember(f, signer, Role.Provider);
  return { signer, memberId };
}

/** Retires every listing of the provider that is not retired yet. */
export async function retireAll(f: MarketFixture) {
  for (const machineId of await f.machines.machinesOf(f.memberIds.provider)) {
    if ((await f.machines.getMachine(machineId)).status !== BigInt(MachineStatus.Retired)) {
      await f.machines.connect(f.provider).retireMachine(machineId);
    }
  }
}

/** Puts the provider into `standing`; an exit first retires every listing of the provider. */
export function providerInStanding(f: MarketFixture, standing: Standing) {
  return enterStanding(connection, f, standing, providerOf(f), spareSigner(f, 1), () => retireAll(f));
}

/** A profile for a further listing with the given tags. */
export function profileWith(...capabilities: string[]): Profile {
  return { ...MACHINE_PROFILE, capabilities };
}

export async function bookable(f: MarketFixture, machineId: bigint): Promise<boolean> {
  return f.machines.isBookable(machineId);
}
