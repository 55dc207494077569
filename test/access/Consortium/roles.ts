/*
Consortium, grantMemberRole and revokeMemberRole — the branches, written down first; one `it` per leaf.

grantMemberRole
├── when the caller is not an operator ─────────────────── it reverts with ConsortiumMissingRole
├── when the member does not exist ─────────────────────── it reverts with ConsortiumUnknownMember
├── when the member has exited ─────────────────────────── it reverts with ConsortiumMemberExited
├── when the member already holds the role ─────────────── it reverts with ConsortiumRoleAlreadyHeld
└── when the member lacks the role
    ├── it adds the role, emits MemberRoleGranted and leaves the token standing alone
    ├── when the role is Operator and the member is active ── it counts one more operator
    └── when the role is Operator and the member is suspended ── it counts the operator only once reinstated
revokeMemberRole
├── when the caller is not an operator ─────────────────── it reverts with ConsortiumMissingRole
├── when the member does not exist ─────────────────────── it reverts with ConsortiumUnknownMember
├── when the member has exited ─────────────────────────── it reverts with ConsortiumMemberExited
├── when the member lacks the role ─────────────────────── it reverts with ConsortiumMissingRole
├── when the role is Operator of the last operator ─────── it reverts with ConsortiumLastOperator
└── when the member holds the role
    ├── it removes the role and emits MemberRoleRevoked; requireRole then reverts with ConsortiumMissingRole
    ├── when the role is Operator of one of two operators ── it counts one operator less
    └── when the role is Operator of a suspended member ── it leaves the operator count alone
*/
import { expect } from "chai";

import { Role, roleMask } from "../../../src/core/membership.js";
import { admitSecondOperator, exitedMember, fixture, loadFixture, NEXT_ID, REASON, spareSigner } from "./fixture.js";

