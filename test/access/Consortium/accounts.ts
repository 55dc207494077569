/*
Consortium, addAccount, removeAccount and updateMetadata — the branches, written down first; one `it` per leaf.

The member's lifecycle through these functions (admit, suspend, reinstate, ask to leave, complete the exit, remove
accounts) is also written down in member.tree, whose leaves are test titles checked by test/meta/trees.ts.

addAccount
├── when the caller is not a member's account ──────────── it reverts with ConsortiumNotMember
├── when the caller's account was removed ──────────────── it reverts with ConsortiumAccountRemoved
├── when the caller's member has exited ────────────────── it reverts with ConsortiumMemberExited
├── when the account is the zero address ───────────────── it reverts with ConsortiumInvalidAccount
├── when the account is a registered contract ──────────── it reverts with ConsortiumInvalidAccount
├── when the account is this Consortium or its token ───── it reverts with ConsortiumInvalidAccount
├── when the account belongs to another member ─────────── it reverts with ConsortiumAccountTaken
├── when the account was removed from the caller's member ── it reverts with ConsortiumAccountTaken
├── when the member has MAX_ACCOUNTS accounts ──────────── it reverts with ConsortiumTooManyAccounts
└── when the account is new
    ├── it adds the account, emits AccountAdded and gives it the Member standing; the account can act
    ├── when the member is suspended ── it adds the account with the Frozen standing
    └── key rotation: the new key removes the old one, which requireMember then refuses
removeAccount
├── when the caller is not a member's account ──────────── it reverts with ConsortiumNotMember
├── when the caller's member has exited ────────────────── it reverts with ConsortiumMemberExited
├── when the account belongs to another member ─────────── it reverts with ConsortiumNotOwnAccount
├── when the account never belonged to a member ────────── it reverts with ConsortiumNotOwnAccount
├── when the account was already removed ───────────────── it reverts with ConsortiumNotOwnAccount
├── when the account is the member's last ──────────────── it reverts with ConsortiumLastAccount
├── when the account holds tokens
│   ├── it sweeps them to the caller (Transfer) and removes the account: no balance blocks a removal
│   ├── when the account removes itself ── they go to the member's first remaining account
│   └── when the token is paused ── it reverts with the token's EnforcedPause (an empty account is removed)
├── when no token is bound ─────────────────────────────── it removes the account; nothing is swept
└── when the account is another active account of the member, holding nothing
    ├── it removes it, emits AccountRemoved and clears its standing on the token
    ├── requireMember then reverts with ConsortiumAccountRemoved and hasRole is false
    ├── when the caller removes its own account ── it is allowed while another account remains
    └── when the removed account holds an allowance from another account of the member
        └── it can no longer spend it: the token refuses the spender with SettlementTokenNotMember
updateMetadata
├── when the caller is not a member's account ──────────── it reverts with ConsortiumNotMember
├── when the caller's member has exited ────────────────── it reverts with ConsortiumMemberExited
└── when the caller acts for a member ──────────────────── it stores the hash and emits MetadataUpdated (suspended too)
*/
import { expect } from "chai";
import { ZeroAddress } from "ethers";

import { AccountStanding, Role } from "../../../src/core/membership.js";
import { referenceHash } from "../../../src/core/references.js";
import { deployUnboundLayer, derivedAddress, derivedAddresses, standingChanges } from "../../helpers/consortium.js";
import { mintTo } from "../../helpers/fixtures.js";
import { AMOUNT, connection, exitedMember, fixture, loadFixture, REASON, spareSigner } from "./fixture.js";

const UPDATED_METADATA = referenceHash("Updated member record");

