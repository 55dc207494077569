import { expect } from "chai";

import { AccountStanding, Role, roleMask } from "../../../src/core/membership.js";
import { referenceHash } from "../../../src/core/references.js";
import { AGREEMENT_V2 } from "../../helpers/registry.js";
import { BALANCE, ethers, type HeldFixture, impersonate, withHolders } from "./fixture.js";

describe("SettlementToken", function () {
  describe("escrowFrom", function () {
    describe("when the caller is not a consortium contract", function () {
      it("reverts with SettlementTokenNotSystemContract naming the caller (members, outsiders, the Consortium)", async function () {
        const { token, consortium, consumer, provider, outsider } = await withHolders();
        await token.connect(consumer).approve(provider.address, 10n);
        for (const caller of [consumer, provider, outsider]) {
          await expect(token.connect(caller).escrowFrom(consumer.address, 10n, Role.Consumer))
            .to.be.revertedWithCustomError(token, "SettlementTokenNotSystemContract")
            .withArgs(caller.address);
        }
        const consortiumAddress = await consortium.getAddress();
        const asConsortium = await impersonate(consortiumAddress);
        await expect(token.connect(asConsortium).escrowFrom(consumer.address, 10n, Role.Consumer))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotSystemContract")
          .withArgs(consortiumAddress);
        expect(await token.holdsOf(consumer.address)).to.equal(0n);
      });
    });

    describe("when the account did not allow the caller the value", function () {
      it("reverts with ERC20InsufficientAllowance", async function () {
        const { token, consumer, otherHolder } = await withHolders();
        await token.connect(consumer).approve(otherHolder.address, 9n);
        await expect(token.connect(otherHolder).escrowFrom(consumer.address, 10n, Role.Consumer))
          .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
          .withArgs(otherHolder.address, 9n, 10n);
        expect(await token.holdsOf(consumer.address)).to.equal(0n);
      });
    });

    describe("when the account holds less than the value", function () {
      it("reverts with ERC20InsufficientBalance", async function () {
        const { token, consumer, holder } = await withHolders();
        await token.connect(consumer).approve(holder.address, BALANCE + 1n);
        await expect(token.connect(holder).escrowFrom(consumer.address, BALANCE + 1n, Role.Consumer))
          .to.be.revertedWithCustomError(token, "ERC20InsufficientBalance")
          .withArgs(consumer.address, BALANCE, BALANCE + 1n);
        expect(await token.holdsOf(consumer.address)).to.equal(0n);
      });
    });

    describe("when the account is not a member's", function () {
      it("reverts with SettlementTokenNotMember naming the account", async function () {
        const { token, outsider, holder } = await withHolders();
        await token.connect(outsider).approve(holder.address, 1n);
        await expect(token.connect(holder).escrowFrom(outsider.address, 1n, Role.Consumer))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotMember")
          .withArgs(outsider.address);
      });
    });

    describe("when the account's member is suspended", function () {
      it("reverts with SettlementTokenSenderFrozen: a frozen account cannot send", async function () {
        const { token, consortium, operator, consumer, memberIds, holder } = await withHolders();
        await consortium.connect(operator).suspend(memberIds.consumer, referenceHash("suspension"));
        await expect(token.connect(holder).escrowFrom(consumer.address, 10n, Role.Consumer))
          .to.be.revertedWithCustomError(token, "SettlementTokenSenderFrozen")
          .withArgs(consumer.address);
        expect(await token.holdsOf(consumer.address)).to.equal(0n);
      });
    });

    describe("when the token is paused", function () {
      it("reverts with EnforcedPause", async function () {
        const { token, operator, consumer, holder } = await withHolders();
        await token.connect(operator).pause();
        await expect(
          token.connect(holder).escrowFrom(consumer.address, 10n, Role.Consumer),
        ).to.be.revertedWithCustomError(token, "EnforcedPause");
      });
    });

    describe("when a consortium contract escrows within the allowance", function () {
      it("moves the value to the caller, spends the allowance and takes a hold; emits Transfer", async function () {
        const { token, consumer, holder } = await withHolders();
        const tx = token.connect(holder).escrowFrom(consumer.address, 300n, Role.Consumer);
        await expect(tx).to.emit(token, "Transfer").withArgs(consumer.address, holder.address, 300n);
        await expect(tx).to.changeTokenBalances(ethers, token, [consumer, holder], [-300n, 300n]);
        expect(await token.allowance(consumer.address, holder.address)).to.equal(BALANCE - 300n);
        expect(await token.holdsOf(consumer.address)).to.equal(1n);
        expect(await token.holdsOf(holder.address)).to.equal(0n);
      });

      it("takes one hold per escrow and leaves the account's standing and roles alone", async function () {
        const { token, consumer, holder } = await withHolders();
        for (let i = 1n; i <= 3n; i++) {
          await token.connect(holder).escrowFrom(consumer.address, 1n, Role.Consumer);
          expect(await token.holdsOf(consumer.address)).to.equal(i);
        }
        expect(await token.balanceOf(consumer.address)).to.equal(BALANCE - 3n);
        expect(await token.standingOf(consumer.address)).to.equal(AccountStanding.Member);
        expect(await token.activeRolesOf(consumer.address)).to.equal(BigInt(roleMask(Role.Consumer)));
      });

      it("checks the role asked for against the roles read with the transfer", async function () {
        const { token, consortium, operator, consumer, memberIds, holder } = await withHolders();
        await expect(token.connect(holder).escrowFrom(consumer.address, 1n, Role.Provider))
          .to.be.revertedWithCustomError(token, "SettlementTokenMissingRole")
          .withArgs(consumer.address, Role.Provider);
        await consortium.connect(operator).grantMemberRole(memberIds.consumer, Role.Provider);
        await token.connect(holder).escrowFrom(consumer.address, 1n, Role.Provider);
        expect(await token.holdsOf(consumer.address)).to.equal(1n);
      });
    });

    describe("when the account may not start business in the role", function () {
      /** Escrowing 1 as `role` from `account` reverts with SettlementTokenMissingRole; nothing moves, no hold. */
      async function refused(f: HeldFixture, account: string, role: Role) {
        const before = await f.token.balanceOf(account);
        await expect(f.token.connect(f.holder).escrowFrom(account, 1n, role))
          .to.be.revertedWithCustomError(f.token, "SettlementTokenMissingRole")
          .withArgs(account, role);
        expect(await f.token.balanceOf(account)).to.equal(before);
        expect(await f.token.holdsOf(account)).to.equal(0n);
      }

      describe("when its member lacks the role", function () {
        it("reverts with SettlementTokenMissingRole(account, role)", async function () {
          const f = await withHolders();
          for (const role of [Role.Operator, Role.Provider, Role.Licensor, Role.Auditor]) {
            await refused(f, f.consumer.address, role);
          }
        });
      });

      describe("when its member asked to leave", function () {
        it("reverts with SettlementTokenMissingRole: a Leaving account sends, but starts no new business", async function () {
          const f = await withHolders();
          await f.consortium.connect(f.consumer).requestExit();
          await refused(f, f.consumer.address, Role.Consumer);
        });
      });

      describe("when its member has not accepted the current agreement", function () {
        it("reverts with SettlementTokenMissingRole until the member accepts it", async function () {
          const f = await withHolders();
          await f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V2);
          await refused(f, f.consumer.address, Role.Consumer);
          await f.consortium.connect(f.consumer).acceptAgreement(AGREEMENT_V2);
          await f.token.connect(f.holder).escrowFrom(f.consumer.address, 1n, Role.Consumer);
          expect(await f.token.holdsOf(f.consumer.address)).to.equal(1n);
        });
      });

      describe("when the account is a consortium contract", function () {
        it("reverts with SettlementTokenMissingRole: a contract holds no role", async function () {
          const f = await withHolders();
          await f.token.connect(f.holder).escrowFrom(f.consumer.address, 50n, Role.Consumer);
          await f.token.connect(f.holder).approve(f.otherHolder.address, 50n);
          await expect(f.token.connect(f.otherHolder).escrowFrom(f.holder.address, 50n, Role.Consumer))
            .to.be.revertedWithCustomError(f.token, "SettlementTokenMissingRole")
            .withArgs(f.holder.address, Role.Consumer);
          expect(await f.token.balanceOf(f.holder.address)).to.equal(50n);
        });
      });
    });
  });

  describe("releaseTo", function () {
    /** The consumer's 300 escrowed with the first holder: one hold. */
    async function escrowed() {
      const f = await withHolders();
      await f.token.connect(f.holder).escrowFrom(f.consumer.address, 300n, Role.Consumer);
      return f;
    }

    describe("when the caller is not a consortium contract", function () {
      it("reverts with SettlementTokenNotSystemContract naming the caller", async function () {
        const { token, consumer, provider, outsider } = await escrowed();
        for (const caller of [consumer, provider, outsider]) {
          for (const value of [0n, 1n]) {
            await expect(token.connect(caller).releaseTo(consumer.address, value))
              .to.be.revertedWithCustomError(token, "SettlementTokenNotSystemContract")
              .withArgs(caller.address);
          }
        }
        expect(await token.holdsOf(consumer.address)).to.equal(1n);
      });
    });

    describe("when the account has no hold", function () {
      it("reverts with SettlementTokenNotHeld, paying (value > 0) or not (value 0)", async function () {
        const { token, provider, holder } = await escrowed();
        for (const value of [0n, 100n]) {
          await expect(token.connect(holder).releaseTo(provider.address, value))
            .to.be.revertedWithCustomError(token, "SettlementTokenNotHeld")
            .withArgs(provider.address);
        }
        expect(await token.balanceOf(provider.address)).to.equal(BALANCE);
      });
    });

    describe("when the account is not a member's", function () {
      it("reverts with SettlementTokenNotMember for a payment, SettlementTokenNotHeld without one", async function () {
        const { token, outsider, holder } = await escrowed();
        await expect(token.connect(holder).releaseTo(outsider.address, 1n))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotMember")
          .withArgs(outsider.address);
        await expect(token.connect(holder).releaseTo(outsider.address, 0n))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotHeld")
          .withArgs(outsider.address);
      });
    });

    describe("when the caller holds less than the value", function () {
      it("reverts with ERC20InsufficientBalance", async function () {
        const { token, consumer, holder } = await escrowed();
        await expect(token.connect(holder).releaseTo(consumer.address, 301n))
          .to.be.revertedWithCustomError(token, "ERC20InsufficientBalance")
          .withArgs(holder.address, 300n, 301n);
        expect(await token.holdsOf(consumer.address)).to.equal(1n);
      });
    });

    describe("when the token is paused", function () {
      it("reverts a payment with EnforcedPause, but releases a hold without one", async function () {
        const { token, operator, consumer, holder } = await escrowed();
        await token.connect(operator).pause();
        await expect(token.connect(holder).releaseTo(consumer.address, 1n)).to.be.revertedWithCustomError(
          token,
          "EnforcedPause",
        );
        // Nothing moves: an order or channel that ends with no refund can still end.
        await expect(token.connect(holder).releaseTo(consumer.address, 0n)).not.to.emit(token, "Transfer");
        expect(await token.holdsOf(consumer.address)).to.equal(0n);
      });
    });

    describe("when a consortium contract pays an account it holds", function () {
      it("pays the value back and releases one hold; emits Transfer", async function () {
        const { token, consumer, holder } = await escrowed();
        await token.connect(holder).escrowFrom(consumer.address, 100n, Role.Consumer);
        const tx = token.connect(holder).releaseTo(consumer.address, 250n);
        await expect(tx).to.emit(token, "Transfer").withArgs(holder.address, consumer.address, 250n);
        await expect(tx).to.changeTokenBalances(ethers, token, [holder, consumer], [-250n, 250n]);
        expect(await token.holdsOf(consumer.address)).to.equal(1n);
        await token.connect(holder).releaseTo(consumer.address, 150n);
        expect(await token.holdsOf(consumer.address)).to.equal(0n);
        expect(await token.balanceOf(consumer.address)).to.equal(BALANCE);
        expect(await token.activeRolesOf(consumer.address)).to.equal(BigInt(roleMask(Role.Consumer)));
      });

      describe("with value 0", function () {
        it("only releases the hold: no Transfer, no balance change", async function () {
          const { token, consumer, holder } = await escrowed();
          const tx = token.connect(holder).releaseTo(consumer.address, 0n);
          await expect(tx).not.to.emit(token, "Transfer");
          await expect(tx).to.changeTokenBalances(ethers, token, [holder, consumer], [0n, 0n]);
          expect(await token.holdsOf(consumer.address)).to.equal(0n);
          await expect(token.connect(holder).releaseTo(consumer.address, 0n))
            .to.be.revertedWithCustomError(token, "SettlementTokenNotHeld")
            .withArgs(consumer.address);
        });
      });

      describe("when the account's member was suspended meanwhile", function () {
        it("pays the frozen account and releases its hold", async function () {
          const { token, consortium, operator, consumer, memberIds, holder } = await escrowed();
          await consortium.connect(operator).suspend(memberIds.consumer, referenceHash("suspension"));
          await expect(token.connect(holder).releaseTo(consumer.address, 300n))
            .to.emit(token, "Transfer")
            .withArgs(holder.address, consumer.address, 300n);
          expect(await token.holdsOf(consumer.address)).to.equal(0n);
          expect(await token.standingOf(consumer.address)).to.equal(AccountStanding.Frozen);
        });
      });

      describe("when the account's member asked to leave meanwhile", function () {
        it("pays the leaving account and releases its hold: a refund is owed to it", async function () {
          const { token, consortium, consumer, holder } = await escrowed();
          await consortium.connect(consumer).requestExit();
          await expect(token.connect(holder).releaseTo(consumer.address, 300n))
            .to.emit(token, "Transfer")
            .withArgs(holder.address, consumer.address, 300n);
          expect(await token.holdsOf(consumer.address)).to.equal(0n);
          expect(await token.standingOf(consumer.address)).to.equal(AccountStanding.Leaving);
        });
      });

      describe("when another consortium contract releases the hold", function () {
        it("releases it: holds are counted per account, for all contracts together", async function () {
          const { token, consumer, otherHolder } = await escrowed();
          await token.connect(otherHolder).releaseTo(consumer.address, 0n);
          expect(await token.holdsOf(consumer.address)).to.equal(0n);
        });
      });
    });
  });

  describe("holdsOf", function () {
    it("is 0 for accounts no contract holds and for unknown addresses", async function () {
      const { token, consumer, outsider, holder } = await withHolders();
      for (const account of [consumer.address, outsider.address, holder.address]) {
        expect(await token.holdsOf(account)).to.equal(0n);
      }
    });

    it("survives transfers, suspension and reinstatement next to the balance", async function () {
      const { token, consortium, operator, consumer, provider, memberIds, holder } = await withHolders();
      await token.connect(holder).escrowFrom(consumer.address, 10n, Role.Consumer);
      await token.connect(consumer).transfer(provider.address, 5n);
      await consortium.connect(operator).suspend(memberIds.consumer, referenceHash("suspension"));
      await consortium.connect(operator).reinstate(memberIds.consumer);
      expect(await token.holdsOf(consumer.address)).to.equal(1n);
      expect(await token.balanceOf(consumer.address)).to.equal(BALANCE - 15n);
      expect(await token.activeRolesOf(consumer.address)).to.equal(BigInt(roleMask(Role.Consumer)));
    });
  });
});