describe("Consortium", function () {
  describe("grantMemberRole", function () {
    describe("when the caller is not an operator", function () {
      it("reverts with ConsortiumMissingRole", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.provider).grantMemberRole(f.memberIds.provider, Role.Operator))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMissingRole")
          .withArgs(f.memberIds.provider, Role.Operator);
      });
    });

    describe("when the member does not exist", function () {
      it("reverts with ConsortiumUnknownMember", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).grantMemberRole(NEXT_ID, Role.Provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumUnknownMember")
          .withArgs(NEXT_ID);
      });
    });

    describe("when the member has exited", function () {
      it("reverts with ConsortiumMemberExited", async function () {
        const f = await loadFixture(fixture);
        const id = await exitedMember(f);
        await expect(f.consortium.connect(f.operator).grantMemberRole(id, Role.Provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberExited")
          .withArgs(id);
      });
    });

    describe("when the member already holds the role", function () {
      it("reverts with ConsortiumRoleAlreadyHeld", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).grantMemberRole(f.memberIds.provider, Role.Provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumRoleAlreadyHeld")
          .withArgs(f.memberIds.provider, Role.Provider);
      });
    });

    describe("when the member lacks the role", function () {
      it("adds the role, emits MemberRoleGranted and leaves the token standing alone", async function () {
        const f = await loadFixture(fixture);
        const tx = await f.consortium.connect(f.operator).grantMemberRole(f.memberIds.provider, Role.Licensor);
        await expect(tx)
          .to.emit(f.consortium, "MemberRoleGranted")
          .withArgs(f.memberIds.provider, Role.Licensor, f.operator.address);
        await expect(tx).not.to.emit(f.token, "StandingChanged");
        expect((await f.consortium.getMember(f.memberIds.provider)).roles).to.equal(
          roleMask(Role.Provider, Role.Licensor),
        );
        expect(await f.consortium.hasRole(f.provider.address, Role.Licensor)).to.equal(true);
        expect(await f.consortium.operatorCount()).to.equal(1n);
      });

      describe("when the role is Operator and the member is active", function () {
        it("counts one more operator", async function () {
          const f = await loadFixture(fixture);
          await f.consortium.connect(f.operator).grantMemberRole(f.memberIds.provider, Role.Operator);
          expect(await f.consortium.operatorCount()).to.equal(2n);
          expect(await f.consortium.requireRole(f.provider.address, Role.Operator)).to.equal(f.memberIds.provider);
        });
      });

      describe("when the role is Operator and the member is suspended", function () {
        it("counts the operator only once the member is reinstated", async function () {
          const f = await loadFixture(fixture);
          await f.consortium.connect(f.operator).suspend(f.memberIds.provider, REASON);
          await f.consortium.connect(f.operator).grantMemberRole(f.memberIds.provider, Role.Operator);
          expect(await f.consortium.operatorCount()).to.equal(1n);
          await f.consortium.connect(f.operator).reinstate(f.memberIds.provider);
          expect(await f.consortium.operatorCount()).to.equal(2n);
        });
      });
    });
  });

  describe("revokeMemberRole", function () {
    describe("when the caller is not an operator", function () {
      it("reverts with ConsortiumMissingRole", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.consumer).revokeMemberRole(f.memberIds.provider, Role.Provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMissingRole")
          .withArgs(f.memberIds.consumer, Role.Operator);
      });
    });

    describe("when the member does not exist", function () {
      it("reverts with ConsortiumUnknownMember", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).revokeMemberRole(NEXT_ID, Role.Provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumUnknownMember")
          .withArgs(NEXT_ID);
      });
    });

    describe("when the member has exited", function () {
      it("reverts with ConsortiumMemberExited: an exited member's record stays as it was", async function () {
        const f = await loadFixture(fixture);
        const id = await exitedMember(f);
        await expect(f.consortium.connect(f.operator).revokeMemberRole(id, Role.Consumer))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberExited")
          .withArgs(id);
      });
    });

    describe("when the member lacks the role", function () {
      it("reverts with ConsortiumMissingRole", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).revokeMemberRole(f.memberIds.provider, Role.Consumer))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMissingRole")
          .withArgs(f.memberIds.provider, Role.Consumer);
      });
    });

    describe("when the role is Operator of the last operator", function () {
      it("reverts with ConsortiumLastOperator", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).revokeMemberRole(f.memberIds.operator, Role.Operator))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumLastOperator")
          .withArgs(f.memberIds.operator);
      });
    });

    describe("when the member holds the role", function () {
      it("removes the role and emits MemberRoleRevoked; requireRole then reverts with ConsortiumMissingRole", async function () {
        const f = await loadFixture(fixture);
        const tx = await f.consortium.connect(f.operator).revokeMemberRole(f.memberIds.provider, Role.Provider);
        await expect(tx)
          .to.emit(f.consortium, "MemberRoleRevoked")
          .withArgs(f.memberIds.provider, Role.Provider, f.operator.address);
        await expect(tx).not.to.emit(f.token, "StandingChanged");
        expect((await f.consortium.getMember(f.memberIds.provider)).roles).to.equal(0n);
        expect(await f.consortium.hasRole(f.provider.address, Role.Provider)).to.equal(false);
        await expect(f.consortium.requireRole(f.provider.address, Role.Provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMissingRole")
          .withArgs(f.memberIds.provider, Role.Provider);
        expect(await f.consortium.requireMember(f.provider.address)).to.equal(f.memberIds.provider);
      });

      describe("when the role is Operator of one of two operators", function () {
        it("counts one operator less", async function () {
          const f = await loadFixture(fixture);
          const id = await admitSecondOperator(f);
          await expect(f.consortium.connect(spareSigner(f, 0)).revokeMemberRole(f.memberIds.operator, Role.Operator))
            .to.emit(f.consortium, "MemberRoleRevoked")
            .withArgs(f.memberIds.operator, Role.Operator, spareSigner(f, 0).address);
          expect(await f.consortium.operatorCount()).to.equal(1n);
          await expect(f.consortium.connect(spareSigner(f, 0)).revokeMemberRole(id, Role.Operator))
            .to.be.revertedWithCustomError(f.consortium, "ConsortiumLastOperator")
            .withArgs(id);
        });
      });

      describe("when the role is Operator of a suspended member", function () {
        it("leaves the operator count alone", async function () {
          const f = await loadFixture(fixture);
          const id = await admitSecondOperator(f);
          await f.consortium.connect(f.operator).suspend(id, REASON);
          await f.consortium.connect(f.operator).revokeMemberRole(id, Role.Operator);
          expect(await f.consortium.operatorCount()).to.equal(1n);
          expect((await f.consortium.getMember(id)).roles).to.equal(0n);
        });
      });
    });
  });
});
