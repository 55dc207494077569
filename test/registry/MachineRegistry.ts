/*
MachineRegistry.tree — the branches, written down first; one `it` per leaf.

registerMachine
├── when the caller is not a member's account ──────────── it reverts with ConsortiumNotMember
├── when the caller's account was removed ──────────────── it reverts with ConsortiumAccountRemoved
├── when the member is suspended ───────────────────────── it reverts with ConsortiumMemberSuspended
├── when the member has exited ─────────────────────────── it reverts with ConsortiumMemberExited
├── when the member lacks the role ─────────────────────── it reverts with ConsortiumMissingRole
├── when the member has not accepted the current agreement  it reverts with ConsortiumAgreementNotAccepted
├── when the member asked to leave ─────────────────────── it reverts with ConsortiumExitPending
├── when the site is zero ──────────────────────────────── it reverts with MachineRegistryInvalidSite
├── when the metadata URI is empty ─────────────────────── it reverts with MachineRegistryInvalidMetadata
├── when the metadata hash is zero ─────────────────────── it reverts with MachineRegistryInvalidMetadata
├── when no capability is given ────────────────────────── it reverts with MachineRegistryCapabilityCount
├── when more than MAX_CAPABILITIES are given ──────────── it reverts with MachineRegistryCapabilityCount
├── when a capability is zero ──────────────────────────── it reverts with MachineRegistryInvalidCapability
├── when a capability repeats ──────────────────────────── it reverts with MachineRegistryInvalidCapability
├── when a key is the zero address ─────────────────────── it reverts with MachineRegistryInvalidKey
├── when a key is another listing's ────────────────────── it reverts with MachineRegistryKeyTaken (the holder)
├── when a key appears twice ───────────────────────────── it reverts with MachineRegistryKeyTaken (the new id)
├── when more than MAX_ACTIVE_KEYS keys are given ──────── it reverts with MachineRegistryTooManyKeys
├── when the tariff is invalid ─────────────────────────── it reverts as publishTariff does (MachineRegistryTooManyTiers)
└── when the input is valid
    ├── it stores the listing (every field), lists it for the provider and counts it
    ├── it emits MachineRegistered, SignerKeyAdded per key and TariffPublished (version 1)
    ├── a machine's keys are device keys, a service's inspector keys, valid from this block
    ├── it indexes its capabilities, is bookable and counts an open obligation
    ├── it accepts exactly MAX_CAPABILITIES tags and MAX_ACTIVE_KEYS keys
    └── when no key is given ── it registers the listing without keys
updateMachine
├── when the caller is not a member's account / removed / suspended / exited / lacks the role ── the Consortium's error
├── when the listing does not exist ────────────────────── it reverts with MachineRegistryUnknownMachine
├── when the listing belongs to another provider ───────── it reverts with MachineRegistryNotOwner
├── when the listing is retired ────────────────────────── it reverts with MachineRegistryMachineRetired
├── when the profile is invalid ────────────────────────── it reverts as registerMachine does
├── when the profile names the other kind ──────────────── it reverts with MachineRegistryKindChanged
└── when the input is valid
    ├── it replaces site, capabilities and metadata, keeps kind, tariff, keys and status; emits MachineUpdated
    ├── when the listing is active ── the index follows the new tags
    ├── when the listing is paused ── the index is untouched until resumeMachine indexes the new tags
    └── when the member has not accepted the current agreement or asked to leave ── it updates (good standing suffices)
publishTariff
├── when the caller is not a member's account / removed / suspended / exited / lacks the role ── the Consortium's error
├── when the listing does not exist ────────────────────── it reverts with MachineRegistryUnknownMachine
├── when the listing belongs to another provider ───────── it reverts with MachineRegistryNotOwner
├── when the listing is retired ────────────────────────── it reverts with MachineRegistryMachineRetired
├── when there are more than MAX_TIERS tiers ───────────── it reverts with MachineRegistryTooManyTiers
├── when there are more than MAX_LICENSES licences ─────── it reverts with MachineRegistryTooManyLicenses
├── when a threshold is zero ───────────────────────────── it reverts with MachineRegistryInvalidTier
├── when thresholds do not rise strictly ───────────────── it reverts with MachineRegistryInvalidTier (equal, falling)
├── when a licence appears twice ───────────────────────── it reverts with MachineRegistryDuplicateLicense
├── when a licence does not exist ──────────────────────── it reverts with LicenseRegistryUnknownLicense
├── when a licence is retired ──────────────────────────── it reverts with LicenseRegistryLicenseRetired
└── when the tariff is valid
    ├── it stores the next version and emits TariffPublished with the tariff; every version stays readable
    ├── it accepts exactly MAX_TIERS tiers and MAX_LICENSES licences
    ├── bookingTerms and quote use the new version
    ├── when the listing is paused ── it publishes
    └── when the member has not accepted the current agreement or asked to leave ── it publishes (good standing suffices)
pauseMachine
├── when the caller is not a member's account / removed / exited ── the Consortium's error
├── when the listing does not exist ────────────────────── it reverts with MachineRegistryUnknownMachine
├── when the listing belongs to another member (a consumer) ─── it reverts with MachineRegistryNotOwner
├── when the listing is retired ────────────────────────── it reverts with MachineRegistryMachineRetired
├── when the listing is paused ─────────────────────────── it reverts with MachineRegistryStatusUnchanged
└── when the listing is active
    ├── it pauses it, emits MachineStatusChanged(Paused), takes it out of the index; still an obligation
    └── when the member is suspended, lacks the role, has not accepted the agreement or asked to leave ── it pauses (protective act)
resumeMachine
├── when the caller is not a member's account / removed / suspended / exited / lacks the role /
│   has not accepted the agreement / asked to leave ── the Consortium's error
├── when the listing does not exist ────────────────────── it reverts with MachineRegistryUnknownMachine
├── when the listing belongs to another provider ───────── it reverts with MachineRegistryNotOwner
├── when the listing is retired ────────────────────────── it reverts with MachineRegistryMachineRetired
├── when the listing is active ─────────────────────────── it reverts with MachineRegistryStatusUnchanged
└── when the listing is paused ─────────────────────────── it resumes, emits MachineStatusChanged(Active), indexes, bookable
retireMachine
├── when the caller is not a member's account / removed / exited ── the Consortium's error
├── when the listing does not exist ────────────────────── it reverts with MachineRegistryUnknownMachine
├── when the listing belongs to another member (a licensor) ─── it reverts with MachineRegistryNotOwner
├── when the listing is retired ────────────────────────── it reverts with MachineRegistryMachineRetired
└── when the listing is active or paused
    ├── it retires it, emits MachineStatusChanged(Retired), takes it out of the index, one obligation less
    ├── when the listing is paused ── it retires it, the index unchanged
    ├── when the member is suspended, lacks the role, has not accepted the agreement or asked to leave ── it retires (protective act)
    ├── its keys stay on record, unrevoked (valid after retirement too)
    └── nothing about it changes afterwards (update, tariff, keys, pause, resume revert MachineRegistryMachineRetired)
addKey
├── when the caller is not a member's account / removed / suspended / exited / lacks the role ── the Consortium's error
├── when the listing does not exist ────────────────────── it reverts with MachineRegistryUnknownMachine
├── when the listing belongs to another provider ───────── it reverts with MachineRegistryNotOwner
├── when the listing is retired ────────────────────────── it reverts with MachineRegistryMachineRetired
├── when the key is the zero address ───────────────────── it reverts with MachineRegistryInvalidKey
├── when the key is an active or revoked key of the listing ── it reverts with MachineRegistryKeyTaken (never reused)
├── when the key is another listing's ──────────────────── it reverts with MachineRegistryKeyTaken (the holder)
├── when a device key is added to a service ────────────── it reverts with MachineRegistryKeyKindNotAllowed
├── when the listing has MAX_ACTIVE_KEYS active keys ───── it reverts with MachineRegistryTooManyKeys
└── when the key is new
    ├── it adds it, valid from this block, emits SignerKeyAdded, counts it active, lists it in keysOf
    ├── when an inspector key is added to a machine ── it adds it
    ├── revoked keys do not count towards MAX_ACTIVE_KEYS
    └── when the member has not accepted the current agreement or asked to leave ── it adds (good standing suffices)
revokeKey
├── when the caller is not a member's account / removed / exited ── the Consortium's error
├── when the listing does not exist ────────────────────── it reverts with MachineRegistryUnknownMachine
├── when the listing belongs to another provider ───────── it reverts with MachineRegistryNotOwner
├── when the key is not a key of the listing ───────────── it reverts with MachineRegistryUnknownKey (another's, never registered)
├── when the key is revoked ────────────────────────────── it reverts with MachineRegistryKeyRevoked
└── when the key is active
    ├── it sets validUntil to this block's time, emits SignerKeyRevoked, counts one active key less
    ├── when the member is suspended, lacks the role, has not accepted the agreement or asked to leave ── it revokes (protective act)
    └── when the listing is retired ── it revokes
rotateKey
├── when the caller is not a member's account / removed / suspended / exited / lacks the role ── the Consortium's error
├── when the listing does not exist / belongs to another provider / is retired ── UnknownMachine / NotOwner / MachineRetired
├── when the old key is not a key of the listing ───────── it reverts with MachineRegistryUnknownKey
├── when the old key is revoked ────────────────────────── it reverts with MachineRegistryKeyRevoked
├── when the new key is the zero address ───────────────── it reverts with MachineRegistryInvalidKey
├── when the new key is the old key or another listing's ── it reverts with MachineRegistryKeyTaken
└── when both keys are valid
    ├── the old key is valid until now (exclusive), the new one from now, of the old key's kind; both events
    └── when the listing has MAX_ACTIVE_KEYS active keys ── it rotates
key validity over time (isKeyValidAt)
├── a key is invalid before validFrom and valid from validFrom on
├── a key revoked at T is valid in [validFrom, T) and invalid at T and after
├── a key rotated at T: the old one valid until T - 1, the new one from T
├── a key revoked in the block that added it is never valid
└── wrong kind, wrong listing, listing 0, unknown key ── invalid
booking (isBookable / bookingTerms)
├── when the listing does not exist ────────────────────── false / MachineRegistryUnknownMachine
├── when the listing is paused or retired ──────────────── false / MachineRegistryMachineNotActive
├── when the provider is suspended / asked to leave / has not accepted the agreement / lost the role
│   └── false / MachineRegistryProviderNotInBusiness; true again once reinstated / cancelled / accepted / granted
├── when a licence of the current tariff is retired ────── false / LicenseRegistryLicenseRetired; true again with a tariff without it
├── when the licensor is suspended ─────────────────────── still bookable (only the licence's status counts)
└── when bookable ── bookingTerms returns provider, version, tariff, licensors, licence versions, royalties;
    after publishRoyalty the licence's new version and royalty
quote
├── machine time, graduated units, inspections, setup fee and a royalty ── the hand-computed charge
├── when units fall at and around the tier thresholds ─── the graduated production line
├── when only licensed products are counted ───────────── setup fee, minimum top-up and royalties
├── when the lines sum below the minimum charge ────────── it tops up to the minimum; royalties on top
├── when nothing is used ───────────────────────────────── every line is zero
├── after publishRoyalty ───────────────────────────────── it charges the licence's current royalty
├── a service ──────────────────────────────────────────── inspections only
├── when licensed products do not match the licences ──── it reverts with TariffMathLengthMismatch
└── when the listing is not bookable ───────────────────── it reverts as bookingTerms does
capability index (capabilityCount / machinesByCapability)
├── capabilityCount counts active listings per tag, out-of-business providers included; 0 for an unknown tag
├── pause, resume, retire and updateMachine keep the index exact (swap and pop)
├── offset and limit: pages, offset at and past the end, limit 0, an unknown tag
├── pages skip unbookable listings and return where to continue
└── reading all pages returns each bookable listing exactly once
obligations and exit
├── openObligations counts listings not retired (active and paused); 0 for other and unknown members
├── when the provider has listings ── completeExit reverts with ConsortiumOpenObligations (this registry, count)
└── when its listings are retired ── completeExit succeeds; the keys stay on record
views
├── getMachine (every field; None for an unknown id), machinesOf, keysOf, signerKey, machineCount
├── tariffOf ── MachineRegistryUnknownMachine; MachineRegistryUnknownTariffVersion for version 0 and beyond the current one
├── consortium / licenseRegistry / MAX_CAPABILITIES / MAX_ACTIVE_KEYS / MAX_TIERS / MAX_LICENSES
└── supportsInterface ── IObligations, IMachineRegistry, IERC165; not ILicenseRegistry, not 0xffffffff
*/
import { expect } from "chai";
import { ZeroAddress, ZeroHash, encodeBytes32String, id } from "ethers";
import { network } from "hardhat";

