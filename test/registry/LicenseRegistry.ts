/*
LicenseRegistry.tree — the branches, written down first; one `it` per leaf.

registerLicense
├── when the caller is not a member's account ──────────── it reverts with ConsortiumNotMember
├── when the caller's account was removed ──────────────── it reverts with ConsortiumAccountRemoved
├── when the member is suspended ───────────────────────── it reverts with ConsortiumMemberSuspended
├── when the member has exited ─────────────────────────── it reverts with ConsortiumMemberExited
├── when the member lacks the role ─────────────────────── it reverts with ConsortiumMissingRole
├── when the member has not accepted the current agreement  it reverts with ConsortiumAgreementNotAccepted
├── when the member asked to leave ─────────────────────── it reverts with ConsortiumExitPending
├── when the terms hash is zero ────────────────────────── it reverts with LicenseRegistryInvalidTerms
└── when the input is valid
    ├── it stores the licence (licensor, registeredAt, version 1, Active) and its version 1
    ├── it emits LicenseRegistered
    ├── it numbers licences from 1, lists them per licensor in order and counts them
    ├── it counts one more open obligation for the licensor
    └── when the royalty is zero ── it registers the licence
publishRoyalty
├── when the caller is not a member's account ──────────── it reverts with ConsortiumNotMember
├── when the caller's account was removed ──────────────── it reverts with ConsortiumAccountRemoved
├── when the member is suspended ───────────────────────── it reverts with ConsortiumMemberSuspended
├── when the member has exited ─────────────────────────── it reverts with ConsortiumMemberExited
├── when the member lacks the role ─────────────────────── it reverts with ConsortiumMissingRole
├── when the licence does not exist ────────────────────── it reverts with LicenseRegistryUnknownLicense
├── when the licence belongs to another licensor ───────── it reverts with LicenseRegistryNotLicensor
├── when the licence is retired ────────────────────────── it reverts with LicenseRegistryLicenseRetired
├── when the terms hash is zero ────────────────────────── it reverts with LicenseRegistryInvalidTerms
├── when royalty and terms repeat the current version ──── it reverts with LicenseRegistryVersionUnchanged
└── when royalty or terms differ
    ├── it stores the next version, emits RoyaltyPublished; currentTerms names it, earlier versions stay readable
    ├── when only the royalty changes ── it publishes a new version
    ├── when only the terms change ── it publishes a new version
    ├── when it repeats an earlier (not the current) version ── it publishes it again as a new version
    └── when the member has not accepted the current agreement or asked to leave ── it publishes (good standing suffices)
retireLicense
├── when the caller is not a member's account ──────────── it reverts with ConsortiumNotMember
├── when the caller's account was removed ──────────────── it reverts with ConsortiumAccountRemoved
├── when the member has exited ─────────────────────────── it reverts with ConsortiumMemberExited
├── when the licence does not exist ────────────────────── it reverts with LicenseRegistryUnknownLicense
├── when the licence belongs to another licensor ───────── it reverts with LicenseRegistryNotLicensor
├── when the licence is retired ────────────────────────── it reverts with LicenseRegistryLicenseRetired
└── when the licence is active
    ├── it marks it retired, emits LicenseRetired and counts one open obligation less
    ├── currentTerms then reverts with LicenseRegistryLicenseRetired; its versions stay readable
    └── when the member is suspended, lacks the role, has not accepted the agreement or asked to leave ── it retires (protective act)
obligations and exit
├── openObligations counts active licences per licensor; 0 for other and unknown members
├── when the licensor has active licences ── completeExit reverts with ConsortiumOpenObligations (this registry, count)
└── when its licences are retired ── completeExit succeeds
views
├── consortium / licenseCount
├── getLicense ── the record; all zero (None) for an unknown id
├── licenseVersion ── the version; LicenseRegistryUnknownLicense for an unknown licence; LicenseRegistryUnknownVersion
│   for version 0 and a version beyond the current one
├── licensesOf ── registration order (retired ones included); empty for other members
├── currentTerms ── licensor, version, royalty; LicenseRegistryUnknownLicense for an unknown licence
└── supportsInterface ── IObligations, ILicenseRegistry, IERC165; not IMachineRegistry, not 0xffffffff
*/
import { expect } from "chai";
import { ZeroHash } from "ethers";
import { network } from "hardhat";

