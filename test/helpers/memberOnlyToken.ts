import type { HardhatEthers, HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";

import { AccountStanding } from "../../src/core/membership.js";
import { referenceHash } from "../../src/core/references.js";
import type { Consortium, SettlementToken } from "../../typechain-types/index.js";

/** What the member-only suite needs; every field is read afresh for each test. */
export interface MemberOnlyTokenSetup {
  ethers: HardhatEthers;
  token: SettlementToken;
  consortium: Consortium;
  /** An operator in good standing (suspends and reinstates members); not the holder's member. */
  operator: HardhatEthersSigner;
  /** An account of an active member that is not the last operator. */
  holder: HardhatEthersSigner;
  /** An account of another active member. */
  recipient: HardhatEthersSigner;
  /** A key that never belonged to a member. */
  outsider: HardhatEthersSigner;
  /** A key that never belonged to a member, which the holder's member adds as an account and removes. */
  spareKey: HardhatEthersSigner;
  /** A contract registered with the Consortium (standing System). */
  registeredContract: string;
  /** Gives `account` `amount` new tokens. */
  fund: (account: string, amount: bigint) => Promise<void>;
}

/**
 * The rule every settlement token keeps, whatever else is deployed around it: only accounts of members
 * in good standing send, accounts of suspended members do not send, accounts of suspended and leaving
 * members receive only what is owed to them (mints, payments of the consortium's contracts) and no
 * transfers from members, removed or foreign keys neither send nor receive, and a registered contract
 * receives only what it pulls itself.
 */
export function shouldBehaveLikeMemberOnlyToken(setup: () => Promise<MemberOnlyTokenSetup>): void {
  const AMOUNT = 1_000_000n;

  describe("member-only token", function () {
    describe("when both accounts belong to members in good standing", function () {
      it("moves the tokens and emits Transfer", async function () {
        const { ethers, token, holder, recipient, fund } = await setup();
        await fund(holder.address, AMOUNT);
        const tx = token.connect(holder).transfer(recipient.address, AMOUNT / 4n);
        await expect(tx)
          .to.emit(token, "Transfer")
          .withArgs(holder.address, recipient.address, AMOUNT / 4n);
        await expect(tx).to.changeTokenBalances(ethers, token, [holder, recipient], [-AMOUNT / 4n, AMOUNT / 4n]);
      });

      it("lets an approved member's account move them with transferFrom", async function () {
        const { ethers, token, holder, recipient, fund } = await setup();
        await fund(holder.address, AMOUNT);
        await token.connect(holder).approve(recipient.address, AMOUNT);
        const tx = token.connect(recipient).transferFrom(holder.address, recipient.address, AMOUNT);
        await expect(tx).to.changeTokenBalances(ethers, token, [holder, recipient], [-AMOUNT, AMOUNT]);
      });
    });

    describe("when the recipient is not a member's account", function () {
      it("reverts transfer with SettlementTokenNotMember naming the recipient", async function () {
        const { token, holder, outsider, fund } = await setup();
        await fund(holder.address, AMOUNT);
        await expect(token.connect(holder).transfer(outsider.address, 1n))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotMember")
          .withArgs(outsider.address);
      });

      it("reverts transferFrom with SettlementTokenNotMember naming the recipient", async function () {
        const { token, holder, recipient, outsider, fund } = await setup();
        await fund(holder.address, AMOUNT);
        await token.connect(holder).approve(recipient.address, AMOUNT);
        await expect(token.connect(recipient).transferFrom(holder.address, outsider.address, 1n))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotMember")
          .withArgs(outsider.address);
      });
    });

    describe("when the sender is not a member's account", function () {
      it("reverts with SettlementTokenNotMember naming the sender", async function () {
        const { token, recipient, outsider } = await setup();
        await expect(token.connect(outsider).transfer(recipient.address, 0n))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotMember")
          .withArgs(outsider.address);
      });
    });

    describe("when the account was removed from its member", function () {
      async function removedAccount(): Promise<MemberOnlyTokenSetup> {
        const context = await setup();
        const { token, consortium, holder, spareKey } = context;
        await expect(consortium.connect(holder).addAccount(spareKey.address))
          .to.emit(token, "StandingChanged")
          .withArgs(spareKey.address, AccountStanding.Member);
        await expect(consortium.connect(holder).removeAccount(spareKey.address))
          .to.emit(token, "StandingChanged")
          .withArgs(spareKey.address, AccountStanding.None);
        return context;
      }

      it("reverts a transfer to it with SettlementTokenNotMember naming it", async function () {
        const { token, holder, spareKey, fund } = await removedAccount();
        await fund(holder.address, AMOUNT);
        await expect(token.connect(holder).transfer(spareKey.address, 1n))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotMember")
          .withArgs(spareKey.address);
      });

      it("reverts a transfer from it with SettlementTokenNotMember naming it", async function () {
        const { token, recipient, spareKey } = await removedAccount();
        await expect(token.connect(spareKey).transfer(recipient.address, 0n))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotMember")
          .withArgs(spareKey.address);
      });
    });

    describe("when the sender's member is suspended", function () {
      async function suspendedHolder(): Promise<MemberOnlyTokenSetup & { holderMemberId: bigint }> {
        const context = await setup();
        const { token, consortium, operator, holder, recipient, fund } = context;
        await fund(holder.address, AMOUNT);
        await fund(recipient.address, AMOUNT);
        await token.connect(holder).approve(recipient.address, AMOUNT);
        const [holderMemberId] = await consortium.memberOf(holder.address);
        await expect(consortium.connect(operator).suspend(holderMemberId, referenceHash("suspension decision")))
          .to.emit(token, "StandingChanged")
          .withArgs(holder.address, AccountStanding.Frozen);
        return { ...context, holderMemberId };
      }

      it("reverts transfer with SettlementTokenSenderFrozen naming the sender", async function () {
        const { token, holder, recipient } = await suspendedHolder();
        await expect(token.connect(holder).transfer(recipient.address, 1n))
          .to.be.revertedWithCustomError(token, "SettlementTokenSenderFrozen")
          .withArgs(holder.address);
      });

      it("reverts transferFrom of its tokens with SettlementTokenSenderFrozen", async function () {
        const { token, holder, recipient } = await suspendedHolder();
        await expect(token.connect(recipient).transferFrom(holder.address, recipient.address, 1n))
          .to.be.revertedWithCustomError(token, "SettlementTokenSenderFrozen")
          .withArgs(holder.address);
      });

      it("still receives what is owed to it: a mint", async function () {
        const { token, holder, fund } = await suspendedHolder();
        await fund(holder.address, AMOUNT);
        expect(await token.balanceOf(holder.address)).to.equal(2n * AMOUNT);
        expect(await token.standingOf(holder.address)).to.equal(AccountStanding.Frozen);
      });

      it("reverts a member's transfer to it with SettlementTokenRecipientRestricted(holder, Frozen)", async function () {
        const { token, holder, recipient } = await suspendedHolder();
        await expect(token.connect(recipient).transfer(holder.address, 1n))
          .to.be.revertedWithCustomError(token, "SettlementTokenRecipientRestricted")
          .withArgs(holder.address, AccountStanding.Frozen);
        await token.connect(recipient).approve(recipient.address, 1n);
        await expect(token.connect(recipient).transferFrom(recipient.address, holder.address, 1n))
          .to.be.revertedWithCustomError(token, "SettlementTokenRecipientRestricted")
          .withArgs(holder.address, AccountStanding.Frozen);
        expect(await token.balanceOf(holder.address)).to.equal(AMOUNT);
      });

      describe("when the member is reinstated", function () {
        it("sends again", async function () {
          const { ethers, token, consortium, operator, holder, recipient, holderMemberId } = await suspendedHolder();
          await expect(consortium.connect(operator).reinstate(holderMemberId))
            .to.emit(token, "StandingChanged")
            .withArgs(holder.address, AccountStanding.Member);
          await expect(token.connect(holder).transfer(recipient.address, AMOUNT)).to.changeTokenBalances(
            ethers,
            token,
            [holder, recipient],
            [-AMOUNT, AMOUNT],
          );
        });
      });
    });

    describe("when the holder's member asked to leave", function () {
      async function leavingHolder(): Promise<MemberOnlyTokenSetup> {
        const context = await setup();
        const { token, consortium, holder, recipient, fund } = context;
        await fund(holder.address, AMOUNT);
        await fund(recipient.address, AMOUNT);
        await expect(consortium.connect(holder).requestExit())
          .to.emit(token, "StandingChanged")
          .withArgs(holder.address, AccountStanding.Leaving);
        return context;
      }

      it("still sends, so that it can empty its wallet", async function () {
        const { ethers, token, holder, recipient } = await leavingHolder();
        await expect(token.connect(holder).transfer(recipient.address, AMOUNT)).to.changeTokenBalances(
          ethers,
          token,
          [holder, recipient],
          [-AMOUNT, AMOUNT],
        );
      });

      it("reverts a member's transfer to it with SettlementTokenRecipientRestricted(holder, Leaving)", async function () {
        const { token, holder, recipient } = await leavingHolder();
        await expect(token.connect(recipient).transfer(holder.address, 1n))
          .to.be.revertedWithCustomError(token, "SettlementTokenRecipientRestricted")
          .withArgs(holder.address, AccountStanding.Leaving);
        expect(await token.balanceOf(holder.address)).to.equal(AMOUNT);
      });

      it("still receives what is owed to it: a mint", async function () {
        const { token, holder, fund } = await leavingHolder();
        await fund(holder.address, AMOUNT);
        expect(await token.balanceOf(holder.address)).to.equal(2n * AMOUNT);
      });

      describe("when the member cancels its exit", function () {
        it("receives transfers again", async function () {
          const { ethers, token, consortium, holder, recipient } = await leavingHolder();
          await expect(consortium.connect(holder).cancelExit())
            .to.emit(token, "StandingChanged")
            .withArgs(holder.address, AccountStanding.Member);
          await expect(token.connect(recipient).transfer(holder.address, AMOUNT)).to.changeTokenBalances(
            ethers,
            token,
            [recipient, holder],
            [-AMOUNT, AMOUNT],
          );
        });
      });
    });

    describe("when the recipient is a registered contract", function () {
      it("reverts a direct transfer with SettlementTokenUnsolicitedTransfer naming the contract", async function () {
        const { token, holder, registeredContract, fund } = await setup();
        await fund(holder.address, AMOUNT);
        expect(await token.standingOf(registeredContract)).to.equal(AccountStanding.System);
        await expect(token.connect(holder).transfer(registeredContract, 1n))
          .to.be.revertedWithCustomError(token, "SettlementTokenUnsolicitedTransfer")
          .withArgs(registeredContract);
      });

      it("reverts a transferFrom by someone else with SettlementTokenUnsolicitedTransfer", async function () {
        const { token, holder, recipient, registeredContract, fund } = await setup();
        await fund(holder.address, AMOUNT);
        await token.connect(holder).approve(recipient.address, AMOUNT);
        await expect(token.connect(recipient).transferFrom(holder.address, registeredContract, 1n))
          .to.be.revertedWithCustomError(token, "SettlementTokenUnsolicitedTransfer")
          .withArgs(registeredContract);
      });
    });
  });
}
