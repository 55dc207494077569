/*
Consortium, setNoticePeriod, requestExit, cancelExit and completeExit — the branches, written down first; one `it` per
leaf.

The member's lifecycle through these functions (admit, suspend, reinstate, ask to leave, complete the exit, remove
accounts) is also written down in member.tree, whose leaves are test titles checked by test/meta/trees.ts.

setNoticePeriod
├── when the caller is not an operator ─────────────────── it reverts with ConsortiumMissingRole
├── when the period is longer than MAX_NOTICE_PERIOD ───── it reverts with ConsortiumNoticePeriodTooLong
└── when the period is at most MAX_NOTICE_PERIOD
    ├── it sets the period and emits NoticePeriodChanged (MAX_NOTICE_PERIOD and zero included)
    └── it applies to exit requests made from then on only
requestExit
├── when the caller is not a member's account ──────────── it reverts with ConsortiumNotMember
├── when the caller's member has exited ────────────────── it reverts with ConsortiumMemberExited
├── when an exit is already requested ──────────────────── it reverts with ConsortiumExitPending
└── when no exit is requested
    ├── it records effectiveAt = now + notice period and emits ExitRequested
    ├── requireNewBusiness then reverts with ConsortiumExitPending, requireRole still passes
    ├── every account of the member is Leaving on the token: it keeps its roles, none active; it sends, and
    │   receives only what is owed to it
    ├── when the member is suspended ── it records the request (self-service); the accounts stay Frozen
    └── while the exit is pending
        ├── granting or revoking a role reaches the token's record (RolesChanged), not its active roles
        ├── a suspension freezes the accounts; reinstatement makes them Leaving again, not Member
        └── an account added meanwhile is Leaving
cancelExit
├── when the caller is not a member's account ──────────── it reverts with ConsortiumNotMember
├── when no exit is requested ──────────────────────────── it reverts with ConsortiumExitNotRequested
└── when an exit is requested
    ├── it clears it, emits ExitCancelled; new business is allowed again
    └── every account is Member again; the token reports the roles, as changed while the exit was pending, active
completeExit
├── when the member does not exist ─────────────────────── it reverts with ConsortiumUnknownMember
├── when the member has already exited ─────────────────── it reverts with ConsortiumMemberExited
├── when the caller is neither an account of the member nor of an operator in good standing
│   └── it reverts with ConsortiumNotExitingMember(caller, member): an outsider, another member, a removed
│       account of the member, a suspended or an exited operator; before the exit's own conditions are read
├── when no exit is requested ──────────────────────────── it reverts with ConsortiumExitNotRequested
├── when the notice period is running ──────────────────── it reverts with ConsortiumNoticePeriodRunning
├── when a registered contract reports open obligations ── it reverts with ConsortiumOpenObligations (mock, count)
├── when the member has pending redemptions ────────────── it reverts with ConsortiumOpenObligations (gateway, count)
│   ├── when another registered contract reports obligations too ── it names the gateway, registered first
│   └── when the redemptions are settled ── the exit completes
├── when an account of the member holds tokens ─────────── it reverts with SettlementTokenBalanceNotEmpty (from the token)
├── when the member is the last operator ───────────────── it reverts with ConsortiumLastOperator
└── when the conditions hold
    ├── the member completes it (any of its accounts), at effectiveAt exactly; it emits MemberExited
    ├── an operator completes it for the member
    ├── when another member sends dust to the leaving member ── it is refused (SettlementTokenRecipientRestricted),
    │   so no one can keep the exit from completing
    ├── every account of the member gets the None standing
    ├── the exited member cannot act any more and operators cannot suspend, reinstate or grant it roles
    ├── its accounts stay on record: memberOf names the member but reports them inactive, accountsOf lists them
    ├── when the member was one of two operators ── it counts one operator less
    └── when the member is suspended ── it completes too, clearing the Frozen standing
*/
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";

import { AccountStanding, MemberStatus, Role, roleMask } from "../../../src/core/membership.js";
import { referenceHash } from "../../../src/core/references.js";
import { minedAt, standingChanges } from "../../helpers/consortium.js";
import { NOTICE_PERIOD, mintTo, type SettlementLayerFixture } from "../../helpers/fixtures.js";
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
  requestExitAndWait,
  spareSigner,
  time,
} from "./fixture.js";

