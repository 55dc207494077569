import { expect } from "chai";

import { AccountStanding, Role, roleMask } from "../../../src/core/membership.js";
import { referenceHash } from "../../../src/core/references.js";
import { actors, AGREEMENT_V1, FOUNDER_METADATA, NOTICE_PERIOD } from "../../helpers/fixtures.js";
import { AGREEMENT_V2 } from "../../helpers/registry.js";
import { spareKey } from "../../helpers/signers.js";
import { BALANCE, connection, ethers, funded, impersonate, networkHelpers, withHolders } from "./fixture.js";

describe("SettlementToken", function () {
  describe("setStanding", function () {
    describe("when the caller is not the Consortium", function () {
      it("reverts with SettlementTokenNotConsortium", async function () {
        const { token, operator, outsider } = await funded();
        await expect(token.connect(operator).setStanding(outsider.address, AccountStanding.Member))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotConsortium")
          .withArgs(operator.address);
      });
    });

    describe("when the Consortium clears an account that holds tokens", function () {
      // A removal sweeps the balance first (see sweep), so only an exit can ask to clear a funded account.
      it("reverts completeExit with SettlementTokenBalanceNotEmpty", async function () {
        const { token, consortium, consumer, memberIds } = await funded();
        await consortium.connect(consumer).requestExit();
        await networkHelpers.time.increase(NOTICE_PERIOD);
        await expect(consortium.connect(consumer).completeExit(memberIds.consumer))
          .to.be.revertedWithCustomError(token, "SettlementTokenBalanceNotEmpty")
          .withArgs(consumer.address, BALANCE);
      });

      it("reverts a direct setStanding(None) with SettlementTokenBalanceNotEmpty", async function () {
        const { token, consortium, consumer } = await funded();
        const asConsortium = await impersonate(await consortium.getAddress());
        await expect(token.connect(asConsortium).setStanding(consumer.address, AccountStanding.None))
          .to.be.revertedWithCustomError(token, "SettlementTokenBalanceNotEmpty")
          .withArgs(consumer.address, BALANCE);
      });
    });

    describe("when the Consortium clears an account that contracts hold", function () {
      it("reverts removeAccount with SettlementTokenAccountHeld, even with an empty balance", async function () {
        const f = await withHolders();
        const { token, consortium, consumer, holder, fund } = f;
        const second = spareKey(f, 0);
        await consortium.connect(consumer).addAccount(second.address);
        await fund(second.address, 42n);
        await token.connect(second).approve(holder.address, 42n);
        await token.connect(holder).escrowFrom(second.address, 21n, Role.Consumer);
        await token.connect(holder).escrowFrom(second.address, 21n, Role.Consumer);
        await expect(consortium.connect(consumer).removeAccount(second.address))
          .to.be.revertedWithCustomError(token, "SettlementTokenAccountHeld")
          .withArgs(second.address, 2n);
        await token.connect(holder).releaseTo(second.address, 0n);
        await expect(consortium.connect(consumer).removeAccount(second.address))
          .to.be.revertedWithCustomError(token, "SettlementTokenAccountHeld")
          .withArgs(second.address, 1n);
        await token.connect(holder).releaseTo(second.address, 0n);
        await expect(consortium.connect(consumer).removeAccount(second.address))
          .to.emit(token, "StandingChanged")
          .withArgs(second.address, AccountStanding.None);
      });

      it("reverts completeExit with SettlementTokenAccountHeld; the balance is checked first", async function () {
        const f = await withHolders();
        const { token, consortium, operator, holder, fund } = f;
        const leaver = spareKey(f, 0);
        await consortium.connect(operator).admit([leaver.address], roleMask(Role.Consumer), referenceHash("leaver"));
        await consortium.connect(leaver).acceptAgreement(AGREEMENT_V1);
        const id = await consortium.memberCount();
        await fund(leaver.address, 42n);
        await token.connect(leaver).approve(holder.address, 40n);
        await token.connect(holder).escrowFrom(leaver.address, 40n, Role.Consumer);
        await consortium.connect(leaver).requestExit();
        await networkHelpers.time.increase(NOTICE_PERIOD);
        // The holder reports no obligations, as a contract that forgot to would.
        await expect(consortium.connect(leaver).completeExit(id))
          .to.be.revertedWithCustomError(token, "SettlementTokenBalanceNotEmpty")
          .withArgs(leaver.address, 2n);
        await token.connect(leaver).transfer(f.consumer.address, 2n);
        await expect(consortium.connect(leaver).completeExit(id))
          .to.be.revertedWithCustomError(token, "SettlementTokenAccountHeld")
          .withArgs(leaver.address, 1n);
        await token.connect(holder).releaseTo(leaver.address, 0n);
        await expect(consortium.connect(leaver).completeExit(id)).to.emit(consortium, "MemberExited").withArgs(id);
        expect(await token.standingOf(leaver.address)).to.equal(AccountStanding.None);
      });
    });

    describe("when the Consortium clears an empty account", function () {
      it("sets None and emits StandingChanged", async function () {
        const f = await funded();
        const { token, consortium, consumer } = f;
        const second = spareKey(f, 0);
        await consortium.connect(consumer).addAccount(second.address);
        await expect(consortium.connect(consumer).removeAccount(second.address))
          .to.emit(token, "StandingChanged")
          .withArgs(second.address, AccountStanding.None);
        expect(await token.standingOf(second.address)).to.equal(AccountStanding.None);
      });
    });

    describe("when the Consortium admits a member", function () {
      it("sets Member for each account and emits StandingChanged", async function () {
        const f = await funded();
        const { token, consortium, operator } = f;
        const [first, second] = [spareKey(f, 0), spareKey(f, 1)];
        const tx = consortium
          .connect(operator)
          .admit([first.address, second.address], roleMask(Role.Provider), referenceHash("new member"));
        await expect(tx).to.emit(token, "StandingChanged").withArgs(first.address, AccountStanding.Member);
        await expect(tx).to.emit(token, "StandingChanged").withArgs(second.address, AccountStanding.Member);
        expect(await token.standingOf(second.address)).to.equal(AccountStanding.Member);
      });
    });

    describe("when the Consortium registers a contract", function () {
      it("sets System and emits StandingChanged", async function () {
        const { token, consortium, operator } = await funded();
        const registry = await ethers.deployContract("MockObligations");
        const address = await registry.getAddress();
        await expect(consortium.connect(operator).registerContract(address))
          .to.emit(token, "StandingChanged")
          .withArgs(address, AccountStanding.System);
        expect(await token.standingOf(address)).to.equal(AccountStanding.System);
      });
    });

    describe("when the Consortium suspends and reinstates a member holding tokens", function () {
      it("keeps the balance next to the changing standing", async function () {
        const { token, consortium, operator, consumer, memberIds } = await funded();
        await consortium.connect(operator).suspend(memberIds.consumer, referenceHash("suspension"));
        expect(await token.standingOf(consumer.address)).to.equal(AccountStanding.Frozen);
        expect(await token.balanceOf(consumer.address)).to.equal(BALANCE);
        await consortium.connect(operator).reinstate(memberIds.consumer);
        expect(await token.standingOf(consumer.address)).to.equal(AccountStanding.Member);
        expect(await token.balanceOf(consumer.address)).to.equal(BALANCE);
        expect(await token.totalSupply()).to.equal(2n * BALANCE);
      });
    });
  });

  describe("setRoles, activeRolesOf and agreementOf", function () {
    describe("when the caller is not the Consortium", function () {
      it("reverts with SettlementTokenNotConsortium", async function () {
        const { token, operator, outsider } = await funded();
        await expect(token.connect(operator).setRoles(outsider.address, roleMask(Role.Consumer), 1))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotConsortium")
          .withArgs(operator.address);
      });
    });

    describe("when the Consortium admits a member", function () {
      it("sets the member's roles and agreement version 0 on each account and emits RolesChanged", async function () {
        const f = await funded();
        const { token, consortium, operator } = f;
        const [first, second] = [spareKey(f, 0), spareKey(f, 1)];
        const roles = roleMask(Role.Provider, Role.Consumer);
        const tx = consortium.connect(operator).admit([first.address, second.address], roles, referenceHash("new"));
        await expect(tx).to.emit(token, "RolesChanged").withArgs(first.address, roles, 0);
        await expect(tx).to.emit(token, "RolesChanged").withArgs(second.address, roles, 0);
        expect(await token.agreementOf(first.address)).to.equal(0n);
      });

      describe("until the member accepts the current agreement", function () {
        it("reports no active roles; accepting pushes the version to every account", async function () {
          const f = await funded();
          const { token, consortium, operator } = f;
          const [first, second] = [spareKey(f, 0), spareKey(f, 1)];
          const roles = roleMask(Role.Provider, Role.Consumer);
          await consortium.connect(operator).admit([first.address, second.address], roles, referenceHash("new"));
          expect(await token.activeRolesOf(first.address)).to.equal(0n);
          expect(await token.activeRolesOf(second.address)).to.equal(0n);
          const accepted = consortium.connect(second).acceptAgreement(AGREEMENT_V1);
          await expect(accepted).to.emit(token, "RolesChanged").withArgs(first.address, roles, 1);
          await expect(accepted).to.emit(token, "RolesChanged").withArgs(second.address, roles, 1);
          for (const account of [first.address, second.address]) {
            expect(await token.activeRolesOf(account)).to.equal(BigInt(roles));
            expect(await token.agreementOf(account)).to.equal(1n);
          }
        });
      });
    });

    describe("when operators publish a new agreement", function () {
      it("reports no active roles for members still on the old one, until each accepts it", async function () {
        const { token, consortium, operator, consumer, provider } = await funded();
        await consortium.connect(operator).publishAgreement(AGREEMENT_V2);
        for (const account of [consumer, provider]) {
          expect(await token.activeRolesOf(account.address)).to.equal(0n);
          expect(await token.agreementOf(account.address)).to.equal(1n);
          // Standing and money are untouched: old business goes on.
          expect(await token.standingOf(account.address)).to.equal(AccountStanding.Member);
        }
        await expect(consortium.connect(consumer).acceptAgreement(AGREEMENT_V2))
          .to.emit(token, "RolesChanged")
          .withArgs(consumer.address, roleMask(Role.Consumer), 2);
        expect(await token.activeRolesOf(consumer.address)).to.equal(BigInt(roleMask(Role.Consumer)));
        expect(await token.activeRolesOf(provider.address)).to.equal(0n);
        await token.connect(consumer).transfer(provider.address, 1n);
      });
    });

    describe("when the member asked to leave", function () {
      it("reports no active roles while Leaving, and its roles again once it cancels", async function () {
        const { token, consortium, consumer } = await funded();
        await consortium.connect(consumer).requestExit();
        expect(await token.standingOf(consumer.address)).to.equal(AccountStanding.Leaving);
        expect(await token.activeRolesOf(consumer.address)).to.equal(0n);
        expect(await token.agreementOf(consumer.address)).to.equal(1n);
        await consortium.connect(consumer).cancelExit();
        expect(await token.activeRolesOf(consumer.address)).to.equal(BigInt(roleMask(Role.Consumer)));
      });
    });

    describe("when the member exits", function () {
      it("clears the roles and the agreement version with the standing", async function () {
        const { token, consortium, licensor, memberIds } = await funded();
        await consortium.connect(licensor).requestExit();
        await networkHelpers.time.increase(NOTICE_PERIOD);
        await consortium.connect(licensor).completeExit(memberIds.licensor);
        expect(await token.activeRolesOf(licensor.address)).to.equal(0n);
        expect(await token.agreementOf(licensor.address)).to.equal(0n);
      });
    });

    describe("when operators grant and revoke a role", function () {
      it("changes the roles of every account of the member", async function () {
        const f = await funded();
        const { token, consortium, operator, consumer, memberIds } = f;
        const second = spareKey(f, 0);
        await consortium.connect(consumer).addAccount(second.address);
        expect(await token.activeRolesOf(second.address)).to.equal(BigInt(roleMask(Role.Consumer)));
        const both = roleMask(Role.Consumer, Role.Provider);
        const granted = consortium.connect(operator).grantMemberRole(memberIds.consumer, Role.Provider);
        await expect(granted).to.emit(token, "RolesChanged").withArgs(consumer.address, both, 1);
        await expect(granted).to.emit(token, "RolesChanged").withArgs(second.address, both, 1);
        await consortium.connect(operator).revokeMemberRole(memberIds.consumer, Role.Consumer);
        for (const account of [consumer.address, second.address]) {
          expect(await token.activeRolesOf(account)).to.equal(BigInt(roleMask(Role.Provider)));
        }
        expect(await token.balanceOf(consumer.address)).to.equal(BALANCE);
      });
    });

    describe("when the member is suspended", function () {
      it("reports no active roles until it is reinstated", async function () {
        const { token, consortium, operator, consumer, memberIds } = await funded();
        await consortium.connect(operator).suspend(memberIds.consumer, referenceHash("suspension"));
        expect(await token.activeRolesOf(consumer.address)).to.equal(0n);
        await consortium.connect(operator).reinstate(memberIds.consumer);
        expect(await token.activeRolesOf(consumer.address)).to.equal(BigInt(roleMask(Role.Consumer)));
      });
    });

    describe("when an account is removed", function () {
      it("clears its roles with its standing", async function () {
        const f = await funded();
        const { token, consortium, consumer } = f;
        const second = spareKey(f, 0);
        await consortium.connect(consumer).addAccount(second.address);
        await consortium.connect(consumer).removeAccount(second.address);
        expect(await token.activeRolesOf(second.address)).to.equal(0n);
        await consortium.connect(consumer).addAccount(spareKey(f, 1).address);
        expect(await token.activeRolesOf(second.address)).to.equal(0n);
      });
    });

    describe("when tokens move", function () {
      it("keeps the roles next to the changing balance", async function () {
        const { token, consumer, provider } = await funded();
        await token.connect(consumer).transfer(provider.address, 5n);
        expect(await token.activeRolesOf(consumer.address)).to.equal(BigInt(roleMask(Role.Consumer)));
        expect(await token.activeRolesOf(provider.address)).to.equal(BigInt(roleMask(Role.Provider)));
      });
    });

    describe("when the account is a consortium contract or an outsider", function () {
      it("reports no roles", async function () {
        const { token, gateway, outsider } = await funded();
        expect(await token.activeRolesOf(await gateway.getAddress())).to.equal(0n);
        expect(await token.activeRolesOf(outsider.address)).to.equal(0n);
      });
    });
  });

  describe("setCurrentAgreement and currentAgreement", function () {
    describe("when the caller is not the Consortium", function () {
      it("reverts with SettlementTokenNotConsortium", async function () {
        const { token, operator } = await funded();
        await expect(token.connect(operator).setCurrentAgreement(2))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotConsortium")
          .withArgs(operator.address);
        expect(await token.currentAgreement()).to.equal(1n);
      });
    });

    describe("when the Consortium binds the token", function () {
      it("pushes the agreement in force with CurrentAgreementChanged", async function () {
        const who = await actors(connection);
        const consortium = await ethers.deployContract(
          "Consortium",
          [[who.operator.address], FOUNDER_METADATA, AGREEMENT_V1, NOTICE_PERIOD],
          who.operator,
        );
        await consortium.connect(who.operator).publishAgreement(AGREEMENT_V2);
        const token = await ethers.deployContract(
          "SettlementToken",
          [await consortium.getAddress(), "Capacity Euro", "CEUR"],
          who.operator,
        );
        expect(await token.currentAgreement()).to.equal(0n);
        await expect(consortium.connect(who.operator).bindToken(await token.getAddress()))
          .to.emit(token, "CurrentAgreementChanged")
          .withArgs(2);
        expect(await token.currentAgreement()).to.equal(2n);
        // The founder accepted v1 only: bound, it records that version and starts no new business.
        expect(await token.agreementOf(who.operator.address)).to.equal(1n);
        expect(await token.activeRolesOf(who.operator.address)).to.equal(0n);
      });
    });

    describe("when operators publish a new agreement", function () {
      it("sets it with CurrentAgreementChanged", async function () {
        const { token, consortium, operator } = await funded();
        await expect(consortium.connect(operator).publishAgreement(AGREEMENT_V2))
          .to.emit(token, "CurrentAgreementChanged")
          .withArgs(2);
        expect(await token.currentAgreement()).to.equal(2n);
      });
    });
  });

  describe("sweep", function () {
    /** The consumer's member with a second account holding 42. */
    async function twoAccounts() {
      const f = await withHolders();
      const second = spareKey(f, 0);
      await f.consortium.connect(f.consumer).addAccount(second.address);
      await f.fund(second.address, 42n);
      return { ...f, second };
    }

    describe("when the caller is not the Consortium", function () {
      it("reverts with SettlementTokenNotConsortium", async function () {
        const { token, consumer, second, holder } = await twoAccounts();
        for (const caller of [consumer, second, holder]) {
          await expect(token.connect(caller).sweep(second.address, consumer.address))
            .to.be.revertedWithCustomError(token, "SettlementTokenNotConsortium")
            .withArgs(caller.address);
        }
        expect(await token.balanceOf(second.address)).to.equal(42n);
      });
    });

    describe("when the Consortium removes an account that holds tokens", function () {
      it("moves the whole balance to the member's account that removes it; emits Transfer", async function () {
        const { token, consortium, consumer, second, memberIds } = await twoAccounts();
        const tx = consortium.connect(consumer).removeAccount(second.address);
        await expect(tx).to.emit(token, "Transfer").withArgs(second.address, consumer.address, 42n);
        await expect(tx).to.emit(consortium, "AccountRemoved").withArgs(memberIds.consumer, second.address);
        await expect(tx).to.changeTokenBalances(ethers, token, [second, consumer], [-42n, 42n]);
        expect(await token.standingOf(second.address)).to.equal(AccountStanding.None);
        expect(await token.standingOf(consumer.address)).to.equal(AccountStanding.Member);
        expect(await token.activeRolesOf(consumer.address)).to.equal(BigInt(roleMask(Role.Consumer)));
        expect(await token.totalSupply()).to.equal(2n * BALANCE + 42n);
      });

      describe("when the account removes itself", function () {
        it("moves the balance to the member's first remaining account", async function () {
          const { token, consortium, consumer, second } = await twoAccounts();
          await expect(consortium.connect(second).removeAccount(second.address))
            .to.emit(token, "Transfer")
            .withArgs(second.address, consumer.address, 42n);
          expect(await token.balanceOf(consumer.address)).to.equal(BALANCE + 42n);
        });
      });

      describe("when the member is suspended or leaving", function () {
        it("moves the balance to its Frozen or Leaving account all the same: it stays the member's", async function () {
          const f = await twoAccounts();
          const { token, consortium, operator, consumer, second, memberIds, fund } = f;
          await consortium.connect(operator).suspend(memberIds.consumer, referenceHash("suspension"));
          await expect(consortium.connect(consumer).removeAccount(second.address))
            .to.emit(token, "Transfer")
            .withArgs(second.address, consumer.address, 42n);
          expect(await token.standingOf(consumer.address)).to.equal(AccountStanding.Frozen);
          await consortium.connect(operator).reinstate(memberIds.consumer);

          const third = spareKey(f, 1);
          await consortium.connect(consumer).addAccount(third.address);
          await fund(third.address, 8n);
          await consortium.connect(consumer).requestExit();
          await expect(consortium.connect(consumer).removeAccount(third.address))
            .to.emit(token, "Transfer")
            .withArgs(third.address, consumer.address, 8n);
          expect(await token.standingOf(consumer.address)).to.equal(AccountStanding.Leaving);
          expect(await token.balanceOf(consumer.address)).to.equal(BALANCE + 50n);
        });
      });

      describe("when the token is paused", function () {
        it("reverts with EnforcedPause: the tokens wait for the unpause, and so does the removal", async function () {
          const { token, consortium, operator, consumer, second } = await twoAccounts();
          await token.connect(operator).pause();
          await expect(consortium.connect(consumer).removeAccount(second.address)).to.be.revertedWithCustomError(
            token,
            "EnforcedPause",
          );
          await token.connect(operator).unpause();
          await expect(consortium.connect(consumer).removeAccount(second.address))
            .to.emit(token, "Transfer")
            .withArgs(second.address, consumer.address, 42n);
        });
      });
    });

    describe("when the Consortium removes an empty account", function () {
      it("moves nothing and emits no Transfer, even while the token is paused", async function () {
        const { token, consortium, operator, consumer, second } = await twoAccounts();
        await token.connect(second).transfer(consumer.address, 42n);
        await token.connect(operator).pause();
        const tx = consortium.connect(consumer).removeAccount(second.address);
        await expect(tx).not.to.emit(token, "Transfer");
        await expect(tx).to.emit(token, "StandingChanged").withArgs(second.address, AccountStanding.None);
        expect(await token.balanceOf(consumer.address)).to.equal(BALANCE + 42n);
      });
    });

    // The Consortium only ever sweeps to another active account of the same member; the token still refuses a
    // destination that could never send the tokens on, and moving an account onto itself.
    describe("when the destination is not a member's account", function () {
      it("reverts with SettlementTokenNotMember naming it: an outsider or a consortium contract", async function () {
        const { token, consortium, outsider, second, holder } = await twoAccounts();
        const asConsortium = await impersonate(await consortium.getAddress());
        for (const to of [outsider.address, holder.address]) {
          await expect(token.connect(asConsortium).sweep(second.address, to))
            .to.be.revertedWithCustomError(token, "SettlementTokenNotMember")
            .withArgs(to);
        }
        expect(await token.balanceOf(second.address)).to.equal(42n);
      });
    });

    describe("when the destination is the account itself", function () {
      it("moves nothing and emits no Transfer", async function () {
        const { token, consortium, second } = await twoAccounts();
        const asConsortium = await impersonate(await consortium.getAddress());
        await expect(token.connect(asConsortium).sweep(second.address, second.address)).not.to.emit(token, "Transfer");
        expect(await token.balanceOf(second.address)).to.equal(42n);
      });
    });
  });
});
