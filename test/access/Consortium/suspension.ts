/*
Consortium, suspend and reinstate — the branches, written down first; one `it` per leaf.

The member's lifecycle through these functions (admit, suspend, reinstate, ask to leave, complete the exit, remove
accounts) is also written down in member.tree, whose leaves are test titles checked by test/meta/trees.ts.

suspend
├── when the caller is not an operator ─────────────────── it reverts with ConsortiumMissingRole
├── when the member does not exist ─────────────────────── it reverts with ConsortiumUnknownMember
├── when the member is already suspended ───────────────── it reverts with ConsortiumMemberNotActive
├── when the member has exited ─────────────────────────── it reverts with ConsortiumMemberNotActive
├── when the member is the last operator ───────────────── it reverts with ConsortiumLastOperator
└── when the member is active
    ├── it marks the member suspended and emits MemberSuspended
    ├── it freezes every account of the member on the token
    ├── its accounts receive what is owed to them (mints, contract payments) but no transfers from members
    │   (SettlementTokenRecipientRestricted), and cannot send
    ├── its accounts fail requireMember with ConsortiumMemberSuspended and hasRole is false
    └── when the member is one of two operators ── it counts one operator less; the member cannot act as operator
reinstate
├── when the caller is not an operator ─────────────────── it reverts with ConsortiumMissingRole
├── when the member does not exist ─────────────────────── it reverts with ConsortiumUnknownMember
├── when the member is active ──────────────────────────── it reverts with ConsortiumMemberNotSuspended
├── when the member has exited ─────────────────────────── it reverts with ConsortiumMemberNotSuspended
└── when the member is suspended
    ├── it marks the member active, emits MemberReinstated and gives every account the Member standing back
    └── when the member holds the Operator role ── it counts the operator again
*/
import { expect } from "chai";

import { AccountStanding, MemberStatus, Role } from "../../../src/core/membership.js";
import { standingChanges } from "../../helpers/consortium.js";
import { mintTo } from "../../helpers/fixtures.js";
import {
  admitSecondOperator,
  AMOUNT,
  ethers,
  exitedMember,
  fixture,
  loadFixture,
  NEXT_ID,
  PAYOUT_REF,
  REASON,
  spareSigner,
} from "./fixture.js";

