/*
PaymentChannels, holds and obligations — the branches, written down first; one `it` per leaf. Who may call each
function (every member role, an outsider, the issuer's keys) is the role matrix's (test/RoleMatrix/); that the
TypeScript typed data agrees with the contract is test/core/voucher.ts's. Every money movement is checked on the
balances of both payers, the payee and the contract.

holds (SettlementToken.holdsOf: an account owed a refund cannot be removed)
├── open takes one on the payer per channel, none on the payee; a top-up or a failed open takes none
└── every close releases it once: cooperative (refund or none), settle (refund or none), release, and a close
    in the opening block (the tombstone holds nothing)
obligations (Consortium.completeExit reverts with ConsortiumOpenObligations(member, channels, count))
├── when the member pays an open channel ─────────────────── completeExit reverts; after the close it exits
├── when the member is paid by an open channel ───────────── completeExit reverts; after settle it exits
├── openObligations adds up the channels of all the member's accounts
├── when the member removes the account that pays channels ── removeAccount reverts with the token's
│                                                              SettlementTokenAccountHeld(account, open channels),
│                                                              whatever it holds; the channels still count
├── when every channel of that account is closed ─────────── the account is removed; its refunds are swept to the
│                                                              member's account that removes it
├── when the member removes the account channels pay ─────── removeAccount reverts with ConsortiumAccountInUse(account,
│                                                              channels, open channels), whatever it holds; once they
│                                                              are released the account is removed, its claims swept
└── when a party's member asked to leave
    ├── the payer's: its open channel can still be claimed and closed; then the member exits
    └── the payee's: it claims and releases its channels; then the member exits
*/
import { expect } from "chai";
import type { Wallet } from "ethers";

import { channelIdOf } from "../../../src/core/voucher.js";
import {
  authorization,
  CHALLENGE,
  channelStruct,
  claim,
  closeCooperatively,
  DEPOSIT,
  ethers,
  FUNDS,
  GAS,
  holdings,
  inOneBlock,
  LIFETIME,
  loadFixture,
  newParty,
  open,
  opened,
  type Party,
  time,
  world,
  type World,
} from "./fixture.js";

/** `signer`'s member asks to leave and waits out the notice period; returns the member's id. */
async function requestExitAndWait(f: World, signer: Wallet): Promise<bigint> {
  await f.consortium.connect(signer).requestExit();
  const [id] = await f.consortium.memberOf(signer.address);
  await time.increaseTo((await f.consortium.getMember(id)).exitEffectiveAt);
  return id;
}

