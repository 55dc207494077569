/*
MachineRegistry, pauseMachine, resumeMachine and retireMachine — the branches, written down first; one `it` per leaf.

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
*/
import { expect } from "chai";

import { minedAt } from "../../helpers/consortium.js";
import {
  ACCOUNT_REFUSALS,
  KeyKind,
  MachineStatus,
  NEW_BUSINESS_REFUSALS,
  STANDING_ERROR,
  itRefusesEach,
  Standing,
} from "../../helpers/registry.js";
import {
  BENDING,
  bookable,
  DEVICE_KEYS,
  LASER,
  listedMarket,
  loadFixture,
  MACHINE_PROFILE,
  NEW_KEY,
  NEW_TARIFF,
  profileWith,
  providerInStanding,
  secondProvider,
} from "./fixture.js";

describe("MachineRegistry", function () {
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
});
