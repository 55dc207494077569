/*
Consortium, views — the branches, written down first; one `it` per leaf.

views
├── memberOf / getMember / accountsOf ── known, removed and unknown accounts and ids
├── memberCount / operatorCount
├── hasRole ── true for an active account holding the role; false for a missing role, a suspended
│   member, a removed account, an exited member and a non-member
├── requireMember ── the member id, or ConsortiumNotMember / ConsortiumAccountRemoved /
│   ConsortiumMemberSuspended / ConsortiumMemberExited
├── requireRole ── the member id, or ConsortiumMissingRole (after the requireMember checks)
├── requireNewBusiness ── the member id, or ConsortiumMissingRole / ConsortiumMemberSuspended /
│   ConsortiumAgreementNotAccepted / ConsortiumExitPending
├── requireAccount ── the member id, also for a suspended member or one leaving; or ConsortiumNotMember /
│   ConsortiumAccountRemoved / ConsortiumMemberExited
├── inBusiness ── true for a member in good standing with the role, the current agreement and no exit
│   requested; false for each of: missing role, suspended, exited, unknown id, agreement not
│   accepted, exit requested
└── currentAgreement / agreementHash / noticePeriod / registeredContracts / token / limits
*/
import { expect } from "chai";
import { ZeroAddress, ZeroHash } from "ethers";

import { MemberStatus, Role } from "../../../src/core/membership.js";
import { minedAt } from "../../helpers/consortium.js";
import { AGREEMENT_V1, NOTICE_PERIOD } from "../../helpers/fixtures.js";
import { AGREEMENT_V2, exitedMember, fixture, loadFixture, NEXT_ID, REASON, spareSigner } from "./fixture.js";

