/*
Consortium, publishAgreement and acceptAgreement — the branches, written down first; one `it` per leaf.

publishAgreement
├── when the caller is not an operator ─────────────────── it reverts with ConsortiumMissingRole
├── when the hash is zero ──────────────────────────────── it reverts with ConsortiumInvalidAgreement
├── when the hash is the current one ───────────────────── it reverts with ConsortiumInvalidAgreement
└── when the hash is new
    ├── it publishes the next version, emits AgreementPublished and keeps the earlier versions readable
    ├── it makes requireNewBusiness revert with ConsortiumAgreementNotAccepted until the member accepts
    ├── it pushes the new version to the token (CurrentAgreementChanged): no active roles until members accept
    └── when the hash is an earlier version's ── it publishes it again as a new version
acceptAgreement
├── when the caller is not an active account of a member ── it reverts with ConsortiumNotMember / ConsortiumAccountRemoved / ConsortiumMemberExited
├── when the hash is not the current agreement ─────────── it reverts with ConsortiumAgreementMismatch
├── when the hash is an earlier version's ──────────────── it reverts with ConsortiumAgreementMismatch
├── when the member already accepted the current version ── it reverts with ConsortiumAgreementAlreadyAccepted
└── when the member accepts the current version
    ├── it records the version and emits AgreementAccepted naming the accepting account
    ├── it pushes the member's roles and the version to every account on the token (RolesChanged)
    └── when the member is suspended ── it still records the acceptance (self-service)
*/
import { expect } from "chai";
import { ZeroHash } from "ethers";

import { Role, roleMask } from "../../../src/core/membership.js";
import { AGREEMENT_V1 } from "../../helpers/fixtures.js";
import { AGREEMENT_V2, exitedMember, fixture, loadFixture, REASON, spareSigner } from "./fixture.js";