import { Role } from "../../src/core/membership.js";
import { referenceHash } from "../../src/core/references.js";
import {
  ILicenseRegistry__factory,
  IMachineRegistry__factory,
  IObligations__factory,
} from "../../typechain-types/index.js";
import type { IMachineRegistry } from "../../typechain-types/registry/MachineRegistry.js";
import { derivedAddress, derivedAddresses, minedAt } from "../helpers/consortium.js";
import { marketFixture, type MarketFixture } from "../helpers/fixtures.js";
import { IERC165_SIGNATURES, functionSignatures, interfaceIdOf, ownFunctions } from "../helpers/interfaceId.js";
import {
  ACCOUNT_REFUSALS,
  AGREEMENT_V2,
  GOOD_STANDING_REFUSALS,
  KeyKind,
  MachineKind,
  MachineStatus,
  NEW_BUSINESS_REFUSALS,
  STANDING_ERROR,
  itRefusesEach,
  SUSPENSION_REASON,
  Standing,
  admitMember,
  enterStanding,
  requestExitAndWait,
  spareSigner,
  tariff,
  tariffTuple,
  usage,
  type Acting,
} from "../helpers/registry.js";

const connection = await network.create();
const { networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;
const deployMarket = marketFixture(connection);

type Profile = IMachineRegistry.ProfileStruct;

const LASER = id("laser-cutting");
const BENDING = id("bending");
const WELDING = id("welding");
const INSPECTION = id("visual inspection");
const SITE = encodeBytes32String("DE-HH-01");
const OTHER_SITE = encodeBytes32String("DE-B-02");
const METADATA_URI = "ipfs://bafy-laser-cutter-7";
const METADATA_HASH = referenceHash("Laser cutter 7: specification sheet, photos, certificates");
const NEW_URI = "ipfs://bafy-laser-cutter-7-v2";
const NEW_HASH = referenceHash("Laser cutter 7: specification sheet v2");
const DEVICE_KEYS = derivedAddresses("laser cutter 7 device", 2);
const INSPECTOR_KEY = derivedAddress("inspector 1");
const NEW_KEY = derivedAddress("new key");
const STRANGER_KEY = derivedAddress("never registered");
const TERMS = referenceHash("Licence terms: bracket design B-17");
const TERMS_V2 = referenceHash("Licence terms: bracket design B-17, edition 2");
/** 1.20 EUR per licensed product; 1.50 EUR from version 2. */
const ROYALTY = 1_200_000n;
const NEW_ROYALTY = 1_500_000n;

const MACHINE_PROFILE: Profile = {
  kind: MachineKind.Machine,
  site: SITE,
  capabilities: [LASER, BENDING],
  metadataURI: METADATA_URI,
  metadataHash: METADATA_HASH,
};
const SERVICE_PROFILE: Profile = {
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
const MACHINE_TARIFF = tariff({
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
const SERVICE_TARIFF = tariff({ pricePerInspection: 30_000_000n, minimumCharge: 30_000_000n });
const NEW_TARIFF = tariff({ pricePerHour: 50_000_000n, setupFee: 20_000_000n });

interface Listed extends MarketFixture {
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
async function listedMarket(): Promise<Listed> {
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

function providerOf(f: MarketFixture): Acting {
  return { signer: f.provider, memberId: f.memberIds.provider, role: Role.Provider };
}

/** Admits a second provider on spare account #0; returns its signer and id. */
async function secondProvider(f: MarketFixture) {
  const signer = spareSigner(f, 0);
  const memberId = await admitMember(f, signer, Role.Provider);
  return { signer, memberId };
}

/** Retires every listing of the provider that is not retired yet. */
async function retireAll(f: MarketFixture) {
  for (const machineId of await f.machines.machinesOf(f.memberIds.provider)) {
    if ((await f.machines.getMachine(machineId)).status !== BigInt(MachineStatus.Retired)) {
      await f.machines.connect(f.provider).retireMachine(machineId);
    }
  }
}

/** Puts the provider into `standing`; an exit first retires every listing of the provider. */
function providerInStanding(f: MarketFixture, standing: Standing) {
  return enterStanding(connection, f, standing, providerOf(f), spareSigner(f, 1), () => retireAll(f));
}

/** A profile for a further listing with the given tags. */
function profileWith(...capabilities: string[]): Profile {
  return { ...MACHINE_PROFILE, capabilities };
}

/** Fills machine 1 up to MAX_ACTIVE_KEYS active keys; returns the keys added. */
async function fillKeys(f: Listed): Promise<string[]> {
  const max = await f.machines.MAX_ACTIVE_KEYS();
  const extra = derivedAddresses("extra key", Number(max) - DEVICE_KEYS.length);
  for (const key of extra) await f.machines.connect(f.provider).addKey(f.machineId, key, KeyKind.Device);
  return extra;
}

/** Sets the next block's time to `seconds` after the latest block's; returns that time. */
async function nextBlockIn(seconds: bigint): Promise<bigint> {
  const at = BigInt(await time.latest()) + seconds;
  await time.setNextBlockTimestamp(at);
  return at;
}

async function bookable(f: MarketFixture, machineId: bigint): Promise<boolean> {
  return f.machines.isBookable(machineId);
}

describe("MachineRegistry", function () {
  describe("registerMachine", function () {
    itRefusesEach(
      NEW_BUSINESS_REFUSALS,
      () => loadFixture(listedMarket),
      providerInStanding,
      (f, caller) => f.machines.connect(caller).registerMachine(profileWith(WELDING), [NEW_KEY], NEW_TARIFF),
    );

    describe("when the site is zero", function () {
      it("reverts with MachineRegistryInvalidSite", async function () {
        const f = await loadFixture(listedMarket);
        await expect(
          f.machines.connect(f.provider).registerMachine({ ...MACHINE_PROFILE, site: ZeroHash }, [], NEW_TARIFF),
        ).to.be.revertedWithCustomError(f.machines, "MachineRegistryInvalidSite");
      });
    });

    describe("when the metadata URI is empty", function () {
      it("reverts with MachineRegistryInvalidMetadata", async function () {
        const f = await loadFixture(listedMarket);
        await expect(
          f.machines.connect(f.provider).registerMachine({ ...MACHINE_PROFILE, metadataURI: "" }, [], NEW_TARIFF),
        ).to.be.revertedWithCustomError(f.machines, "MachineRegistryInvalidMetadata");
      });
    });

    describe("when the metadata hash is zero", function () {
      it("reverts with MachineRegistryInvalidMetadata", async function () {
        const f = await loadFixture(listedMarket);
        await expect(
          f.machines
            .connect(f.provider)
            .registerMachine({ ...MACHINE_PROFILE, metadataHash: ZeroHash }, [], NEW_TARIFF),
        ).to.be.revertedWithCustomError(f.machines, "MachineRegistryInvalidMetadata");
      });
    });

    describe("when no capability is given", function () {
      it("reverts with MachineRegistryCapabilityCount", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).registerMachine(profileWith(), [], NEW_TARIFF))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryCapabilityCount")
          .withArgs(0n, await f.machines.MAX_CAPABILITIES());
      });
    });

    describe("when more than MAX_CAPABILITIES are given", function () {
      it("reverts with MachineRegistryCapabilityCount", async function () {
        const f = await loadFixture(listedMarket);
        const max = await f.machines.MAX_CAPABILITIES();
        const tags = Array.from({ length: Number(max) + 1 }, (_, i) => id(`capability ${i}`));
        await expect(f.machines.connect(f.provider).registerMachine(profileWith(...tags), [], NEW_TARIFF))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryCapabilityCount")
          .withArgs(max + 1n, max);
      });
    });

    describe("when a capability is zero", function () {
      it("reverts with MachineRegistryInvalidCapability", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).registerMachine(profileWith(LASER, ZeroHash), [], NEW_TARIFF))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryInvalidCapability")
          .withArgs(ZeroHash);
      });
    });

    describe("when a capability repeats", function () {
      it("reverts with MachineRegistryInvalidCapability", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).registerMachine(profileWith(LASER, WELDING, LASER), [], NEW_TARIFF))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryInvalidCapability")
          .withArgs(LASER);
      });
    });

    describe("when a key is the zero address", function () {
      it("reverts with MachineRegistryInvalidKey", async function () {
        const f = await loadFixture(listedMarket);
        await expect(
          f.machines.connect(f.provider).registerMachine(MACHINE_PROFILE, [NEW_KEY, ZeroAddress], NEW_TARIFF),
        )
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryInvalidKey")
          .withArgs(ZeroAddress);
      });
    });

    describe("when a key is another listing's", function () {
      it("reverts with MachineRegistryKeyTaken naming the holder", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).registerMachine(MACHINE_PROFILE, [DEVICE_KEYS[1]!], NEW_TARIFF))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryKeyTaken")
          .withArgs(DEVICE_KEYS[1], f.machineId);
      });
    });

    describe("when a key appears twice", function () {
      it("reverts with MachineRegistryKeyTaken naming the new listing", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).registerMachine(MACHINE_PROFILE, [NEW_KEY, NEW_KEY], NEW_TARIFF))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryKeyTaken")
          .withArgs(NEW_KEY, 3n);
      });
    });

    describe("when more than MAX_ACTIVE_KEYS keys are given", function () {
      it("reverts with MachineRegistryTooManyKeys", async function () {
        const f = await loadFixture(listedMarket);
        const max = await f.machines.MAX_ACTIVE_KEYS();
        const keys = derivedAddresses("too many", Number(max) + 1);
        await expect(f.machines.connect(f.provider).registerMachine(MACHINE_PROFILE, keys, NEW_TARIFF))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryTooManyKeys")
          .withArgs(3n, max);
      });
    });

    describe("when the tariff is invalid", function () {
      it("reverts as publishTariff does (MachineRegistryTooManyTiers)", async function () {
        const f = await loadFixture(listedMarket);
        const tiers = [1n, 2n, 3n, 4n].map((threshold) => ({ threshold, pricePerUnit: 1n }));
        await expect(f.machines.connect(f.provider).registerMachine(MACHINE_PROFILE, [NEW_KEY], tariff({ tiers })))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryTooManyTiers")
          .withArgs(4n, 3n);
        expect(await f.machines.machineCount()).to.equal(2n);
      });
    });

    describe("when the input is valid", function () {
      it("stores the listing (every field), lists it for the provider and counts it", async function () {
        const f = await loadFixture(listedMarket);
        const machine = await f.machines.getMachine(f.machineId);
        expect(machine.provider).to.equal(f.memberIds.provider);
        expect(machine.registeredAt).to.equal(f.registeredAt);
        expect(machine.tariffVersion).to.equal(1n);
        expect(machine.activeKeys).to.equal(2n);
        expect(machine.kind).to.equal(MachineKind.Machine);
        expect(machine.status).to.equal(MachineStatus.Active);
        expect(machine.site).to.equal(SITE);
        expect(machine.metadataHash).to.equal(METADATA_HASH);
        expect(machine.metadataURI).to.equal(METADATA_URI);
        expect(machine.capabilities).to.deep.equal([LASER, BENDING]);
        expect(await f.machines.tariffOf(f.machineId, 1)).to.deep.equal(tariffTuple(MACHINE_TARIFF));
        expect(await f.machines.machinesOf(f.memberIds.provider)).to.deep.equal([1n, 2n]);
        expect(await f.machines.machineCount()).to.equal(2n);
        expect((await f.machines.getMachine(f.serviceId)).kind).to.equal(MachineKind.Service);
      });

      it("emits MachineRegistered, SignerKeyAdded per key and TariffPublished (version 1)", async function () {
        const f = await loadFixture(listedMarket);
        const keys = derivedAddresses("fresh device", 2);
        const profile = profileWith(WELDING, LASER);
        const tx = f.machines.connect(f.provider).registerMachine(profile, keys, MACHINE_TARIFF);
        await expect(tx)
          .to.emit(f.machines, "MachineRegistered")
          .withArgs(3n, f.memberIds.provider, MachineKind.Machine, SITE, [WELDING, LASER], METADATA_URI, METADATA_HASH);
        for (const key of keys)
          await expect(tx).to.emit(f.machines, "SignerKeyAdded").withArgs(3n, key, KeyKind.Device);
        await expect(tx).to.emit(f.machines, "TariffPublished").withArgs(3n, 1n, tariffTuple(MACHINE_TARIFF));
      });

      it("makes a machine's keys device keys and a service's inspector keys, valid from this block", async function () {
        const f = await loadFixture(listedMarket);
        for (const key of DEVICE_KEYS) {
          expect(await f.machines.signerKey(key)).to.deep.equal([
            f.machineId,
            f.registeredAt,
            0n,
            BigInt(KeyKind.Device),
          ]);
        }
        const service = await f.machines.signerKey(INSPECTOR_KEY);
        expect(service.machineId).to.equal(f.serviceId);
        expect(service.kind).to.equal(KeyKind.Inspector);
        expect(service.validFrom).to.equal(f.serviceRegisteredAt);
        expect(service.validUntil).to.equal(0n);
        expect(await f.machines.keysOf(f.machineId)).to.deep.equal(DEVICE_KEYS);
        expect(await f.machines.keysOf(f.serviceId)).to.deep.equal([INSPECTOR_KEY]);
      });

      it("indexes its capabilities, is bookable and counts an open obligation", async function () {
        const f = await loadFixture(listedMarket);
        expect(await f.machines.machinesByCapability(LASER, 0, 10)).to.deep.equal([[1n], 1n]);
        expect(await f.machines.machinesByCapability(BENDING, 0, 10)).to.deep.equal([[1n], 1n]);
        expect(await f.machines.machinesByCapability(INSPECTION, 0, 10)).to.deep.equal([[2n], 1n]);
        expect(await bookable(f, f.machineId)).to.equal(true);
        expect(await bookable(f, f.serviceId)).to.equal(true);
        expect(await f.machines.openObligations(f.memberIds.provider)).to.equal(2n);
      });

      it("accepts exactly MAX_CAPABILITIES tags and MAX_ACTIVE_KEYS keys", async function () {
        const f = await loadFixture(listedMarket);
        const tags = Array.from({ length: Number(await f.machines.MAX_CAPABILITIES()) }, (_, i) => id(`tag ${i}`));
        const keys = derivedAddresses("full set", Number(await f.machines.MAX_ACTIVE_KEYS()));
        await f.machines.connect(f.provider).registerMachine(profileWith(...tags), keys, NEW_TARIFF);
        const machine = await f.machines.getMachine(3n);
        expect(machine.capabilities).to.deep.equal(tags);
        expect(machine.activeKeys).to.equal(BigInt(keys.length));
        expect(await f.machines.keysOf(3n)).to.deep.equal(keys);
        for (const tag of tags) expect(await f.machines.capabilityCount(tag)).to.equal(1n);
      });

      describe("when no key is given", function () {
        it("registers the listing without keys", async function () {
          const f = await loadFixture(listedMarket);
          await expect(f.machines.connect(f.provider).registerMachine(profileWith(WELDING), [], NEW_TARIFF))
            .to.emit(f.machines, "MachineRegistered")
            .withArgs(3n, f.memberIds.provider, MachineKind.Machine, SITE, [WELDING], METADATA_URI, METADATA_HASH);
          expect((await f.machines.getMachine(3n)).activeKeys).to.equal(0n);
          expect(await f.machines.keysOf(3n)).to.deep.equal([]);
        });
      });
    });
  });

  describe("updateMachine", function () {
    const UPDATED: Profile = {
      kind: MachineKind.Machine,
      site: OTHER_SITE,
      capabilities: [WELDING, LASER],
      metadataURI: NEW_URI,
      metadataHash: NEW_HASH,
    };

    itRefusesEach(
      GOOD_STANDING_REFUSALS,
      () => loadFixture(listedMarket),
      providerInStanding,
      (f, caller) => f.machines.connect(caller).updateMachine(f.machineId, UPDATED),
    );

    describe("when the listing does not exist", function () {
      it("reverts with MachineRegistryUnknownMachine", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).updateMachine(3n, UPDATED))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryUnknownMachine")
          .withArgs(3n);
      });
    });

    describe("when the listing belongs to another provider", function () {
      it("reverts with MachineRegistryNotOwner", async function () {
        const f = await loadFixture(listedMarket);
        const other = await secondProvider(f);
        await expect(f.machines.connect(other.signer).updateMachine(f.machineId, UPDATED))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryNotOwner")
          .withArgs(f.machineId, other.memberId);
      });
    });

    describe("when the listing is retired", function () {
      it("reverts with MachineRegistryMachineRetired", async function () {
        const f = await loadFixture(listedMarket);
        await f.machines.connect(f.provider).retireMachine(f.machineId);
        await expect(f.machines.connect(f.provider).updateMachine(f.machineId, UPDATED))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryMachineRetired")
          .withArgs(f.machineId);
      });
    });

    describe("when the profile is invalid", function () {
      it("reverts as registerMachine does", async function () {
        const f = await loadFixture(listedMarket);
        const update = (profile: Profile) => f.machines.connect(f.provider).updateMachine(f.machineId, profile);
        await expect(update({ ...UPDATED, site: ZeroHash })).to.be.revertedWithCustomError(
          f.machines,
          "MachineRegistryInvalidSite",
        );
        await expect(update({ ...UPDATED, metadataURI: "" })).to.be.revertedWithCustomError(
          f.machines,
          "MachineRegistryInvalidMetadata",
        );
        await expect(update({ ...UPDATED, capabilities: [] }))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryCapabilityCount")
          .withArgs(0n, 8n);
        await expect(update({ ...UPDATED, capabilities: [BENDING, BENDING] }))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryInvalidCapability")
          .withArgs(BENDING);
      });
    });

    describe("when the profile names the other kind", function () {
      it("reverts with MachineRegistryKindChanged", async function () {
        const f = await loadFixture(listedMarket);
        await expect(
          f.machines.connect(f.provider).updateMachine(f.machineId, { ...UPDATED, kind: MachineKind.Service }),
        )
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryKindChanged")
          .withArgs(f.machineId, MachineKind.Machine);
        await expect(f.machines.connect(f.provider).updateMachine(f.serviceId, UPDATED))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryKindChanged")
          .withArgs(f.serviceId, MachineKind.Service);
      });
    });

    describe("when the input is valid", function () {
      it("replaces site, capabilities and metadata, keeps kind, tariff, keys and status; emits MachineUpdated", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).updateMachine(f.machineId, UPDATED))
          .to.emit(f.machines, "MachineUpdated")
          .withArgs(f.machineId, OTHER_SITE, [WELDING, LASER], NEW_URI, NEW_HASH);
        const machine = await f.machines.getMachine(f.machineId);
        expect(machine.site).to.equal(OTHER_SITE);
        expect(machine.capabilities).to.deep.equal([WELDING, LASER]);
        expect(machine.metadataURI).to.equal(NEW_URI);
        expect(machine.metadataHash).to.equal(NEW_HASH);
        expect(machine.kind).to.equal(MachineKind.Machine);
        expect(machine.status).to.equal(MachineStatus.Active);
        expect(machine.tariffVersion).to.equal(1n);
        expect(machine.activeKeys).to.equal(2n);
        expect(machine.registeredAt).to.equal(f.registeredAt);
        expect(machine.provider).to.equal(f.memberIds.provider);
        expect(await f.machines.keysOf(f.machineId)).to.deep.equal(DEVICE_KEYS);
      });

      describe("when the listing is active", function () {
        it("the index follows the new tags", async function () {
          const f = await loadFixture(listedMarket);
          await f.machines.connect(f.provider).registerMachine(profileWith(LASER), [], NEW_TARIFF);
          await f.machines.connect(f.provider).updateMachine(f.machineId, UPDATED);
          expect(await f.machines.machinesByCapability(BENDING, 0, 10)).to.deep.equal([[], 0n]);
          expect(await f.machines.machinesByCapability(WELDING, 0, 10)).to.deep.equal([[1n], 1n]);
          // Machine 1 left LASER's list (machine 3 moved into its place) and joined it again at the end.
          expect(await f.machines.machinesByCapability(LASER, 0, 10)).to.deep.equal([[3n, 1n], 2n]);
        });
      });

      describe("when the listing is paused", function () {
        it("the index is untouched until resumeMachine indexes the new tags", async function () {
          const f = await loadFixture(listedMarket);
          await f.machines.connect(f.provider).pauseMachine(f.machineId);
          await f.machines.connect(f.provider).updateMachine(f.machineId, UPDATED);
          for (const tag of [LASER, BENDING, WELDING]) expect(await f.machines.capabilityCount(tag)).to.equal(0n);
          await f.machines.connect(f.provider).resumeMachine(f.machineId);
          expect(await f.machines.capabilityCount(BENDING)).to.equal(0n);
          expect(await f.machines.machinesByCapability(WELDING, 0, 10)).to.deep.equal([[1n], 1n]);
          expect(await f.machines.machinesByCapability(LASER, 0, 10)).to.deep.equal([[1n], 1n]);
        });
      });

      for (const standing of ["AgreementNotAccepted", "ExitPending"] as const) {
        it(`updates when ${Standing[standing]} (good standing suffices)`, async function () {
          const f = await loadFixture(listedMarket);
          await providerInStanding(f, standing);
          await expect(f.machines.connect(f.provider).updateMachine(f.machineId, UPDATED))
            .to.emit(f.machines, "MachineUpdated")
            .withArgs(f.machineId, OTHER_SITE, [WELDING, LASER], NEW_URI, NEW_HASH);
        });
      }
    });
  });

  describe("publishTariff", function () {
    itRefusesEach(
      GOOD_STANDING_REFUSALS,
      () => loadFixture(listedMarket),
      providerInStanding,
      (f, caller) => f.machines.connect(caller).publishTariff(f.machineId, NEW_TARIFF),
    );

    describe("when the listing does not exist", function () {
      it("reverts with MachineRegistryUnknownMachine", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).publishTariff(0n, NEW_TARIFF))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryUnknownMachine")
          .withArgs(0n);
      });
    });

    describe("when the listing belongs to another provider", function () {
      it("reverts with MachineRegistryNotOwner", async function () {
        const f = await loadFixture(listedMarket);
        const other = await secondProvider(f);
        await expect(f.machines.connect(other.signer).publishTariff(f.machineId, NEW_TARIFF))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryNotOwner")
          .withArgs(f.machineId, other.memberId);
      });
    });

    describe("when the listing is retired", function () {
      it("reverts with MachineRegistryMachineRetired", async function () {
        const f = await loadFixture(listedMarket);
        await f.machines.connect(f.provider).retireMachine(f.machineId);
        await expect(f.machines.connect(f.provider).publishTariff(f.machineId, NEW_TARIFF))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryMachineRetired")
          .withArgs(f.machineId);
      });
    });

    describe("when there are more than MAX_TIERS tiers", function () {
      it("reverts with MachineRegistryTooManyTiers", async function () {
        const f = await loadFixture(listedMarket);
        const max = await f.machines.MAX_TIERS();
        const tiers = Array.from({ length: Number(max) + 1 }, (_, i) => ({
          threshold: BigInt(10 * (i + 1)),
          pricePerUnit: 1n,
        }));
        await expect(f.machines.connect(f.provider).publishTariff(f.machineId, tariff({ tiers })))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryTooManyTiers")
          .withArgs(max + 1n, max);
      });
    });

    describe("when there are more than MAX_LICENSES licences", function () {
      it("reverts with MachineRegistryTooManyLicenses", async function () {
        const f = await loadFixture(listedMarket);
        const max = await f.machines.MAX_LICENSES();
        const licenseIds = Array.from({ length: Number(max) + 1 }, (_, i) => BigInt(i + 1));
        await expect(f.machines.connect(f.provider).publishTariff(f.machineId, tariff({ licenseIds })))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryTooManyLicenses")
          .withArgs(max + 1n, max);
      });
    });

    describe("when a threshold is zero", function () {
      it("reverts with MachineRegistryInvalidTier", async function () {
        const f = await loadFixture(listedMarket);
        const tiers = [{ threshold: 0n, pricePerUnit: 1n }];
        await expect(f.machines.connect(f.provider).publishTariff(f.machineId, tariff({ tiers })))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryInvalidTier")
          .withArgs(0n, 0n);
      });
    });

    describe("when thresholds do not rise strictly", function () {
      it("reverts with MachineRegistryInvalidTier for an equal threshold", async function () {
        const f = await loadFixture(listedMarket);
        const tiers = [10n, 10n].map((threshold) => ({ threshold, pricePerUnit: 1n }));
        await expect(f.machines.connect(f.provider).publishTariff(f.machineId, tariff({ tiers })))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryInvalidTier")
          .withArgs(1n, 10n);
      });

      it("reverts with MachineRegistryInvalidTier for a falling threshold", async function () {
        const f = await loadFixture(listedMarket);
        const tiers = [10n, 20n, 15n].map((threshold) => ({ threshold, pricePerUnit: 1n }));
        await expect(f.machines.connect(f.provider).publishTariff(f.machineId, tariff({ tiers })))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryInvalidTier")
          .withArgs(2n, 15n);
      });
    });

    describe("when a licence appears twice", function () {
      it("reverts with MachineRegistryDuplicateLicense", async function () {
        const f = await loadFixture(listedMarket);
        await f.licenses.connect(f.licensor).registerLicense(ROYALTY, TERMS_V2);
        await expect(f.machines.connect(f.provider).publishTariff(f.machineId, tariff({ licenseIds: [1n, 2n, 1n] })))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryDuplicateLicense")
          .withArgs(1n);
      });
    });

    describe("when a licence does not exist", function () {
      it("reverts with LicenseRegistryUnknownLicense (from the licence registry)", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).publishTariff(f.machineId, tariff({ licenseIds: [1n, 7n] })))
          .to.be.revertedWithCustomError(f.licenses, "LicenseRegistryUnknownLicense")
          .withArgs(7n);
        await expect(f.machines.connect(f.provider).publishTariff(f.machineId, tariff({ licenseIds: [0n] })))
          .to.be.revertedWithCustomError(f.licenses, "LicenseRegistryUnknownLicense")
          .withArgs(0n);
      });
    });

    describe("when a licence is retired", function () {
      it("reverts with LicenseRegistryLicenseRetired (from the licence registry)", async function () {
        const f = await loadFixture(listedMarket);
        await f.licenses.connect(f.licensor).retireLicense(f.licenseId);
        await expect(f.machines.connect(f.provider).publishTariff(f.machineId, MACHINE_TARIFF))
          .to.be.revertedWithCustomError(f.licenses, "LicenseRegistryLicenseRetired")
          .withArgs(f.licenseId);
      });
    });

    describe("when the tariff is valid", function () {
      it("stores the next version and emits TariffPublished with the tariff; every version stays readable", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).publishTariff(f.machineId, NEW_TARIFF))
          .to.emit(f.machines, "TariffPublished")
          .withArgs(f.machineId, 2n, tariffTuple(NEW_TARIFF));
        expect((await f.machines.getMachine(f.machineId)).tariffVersion).to.equal(2n);
        expect(await f.machines.tariffOf(f.machineId, 1)).to.deep.equal(tariffTuple(MACHINE_TARIFF));
        expect(await f.machines.tariffOf(f.machineId, 2)).to.deep.equal(tariffTuple(NEW_TARIFF));
        await f.machines.connect(f.provider).publishTariff(f.machineId, MACHINE_TARIFF);
        expect(await f.machines.tariffOf(f.machineId, 3)).to.deep.equal(tariffTuple(MACHINE_TARIFF));
        expect(await f.machines.tariffOf(f.machineId, 2)).to.deep.equal(tariffTuple(NEW_TARIFF));
      });

      it("accepts exactly MAX_TIERS tiers and MAX_LICENSES licences", async function () {
        const f = await loadFixture(listedMarket);
        for (let i = 2; i <= Number(await f.machines.MAX_LICENSES()); i++) {
          await f.licenses.connect(f.licensor).registerLicense(BigInt(i) * 100_000n, id(`terms ${i}`));
        }
        const full = tariff({
          pricePerUnit: 9n,
          tiers: [
            { threshold: 1n, pricePerUnit: 8n },
            { threshold: 2n, pricePerUnit: 7n },
            { threshold: 2n ** 64n - 1n, pricePerUnit: 6n },
          ],
          licenseIds: [4n, 2n, 3n, 1n],
        });
        await expect(f.machines.connect(f.provider).publishTariff(f.machineId, full))
          .to.emit(f.machines, "TariffPublished")
          .withArgs(f.machineId, 2n, tariffTuple(full));
        expect(await f.machines.tariffOf(f.machineId, 2)).to.deep.equal(tariffTuple(full));
        const terms = await f.machines.bookingTerms(f.machineId);
        expect(terms.licensors).to.deep.equal(Array(4).fill(f.memberIds.licensor));
        expect(terms.royalties).to.deep.equal([400_000n, 200_000n, 300_000n, ROYALTY]);
      });

      it("makes bookingTerms and quote use the new version", async function () {
        const f = await loadFixture(listedMarket);
        await f.machines.connect(f.provider).publishTariff(f.machineId, NEW_TARIFF);
        const terms = await f.machines.bookingTerms(f.machineId);
        expect(terms.tariffVersion).to.equal(2n);
        expect(terms.tariff).to.deep.equal(tariffTuple(NEW_TARIFF));
        expect(terms.licensors).to.deep.equal([]);
        const [version, charge] = await f.machines.quote(f.machineId, usage({ machineSeconds: 3600n }));
        expect(version).to.equal(2n);
        // 20 EUR setup + 3600 s * 50 EUR/h = 50 EUR.
        expect(charge.machineTime).to.equal(50_000_000n);
        expect(charge.total).to.equal(70_000_000n);
      });

      describe("when the listing is paused", function () {
        it("publishes", async function () {
          const f = await loadFixture(listedMarket);
          await f.machines.connect(f.provider).pauseMachine(f.machineId);
          await expect(f.machines.connect(f.provider).publishTariff(f.machineId, NEW_TARIFF))
            .to.emit(f.machines, "TariffPublished")
            .withArgs(f.machineId, 2n, tariffTuple(NEW_TARIFF));
        });
      });

      for (const standing of ["AgreementNotAccepted", "ExitPending"] as const) {
        it(`publishes when ${Standing[standing]} (good standing suffices)`, async function () {
          const f = await loadFixture(listedMarket);
          await providerInStanding(f, standing);
          await expect(f.machines.connect(f.provider).publishTariff(f.machineId, NEW_TARIFF))
            .to.emit(f.machines, "TariffPublished")
            .withArgs(f.machineId, 2n, tariffTuple(NEW_TARIFF));
        });
      }
    });
  });

  describe("pauseMachine", function () {
    itRefusesEach(
      ACCOUNT_REFUSALS,
      () => loadFixture(listedMarket),
      providerInStanding,
      (f, caller) => f.machines.connect(caller).pauseMachine(f.machineId),
    );

    describe("when the listing does not exist", function () {
      it("reverts with MachineRegistryUnknownMachine", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).pauseMachine(3n))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryUnknownMachine")
          .withArgs(3n);
      });
    });

    describe("when the listing belongs to another member (a consumer)", function () {
      it("reverts with MachineRegistryNotOwner", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.consumer).pauseMachine(f.machineId))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryNotOwner")
          .withArgs(f.machineId, f.memberIds.consumer);
      });
    });

    describe("when the listing is retired", function () {
      it("reverts with MachineRegistryMachineRetired", async function () {
        const f = await loadFixture(listedMarket);
        await f.machines.connect(f.provider).retireMachine(f.machineId);
        await expect(f.machines.connect(f.provider).pauseMachine(f.machineId))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryMachineRetired")
          .withArgs(f.machineId);
      });
    });

    describe("when the listing is paused", function () {
      it("reverts with MachineRegistryStatusUnchanged", async function () {
        const f = await loadFixture(listedMarket);
        await f.machines.connect(f.provider).pauseMachine(f.machineId);
        await expect(f.machines.connect(f.provider).pauseMachine(f.machineId))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryStatusUnchanged")
          .withArgs(f.machineId, MachineStatus.Paused);
      });
    });

    describe("when the listing is active", function () {
      it("pauses it, emits MachineStatusChanged(Paused), takes it out of the index; still an obligation", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).pauseMachine(f.machineId))
          .to.emit(f.machines, "MachineStatusChanged")
          .withArgs(f.machineId, MachineStatus.Paused);
        expect((await f.machines.getMachine(f.machineId)).status).to.equal(MachineStatus.Paused);
        expect(await f.machines.capabilityCount(LASER)).to.equal(0n);
        expect(await f.machines.capabilityCount(BENDING)).to.equal(0n);
        expect(await bookable(f, f.machineId)).to.equal(false);
        expect(await f.machines.openObligations(f.memberIds.provider)).to.equal(2n);
      });

      for (const standing of ["Suspended", "MissingRole", "AgreementNotAccepted", "ExitPending"] as const) {
        it(`pauses when ${Standing[standing]} (protective act)`, async function () {
          const f = await loadFixture(listedMarket);
          await providerInStanding(f, standing);
          await expect(f.machines.connect(f.provider).pauseMachine(f.machineId))
            .to.emit(f.machines, "MachineStatusChanged")
            .withArgs(f.machineId, MachineStatus.Paused);
        });
      }
    });
  });

  describe("resumeMachine", function () {
    for (const standing of NEW_BUSINESS_REFUSALS) {
      describe(`when ${Standing[standing]}`, function () {
        it(`reverts with ${STANDING_ERROR[standing]}`, async function () {
          const f = await loadFixture(listedMarket);
          await f.machines.connect(f.provider).pauseMachine(f.machineId);
          const refusal = await providerInStanding(f, standing);
          await expect(f.machines.connect(refusal.caller).resumeMachine(f.machineId))
            .to.be.revertedWithCustomError(f.consortium, refusal.error)
            .withArgs(...refusal.args);
        });
      });
    }

    describe("when the listing does not exist", function () {
      it("reverts with MachineRegistryUnknownMachine", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).resumeMachine(3n))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryUnknownMachine")
          .withArgs(3n);
      });
    });

    describe("when the listing belongs to another provider", function () {
      it("reverts with MachineRegistryNotOwner", async function () {
        const f = await loadFixture(listedMarket);
        await f.machines.connect(f.provider).pauseMachine(f.machineId);
        const other = await secondProvider(f);
        await expect(f.machines.connect(other.signer).resumeMachine(f.machineId))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryNotOwner")
          .withArgs(f.machineId, other.memberId);
      });
    });

    describe("when the listing is retired", function () {
      it("reverts with MachineRegistryMachineRetired", async function () {
        const f = await loadFixture(listedMarket);
        await f.machines.connect(f.provider).retireMachine(f.machineId);
        await expect(f.machines.connect(f.provider).resumeMachine(f.machineId))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryMachineRetired")
          .withArgs(f.machineId);
      });
    });

    describe("when the listing is active", function () {
      it("reverts with MachineRegistryStatusUnchanged", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).resumeMachine(f.machineId))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryStatusUnchanged")
          .withArgs(f.machineId, MachineStatus.Active);
      });
    });

    describe("when the listing is paused", function () {
      it("resumes it, emits MachineStatusChanged(Active), indexes it and makes it bookable", async function () {
        const f = await loadFixture(listedMarket);
        await f.machines.connect(f.provider).pauseMachine(f.machineId);
        await expect(f.machines.connect(f.provider).resumeMachine(f.machineId))
          .to.emit(f.machines, "MachineStatusChanged")
          .withArgs(f.machineId, MachineStatus.Active);
        expect((await f.machines.getMachine(f.machineId)).status).to.equal(MachineStatus.Active);
        expect(await f.machines.machinesByCapability(LASER, 0, 10)).to.deep.equal([[1n], 1n]);
        expect(await f.machines.machinesByCapability(BENDING, 0, 10)).to.deep.equal([[1n], 1n]);
        expect(await bookable(f, f.machineId)).to.equal(true);
      });
    });
  });

  describe("retireMachine", function () {
    itRefusesEach(
      ACCOUNT_REFUSALS,
      () => loadFixture(listedMarket),
      providerInStanding,
      (f, caller) => f.machines.connect(caller).retireMachine(f.machineId),
    );

    describe("when the listing does not exist", function () {
      it("reverts with MachineRegistryUnknownMachine", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).retireMachine(3n))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryUnknownMachine")
          .withArgs(3n);
      });
    });

    describe("when the listing belongs to another member (a licensor)", function () {
      it("reverts with MachineRegistryNotOwner", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.licensor).retireMachine(f.machineId))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryNotOwner")
          .withArgs(f.machineId, f.memberIds.licensor);
      });
    });

    describe("when the listing is retired", function () {
      it("reverts with MachineRegistryMachineRetired", async function () {
        const f = await loadFixture(listedMarket);
        await f.machines.connect(f.provider).retireMachine(f.machineId);
        await expect(f.machines.connect(f.provider).retireMachine(f.machineId))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryMachineRetired")
          .withArgs(f.machineId);
      });
    });

    describe("when the listing is active or paused", function () {
      it("retires it, emits MachineStatusChanged(Retired), takes it out of the index, one obligation less", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).retireMachine(f.machineId))
          .to.emit(f.machines, "MachineStatusChanged")
          .withArgs(f.machineId, MachineStatus.Retired);
        expect((await f.machines.getMachine(f.machineId)).status).to.equal(MachineStatus.Retired);
        expect(await f.machines.capabilityCount(LASER)).to.equal(0n);
        expect(await f.machines.capabilityCount(BENDING)).to.equal(0n);
        expect(await bookable(f, f.machineId)).to.equal(false);
        expect(await f.machines.openObligations(f.memberIds.provider)).to.equal(1n);
        expect(await f.machines.machinesOf(f.memberIds.provider)).to.deep.equal([1n, 2n]);
      });

      it("retires a paused listing, the index unchanged", async function () {
        const f = await loadFixture(listedMarket);
        await f.machines.connect(f.provider).registerMachine(profileWith(LASER), [], NEW_TARIFF);
        await f.machines.connect(f.provider).pauseMachine(f.machineId);
        await expect(f.machines.connect(f.provider).retireMachine(f.machineId))
          .to.emit(f.machines, "MachineStatusChanged")
          .withArgs(f.machineId, MachineStatus.Retired);
        expect(await f.machines.machinesByCapability(LASER, 0, 10)).to.deep.equal([[3n], 1n]);
        expect(await f.machines.openObligations(f.memberIds.provider)).to.equal(2n);
      });

      for (const standing of ["Suspended", "MissingRole", "AgreementNotAccepted", "ExitPending"] as const) {
        it(`retires when ${Standing[standing]} (protective act)`, async function () {
          const f = await loadFixture(listedMarket);
          await providerInStanding(f, standing);
          await expect(f.machines.connect(f.provider).retireMachine(f.machineId))
            .to.emit(f.machines, "MachineStatusChanged")
            .withArgs(f.machineId, MachineStatus.Retired);
        });
      }

      it("keeps its keys on record, unrevoked: they stay valid after retirement", async function () {
        const f = await loadFixture(listedMarket);
        const before = await f.machines.signerKey(DEVICE_KEYS[0]!);
        const retiredAt = await minedAt(await f.machines.connect(f.provider).retireMachine(f.machineId));
        expect(await f.machines.isKeyValidAt(f.machineId, DEVICE_KEYS[0]!, KeyKind.Device, retiredAt + 1n)).to.equal(
          true,
        );
        expect(await f.machines.keysOf(f.machineId)).to.deep.equal(DEVICE_KEYS);
        expect(await f.machines.signerKey(DEVICE_KEYS[0]!)).to.deep.equal(before);
        expect((await f.machines.getMachine(f.machineId)).activeKeys).to.equal(2n);
      });

      it("changes nothing about it afterwards (update, tariff, keys, pause, resume)", async function () {
        const f = await loadFixture(listedMarket);
        await f.machines.connect(f.provider).retireMachine(f.machineId);
        const asProvider = f.machines.connect(f.provider);
        const attempts = [
          asProvider.updateMachine(f.machineId, MACHINE_PROFILE),
          asProvider.publishTariff(f.machineId, NEW_TARIFF),
          asProvider.addKey(f.machineId, NEW_KEY, KeyKind.Device),
          asProvider.rotateKey(f.machineId, DEVICE_KEYS[0]!, NEW_KEY),
          asProvider.pauseMachine(f.machineId),
          asProvider.resumeMachine(f.machineId),
        ];
        for (const attempt of attempts) {
          await expect(attempt)
            .to.be.revertedWithCustomError(f.machines, "MachineRegistryMachineRetired")
            .withArgs(f.machineId);
        }
      });
    });
  });

  describe("addKey", function () {
    itRefusesEach(
      GOOD_STANDING_REFUSALS,
      () => loadFixture(listedMarket),
      providerInStanding,
      (f, caller) => f.machines.connect(caller).addKey(f.machineId, NEW_KEY, KeyKind.Device),
    );

    describe("when the listing does not exist", function () {
      it("reverts with MachineRegistryUnknownMachine", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).addKey(3n, NEW_KEY, KeyKind.Device))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryUnknownMachine")
          .withArgs(3n);
      });
    });

    describe("when the listing belongs to another provider", function () {
      it("reverts with MachineRegistryNotOwner", async function () {
        const f = await loadFixture(listedMarket);
        const other = await secondProvider(f);
        await expect(f.machines.connect(other.signer).addKey(f.machineId, NEW_KEY, KeyKind.Device))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryNotOwner")
          .withArgs(f.machineId, other.memberId);
      });
    });

    describe("when the listing is retired", function () {
      it("reverts with MachineRegistryMachineRetired", async function () {
        const f = await loadFixture(listedMarket);
        await f.machines.connect(f.provider).retireMachine(f.serviceId);
        await expect(f.machines.connect(f.provider).addKey(f.serviceId, NEW_KEY, KeyKind.Inspector))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryMachineRetired")
          .withArgs(f.serviceId);
      });
    });

    describe("when the key is the zero address", function () {
      it("reverts with MachineRegistryInvalidKey", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).addKey(f.machineId, ZeroAddress, KeyKind.Device))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryInvalidKey")
          .withArgs(ZeroAddress);
      });
    });

    describe("when the key is an active or revoked key of the listing", function () {
      it("reverts with MachineRegistryKeyTaken (keys are never reused)", async function () {
        const f = await loadFixture(listedMarket);
        const [active, revoked] = DEVICE_KEYS as [string, string];
        await f.machines.connect(f.provider).revokeKey(f.machineId, revoked);
        for (const key of [active, revoked]) {
          await expect(f.machines.connect(f.provider).addKey(f.machineId, key, KeyKind.Device))
            .to.be.revertedWithCustomError(f.machines, "MachineRegistryKeyTaken")
            .withArgs(key, f.machineId);
        }
      });
    });

    describe("when the key is another listing's", function () {
      it("reverts with MachineRegistryKeyTaken naming the holder, revoked or not", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).addKey(f.machineId, INSPECTOR_KEY, KeyKind.Inspector))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryKeyTaken")
          .withArgs(INSPECTOR_KEY, f.serviceId);
        await f.machines.connect(f.provider).revokeKey(f.serviceId, INSPECTOR_KEY);
        await expect(f.machines.connect(f.provider).addKey(f.machineId, INSPECTOR_KEY, KeyKind.Inspector))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryKeyTaken")
          .withArgs(INSPECTOR_KEY, f.serviceId);
      });
    });

    describe("when a device key is added to a service", function () {
      it("reverts with MachineRegistryKeyKindNotAllowed", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).addKey(f.serviceId, NEW_KEY, KeyKind.Device))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryKeyKindNotAllowed")
          .withArgs(f.serviceId, KeyKind.Device);
      });
    });

    describe("when the listing has MAX_ACTIVE_KEYS active keys", function () {
      it("reverts with MachineRegistryTooManyKeys", async function () {
        const f = await loadFixture(listedMarket);
        await fillKeys(f);
        const max = await f.machines.MAX_ACTIVE_KEYS();
        expect((await f.machines.getMachine(f.machineId)).activeKeys).to.equal(max);
        await expect(f.machines.connect(f.provider).addKey(f.machineId, NEW_KEY, KeyKind.Device))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryTooManyKeys")
          .withArgs(f.machineId, max);
      });
    });

    describe("when the key is new", function () {
      it("adds it, valid from this block, emits SignerKeyAdded, counts it active, lists it in keysOf", async function () {
        const f = await loadFixture(listedMarket);
        const at = await nextBlockIn(100n);
        await expect(f.machines.connect(f.provider).addKey(f.machineId, NEW_KEY, KeyKind.Device))
          .to.emit(f.machines, "SignerKeyAdded")
          .withArgs(f.machineId, NEW_KEY, KeyKind.Device);
        expect(await f.machines.signerKey(NEW_KEY)).to.deep.equal([f.machineId, at, 0n, BigInt(KeyKind.Device)]);
        expect((await f.machines.getMachine(f.machineId)).activeKeys).to.equal(3n);
        expect(await f.machines.keysOf(f.machineId)).to.deep.equal([...DEVICE_KEYS, NEW_KEY]);
        expect(await f.machines.isKeyValidAt(f.machineId, NEW_KEY, KeyKind.Device, at)).to.equal(true);
      });

      it("adds an inspector key to a machine", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).addKey(f.machineId, NEW_KEY, KeyKind.Inspector))
          .to.emit(f.machines, "SignerKeyAdded")
          .withArgs(f.machineId, NEW_KEY, KeyKind.Inspector);
        expect((await f.machines.signerKey(NEW_KEY)).kind).to.equal(KeyKind.Inspector);
      });

      it("does not count revoked keys towards MAX_ACTIVE_KEYS", async function () {
        const f = await loadFixture(listedMarket);
        const extra = await fillKeys(f);
        await f.machines.connect(f.provider).revokeKey(f.machineId, extra[0]!);
        await expect(f.machines.connect(f.provider).addKey(f.machineId, NEW_KEY, KeyKind.Device))
          .to.emit(f.machines, "SignerKeyAdded")
          .withArgs(f.machineId, NEW_KEY, KeyKind.Device);
        const max = await f.machines.MAX_ACTIVE_KEYS();
        expect((await f.machines.getMachine(f.machineId)).activeKeys).to.equal(max);
        expect(await f.machines.keysOf(f.machineId)).to.have.length(Number(max) + 1);
      });

      for (const standing of ["AgreementNotAccepted", "ExitPending"] as const) {
        it(`adds when ${Standing[standing]} (good standing suffices)`, async function () {
          const f = await loadFixture(listedMarket);
          await providerInStanding(f, standing);
          await expect(f.machines.connect(f.provider).addKey(f.machineId, NEW_KEY, KeyKind.Device))
            .to.emit(f.machines, "SignerKeyAdded")
            .withArgs(f.machineId, NEW_KEY, KeyKind.Device);
        });
      }
    });
  });

  describe("revokeKey", function () {
    itRefusesEach(
      ACCOUNT_REFUSALS,
      () => loadFixture(listedMarket),
      providerInStanding,
      (f, caller) => f.machines.connect(caller).revokeKey(f.machineId, DEVICE_KEYS[0]!),
    );

    describe("when the listing does not exist", function () {
      it("reverts with MachineRegistryUnknownMachine", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).revokeKey(0n, STRANGER_KEY))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryUnknownMachine")
          .withArgs(0n);
      });
    });

    describe("when the listing belongs to another provider", function () {
      it("reverts with MachineRegistryNotOwner", async function () {
        const f = await loadFixture(listedMarket);
        const other = await secondProvider(f);
        await expect(f.machines.connect(other.signer).revokeKey(f.machineId, DEVICE_KEYS[0]!))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryNotOwner")
          .withArgs(f.machineId, other.memberId);
      });
    });

    describe("when the key is not a key of the listing", function () {
      it("reverts with MachineRegistryUnknownKey for another listing's key and one never registered", async function () {
        const f = await loadFixture(listedMarket);
        for (const key of [INSPECTOR_KEY, STRANGER_KEY, ZeroAddress]) {
          await expect(f.machines.connect(f.provider).revokeKey(f.machineId, key))
            .to.be.revertedWithCustomError(f.machines, "MachineRegistryUnknownKey")
            .withArgs(f.machineId, key);
        }
      });
    });

    describe("when the key is revoked", function () {
      it("reverts with MachineRegistryKeyRevoked", async function () {
        const f = await loadFixture(listedMarket);
        const at = await minedAt(await f.machines.connect(f.provider).revokeKey(f.machineId, DEVICE_KEYS[0]!));
        await expect(f.machines.connect(f.provider).revokeKey(f.machineId, DEVICE_KEYS[0]!))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryKeyRevoked")
          .withArgs(DEVICE_KEYS[0], at);
      });
    });

    describe("when the key is active", function () {
      it("sets validUntil to this block's time, emits SignerKeyRevoked, counts one active key less", async function () {
        const f = await loadFixture(listedMarket);
        const at = await nextBlockIn(1000n);
        await expect(f.machines.connect(f.provider).revokeKey(f.machineId, DEVICE_KEYS[0]!))
          .to.emit(f.machines, "SignerKeyRevoked")
          .withArgs(f.machineId, DEVICE_KEYS[0]);
        expect(await f.machines.signerKey(DEVICE_KEYS[0]!)).to.deep.equal([
          f.machineId,
          f.registeredAt,
          at,
          BigInt(KeyKind.Device),
        ]);
        expect((await f.machines.getMachine(f.machineId)).activeKeys).to.equal(1n);
        expect(await f.machines.keysOf(f.machineId)).to.deep.equal(DEVICE_KEYS);
      });

      for (const standing of ["Suspended", "MissingRole", "AgreementNotAccepted", "ExitPending"] as const) {
        it(`revokes when ${Standing[standing]} (protective act)`, async function () {
          const f = await loadFixture(listedMarket);
          await providerInStanding(f, standing);
          await expect(f.machines.connect(f.provider).revokeKey(f.machineId, DEVICE_KEYS[0]!))
            .to.emit(f.machines, "SignerKeyRevoked")
            .withArgs(f.machineId, DEVICE_KEYS[0]);
        });
      }

      describe("when the listing is retired", function () {
        it("revokes", async function () {
          const f = await loadFixture(listedMarket);
          await f.machines.connect(f.provider).retireMachine(f.machineId);
          await expect(f.machines.connect(f.provider).revokeKey(f.machineId, DEVICE_KEYS[0]!))
            .to.emit(f.machines, "SignerKeyRevoked")
            .withArgs(f.machineId, DEVICE_KEYS[0]);
        });
      });
    });
  });

  describe("rotateKey", function () {
    itRefusesEach(
      GOOD_STANDING_REFUSALS,
      () => loadFixture(listedMarket),
      providerInStanding,
      (f, caller) => f.machines.connect(caller).rotateKey(f.machineId, DEVICE_KEYS[0]!, NEW_KEY),
    );

    describe("when the listing does not exist, belongs to another provider or is retired", function () {
      it("reverts with MachineRegistryUnknownMachine, MachineRegistryNotOwner, MachineRegistryMachineRetired", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).rotateKey(3n, DEVICE_KEYS[0]!, NEW_KEY))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryUnknownMachine")
          .withArgs(3n);
        const other = await secondProvider(f);
        await expect(f.machines.connect(other.signer).rotateKey(f.machineId, DEVICE_KEYS[0]!, NEW_KEY))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryNotOwner")
          .withArgs(f.machineId, other.memberId);
        await f.machines.connect(f.provider).retireMachine(f.machineId);
        await expect(f.machines.connect(f.provider).rotateKey(f.machineId, DEVICE_KEYS[0]!, NEW_KEY))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryMachineRetired")
          .withArgs(f.machineId);
      });
    });

    describe("when the old key is not a key of the listing", function () {
      it("reverts with MachineRegistryUnknownKey", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).rotateKey(f.machineId, INSPECTOR_KEY, NEW_KEY))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryUnknownKey")
          .withArgs(f.machineId, INSPECTOR_KEY);
      });
    });

    describe("when the old key is revoked", function () {
      it("reverts with MachineRegistryKeyRevoked", async function () {
        const f = await loadFixture(listedMarket);
        const at = await minedAt(await f.machines.connect(f.provider).revokeKey(f.machineId, DEVICE_KEYS[0]!));
        await expect(f.machines.connect(f.provider).rotateKey(f.machineId, DEVICE_KEYS[0]!, NEW_KEY))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryKeyRevoked")
          .withArgs(DEVICE_KEYS[0], at);
      });
    });

    describe("when the new key is the zero address", function () {
      it("reverts with MachineRegistryInvalidKey", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).rotateKey(f.machineId, DEVICE_KEYS[0]!, ZeroAddress))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryInvalidKey")
          .withArgs(ZeroAddress);
      });
    });

    describe("when the new key is the old key or another listing's", function () {
      it("reverts with MachineRegistryKeyTaken", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).rotateKey(f.machineId, DEVICE_KEYS[0]!, DEVICE_KEYS[0]!))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryKeyTaken")
          .withArgs(DEVICE_KEYS[0], f.machineId);
        await expect(f.machines.connect(f.provider).rotateKey(f.machineId, DEVICE_KEYS[0]!, INSPECTOR_KEY))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryKeyTaken")
          .withArgs(INSPECTOR_KEY, f.serviceId);
        expect((await f.machines.signerKey(DEVICE_KEYS[0]!)).validUntil).to.equal(0n);
      });
    });

    describe("when both keys are valid", function () {
      it("makes the old key valid until now (exclusive), the new one from now, of the old key's kind", async function () {
        const f = await loadFixture(listedMarket);
        const at = await nextBlockIn(500n);
        const tx = f.machines.connect(f.provider).rotateKey(f.serviceId, INSPECTOR_KEY, NEW_KEY);
        await expect(tx).to.emit(f.machines, "SignerKeyRevoked").withArgs(f.serviceId, INSPECTOR_KEY);
        await expect(tx).to.emit(f.machines, "SignerKeyAdded").withArgs(f.serviceId, NEW_KEY, KeyKind.Inspector);
        const old = await f.machines.signerKey(INSPECTOR_KEY);
        expect(old.validUntil).to.equal(at);
        expect(await f.machines.signerKey(NEW_KEY)).to.deep.equal([f.serviceId, at, 0n, BigInt(KeyKind.Inspector)]);
        expect((await f.machines.getMachine(f.serviceId)).activeKeys).to.equal(1n);
        expect(await f.machines.keysOf(f.serviceId)).to.deep.equal([INSPECTOR_KEY, NEW_KEY]);
      });

      describe("when the listing has MAX_ACTIVE_KEYS active keys", function () {
        it("rotates", async function () {
          const f = await loadFixture(listedMarket);
          await fillKeys(f);
          await expect(f.machines.connect(f.provider).rotateKey(f.machineId, DEVICE_KEYS[1]!, NEW_KEY))
            .to.emit(f.machines, "SignerKeyAdded")
            .withArgs(f.machineId, NEW_KEY, KeyKind.Device);
          expect((await f.machines.getMachine(f.machineId)).activeKeys).to.equal(await f.machines.MAX_ACTIVE_KEYS());
        });
      });
    });
  });

  describe("key validity over time (isKeyValidAt)", function () {
    const valid = (f: Listed, key: string, at: bigint, machineId = f.machineId, kind: number = KeyKind.Device) =>
      f.machines.isKeyValidAt(machineId, key, kind, at);

    it("a key is invalid before validFrom and valid from validFrom on", async function () {
      const f = await loadFixture(listedMarket);
      const from = await nextBlockIn(60n);
      await f.machines.connect(f.provider).addKey(f.machineId, NEW_KEY, KeyKind.Device);
      expect(await valid(f, NEW_KEY, from - 1n)).to.equal(false);
      expect(await valid(f, NEW_KEY, from)).to.equal(true);
      expect(await valid(f, NEW_KEY, from + 10n ** 9n)).to.equal(true);
    });

    it("a key revoked at T is valid in [validFrom, T) and invalid at T and after", async function () {
      const f = await loadFixture(listedMarket);
      const key = DEVICE_KEYS[0]!;
      const revokedAt = await nextBlockIn(3600n);
      await f.machines.connect(f.provider).revokeKey(f.machineId, key);
      expect(await valid(f, key, f.registeredAt - 1n)).to.equal(false);
      expect(await valid(f, key, f.registeredAt)).to.equal(true);
      expect(await valid(f, key, revokedAt - 1n)).to.equal(true);
      expect(await valid(f, key, revokedAt)).to.equal(false);
      expect(await valid(f, key, revokedAt + 1n)).to.equal(false);
      expect(await valid(f, key, revokedAt + 10n ** 9n)).to.equal(false);
      expect(await valid(f, DEVICE_KEYS[1]!, revokedAt + 1n)).to.equal(true);
    });

    it("a key rotated at T: the old one valid until T - 1, the new one from T", async function () {
      const f = await loadFixture(listedMarket);
      const old = DEVICE_KEYS[0]!;
      const rotatedAt = await nextBlockIn(7200n);
      await f.machines.connect(f.provider).rotateKey(f.machineId, old, NEW_KEY);
      expect(await valid(f, old, rotatedAt - 1n)).to.equal(true);
      expect(await valid(f, old, rotatedAt)).to.equal(false);
      expect(await valid(f, NEW_KEY, rotatedAt - 1n)).to.equal(false);
      expect(await valid(f, NEW_KEY, rotatedAt)).to.equal(true);
      expect(await valid(f, NEW_KEY, rotatedAt + 1n)).to.equal(true);
    });

    it("a key revoked in the block that added it is never valid", async function () {
      const f = await loadFixture(listedMarket);
      const at = await nextBlockIn(10n);
      await connection.provider.request({ method: "evm_setAutomine", params: [false] });
      try {
        // Explicit gas limits: with automine off, estimating the revocation would run before the key exists.
        const asProvider = f.machines.connect(f.provider);
        await asProvider.addKey(f.machineId, NEW_KEY, KeyKind.Device, { gasLimit: 500_000n });
        await asProvider.revokeKey(f.machineId, NEW_KEY, { gasLimit: 500_000n });
        await networkHelpers.mine();
      } finally {
        await connection.provider.request({ method: "evm_setAutomine", params: [true] });
      }
      expect(await f.machines.signerKey(NEW_KEY)).to.deep.equal([f.machineId, at, at, BigInt(KeyKind.Device)]);
      for (const t of [at - 1n, at, at + 1n]) expect(await valid(f, NEW_KEY, t)).to.equal(false);
    });

    it("wrong kind, wrong listing, listing 0 or an unknown key is invalid", async function () {
      const f = await loadFixture(listedMarket);
      const now = BigInt(await time.latest());
      expect(await valid(f, DEVICE_KEYS[0]!, now)).to.equal(true);
      expect(await valid(f, DEVICE_KEYS[0]!, now, f.machineId, KeyKind.Inspector)).to.equal(false);
      expect(await valid(f, DEVICE_KEYS[0]!, now, f.serviceId)).to.equal(false);
      expect(await valid(f, INSPECTOR_KEY, now, f.serviceId, KeyKind.Inspector)).to.equal(true);
      expect(await valid(f, INSPECTOR_KEY, now, f.machineId, KeyKind.Inspector)).to.equal(false);
      expect(await valid(f, STRANGER_KEY, now, 0n)).to.equal(false);
      expect(await valid(f, STRANGER_KEY, now)).to.equal(false);
      expect(await valid(f, ZeroAddress, now, 0n)).to.equal(false);
    });
  });

  describe("booking (isBookable / bookingTerms)", function () {
    describe("when the listing does not exist", function () {
      it("is not bookable; bookingTerms reverts with MachineRegistryUnknownMachine", async function () {
        const f = await loadFixture(listedMarket);
        expect(await bookable(f, 3n)).to.equal(false);
        expect(await bookable(f, 0n)).to.equal(false);
        await expect(f.machines.bookingTerms(3n))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryUnknownMachine")
          .withArgs(3n);
      });
    });

    describe("when the listing is paused or retired", function () {
      it("is not bookable; bookingTerms reverts with MachineRegistryMachineNotActive", async function () {
        const f = await loadFixture(listedMarket);
        await f.machines.connect(f.provider).pauseMachine(f.machineId);
        await f.machines.connect(f.provider).retireMachine(f.serviceId);
        expect(await bookable(f, f.machineId)).to.equal(false);
        expect(await bookable(f, f.serviceId)).to.equal(false);
        await expect(f.machines.bookingTerms(f.machineId))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryMachineNotActive")
          .withArgs(f.machineId, MachineStatus.Paused);
        await expect(f.machines.bookingTerms(f.serviceId))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryMachineNotActive")
          .withArgs(f.serviceId, MachineStatus.Retired);
      });
    });

    describe("when the provider may not start new business", function () {
      const causes = [
        {
          standing: "Suspended",
          remove: (f: Listed) => f.consortium.connect(f.operator).reinstate(f.memberIds.provider),
          removedBy: "reinstated",
        },
        {
          standing: "ExitPending",
          remove: (f: Listed) => f.consortium.connect(f.provider).cancelExit(),
          removedBy: "the exit is cancelled",
        },
        {
          standing: "AgreementNotAccepted",
          remove: (f: Listed) => f.consortium.connect(f.provider).acceptAgreement(AGREEMENT_V2),
          removedBy: "the new agreement is accepted",
        },
        {
          standing: "MissingRole",
          remove: (f: Listed) => f.consortium.connect(f.operator).grantMemberRole(f.memberIds.provider, Role.Provider),
          removedBy: "the role is granted again",
        },
      ] as const;

      for (const { standing, remove, removedBy } of causes) {
        describe(`when ${Standing[standing]}`, function () {
          it("is not bookable; bookingTerms reverts with MachineRegistryProviderNotInBusiness", async function () {
            const f = await loadFixture(listedMarket);
            await providerInStanding(f, standing);
            for (const machineId of [f.machineId, f.serviceId]) {
              expect(await bookable(f, machineId)).to.equal(false);
              await expect(f.machines.bookingTerms(machineId))
                .to.be.revertedWithCustomError(f.machines, "MachineRegistryProviderNotInBusiness")
                .withArgs(machineId, f.memberIds.provider);
            }
            expect(await f.machines.machinesByCapability(LASER, 0, 10)).to.deep.equal([[], 1n]);
          });

          it(`is bookable again once ${removedBy}`, async function () {
            const f = await loadFixture(listedMarket);
            await providerInStanding(f, standing);
            await remove(f);
            expect(await bookable(f, f.machineId)).to.equal(true);
            expect((await f.machines.bookingTerms(f.machineId)).provider).to.equal(f.memberIds.provider);
          });
        });
      }
    });

    describe("when a licence of the current tariff is retired", function () {
      it("is not bookable; bookingTerms reverts with LicenseRegistryLicenseRetired", async function () {
        const f = await loadFixture(listedMarket);
        await f.licenses.connect(f.licensor).retireLicense(f.licenseId);
        expect(await bookable(f, f.machineId)).to.equal(false);
        expect(await bookable(f, f.serviceId)).to.equal(true);
        await expect(f.machines.bookingTerms(f.machineId))
          .to.be.revertedWithCustomError(f.licenses, "LicenseRegistryLicenseRetired")
          .withArgs(f.licenseId);
        expect(await f.machines.machinesByCapability(LASER, 0, 10)).to.deep.equal([[], 1n]);
        expect(await f.machines.capabilityCount(LASER)).to.equal(1n);
      });

      it("is bookable again with a tariff without it", async function () {
        const f = await loadFixture(listedMarket);
        await f.licenses.connect(f.licensor).retireLicense(f.licenseId);
        await f.machines.connect(f.provider).publishTariff(f.machineId, { ...MACHINE_TARIFF, licenseIds: [] });
        expect(await bookable(f, f.machineId)).to.equal(true);
        expect((await f.machines.bookingTerms(f.machineId)).tariffVersion).to.equal(2n);
      });
    });

    describe("when the licensor is suspended", function () {
      it("stays bookable (only the licence's status counts)", async function () {
        const f = await loadFixture(listedMarket);
        await f.consortium.connect(f.operator).suspend(f.memberIds.licensor, SUSPENSION_REASON);
        expect(await bookable(f, f.machineId)).to.equal(true);
      });
    });

    describe("when bookable", function () {
      it("bookingTerms returns provider, tariff version, tariff, licensors, licence versions and royalties", async function () {
        const f = await loadFixture(listedMarket);
        const terms = await f.machines.bookingTerms(f.machineId);
        expect(terms.provider).to.equal(f.memberIds.provider);
        expect(terms.tariffVersion).to.equal(1n);
        expect(terms.tariff).to.deep.equal(tariffTuple(MACHINE_TARIFF));
        expect(terms.licensors).to.deep.equal([f.memberIds.licensor]);
        expect(terms.licenseVersions).to.deep.equal([1n]);
        expect(terms.royalties).to.deep.equal([ROYALTY]);
        const service = await f.machines.bookingTerms(f.serviceId);
        expect(service.tariff).to.deep.equal(tariffTuple(SERVICE_TARIFF));
        expect([service.licensors, service.licenseVersions, service.royalties]).to.deep.equal([[], [], []]);
      });

      it("bookingTerms names the licence's new version and royalty after publishRoyalty", async function () {
        const f = await loadFixture(listedMarket);
        await f.licenses.connect(f.licensor).publishRoyalty(f.licenseId, NEW_ROYALTY, TERMS_V2);
        const terms = await f.machines.bookingTerms(f.machineId);
        expect(terms.tariffVersion).to.equal(1n);
        expect(terms.licenseVersions).to.deep.equal([2n]);
        expect(terms.royalties).to.deep.equal([NEW_ROYALTY]);
      });
    });
  });

  describe("quote", function () {
    /** The Charge tuple: setupFee, machineTime, production, inspections, minimumTopUp, royalties, royaltyTotal, total. */
    const charge = (
      setupFee: bigint,
      machineTime: bigint,
      production: bigint,
      inspections: bigint,
      minimumTopUp: bigint,
      royalties: bigint[],
    ) => {
      const royaltyTotal = royalties.reduce((sum, r) => sum + r, 0n);
      const total = setupFee + machineTime + production + inspections + minimumTopUp + royaltyTotal;
      return [setupFee, machineTime, production, inspections, minimumTopUp, royalties, royaltyTotal, total];
    };

    it("prices 120 parts at 40 s each, 3 inspections, setup fee, tiers and a royalty by hand", async function () {
      const f = await loadFixture(listedMarket);
      const [version, result] = await f.machines.quote(
        f.machineId,
        usage({ machineSeconds: 120n * 40n, units: 120n, inspections: 3n, licensedProducts: [120n] }),
      );
      expect(version).to.equal(1n);
      // 4800 s * 40,000,000 / 3600 = 53,333,333.3 -> 53,333,333 (rounded down);
      // 50 parts * 0.50 + 50 * 0.40 + 20 * 0.30 = 51 EUR; 3 * 15 EUR; 120 * 1.20 EUR royalty.
      const expected = charge(25_000_000n, 53_333_333n, 51_000_000n, 45_000_000n, 0n, [144_000_000n]);
      expect(result).to.deep.equal(expected);
      expect(result.total).to.equal(318_333_333n);
    });

    describe("when units fall at and around the tier thresholds", function () {
      // 0.50 EUR per part up to 50, 0.40 from 51 to 100, 0.30 above.
      const cases: [bigint, bigint][] = [
        [1n, 500_000n],
        [49n, 24_500_000n],
        [50n, 25_000_000n],
        [51n, 25_400_000n],
        [100n, 45_000_000n],
        [101n, 45_300_000n],
        [1000n, 315_000_000n],
      ];
      for (const [units, production] of cases) {
        it(`prices ${units} units at ${production} base units`, async function () {
          const f = await loadFixture(listedMarket);
          const [, result] = await f.machines.quote(f.machineId, usage({ units }));
          expect(result.production).to.equal(production);
          const subtotal = 25_000_000n + production;
          expect(result.minimumTopUp).to.equal(subtotal < 50_000_000n ? 50_000_000n - subtotal : 0n);
          expect(result.total).to.equal(subtotal > 50_000_000n ? subtotal : 50_000_000n);
        });
      }
    });

    describe("when only licensed products are counted", function () {
      it("charges setup fee, minimum and royalties: the order was used", async function () {
        const f = await loadFixture(listedMarket);
        const [, result] = await f.machines.quote(f.machineId, usage({ licensedProducts: [5n] }));
        expect(result).to.deep.equal(charge(25_000_000n, 0n, 0n, 0n, 25_000_000n, [6_000_000n]));
      });
    });

    describe("when the lines sum below the minimum charge", function () {
      it("tops up to the minimum; royalties come on top", async function () {
        const f = await loadFixture(listedMarket);
        const [, result] = await f.machines.quote(f.machineId, usage({ machineSeconds: 60n, licensedProducts: [2n] }));
        // 25 EUR setup + 60 s * 40,000,000 / 3600 = 666,666.6 -> 666,666; minimum 50 EUR.
        expect(result).to.deep.equal(charge(25_000_000n, 666_666n, 0n, 0n, 24_333_334n, [2_400_000n]));
        expect(result.total).to.equal(52_400_000n);
      });
    });

    describe("when nothing is used", function () {
      it("charges nothing, not even the setup fee or the minimum", async function () {
        const f = await loadFixture(listedMarket);
        const [version, result] = await f.machines.quote(f.machineId, usage());
        expect(version).to.equal(1n);
        expect(result).to.deep.equal(charge(0n, 0n, 0n, 0n, 0n, [0n]));
        const [, counted] = await f.machines.quote(f.machineId, usage({ licensedProducts: [0n] }));
        expect(counted).to.deep.equal(charge(0n, 0n, 0n, 0n, 0n, [0n]));
      });
    });

    describe("after publishRoyalty", function () {
      it("charges the royalty of the licence's current version", async function () {
        const f = await loadFixture(listedMarket);
        await f.licenses.connect(f.licensor).publishRoyalty(f.licenseId, NEW_ROYALTY, TERMS_V2);
        const [version, result] = await f.machines.quote(
          f.machineId,
          usage({ machineSeconds: 4800n, units: 120n, inspections: 3n, licensedProducts: [120n] }),
        );
        expect(version).to.equal(1n);
        expect(result).to.deep.equal(charge(25_000_000n, 53_333_333n, 51_000_000n, 45_000_000n, 0n, [180_000_000n]));
        expect(result.total).to.equal(354_333_333n);
      });
    });

    describe("a service", function () {
      it("charges its inspections", async function () {
        const f = await loadFixture(listedMarket);
        const [, result] = await f.machines.quote(f.serviceId, usage({ inspections: 3n }));
        expect(result).to.deep.equal(charge(0n, 0n, 0n, 90_000_000n, 0n, []));
      });
    });

    describe("when licensed products do not match the tariff's licences", function () {
      it("reverts with TariffMathLengthMismatch", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.quote(f.machineId, usage({ units: 1n, licensedProducts: [1n, 2n] })))
          .to.be.revertedWithCustomError(f.machines, "TariffMathLengthMismatch")
          .withArgs(2n, 1n);
      });
    });

    describe("when the listing is not bookable", function () {
      it("reverts as bookingTerms does", async function () {
        const f = await loadFixture(listedMarket);
        const used = usage({ units: 1n, licensedProducts: [1n] });
        await expect(f.machines.quote(3n, used))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryUnknownMachine")
          .withArgs(3n);
        await f.licenses.connect(f.licensor).retireLicense(f.licenseId);
        await expect(f.machines.quote(f.machineId, used))
          .to.be.revertedWithCustomError(f.licenses, "LicenseRegistryLicenseRetired")
          .withArgs(f.licenseId);
        await f.consortium.connect(f.operator).suspend(f.memberIds.provider, SUSPENSION_REASON);
        await expect(f.machines.quote(f.serviceId, usage({ inspections: 1n })))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryProviderNotInBusiness")
          .withArgs(f.serviceId, f.memberIds.provider);
        await f.machines.connect(f.provider).pauseMachine(f.machineId);
        await expect(f.machines.quote(f.machineId, used))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryMachineNotActive")
          .withArgs(f.machineId, MachineStatus.Paused);
      });
    });
  });

  describe("capability index (capabilityCount / machinesByCapability)", function () {
    interface Catalogue extends Listed {
      other: { signer: Listed["provider"]; memberId: bigint };
    }

    /**
     * Listed plus machines 3 [LASER], 4 [LASER, WELDING], 5 [BENDING] of the provider and 6 [LASER],
     * 7 [LASER, WELDING] of a second provider: LASER lists 1, 3, 4, 6, 7.
     */
    async function catalogue(): Promise<Catalogue> {
      const f = await listedMarket();
      const other = await secondProvider(f);
      const asProvider = f.machines.connect(f.provider);
      await asProvider.registerMachine(profileWith(LASER), [], NEW_TARIFF);
      await asProvider.registerMachine(profileWith(LASER, WELDING), [], NEW_TARIFF);
      await asProvider.registerMachine(profileWith(BENDING), [], NEW_TARIFF);
      const asOther = f.machines.connect(other.signer);
      await asOther.registerMachine(profileWith(LASER), [], NEW_TARIFF);
      await asOther.registerMachine(profileWith(LASER, WELDING), [], NEW_TARIFF);
      return { ...f, other };
    }

    const ALL_TAGS = [LASER, BENDING, WELDING, INSPECTION];

    /** Every listing with `tag` in index order (no page skips anything while all are bookable). */
    async function listed(f: Listed, tag: string): Promise<bigint[]> {
      const [ids, next] = await f.machines.machinesByCapability(tag, 0, 1000);
      expect(next).to.equal(await f.machines.capabilityCount(tag));
      return [...ids];
    }

    /** The index holds exactly the active listings with each tag, each once. */
    async function expectIndexExact(f: Listed) {
      const count = await f.machines.machineCount();
      for (const tag of ALL_TAGS) {
        const expected: bigint[] = [];
        for (let machineId = 1n; machineId <= count; machineId++) {
          const machine = await f.machines.getMachine(machineId);
          if (machine.status === BigInt(MachineStatus.Active) && machine.capabilities.includes(tag)) {
            expected.push(machineId);
          }
        }
        const actual = await listed(f, tag);
        expect(actual.length).to.equal(new Set(actual).size);
        expect([...actual].sort()).to.deep.equal(expected.sort());
        expect(await f.machines.capabilityCount(tag)).to.equal(BigInt(expected.length));
      }
    }

    /** Reads every page of `tag` at `limit` per page, following `next`. */
    async function readAllPages(f: Listed, tag: string, limit: number): Promise<bigint[]> {
      const count = await f.machines.capabilityCount(tag);
      const found: bigint[] = [];
      let offset = 0n;
      for (let pages = 0; offset < count; pages++) {
        expect(pages).to.be.below(100);
        const [ids, next] = await f.machines.machinesByCapability(tag, offset, limit);
        expect(ids.length).to.be.at.most(limit);
        expect(next).to.be.above(offset);
        found.push(...ids);
        offset = next;
      }
      return found;
    }

    it("capabilityCount counts active listings per tag, out-of-business providers included; 0 for an unknown tag", async function () {
      const f = await loadFixture(catalogue);
      expect(await f.machines.capabilityCount(LASER)).to.equal(5n);
      expect(await f.machines.capabilityCount(BENDING)).to.equal(2n);
      expect(await f.machines.capabilityCount(WELDING)).to.equal(2n);
      expect(await f.machines.capabilityCount(INSPECTION)).to.equal(1n);
      expect(await f.machines.capabilityCount(id("milling"))).to.equal(0n);
      await f.consortium.connect(f.operator).suspend(f.other.memberId, SUSPENSION_REASON);
      expect(await f.machines.capabilityCount(LASER)).to.equal(5n);
      expect(await listed(f, LASER)).to.deep.equal([1n, 3n, 4n]);
    });

    describe("pause, resume, retire and updateMachine", function () {
      it("keep the index exact, moving the last entry into the gap (swap and pop)", async function () {
        const f = await loadFixture(catalogue);
        const asProvider = f.machines.connect(f.provider);
        expect(await listed(f, LASER)).to.deep.equal([1n, 3n, 4n, 6n, 7n]);

        await asProvider.pauseMachine(3n);
        expect(await listed(f, LASER)).to.deep.equal([1n, 7n, 4n, 6n]);
        await expectIndexExact(f);

        await asProvider.resumeMachine(3n);
        expect(await listed(f, LASER)).to.deep.equal([1n, 7n, 4n, 6n, 3n]);
        await expectIndexExact(f);

        await asProvider.retireMachine(1n);
        expect(await listed(f, LASER)).to.deep.equal([3n, 7n, 4n, 6n]);
        expect(await listed(f, BENDING)).to.deep.equal([5n]);
        await expectIndexExact(f);

        await asProvider.updateMachine(4n, profileWith(BENDING));
        expect(await listed(f, LASER)).to.deep.equal([3n, 7n, 6n]);
        expect(await listed(f, WELDING)).to.deep.equal([7n]);
        expect(await listed(f, BENDING)).to.deep.equal([5n, 4n]);
        await expectIndexExact(f);

        // The last entry leaves: nothing moves.
        await f.machines.connect(f.other.signer).pauseMachine(6n);
        expect(await listed(f, LASER)).to.deep.equal([3n, 7n]);
        await f.machines.connect(f.other.signer).retireMachine(6n);
        await f.machines.connect(f.other.signer).retireMachine(7n);
        await asProvider.retireMachine(3n);
        expect(await listed(f, LASER)).to.deep.equal([]);
        expect(await listed(f, WELDING)).to.deep.equal([]);
        await expectIndexExact(f);

        await asProvider.updateMachine(5n, profileWith(WELDING, LASER, BENDING));
        expect(await listed(f, LASER)).to.deep.equal([5n]);
        expect(await listed(f, BENDING)).to.deep.equal([4n, 5n]);
        await expectIndexExact(f);
      });
    });

    describe("offset and limit", function () {
      it("pages through the list and says where to continue", async function () {
        const f = await loadFixture(catalogue);
        expect(await f.machines.machinesByCapability(LASER, 0, 2)).to.deep.equal([[1n, 3n], 2n]);
        expect(await f.machines.machinesByCapability(LASER, 2, 2)).to.deep.equal([[4n, 6n], 4n]);
        expect(await f.machines.machinesByCapability(LASER, 4, 2)).to.deep.equal([[7n], 5n]);
        expect(await f.machines.machinesByCapability(LASER, 1, 10)).to.deep.equal([[3n, 4n, 6n, 7n], 5n]);
      });

      it("returns nothing and capabilityCount at or past the end", async function () {
        const f = await loadFixture(catalogue);
        expect(await f.machines.machinesByCapability(LASER, 5, 2)).to.deep.equal([[], 5n]);
        expect(await f.machines.machinesByCapability(LASER, 100, 2)).to.deep.equal([[], 5n]);
        expect(await f.machines.machinesByCapability(LASER, 2n ** 256n - 1n, 2n ** 256n - 1n)).to.deep.equal([[], 5n]);
      });

      it("returns nothing and the same offset for limit 0", async function () {
        const f = await loadFixture(catalogue);
        expect(await f.machines.machinesByCapability(LASER, 0, 0)).to.deep.equal([[], 0n]);
        expect(await f.machines.machinesByCapability(LASER, 3, 0)).to.deep.equal([[], 3n]);
      });

      it("returns nothing and 0 for an unknown tag", async function () {
        const f = await loadFixture(catalogue);
        expect(await f.machines.machinesByCapability(id("milling"), 0, 10)).to.deep.equal([[], 0n]);
      });

      it("accepts a huge limit", async function () {
        const f = await loadFixture(catalogue);
        expect(await f.machines.machinesByCapability(LASER, 3, 2n ** 256n - 1n)).to.deep.equal([[6n, 7n], 5n]);
      });
    });

    describe("when some listings are not bookable", function () {
      it("pages skip them and return where to continue", async function () {
        const f = await loadFixture(catalogue);
        await f.consortium.connect(f.operator).suspend(f.other.memberId, SUSPENSION_REASON);
        expect(await f.machines.machinesByCapability(LASER, 0, 10)).to.deep.equal([[1n, 3n, 4n], 5n]);
        expect(await f.machines.machinesByCapability(LASER, 0, 3)).to.deep.equal([[1n, 3n, 4n], 3n]);
        expect(await f.machines.machinesByCapability(LASER, 3, 3)).to.deep.equal([[], 5n]);
        // Scans 4 (bookable), then 6 and 7 (not) to the end.
        expect(await f.machines.machinesByCapability(LASER, 2, 2)).to.deep.equal([[4n], 5n]);
        expect(await f.machines.machinesByCapability(WELDING, 0, 1)).to.deep.equal([[4n], 1n]);
        expect(await f.machines.machinesByCapability(WELDING, 1, 1)).to.deep.equal([[], 2n]);
      });
    });

    it("reading all pages returns each bookable listing exactly once", async function () {
      const f = await loadFixture(catalogue);
      const asProvider = f.machines.connect(f.provider);
      // More listings, a paused one, a retired one and a provider out of business.
      for (let i = 0; i < 6; i++)
        await asProvider.registerMachine(profileWith(LASER, id(`extra ${i}`)), [], NEW_TARIFF);
      await asProvider.pauseMachine(4n);
      await asProvider.retireMachine(9n);
      await f.consortium.connect(f.other.signer).requestExit();
      const expected = [1n, 3n, 8n, 10n, 11n, 12n, 13n];
      for (const limit of [1, 2, 3, 4, 10]) {
        const found = await readAllPages(f, LASER, limit);
        expect(found.length, `limit ${limit}`).to.equal(new Set(found).size);
        expect(
          [...found].sort((a, b) => Number(a - b)),
          `limit ${limit}`,
        ).to.deep.equal(expected);
      }
    });
  });

  describe("obligations and exit", function () {
    it("openObligations counts listings not retired (active and paused); 0 for other and unknown members", async function () {
      const f = await loadFixture(listedMarket);
      expect(await f.machines.openObligations(f.memberIds.provider)).to.equal(2n);
      await f.machines.connect(f.provider).pauseMachine(f.machineId);
      expect(await f.machines.openObligations(f.memberIds.provider)).to.equal(2n);
      await f.machines.connect(f.provider).retireMachine(f.serviceId);
      expect(await f.machines.openObligations(f.memberIds.provider)).to.equal(1n);
      await f.machines.connect(f.provider).retireMachine(f.machineId);
      expect(await f.machines.openObligations(f.memberIds.provider)).to.equal(0n);
      expect(await f.machines.openObligations(f.memberIds.consumer)).to.equal(0n);
      expect(await f.machines.openObligations(0n)).to.equal(0n);
      expect(await f.machines.openObligations(999n)).to.equal(0n);
    });

    describe("when the provider has listings", function () {
      it("completeExit reverts with ConsortiumOpenObligations naming this registry and the count", async function () {
        const f = await loadFixture(listedMarket);
        await f.machines.connect(f.provider).pauseMachine(f.serviceId);
        await requestExitAndWait(connection, f, providerOf(f));
        await expect(f.consortium.completeExit(f.memberIds.provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumOpenObligations")
          .withArgs(f.memberIds.provider, await f.machines.getAddress(), 2n);
        await f.machines.connect(f.provider).retireMachine(f.machineId);
        await expect(f.consortium.completeExit(f.memberIds.provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumOpenObligations")
          .withArgs(f.memberIds.provider, await f.machines.getAddress(), 1n);
      });
    });

    describe("when its listings are retired", function () {
      it("completeExit succeeds; the keys stay on record", async function () {
        const f = await loadFixture(listedMarket);
        await requestExitAndWait(connection, f, providerOf(f));
        await f.machines.connect(f.provider).retireMachine(f.machineId);
        await f.machines.connect(f.provider).retireMachine(f.serviceId);
        await expect(f.consortium.completeExit(f.memberIds.provider))
          .to.emit(f.consortium, "MemberExited")
          .withArgs(f.memberIds.provider);
        expect(await f.machines.keysOf(f.machineId)).to.deep.equal(DEVICE_KEYS);
        expect((await f.machines.signerKey(INSPECTOR_KEY)).machineId).to.equal(f.serviceId);
        expect(await f.machines.machinesOf(f.memberIds.provider)).to.deep.equal([1n, 2n]);
      });
    });
  });

  describe("views", function () {
    it("getMachine returns every field; None and zeros for an unknown id", async function () {
      const f = await loadFixture(listedMarket);
      expect(await f.machines.getMachine(f.serviceId)).to.deep.equal([
        f.memberIds.provider,
        f.serviceRegisteredAt,
        1n,
        1n,
        BigInt(MachineKind.Service),
        BigInt(MachineStatus.Active),
        SITE,
        SERVICE_PROFILE.metadataHash,
        SERVICE_PROFILE.metadataURI,
        [INSPECTION],
      ]);
      expect(await f.machines.getMachine(3n)).to.deep.equal([0n, 0n, 0n, 0n, 0n, 0n, ZeroHash, ZeroHash, "", []]);
    });

    it("machinesOf, keysOf, signerKey and machineCount", async function () {
      const f = await loadFixture(listedMarket);
      const other = await secondProvider(f);
      await f.machines.connect(other.signer).registerMachine(profileWith(WELDING), [NEW_KEY], NEW_TARIFF);
      await f.machines.connect(f.provider).registerMachine(profileWith(WELDING), [], NEW_TARIFF);
      expect(await f.machines.machineCount()).to.equal(4n);
      expect(await f.machines.machinesOf(f.memberIds.provider)).to.deep.equal([1n, 2n, 4n]);
      expect(await f.machines.machinesOf(other.memberId)).to.deep.equal([3n]);
      expect(await f.machines.machinesOf(f.memberIds.consumer)).to.deep.equal([]);
      expect(await f.machines.keysOf(3n)).to.deep.equal([NEW_KEY]);
      expect(await f.machines.keysOf(4n)).to.deep.equal([]);
      expect(await f.machines.keysOf(99n)).to.deep.equal([]);
      expect((await f.machines.signerKey(NEW_KEY)).machineId).to.equal(3n);
      expect(await f.machines.signerKey(STRANGER_KEY)).to.deep.equal([0n, 0n, 0n, 0n]);
    });

    describe("tariffOf", function () {
      it("reverts with MachineRegistryUnknownMachine for an unknown listing", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.tariffOf(3n, 1))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryUnknownMachine")
          .withArgs(3n);
      });

      it("reverts with MachineRegistryUnknownTariffVersion for version 0 and beyond the current one", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.tariffOf(f.machineId, 0))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryUnknownTariffVersion")
          .withArgs(f.machineId, 0n);
        await expect(f.machines.tariffOf(f.machineId, 2))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryUnknownTariffVersion")
          .withArgs(f.machineId, 2n);
      });
    });

    it("consortium, licenseRegistry and the limits", async function () {
      const f = await loadFixture(deployMarket);
      expect(await f.machines.consortium()).to.equal(await f.consortium.getAddress());
      expect(await f.machines.licenseRegistry()).to.equal(await f.licenses.getAddress());
      expect(await f.machines.MAX_CAPABILITIES()).to.equal(8n);
      expect(await f.machines.MAX_ACTIVE_KEYS()).to.equal(8n);
      expect(await f.machines.MAX_TIERS()).to.equal(3n);
      expect(await f.machines.MAX_LICENSES()).to.equal(4n);
      expect(await f.machines.machineCount()).to.equal(0n);
    });

    describe("supportsInterface", function () {
      const obligations = IObligations__factory.createInterface();
      const inherited = functionSignatures(obligations);

      it("supports IObligations, IMachineRegistry and IERC165", async function () {
        const f = await loadFixture(deployMarket);
        const own = ownFunctions(IMachineRegistry__factory.createInterface(), inherited);
        expect(
          await f.machines.supportsInterface(interfaceIdOf(ownFunctions(obligations, IERC165_SIGNATURES))),
        ).to.equal(true);
        expect(await f.machines.supportsInterface(interfaceIdOf(own))).to.equal(true);
        expect(await f.machines.supportsInterface(interfaceIdOf(IERC165_SIGNATURES))).to.equal(true);
      });

      it("does not support ILicenseRegistry nor 0xffffffff", async function () {
        const f = await loadFixture(deployMarket);
        const licenses = ownFunctions(ILicenseRegistry__factory.createInterface(), inherited);
        expect(await f.machines.supportsInterface(interfaceIdOf(licenses))).to.equal(false);
        expect(await f.machines.supportsInterface("0xffffffff")).to.equal(false);
      });
    });
  });
});
