/** Shared helpers for tests of the registries: sample listings, tariffs and licences, and members put into each standing. */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { Wallet } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";

import { MachineKind } from "../../src/core/listing.js";
import type { Profile } from "../../src/contracts/registries.js";
import type { Tariff } from "../../src/core/tariff.js";
import { capabilityTag, siteCode } from "../../src/core/vocabulary.js";
import { Role, roleMask } from "../../src/core/membership.js";
import { parseEuro } from "../../src/core/money.js";
import { referenceHash } from "../../src/core/references.js";
import type { TariffStruct, UsageStruct } from "../../typechain-types/registry/MachineRegistry.js";
import { AGREEMENT_V1, type MarketFixture } from "./fixtures.js";

export { KeyKind, LicenseStatus, MachineKind, MachineStatus } from "../../src/core/listing.js";

export const AGREEMENT_V2 = referenceHash("Capacity consortium framework agreement v2 (development)");
export const SUSPENSION_REASON = referenceHash("Suspension decision 2025-07");

/** The spare signer `index` of the fixture, with an error that says how to get more. */
export function spareSigner(f: MarketFixture, index: number): HardhatEthersSigner {
  const signer = f.spare[index];
  if (signer === undefined)
    throw new Error(`The test network has no spare account #${index}; configure more accounts.`);
  return signer;
}

/** Admits a member on `signer` with `roles`, who accepts agreement v1; returns its id. */
export async function admitMember(f: MarketFixture, signer: HardhatEthersSigner, ...roles: Role[]): Promise<bigint> {
  await f.consortium
    .connect(f.operator)
    .admit([signer.address], roleMask(...roles), referenceHash(`${signer.address}`));
  await f.consortium.connect(signer).acceptAgreement(AGREEMENT_V1);
  return f.consortium.memberCount();
}

/** A tariff with every field given: zero prices, no tiers, no licences unless overridden. */
export function tariff(fields: Partial<TariffStruct> = {}): TariffStruct {
  return {
    pricePerHour: 0n,
    pricePerUnit: 0n,
    pricePerInspection: 0n,
    setupFee: 0n,
    minimumCharge: 0n,
    tiers: [],
    licenseIds: [],
    ...fields,
  };
}

/** Usage with every field given: nothing used unless overridden. */
export function usage(fields: Partial<UsageStruct> = {}): UsageStruct {
  return { machineSeconds: 0n, units: 0n, inspections: 0n, licensedProducts: [], ...fields };
}

/** The tuple form of a tariff, as a contract returns it and an event carries it. */
export function tariffTuple(t: TariffStruct): unknown[] {
  return [
    BigInt(t.pricePerHour),
    BigInt(t.pricePerUnit),
    BigInt(t.pricePerInspection),
    BigInt(t.setupFee),
    BigInt(t.minimumCharge),
    t.tiers.map((tier) => [BigInt(tier.threshold), BigInt(tier.pricePerUnit)]),
    t.licenseIds.map((licenseId) => BigInt(licenseId)),
  ];
}

/**
 * Conditions of a member's standing that the Consortium refuses, as the registries see them through
 * requireAccount (protective acts), requireRole (good standing) and requireNewBusiness (new business).
 */
export const Standing = {
  NotMember: "the caller is not a member's account",
  AccountRemoved: "the caller's account was removed",
  Suspended: "the member is suspended",
  Exited: "the member has exited",
  MissingRole: "the member lacks the role",
  AgreementNotAccepted: "the member has not accepted the current agreement",
  ExitPending: "the member asked to leave",
} as const;
export type Standing = keyof typeof Standing;

/** What requireAccount refuses: a suspended member, one without the role or not in business may still act. */
export const ACCOUNT_REFUSALS: Standing[] = ["NotMember", "AccountRemoved", "Exited"];
/** What requireRole refuses. */
export const GOOD_STANDING_REFUSALS: Standing[] = ["NotMember", "AccountRemoved", "Suspended", "Exited", "MissingRole"];
/** What requireNewBusiness refuses. */
export const NEW_BUSINESS_REFUSALS: Standing[] = [...GOOD_STANDING_REFUSALS, "AgreementNotAccepted", "ExitPending"];