describe("Consortium", function () {
  describe("suspend", function () {
    describe("when the caller is not an operator", function () {
      it("reverts with ConsortiumMissingRole", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.auditor).suspend(f.memberIds.consumer, REASON))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMissingRole")
          .withArgs(f.memberIds.auditor, Role.Operator);
      });
    });

    describe("when the member does not exist", function () {
      for (const id of [0n, NEXT_ID]) {
        it(`reverts with ConsortiumUnknownMember (id ${id})`, async function () {
          const f = await loadFixture(fixture);
          await expect(f.consortium.connect(f.operator).suspend(id, REASON))
            .to.be.revertedWithCustomError(f.consortium, "ConsortiumUnknownMember")
            .withArgs(id);
        });
      }
    });

    describe("when the member is already suspended", function () {
      it("reverts with ConsortiumMemberNotActive", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON);
        await expect(f.consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberNotActive")
          .withArgs(f.memberIds.consumer);
      });
    });

    describe("when the member has exited", function () {
      it("reverts with ConsortiumMemberNotActive", async function () {
        const f = await loadFixture(fixture);
        const id = await exitedMember(f);
        await expect(f.consortium.connect(f.operator).suspend(id, REASON))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberNotActive")
          .withArgs(id);
      });
    });

    describe("when the member is the last operator", function () {
      it("reverts with ConsortiumLastOperator", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).suspend(f.memberIds.operator, REASON))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumLastOperator")
          .withArgs(f.memberIds.operator);
      });
    });

    describe("when the member is active", function () {
      it("marks the member suspended and emits MemberSuspended", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON))
          .to.emit(f.consortium, "MemberSuspended")
          .withArgs(f.memberIds.consumer, REASON, f.operator.address);
        expect((await f.consortium.getMember(f.memberIds.consumer)).status).to.equal(MemberStatus.Suspended);
        expect(await f.consortium.operatorCount()).to.equal(1n);
      });

      it("freezes every account of the member on the token", async function () {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0).address;
        await f.consortium.connect(f.consumer).addAccount(second);
        const tx = await f.consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON);
        expect(await standingChanges(f.token, tx)).to.deep.equal([
          [f.consumer.address, BigInt(AccountStanding.Frozen)],
          [second, BigInt(AccountStanding.Frozen)],
        ]);
        expect(await f.token.standingOf(f.consumer.address)).to.equal(AccountStanding.Frozen);
        expect(await f.token.standingOf(second)).to.equal(AccountStanding.Frozen);
      });

      it("leaves its accounts receiving what is owed to them but no members' transfers, and not sending", async function () {
        const f = await loadFixture(fixture);
        await mintTo(f, f.provider.address, AMOUNT);
        await mintTo(f, f.consumer.address, AMOUNT);
        await f.token.connect(f.consumer).approve(f.gateway, AMOUNT);
        await f.gateway.connect(f.consumer).requestRedemption(AMOUNT, PAYOUT_REF);
        await f.consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON);
        await expect(f.token.connect(f.provider).transfer(f.consumer.address, AMOUNT))
          .to.be.revertedWithCustomError(f.token, "SettlementTokenRecipientRestricted")
          .withArgs(f.consumer.address, AccountStanding.Frozen);
        // A rejected redemption's refund and a bank deposit are owed to it.
        await f.gateway.connect(f.operator).rejectRedemption(1n, REASON);
        await mintTo(f, f.consumer.address, AMOUNT, "deposit while suspended");
        expect(await f.token.balanceOf(f.consumer.address)).to.equal(2n * AMOUNT);
        await expect(f.token.connect(f.consumer).transfer(f.provider.address, 1n))
          .to.be.revertedWithCustomError(f.token, "SettlementTokenSenderFrozen")
          .withArgs(f.consumer.address);
      });

      it("makes requireMember revert with ConsortiumMemberSuspended and hasRole return false", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON);
        await expect(f.consortium.requireMember(f.consumer.address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberSuspended")
          .withArgs(f.memberIds.consumer);
        expect(await f.consortium.hasRole(f.consumer.address, Role.Consumer)).to.equal(false);
      });

      describe("when the member is one of two operators", function () {
        it("counts one operator less and the member can no longer act as operator", async function () {
          const f = await loadFixture(fixture);
          const id = await admitSecondOperator(f);
          await f.consortium.connect(f.operator).suspend(id, REASON);
          expect(await f.consortium.operatorCount()).to.equal(1n);
          await expect(f.consortium.connect(spareSigner(f, 0)).suspend(f.memberIds.consumer, REASON))
            .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberSuspended")
            .withArgs(id);
          await expect(f.consortium.connect(spareSigner(f, 0)).suspend(f.memberIds.operator, REASON))
            .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberSuspended")
            .withArgs(id);
        });

        it("lets an operator suspend itself while another operator remains", async function () {
          const f = await loadFixture(fixture);
          const id = await admitSecondOperator(f);
          await expect(f.consortium.connect(spareSigner(f, 0)).suspend(id, REASON))
            .to.emit(f.consortium, "MemberSuspended")
            .withArgs(id, REASON, spareSigner(f, 0).address);
          await expect(f.consortium.connect(f.operator).suspend(f.memberIds.operator, REASON))
            .to.be.revertedWithCustomError(f.consortium, "ConsortiumLastOperator")
            .withArgs(f.memberIds.operator);
        });
      });
    });
  });

  describe("reinstate", function () {
    describe("when the caller is not an operator", function () {
      it("reverts with ConsortiumMissingRole", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON);
        await expect(f.consortium.connect(f.licensor).reinstate(f.memberIds.consumer))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMissingRole")
          .withArgs(f.memberIds.licensor, Role.Operator);
      });
    });

    describe("when the member does not exist", function () {
      it("reverts with ConsortiumUnknownMember", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).reinstate(NEXT_ID))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumUnknownMember")
          .withArgs(NEXT_ID);
      });
    });

    describe("when the member is active", function () {
      it("reverts with ConsortiumMemberNotSuspended", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).reinstate(f.memberIds.consumer))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberNotSuspended")
          .withArgs(f.memberIds.consumer);
      });
    });

    describe("when the member has exited", function () {
      it("reverts with ConsortiumMemberNotSuspended", async function () {
        const f = await loadFixture(fixture);
        const id = await exitedMember(f);
        await expect(f.consortium.connect(f.operator).reinstate(id))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberNotSuspended")
          .withArgs(id);
      });
    });

    describe("when the member is suspended", function () {
      it("marks the member active, emits MemberReinstated and gives every account the Member standing back", async function () {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0).address;
        await f.consortium.connect(f.consumer).addAccount(second);
        await mintTo(f, f.consumer.address, AMOUNT);
        await f.consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON);
        const tx = await f.consortium.connect(f.operator).reinstate(f.memberIds.consumer);
        await expect(tx).to.emit(f.consortium, "MemberReinstated").withArgs(f.memberIds.consumer, f.operator.address);
        expect(await standingChanges(f.token, tx)).to.deep.equal([
          [f.consumer.address, BigInt(AccountStanding.Member)],
          [second, BigInt(AccountStanding.Member)],
        ]);
        expect((await f.consortium.getMember(f.memberIds.consumer)).status).to.equal(MemberStatus.Active);
        expect(await f.consortium.requireMember(f.consumer.address)).to.equal(f.memberIds.consumer);
        await expect(f.token.connect(f.consumer).transfer(f.provider.address, AMOUNT)).to.changeTokenBalance(
          ethers,
          f.token,
          f.consumer,
          -AMOUNT,
        );
      });

      describe("when the member holds the Operator role", function () {
        it("counts the operator again", async function () {
          const f = await loadFixture(fixture);
          const id = await admitSecondOperator(f);
          await f.consortium.connect(f.operator).suspend(id, REASON);
          await f.consortium.connect(f.operator).reinstate(id);
          expect(await f.consortium.operatorCount()).to.equal(2n);
          expect(await f.consortium.hasRole(spareSigner(f, 0).address, Role.Operator)).to.equal(true);
        });
      });
    });
  });
});