describe("Consortium", function () {
  describe("views", function () {
    describe("memberOf, getMember and accountsOf", function () {
      it("describe a member's accounts, and a removed account as inactive", async function () {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0).address;
        await f.consortium.connect(f.provider).addAccount(second);
        await f.consortium.connect(f.provider).removeAccount(f.provider.address);
        expect(await f.consortium.memberOf(second)).to.deep.equal([f.memberIds.provider, true]);
        expect(await f.consortium.memberOf(f.provider.address)).to.deep.equal([f.memberIds.provider, false]);
        expect(await f.consortium.accountsOf(f.memberIds.provider)).to.deep.equal([second]);
      });

      it("return zeros and an empty list for unknown accounts and ids", async function () {
        const f = await loadFixture(fixture);
        expect(await f.consortium.memberOf(f.outsider.address)).to.deep.equal([0n, false]);
        expect(await f.consortium.accountsOf(NEXT_ID)).to.deep.equal([]);
        expect(await f.consortium.accountsOf(0n)).to.deep.equal([]);
        const unknown = await f.consortium.getMember(NEXT_ID);
        expect(unknown.status).to.equal(MemberStatus.None);
        expect(unknown.roles).to.equal(0n);
        expect(unknown.agreementVersion).to.equal(0n);
        expect(unknown.admittedAt).to.equal(0n);
        expect(unknown.exitEffectiveAt).to.equal(0n);
        expect(unknown.metadataHash).to.equal(ZeroHash);
      });
    });

    describe("memberCount and operatorCount", function () {
      it("count the members ever admitted and the operators in good standing", async function () {
        const f = await loadFixture(fixture);
        expect(await f.consortium.memberCount()).to.equal(f.memberIds.auditor);
        expect(await f.consortium.operatorCount()).to.equal(1n);
        await exitedMember(f);
        expect(await f.consortium.memberCount()).to.equal(NEXT_ID);
      });
    });

    describe("hasRole", function () {
      it("is true for an active account of an active member holding the role", async function () {
        const f = await loadFixture(fixture);
        expect(await f.consortium.hasRole(f.operator.address, Role.Operator)).to.equal(true);
        expect(await f.consortium.hasRole(f.auditor.address, Role.Auditor)).to.equal(true);
      });

      it("is false for a role the member does not hold", async function () {
        const f = await loadFixture(fixture);
        expect(await f.consortium.hasRole(f.auditor.address, Role.Operator)).to.equal(false);
      });

      it("is false for a suspended member", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).suspend(f.memberIds.auditor, REASON);
        expect(await f.consortium.hasRole(f.auditor.address, Role.Auditor)).to.equal(false);
      });

      it("is false for a removed account", async function () {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0).address;
        await f.consortium.connect(f.auditor).addAccount(second);
        await f.consortium.connect(f.auditor).removeAccount(second);
        expect(await f.consortium.hasRole(second, Role.Auditor)).to.equal(false);
      });

      it("is false for an exited member", async function () {
        const f = await loadFixture(fixture);
        await exitedMember(f);
        expect(await f.consortium.hasRole(spareSigner(f, 1).address, Role.Consumer)).to.equal(false);
      });

      it("is false for a non-member", async function () {
        const f = await loadFixture(fixture);
        expect(await f.consortium.hasRole(f.outsider.address, Role.Operator)).to.equal(false);
        expect(await f.consortium.hasRole(ZeroAddress, Role.Operator)).to.equal(false);
      });
    });

    describe("requireMember", function () {
      it("returns the member id for an active account of a member in good standing", async function () {
        const f = await loadFixture(fixture);
        expect(await f.consortium.requireMember(f.licensor.address)).to.equal(f.memberIds.licensor);
      });

      it("returns the member id while an exit is pending", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.licensor).requestExit();
        expect(await f.consortium.requireMember(f.licensor.address)).to.equal(f.memberIds.licensor);
      });

      it("reverts with ConsortiumNotMember for an account that never belonged to a member", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.requireMember(f.outsider.address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotMember")
          .withArgs(f.outsider.address);
      });

      it("reverts with ConsortiumAccountRemoved for a removed account", async function () {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0).address;
        await f.consortium.connect(f.licensor).addAccount(second);
        await f.consortium.connect(f.licensor).removeAccount(second);
        await expect(f.consortium.requireMember(second))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAccountRemoved")
          .withArgs(second, f.memberIds.licensor);
      });

      it("reverts with ConsortiumMemberSuspended for a suspended member", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).suspend(f.memberIds.licensor, REASON);
        await expect(f.consortium.requireMember(f.licensor.address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberSuspended")
          .withArgs(f.memberIds.licensor);
      });

      it("reverts with ConsortiumMemberExited for an exited member", async function () {
        const f = await loadFixture(fixture);
        const id = await exitedMember(f);
        await expect(f.consortium.requireMember(spareSigner(f, 1).address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberExited")
          .withArgs(id);
      });
    });

    describe("requireRole", function () {
      it("returns the member id when the member holds the role", async function () {
        const f = await loadFixture(fixture);
        expect(await f.consortium.requireRole(f.licensor.address, Role.Licensor)).to.equal(f.memberIds.licensor);
      });

      it("reverts with ConsortiumMissingRole when the member lacks the role", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.requireRole(f.licensor.address, Role.Provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMissingRole")
          .withArgs(f.memberIds.licensor, Role.Provider);
      });

      it("reverts with ConsortiumNotMember before looking at roles", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.requireRole(f.outsider.address, Role.Provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotMember")
          .withArgs(f.outsider.address);
      });

      it("reverts with ConsortiumMemberSuspended for a suspended member holding the role", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).suspend(f.memberIds.licensor, REASON);
        await expect(f.consortium.requireRole(f.licensor.address, Role.Licensor))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberSuspended")
          .withArgs(f.memberIds.licensor);
      });
    });

    describe("requireNewBusiness", function () {
      it("returns the member id for a member that accepted the current agreement and is not leaving", async function () {
        const f = await loadFixture(fixture);
        expect(await f.consortium.requireNewBusiness(f.provider.address, Role.Provider)).to.equal(f.memberIds.provider);
      });

      it("reverts with ConsortiumMissingRole when the member lacks the role", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.requireNewBusiness(f.provider.address, Role.Consumer))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMissingRole")
          .withArgs(f.memberIds.provider, Role.Consumer);
      });

      it("reverts with ConsortiumMemberSuspended for a suspended member", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).suspend(f.memberIds.provider, REASON);
        await expect(f.consortium.requireNewBusiness(f.provider.address, Role.Provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberSuspended")
          .withArgs(f.memberIds.provider);
      });

      it("reverts with ConsortiumAgreementNotAccepted when a newer agreement is not accepted", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V2);
        await expect(f.consortium.requireNewBusiness(f.operator.address, Role.Operator))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAgreementNotAccepted")
          .withArgs(f.memberIds.operator, 1n, 2n);
      });

      it("reverts with ConsortiumExitPending when the member asked to leave", async function () {
        const f = await loadFixture(fixture);
        const effectiveAt = (await minedAt(await f.consortium.connect(f.provider).requestExit())) + NOTICE_PERIOD;
        await expect(f.consortium.requireNewBusiness(f.provider.address, Role.Provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumExitPending")
          .withArgs(f.memberIds.provider, effectiveAt);
      });
    });

    describe("requireAccount", function () {
      it("returns the member id for an active account of a member in good standing", async function () {
        const f = await loadFixture(fixture);
        expect(await f.consortium.requireAccount(f.provider.address)).to.equal(f.memberIds.provider);
      });

      it("returns the member id for a suspended member, which may still protect itself", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).suspend(f.memberIds.provider, REASON);
        expect(await f.consortium.requireAccount(f.provider.address)).to.equal(f.memberIds.provider);
      });

      it("returns the member id while an exit is pending", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.provider).requestExit();
        expect(await f.consortium.requireAccount(f.provider.address)).to.equal(f.memberIds.provider);
      });

      it("reverts with ConsortiumNotMember for an account that never belonged to a member", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.requireAccount(f.outsider.address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotMember")
          .withArgs(f.outsider.address);
      });

      it("reverts with ConsortiumAccountRemoved for a removed account", async function () {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0).address;
        await f.consortium.connect(f.provider).addAccount(second);
        await f.consortium.connect(f.provider).removeAccount(second);
        await expect(f.consortium.requireAccount(second))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAccountRemoved")
          .withArgs(second, f.memberIds.provider);
      });

      it("reverts with ConsortiumMemberExited for an exited member", async function () {
        const f = await loadFixture(fixture);
        const id = await exitedMember(f);
        await expect(f.consortium.requireAccount(spareSigner(f, 1).address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberExited")
          .withArgs(id);
      });
    });

    describe("inBusiness", function () {
      it("is true for a member in good standing with the role, the current agreement and no exit requested", async function () {
        const f = await loadFixture(fixture);
        expect(await f.consortium.inBusiness(f.memberIds.provider, Role.Provider)).to.equal(true);
        expect(await f.consortium.inBusiness(f.memberIds.operator, Role.Operator)).to.equal(true);
      });

      it("is false for a role the member lacks", async function () {
        const f = await loadFixture(fixture);
        expect(await f.consortium.inBusiness(f.memberIds.provider, Role.Consumer)).to.equal(false);
      });

      it("is false while the member is suspended, and true again once reinstated", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).suspend(f.memberIds.provider, REASON);
        expect(await f.consortium.inBusiness(f.memberIds.provider, Role.Provider)).to.equal(false);
        await f.consortium.connect(f.operator).reinstate(f.memberIds.provider);
        expect(await f.consortium.inBusiness(f.memberIds.provider, Role.Provider)).to.equal(true);
      });

      it("is false until the member accepts a newer agreement", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V2);
        expect(await f.consortium.inBusiness(f.memberIds.provider, Role.Provider)).to.equal(false);
        await f.consortium.connect(f.provider).acceptAgreement(AGREEMENT_V2);
        expect(await f.consortium.inBusiness(f.memberIds.provider, Role.Provider)).to.equal(true);
      });

      it("is false once the member asked to leave, and true again when it cancels", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.provider).requestExit();
        expect(await f.consortium.inBusiness(f.memberIds.provider, Role.Provider)).to.equal(false);
        await f.consortium.connect(f.provider).cancelExit();
        expect(await f.consortium.inBusiness(f.memberIds.provider, Role.Provider)).to.equal(true);
      });

      it("is false for an exited member and for an id never issued", async function () {
        const f = await loadFixture(fixture);
        const id = await exitedMember(f);
        expect(await f.consortium.inBusiness(id, Role.Consumer)).to.equal(false);
        expect(await f.consortium.inBusiness(99n, Role.Consumer)).to.equal(false);
        expect(await f.consortium.inBusiness(0n, Role.Operator)).to.equal(false);
      });
    });

    describe("currentAgreement, agreementHash, noticePeriod, registeredContracts and token", function () {
      it("report the deployed configuration", async function () {
        const f = await loadFixture(fixture);
        expect(await f.consortium.currentAgreement()).to.deep.equal([1n, AGREEMENT_V1]);
        expect(await f.consortium.agreementHash(0)).to.equal(ZeroHash);
        expect(await f.consortium.agreementHash(1)).to.equal(AGREEMENT_V1);
        expect(await f.consortium.agreementHash(2)).to.equal(ZeroHash);
        expect(await f.consortium.noticePeriod()).to.equal(NOTICE_PERIOD);
        expect(await f.consortium.registeredContracts()).to.deep.equal([await f.gateway.getAddress()]);
        expect(await f.consortium.token()).to.equal(await f.token.getAddress());
      });

      it("expose the documented limits", async function () {
        const f = await loadFixture(fixture);
        expect(await f.consortium.MAX_ACCOUNTS()).to.equal(16n);
        expect(await f.consortium.MAX_CONTRACTS()).to.equal(16n);
        expect(await f.consortium.MAX_NOTICE_PERIOD()).to.equal(730n * 24n * 60n * 60n);
      });
    });
  });
});
