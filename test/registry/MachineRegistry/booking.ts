/*
MachineRegistry, booking — the branches, written down first; one `it` per leaf.

booking (isBookable / bookingTerms)
├── when the listing does not exist ────────────────────── false / MachineRegistryUnknownMachine
├── when the listing is paused or retired ──────────────── false / MachineRegistryMachineNotActive
├── when the provider is suspended / asked to leave / has not accepted the agreement / lost the role
│   └── false / MachineRegistryProviderNotInBusiness; true again once reinstated / cancelled / accepted / granted
├── when a licence of the current tariff is retired ────── false / LicenseRegistryLicenseRetired; true again with a tariff without it
├── when the licensor is suspended ─────────────────────── still bookable (only the licence's status counts)
└── when bookable ── bookingTerms returns provider, version, tariff, licensors, licence versions, royalties;
    after publishRoyalty the licence's new version and royalty
*/
import { expect } from "chai";

import { Role } from "../../../src/core/membership.js";
import { AGREEMENT_V2, MachineStatus, SUSPENSION_REASON, Standing, tariffTuple } from "../../helpers/registry.js";
import {
  bookable,
  LASER,
  type Listed,
  listedMarket,
  loadFixture,
  MACHINE_TARIFF,
  NEW_ROYALTY,
  providerInStanding,
  ROYALTY,
  SERVICE_TARIFF,
  TERMS_V2,
} from "./fixture.js";

describe("MachineRegistry", function () {
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
});
