/*
MachineRegistry, publishTariff and quote — the branches, written down first; one `it` per leaf.

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
*/
import { expect } from "chai";
import { id } from "ethers";

import {
  GOOD_STANDING_REFUSALS,
  MachineStatus,
  itRefusesEach,
  SUSPENSION_REASON,
  Standing,
  tariff,
  tariffTuple,
  usage,
} from "../../helpers/registry.js";
import {
  listedMarket,
  loadFixture,
  MACHINE_TARIFF,
  NEW_ROYALTY,
  NEW_TARIFF,
  providerInStanding,
  ROYALTY,
  secondProvider,
  TERMS_V2,
} from "./fixture.js";

describe("MachineRegistry", function () {
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
});