describe("Consortium", function () {
  describe("addAccount", function () {
    describe("when the caller is not a member's account", function () {
      it("reverts with ConsortiumNotMember", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.outsider).addAccount(derivedAddress("new")))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotMember")
          .withArgs(f.outsider.address);
      });
    });

    describe("when the caller's account was removed", function () {
      it("reverts with ConsortiumAccountRemoved", async function () {
        const f = await loadFixture(fixture);
        const old = spareSigner(f, 0);
        await f.consortium.connect(f.provider).addAccount(old.address);
        await f.consortium.connect(f.provider).removeAccount(old.address);
        await expect(f.consortium.connect(old).addAccount(derivedAddress("new")))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAccountRemoved")
          .withArgs(old.address, f.memberIds.provider);
      });
    });

    describe("when the caller's member has exited", function () {
      it("reverts with ConsortiumMemberExited", async function () {
        const f = await loadFixture(fixture);
        const id = await exitedMember(f);
        await expect(f.consortium.connect(spareSigner(f, 1)).addAccount(derivedAddress("new")))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberExited")
          .withArgs(id);
      });
    });

    describe("when the account is the zero address", function () {
      it("reverts with ConsortiumInvalidAccount", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.provider).addAccount(ZeroAddress))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidAccount")
          .withArgs(ZeroAddress);
      });
    });

    describe("when the account is a registered contract", function () {
      it("reverts with ConsortiumInvalidAccount", async function () {
        const f = await loadFixture(fixture);
        const gateway = await f.gateway.getAddress();
        await expect(f.consortium.connect(f.provider).addAccount(gateway))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidAccount")
          .withArgs(gateway);
      });
    });

    describe("when the account is this Consortium or its token", function () {
      it("reverts with ConsortiumInvalidAccount, since tokens sent there could never move", async function () {
        const f = await loadFixture(fixture);
        for (const address of [await f.consortium.getAddress(), await f.token.getAddress()]) {
          await expect(f.consortium.connect(f.provider).addAccount(address))
            .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidAccount")
            .withArgs(address);
        }
      });
    });

    describe("when the account belongs to another member", function () {
      it("reverts with ConsortiumAccountTaken", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.provider).addAccount(f.consumer.address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAccountTaken")
          .withArgs(f.consumer.address, f.memberIds.consumer);
      });
    });

    describe("when the account was removed from the caller's member", function () {
      it("reverts with ConsortiumAccountTaken", async function () {
        const f = await loadFixture(fixture);
        const old = spareSigner(f, 0).address;
        await f.consortium.connect(f.provider).addAccount(old);
        await f.consortium.connect(f.provider).removeAccount(old);
        await expect(f.consortium.connect(f.provider).addAccount(old))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAccountTaken")
          .withArgs(old, f.memberIds.provider);
      });
    });

    describe("when the member has MAX_ACCOUNTS accounts", function () {
      it("reverts with ConsortiumTooManyAccounts", async function () {
        const f = await loadFixture(fixture);
        const max = await f.consortium.MAX_ACCOUNTS();
        for (const account of derivedAddresses("provider key", Number(max) - 1)) {
          await f.consortium.connect(f.provider).addAccount(account);
        }
        expect(BigInt((await f.consortium.accountsOf(f.memberIds.provider)).length)).to.equal(max);
        await expect(f.consortium.connect(f.provider).addAccount(derivedAddress("one too many")))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumTooManyAccounts")
          .withArgs(f.memberIds.provider, max);
      });
    });

    describe("when the account is new", function () {
      it("adds the account, emits AccountAdded and gives it the Member standing; the account can act", async function () {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0);
        const tx = await f.consortium.connect(f.provider).addAccount(second.address);
        await expect(tx).to.emit(f.consortium, "AccountAdded").withArgs(f.memberIds.provider, second.address);
        expect(await standingChanges(f.token, tx)).to.deep.equal([[second.address, BigInt(AccountStanding.Member)]]);
        expect(await f.consortium.accountsOf(f.memberIds.provider)).to.deep.equal([f.provider.address, second.address]);
        expect(await f.consortium.memberOf(second.address)).to.deep.equal([f.memberIds.provider, true]);
        expect(await f.consortium.requireNewBusiness(second.address, Role.Provider)).to.equal(f.memberIds.provider);
      });

      describe("when the member is suspended", function () {
        it("adds the account with the Frozen standing", async function () {
          const f = await loadFixture(fixture);
          const second = spareSigner(f, 0).address;
          await f.consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON);
          const tx = await f.consortium.connect(f.consumer).addAccount(second);
          await expect(tx).to.emit(f.consortium, "AccountAdded").withArgs(f.memberIds.consumer, second);
          expect(await standingChanges(f.token, tx)).to.deep.equal([[second, BigInt(AccountStanding.Frozen)]]);
        });
      });

      describe("when the new key replaces the old one (key rotation)", function () {
        it("lets the new key remove the old one, which requireMember then refuses", async function () {
          const f = await loadFixture(fixture);
          const newKey = spareSigner(f, 0);
          await f.consortium.connect(f.provider).addAccount(newKey.address);
          await f.consortium.connect(newKey).removeAccount(f.provider.address);
          expect(await f.consortium.accountsOf(f.memberIds.provider)).to.deep.equal([newKey.address]);
          await expect(f.consortium.requireMember(f.provider.address))
            .to.be.revertedWithCustomError(f.consortium, "ConsortiumAccountRemoved")
            .withArgs(f.provider.address, f.memberIds.provider);
          expect(await f.consortium.requireRole(newKey.address, Role.Provider)).to.equal(f.memberIds.provider);
        });
      });
    });
  });

  describe("removeAccount", function () {
    describe("when the caller is not a member's account", function () {
      it("reverts with ConsortiumNotMember", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.outsider).removeAccount(f.provider.address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotMember")
          .withArgs(f.outsider.address);
      });
    });

    describe("when the caller's member has exited", function () {
      it("reverts with ConsortiumMemberExited", async function () {
        const f = await loadFixture(fixture);
        const id = await exitedMember(f);
        await expect(f.consortium.connect(spareSigner(f, 1)).removeAccount(spareSigner(f, 1).address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberExited")
          .withArgs(id);
      });
    });

    describe("when the account belongs to another member", function () {
      it("reverts with ConsortiumNotOwnAccount", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.provider).removeAccount(f.consumer.address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotOwnAccount")
          .withArgs(f.consumer.address, f.memberIds.provider);
      });
    });

    describe("when the account never belonged to a member", function () {
      it("reverts with ConsortiumNotOwnAccount", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.provider).removeAccount(f.outsider.address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotOwnAccount")
          .withArgs(f.outsider.address, f.memberIds.provider);
      });
    });

    describe("when the account was already removed", function () {
      it("reverts with ConsortiumNotOwnAccount", async function () {
        const f = await loadFixture(fixture);
        const old = spareSigner(f, 0).address;
        await f.consortium.connect(f.provider).addAccount(old);
        await f.consortium.connect(f.provider).removeAccount(old);
        await expect(f.consortium.connect(f.provider).removeAccount(old))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotOwnAccount")
          .withArgs(old, f.memberIds.provider);
      });
    });

    describe("when the account is the member's last", function () {
      it("reverts with ConsortiumLastAccount", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.provider).removeAccount(f.provider.address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumLastAccount")
          .withArgs(f.memberIds.provider, f.provider.address);
      });
    });

    describe("when the account holds tokens", function () {
      async function funded() {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0);
        await f.consortium.connect(f.provider).addAccount(second.address);
        await mintTo(f, second.address, AMOUNT);
        return { f, second };
      }

      it("sweeps them to the caller and removes the account: no balance blocks a removal", async function () {
        const { f, second } = await funded();
        const tx = f.consortium.connect(f.provider).removeAccount(second.address);
        await expect(tx).to.emit(f.token, "Transfer").withArgs(second.address, f.provider.address, AMOUNT);
        await expect(tx).to.emit(f.consortium, "AccountRemoved").withArgs(f.memberIds.provider, second.address);
        expect(await f.token.balanceOf(second.address)).to.equal(0n);
        expect(await f.token.balanceOf(f.provider.address)).to.equal(AMOUNT);
        expect(await f.consortium.memberOf(second.address)).to.deep.equal([f.memberIds.provider, false]);
      });

      it("sweeps one base unit another member sent, which no longer blocks the removal", async function () {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0).address;
        await f.consortium.connect(f.provider).addAccount(second);
        await mintTo(f, f.consumer.address, AMOUNT);
        await f.token.connect(f.consumer).transfer(second, 1n);
        await expect(f.consortium.connect(f.provider).removeAccount(second))
          .to.emit(f.consortium, "AccountRemoved")
          .withArgs(f.memberIds.provider, second);
        expect(await f.token.balanceOf(f.provider.address)).to.equal(1n);
      });

      describe("when the account removes itself", function () {
        it("sweeps them to the member's first remaining account", async function () {
          const { f, second } = await funded();
          await expect(f.consortium.connect(second).removeAccount(second.address))
            .to.emit(f.token, "Transfer")
            .withArgs(second.address, f.provider.address, AMOUNT);
          expect(await f.token.balanceOf(f.provider.address)).to.equal(AMOUNT);
        });
      });

      describe("when the token is paused", function () {
        it("reverts with the token's EnforcedPause; an empty account is removed all the same", async function () {
          const { f, second } = await funded();
          const empty = spareSigner(f, 1).address;
          await f.consortium.connect(f.provider).addAccount(empty);
          await f.token.connect(f.operator).pause();
          await expect(f.consortium.connect(f.provider).removeAccount(second.address)).to.be.revertedWithCustomError(
            f.token,
            "EnforcedPause",
          );
          expect(await f.consortium.memberOf(second.address)).to.deep.equal([f.memberIds.provider, true]);
          await expect(f.consortium.connect(f.provider).removeAccount(empty))
            .to.emit(f.consortium, "AccountRemoved")
            .withArgs(f.memberIds.provider, empty);
        });
      });
    });

    describe("when the member is suspended", function () {
      it("removes it all the same (self-service), sweeping its tokens to the caller", async function () {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0).address;
        await f.consortium.connect(f.consumer).addAccount(second);
        await mintTo(f, second, AMOUNT);
        await f.consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON);
        const tx = f.consortium.connect(f.consumer).removeAccount(second);
        await expect(tx).to.emit(f.consortium, "AccountRemoved").withArgs(f.memberIds.consumer, second);
        await expect(tx).to.emit(f.token, "Transfer").withArgs(second, f.consumer.address, AMOUNT);
        expect(await f.consortium.memberOf(second)).to.deep.equal([f.memberIds.consumer, false]);
        expect(await f.token.standingOf(second)).to.equal(AccountStanding.None);
        expect(await f.token.standingOf(f.consumer.address)).to.equal(AccountStanding.Frozen);
      });
    });

    describe("when no token is bound", function () {
      it("removes the account; nothing is swept", async function () {
        const f = await loadFixture(fixture);
        const { consortium } = await deployUnboundLayer(connection, f.operator);
        const second = spareSigner(f, 0).address;
        await consortium.connect(f.operator).addAccount(second);
        await expect(consortium.connect(f.operator).removeAccount(second))
          .to.emit(consortium, "AccountRemoved")
          .withArgs(1n, second);
        expect(await consortium.accountsOf(1n)).to.deep.equal([f.operator.address]);
      });
    });

    describe("when the account is another active account of the member, holding nothing", function () {
      async function removed() {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0).address;
        await f.consortium.connect(f.provider).addAccount(second);
        const tx = await f.consortium.connect(f.provider).removeAccount(second);
        return { f, second, tx };
      }

      it("removes it, emits AccountRemoved and clears its standing on the token", async function () {
        const { f, second, tx } = await removed();
        await expect(tx).to.emit(f.consortium, "AccountRemoved").withArgs(f.memberIds.provider, second);
        expect(await standingChanges(f.token, tx)).to.deep.equal([[second, BigInt(AccountStanding.None)]]);
        expect(await f.consortium.accountsOf(f.memberIds.provider)).to.deep.equal([f.provider.address]);
        expect(await f.consortium.memberOf(second)).to.deep.equal([f.memberIds.provider, false]);
      });

      it("makes requireMember revert with ConsortiumAccountRemoved and hasRole return false", async function () {
        const { f, second } = await removed();
        await expect(f.consortium.requireMember(second))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAccountRemoved")
          .withArgs(second, f.memberIds.provider);
        expect(await f.consortium.hasRole(second, Role.Provider)).to.equal(false);
      });

      describe("when the caller removes its own account", function () {
        it("is allowed while another account remains", async function () {
          const f = await loadFixture(fixture);
          const second = spareSigner(f, 0);
          await f.consortium.connect(f.provider).addAccount(second.address);
          await expect(f.consortium.connect(second).removeAccount(second.address))
            .to.emit(f.consortium, "AccountRemoved")
            .withArgs(f.memberIds.provider, second.address);
        });
      });

      describe("when the removed account holds an allowance from another account of the member", function () {
        it("can no longer spend it: the token refuses the spender with SettlementTokenNotMember", async function () {
          const f = await loadFixture(fixture);
          const hotKey = spareSigner(f, 0);
          await f.consortium.connect(f.provider).addAccount(hotKey.address);
          await mintTo(f, f.provider.address, AMOUNT);
          await f.token.connect(f.provider).approve(hotKey.address, AMOUNT);
          await f.consortium.connect(f.provider).removeAccount(hotKey.address);
          await expect(f.consortium.requireMember(hotKey.address))
            .to.be.revertedWithCustomError(f.consortium, "ConsortiumAccountRemoved")
            .withArgs(hotKey.address, f.memberIds.provider);
          await expect(f.token.connect(hotKey).transferFrom(f.provider.address, f.consumer.address, AMOUNT))
            .to.be.revertedWithCustomError(f.token, "SettlementTokenNotMember")
            .withArgs(hotKey.address);
        });
      });
    });
  });

  describe("updateMetadata", function () {
    describe("when the caller is not a member's account", function () {
      it("reverts with ConsortiumNotMember", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.outsider).updateMetadata(UPDATED_METADATA))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotMember")
          .withArgs(f.outsider.address);
      });
    });

    describe("when the caller's member has exited", function () {
      it("reverts with ConsortiumMemberExited", async function () {
        const f = await loadFixture(fixture);
        const id = await exitedMember(f);
        await expect(f.consortium.connect(spareSigner(f, 1)).updateMetadata(UPDATED_METADATA))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberExited")
          .withArgs(id);
      });
    });

    describe("when the caller acts for a member", function () {
      it("stores the hash and emits MetadataUpdated", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.licensor).updateMetadata(UPDATED_METADATA))
          .to.emit(f.consortium, "MetadataUpdated")
          .withArgs(f.memberIds.licensor, UPDATED_METADATA);
        expect((await f.consortium.getMember(f.memberIds.licensor)).metadataHash).to.equal(UPDATED_METADATA);
      });

      it("stores the hash for a suspended member too (self-service)", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).suspend(f.memberIds.licensor, REASON);
        await expect(f.consortium.connect(f.licensor).updateMetadata(UPDATED_METADATA))
          .to.emit(f.consortium, "MetadataUpdated")
          .withArgs(f.memberIds.licensor, UPDATED_METADATA);
      });
    });
  });
});
