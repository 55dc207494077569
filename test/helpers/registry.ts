/** Sample listings, tariffs and licences for tests of the registries. */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { Wallet } from "ethers";

import { MachineKind } from "../../src/broker/listing.js";
import type { Profile } from "../../src/broker/market.js";
import type { Tariff } from "../../src/broker/tariff.js";
import { capabilityTag, siteCode } from "../../src/broker/vocabulary.js";
import { parseEuro } from "../../src/sdk/money.js";
import { referenceHash } from "../../src/sdk/references.js";
import type { MarketFixture } from "./fixtures.js";

export const LASER = capabilityTag("laser-cutting");
export const SHEET_METAL = capabilityTag("sheet-metal");
export const INSPECTION = capabilityTag("visual-inspection");
export const LICENCE_TERMS = referenceHash("licence terms v1");

export function sampleProfile(overrides: Partial<Profile> = {}): Profile {
  return {
    kind: MachineKind.Machine,
    site: siteCode("DE-HH-01"),
    capabilities: [LASER, SHEET_METAL],
    metadataURI: "ipfs://machine-spec",
    metadataHash: referenceHash("machine specification sheet"),
    ...overrides,
  };
}

/** 48 EUR/h, 0.20 EUR per unit (0.15 above 100), 12 EUR per inspection, 25 EUR setup, 60 EUR minimum. */
export function sampleTariff(overrides: Partial<Tariff> = {}): Tariff {
  return {
    pricePerHour: parseEuro("48"),
    pricePerUnit: parseEuro("0.20"),
    pricePerInspection: parseEuro("12"),
    setupFee: parseEuro("25"),
    minimumCharge: parseEuro("60"),
    tiers: [{ threshold: 100n, pricePerUnit: parseEuro("0.15") }],
    licenseIds: [],
    ...overrides,
  };
}

/** The mutable copies typechain's ethers bindings take. */
export const profileArg = (p: Profile) => ({ ...p, capabilities: [...p.capabilities] });
export const tariffArg = (t: Tariff) => ({
  ...t,
  tiers: t.tiers.map((tier) => ({ ...tier })),
  licenseIds: [...t.licenseIds],
});

/** A fresh random address, for signer keys. */
export const randomKey = (): string => Wallet.createRandom().address;

/** Lists a sample machine for `provider` (default: the fixture's provider) and returns its id. */
export async function registerSampleMachine(
  f: MarketFixture,
  options: {
    provider?: HardhatEthersSigner;
    profile?: Partial<Profile>;
    keys?: string[];
    tariff?: Partial<Tariff>;
  } = {},
): Promise<bigint> {
  const provider = options.provider ?? f.provider;
  await f.machines
    .connect(provider)
    .registerMachine(
      profileArg(sampleProfile(options.profile)),
      options.keys ?? [randomKey()],
      tariffArg(sampleTariff(options.tariff)),
    );
  return f.machines.machineCount();
}

/** Registers a licence for the fixture's licensor and returns its id. */
export async function registerSampleLicense(f: MarketFixture, royalty = parseEuro("0.35")): Promise<number> {
  await f.licenses.connect(f.licensor).registerLicense(royalty, LICENCE_TERMS);
  return Number(await f.licenses.licenseCount());
}