/** The Consortium's error for each standing. */
export const STANDING_ERROR: Record<Standing, string> = {
  NotMember: "ConsortiumNotMember",
  AccountRemoved: "ConsortiumAccountRemoved",
  Suspended: "ConsortiumMemberSuspended",
  Exited: "ConsortiumMemberExited",
  MissingRole: "ConsortiumMissingRole",
  AgreementNotAccepted: "ConsortiumAgreementNotAccepted",
  ExitPending: "ConsortiumExitPending",
};

export interface Acting {
  signer: HardhatEthersSigner;
  memberId: bigint;
  role: Role;
}

/** Who calls in a standing and the arguments of the Consortium's error. */
export interface Refusal {
  caller: HardhatEthersSigner;
  error: string;
  args: unknown[];
}

/**
 * Puts `member` into `standing` and says who then calls and what the Consortium answers. `spare` is a
 * fresh key (it becomes the removed account). `clearObligations` runs before an exit completes: the
 * member's listings or licences must be retired first.
 */
export async function enterStanding(
  connection: NetworkConnection,
  f: MarketFixture,
  standing: Standing,
  member: Acting,
  spare: HardhatEthersSigner,
  clearObligations: () => Promise<void> = async () => {},
): Promise<Refusal> {
  const { consortium } = f;
  const { signer, memberId, role } = member;
  switch (standing) {
    case "NotMember":
      return { caller: f.outsider, error: STANDING_ERROR.NotMember, args: [f.outsider.address] };
    case "AccountRemoved":
      await consortium.connect(signer).addAccount(spare.address);
      await consortium.connect(signer).removeAccount(spare.address);
      return { caller: spare, error: STANDING_ERROR.AccountRemoved, args: [spare.address, memberId] };
    case "Suspended":
      await consortium.connect(f.operator).suspend(memberId, SUSPENSION_REASON);
      return { caller: signer, error: STANDING_ERROR.Suspended, args: [memberId] };
    case "Exited": {
      await clearObligations();
      await consortium.connect(signer).requestExit();
      const effectiveAt = (await consortium.getMember(memberId)).exitEffectiveAt;
      await connection.networkHelpers.time.increaseTo(effectiveAt);
      await consortium.completeExit(memberId);
      return { caller: signer, error: STANDING_ERROR.Exited, args: [memberId] };
    }
    case "MissingRole":
      await consortium.connect(f.operator).revokeMemberRole(memberId, role);
      return { caller: signer, error: STANDING_ERROR.MissingRole, args: [memberId, role] };
    case "AgreementNotAccepted":
      await consortium.connect(f.operator).publishAgreement(AGREEMENT_V2);
      return { caller: signer, error: STANDING_ERROR.AgreementNotAccepted, args: [memberId, 1n, 2n] };
    case "ExitPending": {
      await consortium.connect(signer).requestExit();
      const effectiveAt = (await consortium.getMember(memberId)).exitEffectiveAt;
      return { caller: signer, error: STANDING_ERROR.ExitPending, args: [memberId, effectiveAt] };
    }
  }
}

/**
 * One test per refused standing: `call`, made by whoever acts in that standing, reverts with the
 * Consortium's error and its arguments.
 */
export function itRefusesEach<F extends MarketFixture>(
  standings: readonly Standing[],
  setup: () => Promise<F>,
  inStanding: (f: F, standing: Standing) => Promise<Refusal>,
  call: (f: F, caller: HardhatEthersSigner) => Promise<unknown>,
): void {
  for (const standing of standings) {
    describe(`when ${Standing[standing]}`, function () {
      it(`reverts with ${STANDING_ERROR[standing]}`, async function () {
        const f = await setup();
        const refusal = await inStanding(f, standing);
        await expect(call(f, refusal.caller))
          .to.be.revertedWithCustomError(f.consortium, refusal.error)
          .withArgs(...refusal.args);
      });
    });
  }
}

/** Requests the exit of `member` and lets the notice period pass; returns effectiveAt. */
export async function requestExitAndWait(connection: NetworkConnection, f: MarketFixture, member: Acting) {
  await f.consortium.connect(member.signer).requestExit();
  const effectiveAt = (await f.consortium.getMember(member.memberId)).exitEffectiveAt;
  await connection.networkHelpers.time.increaseTo(effectiveAt);
  return effectiveAt;
}

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