import { Role } from "../../src/core/membership.js";
import { referenceHash } from "../../src/core/references.js";
import {
  ILicenseRegistry__factory,
  IMachineRegistry__factory,
  IObligations__factory,
} from "../../typechain-types/index.js";
import { minedAt } from "../helpers/consortium.js";
import { marketFixture, type MarketFixture } from "../helpers/fixtures.js";
import { IERC165_SIGNATURES, functionSignatures, interfaceIdOf, ownFunctions } from "../helpers/interfaceId.js";
import {
  ACCOUNT_REFUSALS,
  GOOD_STANDING_REFUSALS,
  LicenseStatus,
  NEW_BUSINESS_REFUSALS,
  STANDING_ERROR,
  itRefusesEach,
  Standing,
  enterStanding,
  requestExitAndWait,
  admitMember,
  spareSigner,
  type Acting,
} from "../helpers/registry.js";

const connection = await network.create();
const { networkHelpers } = connection;
const { loadFixture } = networkHelpers;
const deployMarket = marketFixture(connection);

const TERMS_V1 = referenceHash("Licence terms: bracket design B-17, edition 1");
const TERMS_V2 = referenceHash("Licence terms: bracket design B-17, edition 2");
const OTHER_TERMS = referenceHash("Licence terms: hinge design H-3");
/** 1.20 EUR per licensed product. */
const ROYALTY = 1_200_000n;
const NEW_ROYALTY = 1_500_000n;

interface Licensed extends MarketFixture {
  licenseId: bigint;
  registeredAt: bigint;
}

/** The market with licence 1 registered by the licensor (ROYALTY, TERMS_V1). */
async function licensedMarket(): Promise<Licensed> {
  const f = await deployMarket();
  const registeredAt = await minedAt(await f.licenses.connect(f.licensor).registerLicense(ROYALTY, TERMS_V1));
  return { ...f, licenseId: 1n, registeredAt };
}

function licensorOf(f: MarketFixture): Acting {
  return { signer: f.licensor, memberId: f.memberIds.licensor, role: Role.Licensor };
}

/** Admits a second licensor on spare account #0; returns its signer and id. */
async function secondLicensor(f: MarketFixture) {
  const signer = spareSigner(f, 0);
  const memberId = await admitMember(f, signer, Role.Licensor);
  return { signer, memberId };
}

/** Puts the licensor into `standing`; an exit first retires every licence of the licensor. */
function licensorInStanding(f: MarketFixture, standing: Standing) {
  return enterStanding(connection, f, standing, licensorOf(f), spareSigner(f, 1), async () => {
    for (const licenseId of await f.licenses.licensesOf(f.memberIds.licensor)) {
      if ((await f.licenses.getLicense(licenseId)).status === BigInt(LicenseStatus.Active)) {
        await f.licenses.connect(f.licensor).retireLicense(licenseId);
      }
    }
  });
}