describe("PaymentChannels", function () {
  describe("holds (SettlementToken.holdsOf)", function () {
    const holdsOf = (f: World, party: Party = f.payer) => f.token.holdsOf(party.address);

    it("open takes one on the payer per channel, none on the payee; a top-up or a failed open takes none", async function () {
      const f = await loadFixture(world);
      expect(await holdsOf(f)).to.equal(0n);
      const first = await open(f);
      expect(await holdsOf(f)).to.equal(1n);
      await open(f, { salt: 2 });
      expect(await holdsOf(f)).to.equal(2n);
      await f.channels.connect(f.payer.wallet).topUp(f.payee.address, first.key.nonce, 5n);
      await expect(open(f, { salt: 3, payee: f.payer2.address })).to.be.revertedWithCustomError(
        f.channels,
        "PaymentChannelsMissingRole",
      );
      expect(await holdsOf(f)).to.equal(2n);
      expect(await holdsOf(f, f.payee)).to.equal(0n);
      expect(await holdsOf(f, f.payer2)).to.equal(0n);
    });

    it("closeCooperatively releases it, with a refund or without one", async function () {
      const f = await loadFixture(opened);
      const other = await open(f, { salt: 2 });
      await closeCooperatively(f, f.key, 10n);
      expect(await holdsOf(f)).to.equal(1n);
      await closeCooperatively(f, other.key, DEPOSIT);
      expect(await holdsOf(f)).to.equal(0n);
    });

    it("settle releases it, with a refund or without one", async function () {
      const f = await loadFixture(opened);
      const other = await open(f, { salt: 2 });
      await claim(f, other.key, DEPOSIT);
      await time.increaseTo(f.expiresAt + 60);
      await f.channels.settle(f.payer.address, f.payee.address, f.key.nonce);
      expect(await holdsOf(f)).to.equal(1n);
      await expect(f.channels.settle(f.payer.address, f.payee.address, other.key.nonce))
        .to.emit(f.channels, "ChannelClosed")
        .withArgs(other.id, DEPOSIT, 0n);
      expect(await holdsOf(f)).to.equal(0n);
    });

    it("release releases it, with a refund or without one", async function () {
      const f = await loadFixture(opened);
      const other = await open(f, { salt: 2 });
      await f.channels.connect(f.payee.wallet).release(f.payer.address, f.key.nonce);
      expect(await holdsOf(f)).to.equal(1n);
      await claim(f, other.key, DEPOSIT);
      await f.channels.connect(f.payee.wallet).release(f.payer.address, other.key.nonce);
      expect(await holdsOf(f)).to.equal(0n);
    });

    it("a channel closed in its opening block releases it; the tombstone holds nothing", async function () {
      const f = await loadFixture(world);
      await open(f, { salt: 9 });
      const expiresAt = (await time.latest()) + LIFETIME;
      const block = BigInt(await ethers.provider.getBlockNumber()) + 1n;
      const key = { payer: f.payer.address, payee: f.payee.address, nonce: (block << 32n) | 3n };
      const { r, vs } = await authorization(f, channelIdOf(key), 0n);
      const asPayer = f.channels.connect(f.payer.wallet);
      await inOneBlock(async () => {
        await asPayer.open(f.payee.address, 3, DEPOSIT, expiresAt, CHALLENGE, GAS);
        await asPayer.closeCooperatively(f.payee.address, key.nonce, 0n, r, vs, GAS);
        // The reopening fails on the tombstone and takes no hold either.
        await asPayer.open(f.payee.address, 3, DEPOSIT, expiresAt, CHALLENGE, GAS);
      });
      expect(await f.channels.channel(channelIdOf(key))).to.deep.equal(channelStruct(0n, 0n, 0, 0));
      expect(await holdsOf(f)).to.equal(1n);
    });
  });

  describe("obligations (Consortium.completeExit)", function () {
    describe("when the member pays an open channel", function () {
      it("completeExit reverts with ConsortiumOpenObligations; after the close the member exits", async function () {
        const f = await loadFixture(opened);
        const id = await requestExitAndWait(f, f.payer.wallet);
        await expect(f.consortium.connect(f.payer.wallet).completeExit(id))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumOpenObligations")
          .withArgs(f.payerId, f.domain.channels, 1n);
        await closeCooperatively(f, f.key, 0n);
        // The token clears only an empty account: the payer hands its balance to another member first.
        await f.token.connect(f.payer.wallet).transfer(f.payer2.address, FUNDS);
        expect(await holdings(f)).to.deep.equal({ payer: 0n, payer2: 2n * FUNDS, payee: 0n, channels: 0n });
        await expect(f.consortium.connect(f.payer.wallet).completeExit(id))
          .to.emit(f.consortium, "MemberExited")
          .withArgs(f.payerId);
      });
    });

    describe("when the member is paid by an open channel", function () {
      it("completeExit reverts with ConsortiumOpenObligations; after settle the member exits", async function () {
        const f = await loadFixture(opened);
        const id = await requestExitAndWait(f, f.payee.wallet);
        // The notice period (90 days) outlasts the channel (30 days): anyone may settle it now.
        await expect(f.consortium.connect(f.payee.wallet).completeExit(id))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumOpenObligations")
          .withArgs(f.payeeId, f.domain.channels, 1n);
        await f.channels.settle(f.payer.address, f.payee.address, f.key.nonce);
        expect(await holdings(f)).to.deep.equal({ payer: FUNDS, payer2: FUNDS, payee: 0n, channels: 0n });
        await expect(f.consortium.connect(f.payee.wallet).completeExit(id))
          .to.emit(f.consortium, "MemberExited")
          .withArgs(f.payeeId);
      });
    });

    it("openObligations adds up the channels of all the member's accounts", async function () {
      const f = await loadFixture(opened);
      const second = await newParty();
      await f.consortium.connect(f.payer.wallet).addAccount(second.address);
      await f.token.connect(f.payer.wallet).transfer(second.address, DEPOSIT);
      await f.token.connect(second.wallet).approve(f.domain.channels, DEPOSIT);
      await open(f, { payer: second });
      expect(await f.channels.openObligations(f.payerId)).to.equal(2n);
      expect(await f.channels.openObligations(f.payeeId)).to.equal(2n);
    });

    describe("when the member removes the account that pays channels", function () {
      // Channels are counted per account and openObligations sums the member's current accounts; were the paying
      // account removable, its channels would stop counting and their refunds could never reach it (the token
      // refuses a removed account). The token's hold on the payer refuses the removal instead; its balance (which
      // a removal would sweep) plays no part.
      it("removeAccount reverts with SettlementTokenAccountHeld(account, open channels); the channels still count", async function () {
        const f = await loadFixture(opened);
        await open(f, { salt: 2 });
        const other = await newParty();
        await f.consortium.connect(f.payer.wallet).addAccount(other.address);
        await expect(f.consortium.connect(other.wallet).removeAccount(f.payer.address))
          .to.be.revertedWithCustomError(f.token, "SettlementTokenAccountHeld")
          .withArgs(f.payer.address, 2n);
        // Emptied, it is still held.
        await f.token.connect(f.payer.wallet).transfer(other.address, FUNDS - 2n * DEPOSIT);
        await expect(f.consortium.connect(other.wallet).removeAccount(f.payer.address))
          .to.be.revertedWithCustomError(f.token, "SettlementTokenAccountHeld")
          .withArgs(f.payer.address, 2n);
        expect(await f.channels.openObligations(f.payerId)).to.equal(2n);
        const id = await requestExitAndWait(f, other.wallet);
        await expect(f.consortium.connect(other.wallet).completeExit(id))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumOpenObligations")
          .withArgs(f.payerId, f.domain.channels, 2n);
      });

      describe("when every channel of that account is closed", function () {
        it("the account is removed; its refunds are swept to the member's account that removes it", async function () {
          const f = await loadFixture(opened);
          const second = await open(f, { salt: 2 });
          const other = await newParty();
          await f.consortium.connect(f.payer.wallet).addAccount(other.address);
          await closeCooperatively(f, f.key, 10n);
          await expect(f.consortium.connect(other.wallet).removeAccount(f.payer.address))
            .to.be.revertedWithCustomError(f.token, "SettlementTokenAccountHeld")
            .withArgs(f.payer.address, 1n);
          await f.channels.connect(f.payee.wallet).release(f.payer.address, second.key.nonce);
          expect(await f.token.balanceOf(f.payer.address)).to.equal(FUNDS - 10n);
          await expect(f.consortium.connect(other.wallet).removeAccount(f.payer.address))
            .to.emit(f.consortium, "AccountRemoved")
            .withArgs(f.payerId, f.payer.address)
            .and.to.emit(f.token, "Transfer")
            .withArgs(f.payer.address, other.address, FUNDS - 10n);
          expect(await f.channels.openObligations(f.payerId)).to.equal(0n);
          expect(await f.token.balanceOf(f.payer.address)).to.equal(0n);
          expect(await f.token.balanceOf(other.address)).to.equal(FUNDS - 10n);
        });
      });
    });

    describe("when the member removes the account channels pay", function () {
      // The payee's account holds no refund, so the token does not hold it; the channels would stop counting as
      // its member's obligations, which the Consortium refuses.
      it("removeAccount reverts with ConsortiumAccountInUse(account, channels, open channels); released, it is removed", async function () {
        const f = await loadFixture(opened);
        const second = await open(f, { payer: f.payer2 });
        const other = await newParty();
        await f.consortium.connect(f.payee.wallet).addAccount(other.address);
        await claim(f, f.key, 25n);
        await expect(f.consortium.connect(other.wallet).removeAccount(f.payee.address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAccountInUse")
          .withArgs(f.payee.address, f.domain.channels, 2n);
        expect(await f.channels.openObligations(f.payeeId)).to.equal(2n);

        await f.channels.connect(f.payee.wallet).release(f.payer.address, f.key.nonce);
        await f.channels.connect(f.payee.wallet).release(f.payer2.address, second.key.nonce);
        await expect(f.consortium.connect(other.wallet).removeAccount(f.payee.address))
          .to.emit(f.consortium, "AccountRemoved")
          .withArgs(f.payeeId, f.payee.address)
          .and.to.emit(f.token, "Transfer")
          .withArgs(f.payee.address, other.address, 25n);
        expect(await f.channels.openObligations(f.payeeId)).to.equal(0n);
      });
    });

    describe("when a party's member asked to leave", function () {
      it("the payer's: its open channel can still be claimed and closed; then the member exits", async function () {
        const f = await loadFixture(opened);
        const id = await requestExitAndWait(f, f.payer.wallet);
        await claim(f, f.key, 20n);
        await closeCooperatively(f, f.key, 25n);
        await f.token.connect(f.payer.wallet).transfer(f.payer2.address, FUNDS - 25n);
        await expect(f.consortium.connect(f.payer.wallet).completeExit(id))
          .to.emit(f.consortium, "MemberExited")
          .withArgs(f.payerId);
        expect(await holdings(f)).to.deep.equal({ payer: 0n, payer2: 2n * FUNDS - 25n, payee: 25n, channels: 0n });
      });

      it("the payee's: it claims and releases its channels; then the member exits", async function () {
        const f = await loadFixture(opened);
        const second = await open(f, { payer: f.payer2 });
        await f.consortium.connect(f.payee.wallet).requestExit();
        await claim(f, f.key, 30n);
        await f.channels.connect(f.payee.wallet).release(f.payer.address, f.key.nonce);
        await f.channels.connect(f.payee.wallet).release(f.payer2.address, second.key.nonce);
        // Released before the channels' expiry, and no payer can open a new one to the leaving payee.
        expect(await f.channels.openObligations(f.payeeId)).to.equal(0n);
        await f.token.connect(f.payee.wallet).transfer(f.provider.address, 30n);
        await time.increaseTo((await f.consortium.getMember(f.payeeId)).exitEffectiveAt);
        await expect(f.consortium.connect(f.payee.wallet).completeExit(f.payeeId))
          .to.emit(f.consortium, "MemberExited")
          .withArgs(f.payeeId);
        expect(await holdings(f)).to.deep.equal({ payer: FUNDS - 30n, payer2: FUNDS, payee: 0n, channels: 0n });
      });
    });
  });
});
