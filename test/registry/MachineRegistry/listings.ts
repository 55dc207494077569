/*
MachineRegistry, registerMachine and updateMachine — the branches, written down first; one `it` per leaf.

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
*/
import { expect } from "chai";
import { ZeroAddress, ZeroHash, encodeBytes32String, id } from "ethers";

import { referenceHash } from "../../../src/core/references.js";
import { derivedAddresses } from "../../helpers/consortium.js";
import {
  GOOD_STANDING_REFUSALS,
  KeyKind,
  MachineKind,
  MachineStatus,
  NEW_BUSINESS_REFUSALS,
  itRefusesEach,
  Standing,
  tariff,
  tariffTuple,
} from "../../helpers/registry.js";
import {
  BENDING,
  bookable,
  DEVICE_KEYS,
  INSPECTION,
  INSPECTOR_KEY,
  LASER,
  listedMarket,
  loadFixture,
  MACHINE_PROFILE,
  MACHINE_TARIFF,
  METADATA_HASH,
  METADATA_URI,
  NEW_KEY,
  NEW_TARIFF,
  type Profile,
  profileWith,
  providerInStanding,
  secondProvider,
  SITE,
  WELDING,
} from "./fixture.js";

const OTHER_SITE = encodeBytes32String("DE-B-02");
const NEW_URI = "ipfs://bafy-laser-cutter-7-v2";
const NEW_HASH = referenceHash("Laser cutter 7: specification sheet v2");

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
});