describe("LicenseRegistry", function () {
  describe("registerLicense", function () {
    itRefusesEach(
      NEW_BUSINESS_REFUSALS,
      () => loadFixture(licensedMarket),
      licensorInStanding,
      (f, caller) => f.licenses.connect(caller).registerLicense(ROYALTY, OTHER_TERMS),
    );

    describe("when the terms hash is zero", function () {
      it("reverts with LicenseRegistryInvalidTerms", async function () {
        const f = await loadFixture(licensedMarket);
        await expect(f.licenses.connect(f.licensor).registerLicense(ROYALTY, ZeroHash)).to.be.revertedWithCustomError(
          f.licenses,
          "LicenseRegistryInvalidTerms",
        );
      });
    });

    describe("when the input is valid", function () {
      it("stores the licence (licensor, registeredAt, version 1, Active) and its version 1", async function () {
        const f = await loadFixture(licensedMarket);
        const license = await f.licenses.getLicense(f.licenseId);
        expect(license.licensor).to.equal(f.memberIds.licensor);
        expect(license.registeredAt).to.equal(f.registeredAt);
        expect(license.currentVersion).to.equal(1n);
        expect(license.status).to.equal(LicenseStatus.Active);
        expect(await f.licenses.licenseVersion(f.licenseId, 1)).to.deep.equal([ROYALTY, f.registeredAt, TERMS_V1]);
        expect(await f.licenses.currentTerms(f.licenseId)).to.deep.equal([f.memberIds.licensor, 1n, ROYALTY]);
      });

      it("emits LicenseRegistered", async function () {
        const f = await loadFixture(licensedMarket);
        await expect(f.licenses.connect(f.licensor).registerLicense(NEW_ROYALTY, OTHER_TERMS))
          .to.emit(f.licenses, "LicenseRegistered")
          .withArgs(2n, f.memberIds.licensor, NEW_ROYALTY, OTHER_TERMS);
      });

      it("numbers licences from 1, lists them per licensor in order and counts them", async function () {
        const f = await loadFixture(licensedMarket);
        const second = await secondLicensor(f);
        await f.licenses.connect(second.signer).registerLicense(ROYALTY, OTHER_TERMS);
        await f.licenses.connect(f.licensor).registerLicense(ROYALTY, TERMS_V2);
        expect(await f.licenses.licenseCount()).to.equal(3n);
        expect(await f.licenses.licensesOf(f.memberIds.licensor)).to.deep.equal([1n, 3n]);
        expect(await f.licenses.licensesOf(second.memberId)).to.deep.equal([2n]);
        expect((await f.licenses.getLicense(2n)).licensor).to.equal(second.memberId);
      });

      it("counts one more open obligation for the licensor", async function () {
        const f = await loadFixture(licensedMarket);
        expect(await f.licenses.openObligations(f.memberIds.licensor)).to.equal(1n);
        await f.licenses.connect(f.licensor).registerLicense(ROYALTY, OTHER_TERMS);
        expect(await f.licenses.openObligations(f.memberIds.licensor)).to.equal(2n);
      });

      describe("when the royalty is zero", function () {
        it("registers the licence", async function () {
          const f = await loadFixture(licensedMarket);
          await expect(f.licenses.connect(f.licensor).registerLicense(0n, OTHER_TERMS))
            .to.emit(f.licenses, "LicenseRegistered")
            .withArgs(2n, f.memberIds.licensor, 0n, OTHER_TERMS);
          expect(await f.licenses.currentTerms(2n)).to.deep.equal([f.memberIds.licensor, 1n, 0n]);
        });
      });
    });
  });

  describe("publishRoyalty", function () {
    itRefusesEach(
      GOOD_STANDING_REFUSALS,
      () => loadFixture(licensedMarket),
      licensorInStanding,
      (f, caller) => f.licenses.connect(caller).publishRoyalty(f.licenseId, NEW_ROYALTY, TERMS_V2),
    );

    describe("when the licence does not exist", function () {
      it("reverts with LicenseRegistryUnknownLicense", async function () {
        const f = await loadFixture(licensedMarket);
        await expect(f.licenses.connect(f.licensor).publishRoyalty(2n, NEW_ROYALTY, TERMS_V2))
          .to.be.revertedWithCustomError(f.licenses, "LicenseRegistryUnknownLicense")
          .withArgs(2n);
      });
    });

    describe("when the licence belongs to another licensor", function () {
      it("reverts with LicenseRegistryNotLicensor", async function () {
        const f = await loadFixture(licensedMarket);
        const second = await secondLicensor(f);
        await expect(f.licenses.connect(second.signer).publishRoyalty(f.licenseId, NEW_ROYALTY, TERMS_V2))
          .to.be.revertedWithCustomError(f.licenses, "LicenseRegistryNotLicensor")
          .withArgs(f.licenseId, second.memberId);
      });
    });

    describe("when the licence is retired", function () {
      it("reverts with LicenseRegistryLicenseRetired", async function () {
        const f = await loadFixture(licensedMarket);
        await f.licenses.connect(f.licensor).retireLicense(f.licenseId);
        await expect(f.licenses.connect(f.licensor).publishRoyalty(f.licenseId, NEW_ROYALTY, TERMS_V2))
          .to.be.revertedWithCustomError(f.licenses, "LicenseRegistryLicenseRetired")
          .withArgs(f.licenseId);
      });
    });

    describe("when the terms hash is zero", function () {
      it("reverts with LicenseRegistryInvalidTerms", async function () {
        const f = await loadFixture(licensedMarket);
        await expect(
          f.licenses.connect(f.licensor).publishRoyalty(f.licenseId, NEW_ROYALTY, ZeroHash),
        ).to.be.revertedWithCustomError(f.licenses, "LicenseRegistryInvalidTerms");
      });
    });

    describe("when royalty and terms repeat the current version", function () {
      it("reverts with LicenseRegistryVersionUnchanged", async function () {
        const f = await loadFixture(licensedMarket);
        await expect(f.licenses.connect(f.licensor).publishRoyalty(f.licenseId, ROYALTY, TERMS_V1))
          .to.be.revertedWithCustomError(f.licenses, "LicenseRegistryVersionUnchanged")
          .withArgs(f.licenseId, 1n);
        await f.licenses.connect(f.licensor).publishRoyalty(f.licenseId, NEW_ROYALTY, TERMS_V2);
        await expect(f.licenses.connect(f.licensor).publishRoyalty(f.licenseId, NEW_ROYALTY, TERMS_V2))
          .to.be.revertedWithCustomError(f.licenses, "LicenseRegistryVersionUnchanged")
          .withArgs(f.licenseId, 2n);
      });
    });

    describe("when royalty or terms differ", function () {
      it("stores the next version, emits RoyaltyPublished; currentTerms names it, earlier versions stay readable", async function () {
        const f = await loadFixture(licensedMarket);
        const tx = await f.licenses.connect(f.licensor).publishRoyalty(f.licenseId, NEW_ROYALTY, TERMS_V2);
        await expect(tx).to.emit(f.licenses, "RoyaltyPublished").withArgs(f.licenseId, 2n, NEW_ROYALTY, TERMS_V2);
        const publishedAt = await minedAt(tx);
        expect((await f.licenses.getLicense(f.licenseId)).currentVersion).to.equal(2n);
        expect((await f.licenses.getLicense(f.licenseId)).registeredAt).to.equal(f.registeredAt);
        expect(await f.licenses.licenseVersion(f.licenseId, 2)).to.deep.equal([NEW_ROYALTY, publishedAt, TERMS_V2]);
        expect(await f.licenses.licenseVersion(f.licenseId, 1)).to.deep.equal([ROYALTY, f.registeredAt, TERMS_V1]);
        expect(await f.licenses.currentTerms(f.licenseId)).to.deep.equal([f.memberIds.licensor, 2n, NEW_ROYALTY]);
        expect(await f.licenses.licenseCount()).to.equal(1n);
      });

      it("publishes a new version when only the royalty changes", async function () {
        const f = await loadFixture(licensedMarket);
        await expect(f.licenses.connect(f.licensor).publishRoyalty(f.licenseId, NEW_ROYALTY, TERMS_V1))
          .to.emit(f.licenses, "RoyaltyPublished")
          .withArgs(f.licenseId, 2n, NEW_ROYALTY, TERMS_V1);
      });

      it("publishes a new version when only the terms change", async function () {
        const f = await loadFixture(licensedMarket);
        await expect(f.licenses.connect(f.licensor).publishRoyalty(f.licenseId, ROYALTY, TERMS_V2))
          .to.emit(f.licenses, "RoyaltyPublished")
          .withArgs(f.licenseId, 2n, ROYALTY, TERMS_V2);
      });

      it("publishes an earlier (not the current) version again as a new version", async function () {
        const f = await loadFixture(licensedMarket);
        await f.licenses.connect(f.licensor).publishRoyalty(f.licenseId, NEW_ROYALTY, TERMS_V2);
        await expect(f.licenses.connect(f.licensor).publishRoyalty(f.licenseId, ROYALTY, TERMS_V1))
          .to.emit(f.licenses, "RoyaltyPublished")
          .withArgs(f.licenseId, 3n, ROYALTY, TERMS_V1);
        expect(await f.licenses.currentTerms(f.licenseId)).to.deep.equal([f.memberIds.licensor, 3n, ROYALTY]);
      });

      for (const standing of ["AgreementNotAccepted", "ExitPending"] as const) {
        it(`publishes when ${Standing[standing]} (good standing suffices)`, async function () {
          const f = await loadFixture(licensedMarket);
          await licensorInStanding(f, standing);
          await expect(f.licenses.connect(f.licensor).publishRoyalty(f.licenseId, NEW_ROYALTY, TERMS_V2))
            .to.emit(f.licenses, "RoyaltyPublished")
            .withArgs(f.licenseId, 2n, NEW_ROYALTY, TERMS_V2);
        });
      }
    });
  });

  describe("retireLicense", function () {
    itRefusesEach(
      ACCOUNT_REFUSALS,
      () => loadFixture(licensedMarket),
      licensorInStanding,
      (f, caller) => f.licenses.connect(caller).retireLicense(f.licenseId),
    );

    describe("when the licence does not exist", function () {
      it("reverts with LicenseRegistryUnknownLicense", async function () {
        const f = await loadFixture(licensedMarket);
        await expect(f.licenses.connect(f.licensor).retireLicense(0n))
          .to.be.revertedWithCustomError(f.licenses, "LicenseRegistryUnknownLicense")
          .withArgs(0n);
      });
    });

    describe("when the licence belongs to another licensor", function () {
      it("reverts with LicenseRegistryNotLicensor", async function () {
        const f = await loadFixture(licensedMarket);
        await expect(f.licenses.connect(f.provider).retireLicense(f.licenseId))
          .to.be.revertedWithCustomError(f.licenses, "LicenseRegistryNotLicensor")
          .withArgs(f.licenseId, f.memberIds.provider);
      });
    });

    describe("when the licence is retired", function () {
      it("reverts with LicenseRegistryLicenseRetired", async function () {
        const f = await loadFixture(licensedMarket);
        await f.licenses.connect(f.licensor).retireLicense(f.licenseId);
        await expect(f.licenses.connect(f.licensor).retireLicense(f.licenseId))
          .to.be.revertedWithCustomError(f.licenses, "LicenseRegistryLicenseRetired")
          .withArgs(f.licenseId);
      });
    });

    describe("when the licence is active", function () {
      it("marks it retired, emits LicenseRetired and counts one open obligation less", async function () {
        const f = await loadFixture(licensedMarket);
        await f.licenses.connect(f.licensor).registerLicense(ROYALTY, OTHER_TERMS);
        await expect(f.licenses.connect(f.licensor).retireLicense(f.licenseId))
          .to.emit(f.licenses, "LicenseRetired")
          .withArgs(f.licenseId);
        const license = await f.licenses.getLicense(f.licenseId);
        expect(license.status).to.equal(LicenseStatus.Retired);
        expect(license.currentVersion).to.equal(1n);
        expect(license.licensor).to.equal(f.memberIds.licensor);
        expect(await f.licenses.openObligations(f.memberIds.licensor)).to.equal(1n);
        expect((await f.licenses.getLicense(2n)).status).to.equal(LicenseStatus.Active);
      });

      it("makes currentTerms revert with LicenseRegistryLicenseRetired; its versions stay readable", async function () {
        const f = await loadFixture(licensedMarket);
        await f.licenses.connect(f.licensor).publishRoyalty(f.licenseId, NEW_ROYALTY, TERMS_V2);
        await f.licenses.connect(f.licensor).retireLicense(f.licenseId);
        await expect(f.licenses.currentTerms(f.licenseId))
          .to.be.revertedWithCustomError(f.licenses, "LicenseRegistryLicenseRetired")
          .withArgs(f.licenseId);
        expect((await f.licenses.licenseVersion(f.licenseId, 1)).royaltyPerProduct).to.equal(ROYALTY);
        expect((await f.licenses.licenseVersion(f.licenseId, 2)).royaltyPerProduct).to.equal(NEW_ROYALTY);
      });

      for (const standing of ["Suspended", "MissingRole", "AgreementNotAccepted", "ExitPending"] as const) {
        it(`retires when ${Standing[standing]} (protective act)`, async function () {
          const f = await loadFixture(licensedMarket);
          await licensorInStanding(f, standing);
          await expect(f.licenses.connect(f.licensor).retireLicense(f.licenseId))
            .to.emit(f.licenses, "LicenseRetired")
            .withArgs(f.licenseId);
          expect(await f.licenses.openObligations(f.memberIds.licensor)).to.equal(0n);
        });
      }
    });
  });

  describe("obligations and exit", function () {
    it("openObligations counts active licences per licensor; 0 for other and unknown members", async function () {
      const f = await loadFixture(licensedMarket);
      const second = await secondLicensor(f);
      await f.licenses.connect(f.licensor).registerLicense(ROYALTY, OTHER_TERMS);
      await f.licenses.connect(second.signer).registerLicense(ROYALTY, TERMS_V2);
      expect(await f.licenses.openObligations(f.memberIds.licensor)).to.equal(2n);
      expect(await f.licenses.openObligations(second.memberId)).to.equal(1n);
      expect(await f.licenses.openObligations(f.memberIds.provider)).to.equal(0n);
      expect(await f.licenses.openObligations(0n)).to.equal(0n);
      expect(await f.licenses.openObligations(999n)).to.equal(0n);
    });

    describe("when the licensor has active licences", function () {
      it("completeExit reverts with ConsortiumOpenObligations naming this registry and the count", async function () {
        const f = await loadFixture(licensedMarket);
        await f.licenses.connect(f.licensor).registerLicense(ROYALTY, OTHER_TERMS);
        await f.licenses.connect(f.licensor).registerLicense(ROYALTY, TERMS_V2);
        await f.licenses.connect(f.licensor).retireLicense(2n);
        await requestExitAndWait(connection, f, licensorOf(f));
        await expect(f.consortium.completeExit(f.memberIds.licensor))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumOpenObligations")
          .withArgs(f.memberIds.licensor, await f.licenses.getAddress(), 2n);
      });
    });

    describe("when its licences are retired", function () {
      it("completeExit succeeds", async function () {
        const f = await loadFixture(licensedMarket);
        await f.licenses.connect(f.licensor).registerLicense(ROYALTY, OTHER_TERMS);
        await requestExitAndWait(connection, f, licensorOf(f));
        await f.licenses.connect(f.licensor).retireLicense(1n);
        await f.licenses.connect(f.licensor).retireLicense(2n);
        await expect(f.consortium.completeExit(f.memberIds.licensor))
          .to.emit(f.consortium, "MemberExited")
          .withArgs(f.memberIds.licensor);
        expect(await f.licenses.licensesOf(f.memberIds.licensor)).to.deep.equal([1n, 2n]);
      });
    });
  });

  describe("views", function () {
    it("consortium and licenseCount", async function () {
      const f = await loadFixture(deployMarket);
      expect(await f.licenses.consortium()).to.equal(await f.consortium.getAddress());
      expect(await f.licenses.licenseCount()).to.equal(0n);
    });

    it("getLicense returns the record, all zero (None) for an unknown id", async function () {
      const f = await loadFixture(licensedMarket);
      expect(await f.licenses.getLicense(f.licenseId)).to.deep.equal([
        f.memberIds.licensor,
        f.registeredAt,
        1n,
        BigInt(LicenseStatus.Active),
      ]);
      expect(await f.licenses.getLicense(2n)).to.deep.equal([0n, 0n, 0n, BigInt(LicenseStatus.None)]);
    });

    describe("licenseVersion", function () {
      it("reverts with LicenseRegistryUnknownLicense for an unknown licence", async function () {
        const f = await loadFixture(licensedMarket);
        await expect(f.licenses.licenseVersion(2n, 1))
          .to.be.revertedWithCustomError(f.licenses, "LicenseRegistryUnknownLicense")
          .withArgs(2n);
      });

      it("reverts with LicenseRegistryUnknownVersion for version 0 and a version beyond the current one", async function () {
        const f = await loadFixture(licensedMarket);
        await f.licenses.connect(f.licensor).publishRoyalty(f.licenseId, NEW_ROYALTY, TERMS_V2);
        await expect(f.licenses.licenseVersion(f.licenseId, 0))
          .to.be.revertedWithCustomError(f.licenses, "LicenseRegistryUnknownVersion")
          .withArgs(f.licenseId, 0n);
        await expect(f.licenses.licenseVersion(f.licenseId, 3))
          .to.be.revertedWithCustomError(f.licenses, "LicenseRegistryUnknownVersion")
          .withArgs(f.licenseId, 3n);
      });
    });

    it("licensesOf lists in registration order, retired ones included; empty for other members", async function () {
      const f = await loadFixture(licensedMarket);
      await f.licenses.connect(f.licensor).registerLicense(ROYALTY, OTHER_TERMS);
      await f.licenses.connect(f.licensor).retireLicense(1n);
      expect(await f.licenses.licensesOf(f.memberIds.licensor)).to.deep.equal([1n, 2n]);
      expect(await f.licenses.licensesOf(f.memberIds.provider)).to.deep.equal([]);
    });

    it("currentTerms reverts with LicenseRegistryUnknownLicense for an unknown licence", async function () {
      const f = await loadFixture(licensedMarket);
      await expect(f.licenses.currentTerms(0n))
        .to.be.revertedWithCustomError(f.licenses, "LicenseRegistryUnknownLicense")
        .withArgs(0n);
    });

    describe("supportsInterface", function () {
      const obligations = IObligations__factory.createInterface();
      const inherited = functionSignatures(obligations);

      it("supports IObligations, ILicenseRegistry and IERC165", async function () {
        const f = await loadFixture(deployMarket);
        const own = ownFunctions(ILicenseRegistry__factory.createInterface(), inherited);
        expect(
          await f.licenses.supportsInterface(interfaceIdOf(ownFunctions(obligations, IERC165_SIGNATURES))),
        ).to.equal(true);
        expect(await f.licenses.supportsInterface(interfaceIdOf(own))).to.equal(true);
        expect(await f.licenses.supportsInterface(interfaceIdOf(IERC165_SIGNATURES))).to.equal(true);
      });

      it("does not support IMachineRegistry nor 0xffffffff", async function () {
        const f = await loadFixture(deployMarket);
        const machines = ownFunctions(IMachineRegistry__factory.createInterface(), inherited);
        expect(await f.licenses.supportsInterface(interfaceIdOf(machines))).to.equal(false);
        expect(await f.licenses.supportsInterface("0xffffffff")).to.equal(false);
      });
    });
  });
});