describe("Consortium", function () {
  describe("publishAgreement", function () {
    describe("when the caller is not an operator", function () {
      it("reverts with ConsortiumMissingRole", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.auditor).publishAgreement(AGREEMENT_V2))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMissingRole")
          .withArgs(f.memberIds.auditor, Role.Operator);
      });
    });

    describe("when the hash is zero", function () {
      it("reverts with ConsortiumInvalidAgreement", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).publishAgreement(ZeroHash))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidAgreement")
          .withArgs(ZeroHash);
      });
    });

    describe("when the hash is the current one", function () {
      it("reverts with ConsortiumInvalidAgreement", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V1))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidAgreement")
          .withArgs(AGREEMENT_V1);
      });
    });

    describe("when the hash is new", function () {
      it("publishes the next version, emits AgreementPublished and keeps the earlier versions readable", async function () {
        const f = await loadFixture(fixture);
        const publish = f.consortium.connect(f.operator).publishAgreement;
        expect(await publish.staticCall(AGREEMENT_V2)).to.equal(2n);
        await expect(publish(AGREEMENT_V2)).to.emit(f.consortium, "AgreementPublished").withArgs(2n, AGREEMENT_V2);
        expect(await f.consortium.currentAgreement()).to.deep.equal([2n, AGREEMENT_V2]);
        expect(await f.consortium.agreementHash(1)).to.equal(AGREEMENT_V1);
        expect(await f.consortium.agreementHash(2)).to.equal(AGREEMENT_V2);
      });

      it("makes requireNewBusiness revert with ConsortiumAgreementNotAccepted until the member accepts", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V2);
        await expect(f.consortium.requireNewBusiness(f.provider.address, Role.Provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAgreementNotAccepted")
          .withArgs(f.memberIds.provider, 1n, 2n);
        expect(await f.consortium.requireRole(f.provider.address, Role.Provider)).to.equal(f.memberIds.provider);
        await f.consortium.connect(f.provider).acceptAgreement(AGREEMENT_V2);
        expect(await f.consortium.requireNewBusiness(f.provider.address, Role.Provider)).to.equal(f.memberIds.provider);
      });

      it("pushes the new version to the token: no active roles until the member accepts", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V2))
          .to.emit(f.token, "CurrentAgreementChanged")
          .withArgs(2);
        expect(await f.token.currentAgreement()).to.equal(2n);
        expect(await f.token.agreementOf(f.provider.address)).to.equal(1n);
        expect(await f.token.activeRolesOf(f.provider.address)).to.equal(0n);
        await f.consortium.connect(f.provider).acceptAgreement(AGREEMENT_V2);
        expect(await f.token.activeRolesOf(f.provider.address)).to.equal(BigInt(roleMask(Role.Provider)));
      });

      describe("when the hash is an earlier version's", function () {
        it("publishes it again as a new version", async function () {
          const f = await loadFixture(fixture);
          await f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V2);
          await expect(f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V1))
            .to.emit(f.consortium, "AgreementPublished")
            .withArgs(3n, AGREEMENT_V1);
          expect(await f.consortium.currentAgreement()).to.deep.equal([3n, AGREEMENT_V1]);
          await expect(f.consortium.requireNewBusiness(f.provider.address, Role.Provider))
            .to.be.revertedWithCustomError(f.consortium, "ConsortiumAgreementNotAccepted")
            .withArgs(f.memberIds.provider, 1n, 3n);
        });
      });
    });
  });

  describe("acceptAgreement", function () {
    describe("when the caller is not an active account of a member", function () {
      it("reverts with ConsortiumNotMember for an outsider", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.outsider).acceptAgreement(AGREEMENT_V1))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotMember")
          .withArgs(f.outsider.address);
      });

      it("reverts with ConsortiumAccountRemoved for a removed account", async function () {
        const f = await loadFixture(fixture);
        const old = spareSigner(f, 0);
        await f.consortium.connect(f.provider).addAccount(old.address);
        await f.consortium.connect(f.provider).removeAccount(old.address);
        await f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V2);
        await expect(f.consortium.connect(old).acceptAgreement(AGREEMENT_V2))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAccountRemoved")
          .withArgs(old.address, f.memberIds.provider);
      });

      it("reverts with ConsortiumMemberExited for an exited member", async function () {
        const f = await loadFixture(fixture);
        const id = await exitedMember(f);
        await f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V2);
        await expect(f.consortium.connect(spareSigner(f, 1)).acceptAgreement(AGREEMENT_V2))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberExited")
          .withArgs(id);
      });
    });

    describe("when the hash is not the current agreement", function () {
      it("reverts with ConsortiumAgreementMismatch", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.provider).acceptAgreement(AGREEMENT_V2))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAgreementMismatch")
          .withArgs(AGREEMENT_V2, AGREEMENT_V1);
      });
    });

    describe("when the hash is an earlier version's", function () {
      it("reverts with ConsortiumAgreementMismatch", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V2);
        await expect(f.consortium.connect(f.provider).acceptAgreement(AGREEMENT_V1))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAgreementMismatch")
          .withArgs(AGREEMENT_V1, AGREEMENT_V2);
      });
    });

    describe("when the member already accepted the current version", function () {
      it("reverts with ConsortiumAgreementAlreadyAccepted", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.provider).acceptAgreement(AGREEMENT_V1))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAgreementAlreadyAccepted")
          .withArgs(f.memberIds.provider, 1n);
      });

      it("reverts with ConsortiumAgreementAlreadyAccepted from another account of the member", async function () {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0);
        await f.consortium.connect(f.provider).addAccount(second.address);
        await expect(f.consortium.connect(second).acceptAgreement(AGREEMENT_V1))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAgreementAlreadyAccepted")
          .withArgs(f.memberIds.provider, 1n);
      });
    });

    describe("when the member accepts the current version", function () {
      it("records the version and emits AgreementAccepted naming the accepting account", async function () {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0);
        await f.consortium.connect(f.provider).addAccount(second.address);
        await f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V2);
        await expect(f.consortium.connect(second).acceptAgreement(AGREEMENT_V2))
          .to.emit(f.consortium, "AgreementAccepted")
          .withArgs(f.memberIds.provider, 2n, AGREEMENT_V2, second.address);
        expect((await f.consortium.getMember(f.memberIds.provider)).agreementVersion).to.equal(2n);
      });

      it("pushes the member's roles and the version to every account on the token", async function () {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0);
        await f.consortium.connect(f.provider).addAccount(second.address);
        await f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V2);
        const accepted = f.consortium.connect(f.provider).acceptAgreement(AGREEMENT_V2);
        for (const account of [f.provider.address, second.address]) {
          await expect(accepted).to.emit(f.token, "RolesChanged").withArgs(account, roleMask(Role.Provider), 2);
        }
        for (const account of [f.provider.address, second.address]) {
          expect(await f.token.agreementOf(account)).to.equal(2n);
          expect(await f.token.activeRolesOf(account)).to.equal(BigInt(roleMask(Role.Provider)));
        }
      });

      describe("when the member is suspended", function () {
        it("still records the acceptance (self-service)", async function () {
          const f = await loadFixture(fixture);
          await f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V2);
          await f.consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON);
          await expect(f.consortium.connect(f.consumer).acceptAgreement(AGREEMENT_V2))
            .to.emit(f.consortium, "AgreementAccepted")
            .withArgs(f.memberIds.consumer, 2n, AGREEMENT_V2, f.consumer.address);
          expect((await f.consortium.getMember(f.memberIds.consumer)).agreementVersion).to.equal(2n);
        });
      });
    });
  });
});