const BANK_TX_REF = referenceHash("bank transaction 4711");

describe("Consortium", function () {
  describe("setNoticePeriod", function () {
    const THIRTY_DAYS = 30n * 24n * 60n * 60n;

    describe("when the caller is not an operator", function () {
      it("reverts with ConsortiumMissingRole", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.consumer).setNoticePeriod(THIRTY_DAYS))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMissingRole")
          .withArgs(f.memberIds.consumer, Role.Operator);
      });
    });

    describe("when the period is longer than MAX_NOTICE_PERIOD", function () {
      it("reverts with ConsortiumNoticePeriodTooLong", async function () {
        const f = await loadFixture(fixture);
        const max = await f.consortium.MAX_NOTICE_PERIOD();
        await expect(f.consortium.connect(f.operator).setNoticePeriod(max + 1n))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNoticePeriodTooLong")
          .withArgs(max + 1n, max);
      });
    });

    describe("when the period is at most MAX_NOTICE_PERIOD", function () {
      it("sets the period and emits NoticePeriodChanged, MAX_NOTICE_PERIOD and zero included", async function () {
        const f = await loadFixture(fixture);
        const max = await f.consortium.MAX_NOTICE_PERIOD();
        for (const period of [THIRTY_DAYS, max, 0n]) {
          await expect(f.consortium.connect(f.operator).setNoticePeriod(period))
            .to.emit(f.consortium, "NoticePeriodChanged")
            .withArgs(period);
          expect(await f.consortium.noticePeriod()).to.equal(period);
        }
      });

      it("applies to exit requests made from then on only", async function () {
        const f = await loadFixture(fixture);
        const before = await minedAt(await f.consortium.connect(f.consumer).requestExit());
        await f.consortium.connect(f.operator).setNoticePeriod(THIRTY_DAYS);
        const after = await minedAt(await f.consortium.connect(f.licensor).requestExit());
        expect((await f.consortium.getMember(f.memberIds.consumer)).exitEffectiveAt).to.equal(before + NOTICE_PERIOD);
        expect((await f.consortium.getMember(f.memberIds.licensor)).exitEffectiveAt).to.equal(after + THIRTY_DAYS);
      });
    });
  });

  describe("requestExit", function () {
    describe("when the caller is not a member's account", function () {
      it("reverts with ConsortiumNotMember", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.outsider).requestExit())
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotMember")
          .withArgs(f.outsider.address);
      });
    });

    describe("when the caller's member has exited", function () {
      it("reverts with ConsortiumMemberExited", async function () {
        const f = await loadFixture(fixture);
        const id = await exitedMember(f);
        await expect(f.consortium.connect(spareSigner(f, 1)).requestExit())
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberExited")
          .withArgs(id);
      });
    });

    describe("when an exit is already requested", function () {
      it("reverts with ConsortiumExitPending", async function () {
        const f = await loadFixture(fixture);
        const effectiveAt = (await minedAt(await f.consortium.connect(f.consumer).requestExit())) + NOTICE_PERIOD;
        await expect(f.consortium.connect(f.consumer).requestExit())
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumExitPending")
          .withArgs(f.memberIds.consumer, effectiveAt);
      });
    });

    describe("when no exit is requested", function () {
      it("records effectiveAt = now + notice period and emits ExitRequested", async function () {
        const f = await loadFixture(fixture);
        const now = BigInt(await time.latest()) + 10n;
        await time.setNextBlockTimestamp(now);
        await expect(f.consortium.connect(f.consumer).requestExit())
          .to.emit(f.consortium, "ExitRequested")
          .withArgs(f.memberIds.consumer, now + NOTICE_PERIOD);
        expect((await f.consortium.getMember(f.memberIds.consumer)).exitEffectiveAt).to.equal(now + NOTICE_PERIOD);
      });

      it("makes requireNewBusiness revert with ConsortiumExitPending while requireRole still passes", async function () {
        const f = await loadFixture(fixture);
        const effectiveAt = (await minedAt(await f.consortium.connect(f.consumer).requestExit())) + NOTICE_PERIOD;
        await expect(f.consortium.requireNewBusiness(f.consumer.address, Role.Consumer))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumExitPending")
          .withArgs(f.memberIds.consumer, effectiveAt);
        expect(await f.consortium.requireRole(f.consumer.address, Role.Consumer)).to.equal(f.memberIds.consumer);
      });

      it("makes every account of the member Leaving on the token: roles kept, none active", async function () {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0).address;
        await f.consortium.connect(f.consumer).addAccount(second);
        const tx = await f.consortium.connect(f.consumer).requestExit();
        expect(await standingChanges(f.token, tx)).to.deep.equal([
          [f.consumer.address, BigInt(AccountStanding.Leaving)],
          [second, BigInt(AccountStanding.Leaving)],
        ]);
        await expect(tx).not.to.emit(f.token, "RolesChanged");
        for (const account of [f.consumer.address, second]) {
          expect(await f.token.activeRolesOf(account)).to.equal(0n);
          expect(await f.token.standingOf(account)).to.equal(AccountStanding.Leaving);
        }
        // The Consortium keeps the roles: existing business goes on, only new business stops.
        expect((await f.consortium.getMember(f.memberIds.consumer)).roles).to.equal(BigInt(roleMask(Role.Consumer)));
        expect(await f.consortium.hasRole(f.consumer.address, Role.Consumer)).to.equal(true);
        expect(await f.token.activeRolesOf(f.provider.address)).to.equal(BigInt(roleMask(Role.Provider)));
      });

      it("lets the Leaving accounts send, and receive only what is owed to them", async function () {
        const f = await loadFixture(fixture);
        await mintTo(f, f.consumer.address, AMOUNT);
        await mintTo(f, f.provider.address, AMOUNT);
        await f.consortium.connect(f.consumer).requestExit();
        await expect(f.token.connect(f.consumer).transfer(f.provider.address, AMOUNT)).to.changeTokenBalances(
          ethers,
          f.token,
          [f.consumer, f.provider],
          [-AMOUNT, AMOUNT],
        );
        await expect(f.token.connect(f.provider).transfer(f.consumer.address, 1n))
          .to.be.revertedWithCustomError(f.token, "SettlementTokenRecipientRestricted")
          .withArgs(f.consumer.address, AccountStanding.Leaving);
        await mintTo(f, f.consumer.address, AMOUNT, "deposit while leaving");
        expect(await f.token.balanceOf(f.consumer.address)).to.equal(AMOUNT);
      });

      describe("when the member is suspended", function () {
        it("records the request (self-service); the accounts stay Frozen", async function () {
          const f = await loadFixture(fixture);
          await f.consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON);
          await expect(f.consortium.connect(f.consumer).requestExit()).to.emit(f.consortium, "ExitRequested");
          expect((await f.consortium.getMember(f.memberIds.consumer)).exitEffectiveAt).to.not.equal(0n);
          expect(await f.token.standingOf(f.consumer.address)).to.equal(AccountStanding.Frozen);
        });
      });

      describe("while the exit is pending", function () {
        it("granting or revoking a role reaches the token's record (RolesChanged), not its active roles", async function () {
          const f = await loadFixture(fixture);
          await f.consortium.connect(f.consumer).requestExit();
          const both = roleMask(Role.Consumer, Role.Provider);
          const granted = f.consortium.connect(f.operator).grantMemberRole(f.memberIds.consumer, Role.Provider);
          await expect(granted).to.emit(f.token, "RolesChanged").withArgs(f.consumer.address, both, 1);
          expect((await f.consortium.getMember(f.memberIds.consumer)).roles).to.equal(BigInt(both));
          expect(await f.token.activeRolesOf(f.consumer.address)).to.equal(0n);
          const revoked = f.consortium.connect(f.operator).revokeMemberRole(f.memberIds.consumer, Role.Consumer);
          await expect(revoked)
            .to.emit(f.token, "RolesChanged")
            .withArgs(f.consumer.address, roleMask(Role.Provider), 1);
          expect((await f.consortium.getMember(f.memberIds.consumer)).roles).to.equal(BigInt(roleMask(Role.Provider)));
          expect(await f.token.activeRolesOf(f.consumer.address)).to.equal(0n);
        });

        it("a suspension freezes the accounts; reinstatement makes them Leaving again, not Member", async function () {
          const f = await loadFixture(fixture);
          await f.consortium.connect(f.consumer).requestExit();
          await f.consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON);
          expect(await f.token.standingOf(f.consumer.address)).to.equal(AccountStanding.Frozen);
          await f.consortium.connect(f.operator).reinstate(f.memberIds.consumer);
          expect(await f.token.standingOf(f.consumer.address)).to.equal(AccountStanding.Leaving);
          expect(await f.token.activeRolesOf(f.consumer.address)).to.equal(0n);
        });

        it("an account added meanwhile is Leaving", async function () {
          const f = await loadFixture(fixture);
          await f.consortium.connect(f.consumer).requestExit();
          const second = spareSigner(f, 0).address;
          const added = f.consortium.connect(f.consumer).addAccount(second);
          await expect(added).to.emit(f.token, "RolesChanged").withArgs(second, roleMask(Role.Consumer), 1);
          await expect(added).to.emit(f.token, "StandingChanged").withArgs(second, AccountStanding.Leaving);
          expect(await f.token.activeRolesOf(second)).to.equal(0n);
        });
      });
    });
  });

  describe("cancelExit", function () {
    describe("when the caller is not a member's account", function () {
      it("reverts with ConsortiumNotMember", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.outsider).cancelExit())
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotMember")
          .withArgs(f.outsider.address);
      });
    });

    describe("when no exit is requested", function () {
      it("reverts with ConsortiumExitNotRequested", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.consumer).cancelExit())
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumExitNotRequested")
          .withArgs(f.memberIds.consumer);
      });
    });

    describe("when an exit is requested", function () {
      it("clears it and emits ExitCancelled; new business is allowed again", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.consumer).requestExit();
        await expect(f.consortium.connect(f.consumer).cancelExit())
          .to.emit(f.consortium, "ExitCancelled")
          .withArgs(f.memberIds.consumer);
        expect((await f.consortium.getMember(f.memberIds.consumer)).exitEffectiveAt).to.equal(0n);
        expect(await f.consortium.requireNewBusiness(f.consumer.address, Role.Consumer)).to.equal(f.memberIds.consumer);
        await expect(f.consortium.connect(f.consumer).completeExit(f.memberIds.consumer))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumExitNotRequested")
          .withArgs(f.memberIds.consumer);
      });

      it("makes every account Member again, with the roles as changed while the exit was pending active", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.consumer).requestExit();
        const second = spareSigner(f, 0).address;
        await f.consortium.connect(f.consumer).addAccount(second);
        await f.consortium.connect(f.operator).grantMemberRole(f.memberIds.consumer, Role.Provider);
        const both = roleMask(Role.Consumer, Role.Provider);
        const cancelled = await f.consortium.connect(f.consumer).cancelExit();
        expect(await standingChanges(f.token, cancelled)).to.deep.equal([
          [f.consumer.address, BigInt(AccountStanding.Member)],
          [second, BigInt(AccountStanding.Member)],
        ]);
        for (const account of [f.consumer.address, second]) {
          expect(await f.token.activeRolesOf(account)).to.equal(BigInt(both));
        }
      });
    });
  });

  describe("completeExit", function () {
    describe("when the member does not exist", function () {
      it("reverts with ConsortiumUnknownMember", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).completeExit(NEXT_ID))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumUnknownMember")
          .withArgs(NEXT_ID);
      });
    });

    describe("when the member has already exited", function () {
      it("reverts with ConsortiumMemberExited", async function () {
        const f = await loadFixture(fixture);
        const id = await exitedMember(f);
        await expect(f.consortium.connect(f.operator).completeExit(id))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberExited")
          .withArgs(id);
      });
    });

    describe("when the caller is neither an account of the member nor of an operator in good standing", function () {
      async function leaving() {
        const f = await loadFixture(fixture);
        await requestExitAndWait(f, f.consumer);
        return f;
      }

      const refused = async (f: SettlementLayerFixture, caller: HardhatEthersSigner, memberId: bigint) =>
        expect(f.consortium.connect(caller).completeExit(memberId))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotExitingMember")
          .withArgs(caller.address, memberId);

      it("reverts with ConsortiumNotExitingMember for an outsider and for another member", async function () {
        const f = await leaving();
        for (const caller of [f.outsider, f.provider, f.auditor]) await refused(f, caller, f.memberIds.consumer);
      });

      it("reverts with ConsortiumNotExitingMember for a removed account of the member", async function () {
        const f = await loadFixture(fixture);
        const old = spareSigner(f, 0);
        await f.consortium.connect(f.consumer).addAccount(old.address);
        await f.consortium.connect(f.consumer).removeAccount(old.address);
        await requestExitAndWait(f, f.consumer);
        await refused(f, old, f.memberIds.consumer);
      });

      it("reverts with ConsortiumNotExitingMember for a suspended operator", async function () {
        const f = await leaving();
        const id = await admitSecondOperator(f);
        await f.consortium.connect(f.operator).suspend(id, REASON);
        await refused(f, spareSigner(f, 0), f.memberIds.consumer);
      });

      it("reverts with ConsortiumNotExitingMember for an exited operator", async function () {
        const f = await loadFixture(fixture);
        const id = await admitSecondOperator(f);
        await f.consortium.connect(f.consumer).requestExit();
        await requestExitAndWait(f, spareSigner(f, 0));
        await f.consortium.connect(spareSigner(f, 0)).completeExit(id);
        await refused(f, spareSigner(f, 0), f.memberIds.consumer);
      });

      it("is checked before the exit's own conditions: an outsider learns nothing of them", async function () {
        const f = await loadFixture(fixture);
        await refused(f, f.outsider, f.memberIds.consumer);
        await f.consortium.connect(f.consumer).requestExit();
        await refused(f, f.outsider, f.memberIds.consumer);
      });
    });

    describe("when no exit is requested", function () {
      it("reverts with ConsortiumExitNotRequested", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.consumer).completeExit(f.memberIds.consumer))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumExitNotRequested")
          .withArgs(f.memberIds.consumer);
      });
    });

    describe("when the notice period is running", function () {
      it("reverts with ConsortiumNoticePeriodRunning until the second before effectiveAt", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.consumer).requestExit();
        const effectiveAt = (await f.consortium.getMember(f.memberIds.consumer)).exitEffectiveAt;
        await time.setNextBlockTimestamp(effectiveAt - 1n);
        await expect(f.consortium.connect(f.consumer).completeExit(f.memberIds.consumer))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNoticePeriodRunning")
          .withArgs(f.memberIds.consumer, effectiveAt);
      });
    });

    describe("when a registered contract reports open obligations", function () {
      it("reverts with ConsortiumOpenObligations naming the contract and the count", async function () {
        const f = await loadFixture(fixture);
        const mock = await ethers.deployContract("MockObligations");
        await f.consortium.connect(f.operator).registerContract(mock);
        await mock.setOpen(f.memberIds.consumer, 3n);
        await requestExitAndWait(f, f.consumer);
        await expect(f.consortium.connect(f.consumer).completeExit(f.memberIds.consumer))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumOpenObligations")
          .withArgs(f.memberIds.consumer, await mock.getAddress(), 3n);
        await mock.setOpen(f.memberIds.consumer, 0n);
        await expect(f.consortium.connect(f.consumer).completeExit(f.memberIds.consumer))
          .to.emit(f.consortium, "MemberExited")
          .withArgs(f.memberIds.consumer);
      });
    });

    describe("when the member has pending redemptions at the gateway", function () {
      async function pendingRedemptions() {
        const f = await loadFixture(fixture);
        await mintTo(f, f.consumer.address, 2n * AMOUNT);
        await f.token.connect(f.consumer).approve(f.gateway, 2n * AMOUNT);
        await f.gateway.connect(f.consumer).requestRedemption(AMOUNT, PAYOUT_REF);
        await f.gateway.connect(f.consumer).requestRedemption(AMOUNT, PAYOUT_REF);
        await requestExitAndWait(f, f.consumer);
        return f;
      }

      it("reverts with ConsortiumOpenObligations naming the gateway and the count", async function () {
        const f = await pendingRedemptions();
        await expect(f.consortium.connect(f.consumer).completeExit(f.memberIds.consumer))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumOpenObligations")
          .withArgs(f.memberIds.consumer, await f.gateway.getAddress(), 2n);
      });

      it("names the gateway first when another registered contract reports obligations too", async function () {
        const f = await pendingRedemptions();
        const mock = await ethers.deployContract("MockObligations");
        await f.consortium.connect(f.operator).registerContract(mock);
        await mock.setOpen(f.memberIds.consumer, 1n);
        await expect(f.consortium.connect(f.consumer).completeExit(f.memberIds.consumer))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumOpenObligations")
          .withArgs(f.memberIds.consumer, await f.gateway.getAddress(), 2n);
      });

      describe("when the redemptions are settled", function () {
        it("completes the exit", async function () {
          const f = await pendingRedemptions();
          await f.gateway.connect(f.operator).markRedemptionPaid(1n, BANK_TX_REF);
          await expect(f.consortium.connect(f.consumer).completeExit(f.memberIds.consumer))
            .to.be.revertedWithCustomError(f.consortium, "ConsortiumOpenObligations")
            .withArgs(f.memberIds.consumer, await f.gateway.getAddress(), 1n);
          await f.gateway.connect(f.operator).markRedemptionPaid(2n, BANK_TX_REF);
          await expect(f.consortium.connect(f.consumer).completeExit(f.memberIds.consumer))
            .to.emit(f.consortium, "MemberExited")
            .withArgs(f.memberIds.consumer);
        });
      });
    });

    describe("when an account of the member holds tokens", function () {
      it("reverts with SettlementTokenBalanceNotEmpty from the token", async function () {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0).address;
        await f.consortium.connect(f.consumer).addAccount(second);
        await mintTo(f, second, AMOUNT);
        await requestExitAndWait(f, f.consumer);
        await expect(f.consortium.connect(f.consumer).completeExit(f.memberIds.consumer))
          .to.be.revertedWithCustomError(f.token, "SettlementTokenBalanceNotEmpty")
          .withArgs(second, AMOUNT);
      });
    });

    describe("when the member is the last operator", function () {
      it("reverts with ConsortiumLastOperator", async function () {
        const f = await loadFixture(fixture);
        await requestExitAndWait(f, f.operator);
        await expect(f.consortium.connect(f.operator).completeExit(f.memberIds.operator))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumLastOperator")
          .withArgs(f.memberIds.operator);
      });
    });

    describe("when the conditions hold", function () {
      /** The consumer, with a second account, leaves; the second account completes the exit at effectiveAt. */
      async function exited() {
        const f = await loadFixture(fixture);
        const secondSigner = spareSigner(f, 0);
        const second = secondSigner.address;
        await f.consortium.connect(f.consumer).addAccount(second);
        await f.consortium.connect(f.consumer).requestExit();
        const effectiveAt = (await f.consortium.getMember(f.memberIds.consumer)).exitEffectiveAt;
        await time.setNextBlockTimestamp(effectiveAt);
        const tx = await f.consortium.connect(secondSigner).completeExit(f.memberIds.consumer);
        return { f, second, effectiveAt, tx };
      }

      it("lets the member complete it from any of its accounts at effectiveAt exactly; emits MemberExited", async function () {
        const { f, effectiveAt, tx } = await exited();
        await expect(tx).to.emit(f.consortium, "MemberExited").withArgs(f.memberIds.consumer);
        expect(await minedAt(tx)).to.equal(effectiveAt);
        expect((await f.consortium.getMember(f.memberIds.consumer)).status).to.equal(MemberStatus.Exited);
      });

      it("lets an operator complete it for the member", async function () {
        const f = await loadFixture(fixture);
        const id = await admitSecondOperator(f);
        await requestExitAndWait(f, f.consumer);
        await expect(f.consortium.connect(spareSigner(f, 0)).completeExit(f.memberIds.consumer))
          .to.emit(f.consortium, "MemberExited")
          .withArgs(f.memberIds.consumer);
        expect(await f.consortium.requireRole(spareSigner(f, 0).address, Role.Operator)).to.equal(id);
      });

      describe("when another member sends dust to the leaving member", function () {
        it("is refused with SettlementTokenRecipientRestricted, so no one can keep the exit from completing", async function () {
          const f = await loadFixture(fixture);
          await mintTo(f, f.provider.address, AMOUNT);
          await requestExitAndWait(f, f.consumer);
          await expect(f.token.connect(f.provider).transfer(f.consumer.address, 1n))
            .to.be.revertedWithCustomError(f.token, "SettlementTokenRecipientRestricted")
            .withArgs(f.consumer.address, AccountStanding.Leaving);
          await expect(f.consortium.connect(f.consumer).completeExit(f.memberIds.consumer))
            .to.emit(f.consortium, "MemberExited")
            .withArgs(f.memberIds.consumer);
        });
      });

      it("gives every account of the member the None standing", async function () {
        const { f, second, tx } = await exited();
        expect(await standingChanges(f.token, tx)).to.deep.equal([
          [f.consumer.address, BigInt(AccountStanding.None)],
          [second, BigInt(AccountStanding.None)],
        ]);
        expect(await f.token.standingOf(f.consumer.address)).to.equal(AccountStanding.None);
        expect(await f.token.standingOf(second)).to.equal(AccountStanding.None);
      });

      it("leaves the exited member unable to act and to be suspended, reinstated or granted roles", async function () {
        const { f } = await exited();
        const id = f.memberIds.consumer;
        await expect(f.consortium.requireMember(f.consumer.address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberExited")
          .withArgs(id);
        expect(await f.consortium.hasRole(f.consumer.address, Role.Consumer)).to.equal(false);
        await expect(f.consortium.connect(f.consumer).cancelExit())
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberExited")
          .withArgs(id);
        await expect(f.consortium.connect(f.operator).suspend(id, REASON))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberNotActive")
          .withArgs(id);
        await expect(f.consortium.connect(f.operator).reinstate(id))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberNotSuspended")
          .withArgs(id);
        await expect(f.consortium.connect(f.operator).grantMemberRole(id, Role.Provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberExited")
          .withArgs(id);
        await expect(f.token.connect(f.provider).transfer(f.consumer.address, 0n))
          .to.be.revertedWithCustomError(f.token, "SettlementTokenNotMember")
          .withArgs(f.consumer.address);
      });

      it("keeps its accounts on record: memberOf names the member but reports them inactive", async function () {
        const { f, second } = await exited();
        expect(await f.consortium.memberOf(f.consumer.address)).to.deep.equal([f.memberIds.consumer, false]);
        expect(await f.consortium.accountsOf(f.memberIds.consumer)).to.deep.equal([f.consumer.address, second]);
      });

      describe("when the member was one of two operators", function () {
        it("counts one operator less", async function () {
          const f = await loadFixture(fixture);
          const id = await admitSecondOperator(f);
          await requestExitAndWait(f, spareSigner(f, 0));
          await expect(f.consortium.connect(spareSigner(f, 0)).completeExit(id))
            .to.emit(f.consortium, "MemberExited")
            .withArgs(id);
          expect(await f.consortium.operatorCount()).to.equal(1n);
        });
      });

      describe("when the member is suspended", function () {
        it("completes too, clearing the Frozen standing", async function () {
          const f = await loadFixture(fixture);
          await f.consortium.connect(f.consumer).requestExit();
          await f.consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON);
          await time.increase(NOTICE_PERIOD);
          const tx = await f.consortium.connect(f.consumer).completeExit(f.memberIds.consumer);
          await expect(tx).to.emit(f.consortium, "MemberExited").withArgs(f.memberIds.consumer);
          expect(await standingChanges(f.token, tx)).to.deep.equal([
            [f.consumer.address, BigInt(AccountStanding.None)],
          ]);
          expect((await f.consortium.getMember(f.memberIds.consumer)).status).to.equal(MemberStatus.Exited);
        });
      });
    });
  });
});
