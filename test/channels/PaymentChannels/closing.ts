/*
PaymentChannels, closeCooperatively and release — the branches, written down first; one `it` per leaf. Who may call
each function (every member role, an outsider, the issuer's keys) is the role matrix's (test/RoleMatrix/); that the
TypeScript typed data agrees with the contract is test/core/voucher.ts's. Every money movement is checked on the
balances of both payers, the payee and the contract.

The channel's lifecycle through these functions (open, claim, top up, close cooperatively, release, request a close,
settle) is also written down in channel.tree, whose leaves are test titles checked by test/meta/trees.ts.

closeCooperatively
├── when no channel has the id ───────────────────────────── it reverts with PaymentChannelsUnknownChannel
├── when the amount is below what was claimed ────────────── it reverts with PaymentChannelsVoucherBelowClaimed
├── when the amount is above the deposit ─────────────────── it reverts with PaymentChannelsVoucherAboveDeposit
├── when the payee did not sign it ───────────────────────── it reverts with PaymentChannelsInvalidSignature(id, payee)
├── when the signature is the high-s twin of the payee's ─── it reverts with PaymentChannelsInvalidSignature(id, payee)
└── when the payee authorised the amount
    ├── it pays the payee the amount less what it claimed and the payer the rest, at once; emits ChannelClosed
    ├── when the amount is what was claimed ──────────────── it pays only the refund
    ├── when the amount is the whole deposit ─────────────── it refunds nothing
    ├── it clears the channel: channel(id) is zeros, a voucher or a second close find no channel
    ├── it releases the obligations of both members
    ├── while the channel is closing ─────────────────────── it closes it at once
    └── when closed in its opening block
        ├── reopening with the same salt in that block reverts with PaymentChannelsChannelExists
        └── the same salt in the next block opens a new channel
release
├── when no channel has the id ───────────────────────────── it reverts with PaymentChannelsUnknownChannel
├── when the caller is not the payee ─────────────────────── it reverts with PaymentChannelsUnknownChannel (its own id)
└── when the payee releases its open channel
    ├── it closes it at what was claimed and refunds the rest to the payer, at once; emits ChannelClosed
    ├── when nothing was claimed ─────────────────────────── it refunds the whole deposit
    ├── when everything was claimed ──────────────────────── it refunds nothing (no transfer)
    ├── it clears the channel: a voucher, a second release or a close find no channel
    ├── it releases the obligations of both members
    ├── while the channel is closing, or past its deadline ── it closes it at once
    └── when released in its opening block ───────────────── a tombstone: reopening with the salt there reverts
*/
import { expect } from "chai";
import { getAddress } from "viem";

import { channelIdOf, type ChannelKey } from "../../../src/core/voucher.js";
import {
  authorization,
  CHALLENGE,
  channelStruct,
  claim,
  closeCooperatively,
  DAY,
  DEPOSIT,
  ethers,
  FUNDS,
  GAS,
  highSTwin,
  holdings,
  inOneBlock,
  LIFETIME,
  loadFixture,
  open,
  opened,
  type Party,
  time,
  world,
  type World,
} from "./fixture.js";

describe("PaymentChannels", function () {
  describe("closeCooperatively", function () {
    describe("when no channel has the id", function () {
      it("reverts with PaymentChannelsUnknownChannel", async function () {
        const f = await loadFixture(opened);
        const other = { ...f.key, nonce: f.key.nonce + 1n };
        await expect(closeCooperatively(f, other, 5n))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsUnknownChannel")
          .withArgs(channelIdOf(other));
      });
    });

    describe("when the amount is below what was claimed", function () {
      it("reverts with PaymentChannelsVoucherBelowClaimed", async function () {
        const f = await loadFixture(opened);
        await claim(f, f.key, 10n);
        await expect(closeCooperatively(f, f.key, 9n))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsVoucherBelowClaimed")
          .withArgs(f.id, 9n, 10n);
      });
    });

    describe("when the amount is above the deposit", function () {
      it("reverts with PaymentChannelsVoucherAboveDeposit", async function () {
        const f = await loadFixture(opened);
        await expect(closeCooperatively(f, f.key, DEPOSIT + 1n))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsVoucherAboveDeposit")
          .withArgs(f.id, DEPOSIT + 1n, DEPOSIT);
      });
    });

    describe("when the payee did not sign it", function () {
      it("reverts with PaymentChannelsInvalidSignature(id, payee)", async function () {
        const f = await loadFixture(opened);
        const { r, vs } = await authorization(f, f.id, 5n, f.payer);
        await expect(f.channels.connect(f.payer.wallet).closeCooperatively(f.payee.address, f.key.nonce, 5n, r, vs))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsInvalidSignature")
          .withArgs(f.id, f.payee.address);
        expect(await holdings(f)).to.deep.equal({
          payer: FUNDS - DEPOSIT,
          payer2: FUNDS,
          payee: 0n,
          channels: DEPOSIT,
        });
      });
    });

    describe("when the signature is the high-s twin of the payee's", function () {
      it("reverts with PaymentChannelsInvalidSignature(id, payee)", async function () {
        const f = await loadFixture(opened);
        const { r, vs } = highSTwin(await authorization(f, f.id, 5n));
        await expect(f.channels.connect(f.payer.wallet).closeCooperatively(f.payee.address, f.key.nonce, 5n, r, vs))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsInvalidSignature")
          .withArgs(f.id, f.payee.address);
      });
    });

    describe("when the payee authorised the amount", function () {
      it("pays the payee the amount less what it claimed and the payer the rest, at once; emits ChannelClosed", async function () {
        const f = await loadFixture(opened);
        await claim(f, f.key, 10n);
        await expect(closeCooperatively(f, f.key, 25n))
          .to.emit(f.channels, "ChannelClosed")
          .withArgs(f.id, 25n, DEPOSIT - 25n)
          .and.to.emit(f.token, "Transfer")
          .withArgs(f.domain.channels, f.payee.address, 15n)
          .and.to.emit(f.token, "Transfer")
          .withArgs(f.domain.channels, f.payer.address, DEPOSIT - 25n);
        expect(await holdings(f)).to.deep.equal({ payer: FUNDS - 25n, payer2: FUNDS, payee: 25n, channels: 0n });
      });

      describe("when the amount is what was claimed", function () {
        it("pays only the refund", async function () {
          const f = await loadFixture(opened);
          await claim(f, f.key, 10n);
          const tx = closeCooperatively(f, f.key, 10n);
          await expect(tx)
            .to.emit(f.channels, "ChannelClosed")
            .withArgs(f.id, 10n, DEPOSIT - 10n);
          const receipt = await (await tx).wait();
          const transfers = receipt!.logs.filter((log) => f.token.interface.parseLog(log)?.name === "Transfer");
          expect(transfers.length).to.equal(1);
          expect(await holdings(f)).to.deep.equal({ payer: FUNDS - 10n, payer2: FUNDS, payee: 10n, channels: 0n });
        });
      });

      describe("when the amount is the whole deposit", function () {
        it("refunds nothing", async function () {
          const f = await loadFixture(opened);
          const tx = closeCooperatively(f, f.key, DEPOSIT);
          await expect(tx).to.emit(f.channels, "ChannelClosed").withArgs(f.id, DEPOSIT, 0n);
          const receipt = await (await tx).wait();
          const transfers = receipt!.logs.map((log) => f.token.interface.parseLog(log)).filter((e) => e !== null);
          expect(transfers.map((e) => [e.args.to, e.args.value])).to.deep.equal([[f.payee.address, DEPOSIT]]);
          expect(await holdings(f)).to.deep.equal({
            payer: FUNDS - DEPOSIT,
            payer2: FUNDS,
            payee: DEPOSIT,
            channels: 0n,
          });
        });
      });

      it("clears the channel: channel(id) is zeros, a voucher or a second close find no channel", async function () {
        const f = await loadFixture(opened);
        await closeCooperatively(f, f.key, 10n);
        expect(await f.channels.channel(f.id)).to.deep.equal(channelStruct(0n, 0n, 0, 0));
        await expect(claim(f, f.key, 20n))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsNoChannelOfSigner")
          .withArgs(f.payer.address, f.id);
        await expect(closeCooperatively(f, f.key, 10n))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsUnknownChannel")
          .withArgs(f.id);
        await expect(f.channels.settle(f.payer.address, f.payee.address, f.key.nonce))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsUnknownChannel")
          .withArgs(f.id);
        expect(await holdings(f)).to.deep.equal({ payer: FUNDS - 10n, payer2: FUNDS, payee: 10n, channels: 0n });
      });

      it("releases the obligations of both members", async function () {
        const f = await loadFixture(opened);
        await open(f, { payer: f.payer2 });
        await closeCooperatively(f, f.key, 0n);
        expect(await f.channels.openObligations(f.payerId)).to.equal(0n);
        expect(await f.channels.openObligations(f.payer2Id)).to.equal(1n);
        expect(await f.channels.openObligations(f.payeeId)).to.equal(1n);
      });

      describe("while the channel is closing", function () {
        it("closes it at once", async function () {
          const f = await loadFixture(opened);
          await f.channels.connect(f.payer.wallet).requestClose(f.payee.address, f.key.nonce);
          await expect(closeCooperatively(f, f.key, 40n))
            .to.emit(f.channels, "ChannelClosed")
            .withArgs(f.id, 40n, DEPOSIT - 40n);
          expect(await holdings(f)).to.deep.equal({ payer: FUNDS - 40n, payer2: FUNDS, payee: 40n, channels: 0n });
        });
      });

      describe("when closed in its opening block", function () {
        async function closedInItsBlock() {
          const f = await loadFixture(world);
          const expiresAt = (await time.latest()) + LIFETIME;
          const block = BigInt(await ethers.provider.getBlockNumber()) + 1n;
          const key = { payer: f.payer.address, payee: f.payee.address, nonce: (block << 32n) | 3n };
          const id = channelIdOf(key);
          const { r, vs } = await authorization(f, id, 10n);
          const asPayer = f.channels.connect(f.payer.wallet);
          let reopen = "";
          await inOneBlock(async () => {
            await asPayer.open(f.payee.address, 3, DEPOSIT, expiresAt, CHALLENGE, GAS);
            await asPayer.closeCooperatively(f.payee.address, key.nonce, 10n, r, vs, GAS);
            await expect(
              asPayer.open.staticCall(f.payee.address, 3, DEPOSIT, expiresAt, CHALLENGE, { blockTag: "pending" }),
            )
              .to.be.revertedWithCustomError(f.channels, "PaymentChannelsChannelExists")
              .withArgs(id);
            reopen = (await asPayer.open(f.payee.address, 3, DEPOSIT, expiresAt, CHALLENGE, GAS)).hash;
          });
          return { f, block, id, key, reopen, expiresAt };
        }

        it("reopening with the same salt in that block reverts with PaymentChannelsChannelExists", async function () {
          const { f, block, id, reopen } = await closedInItsBlock();
          const receipt = await ethers.provider.getTransactionReceipt(reopen);
          expect([receipt!.status, BigInt(receipt!.blockNumber)]).to.deep.equal([0, block]);
          // The tombstone is no channel: the views show zeros and nothing was escrowed again.
          expect(await f.channels.channel(id)).to.deep.equal(channelStruct(0n, 0n, 0, 0));
          expect(await f.channels.openObligations(f.payerId)).to.equal(0n);
          expect(await holdings(f)).to.deep.equal({ payer: FUNDS - 10n, payer2: FUNDS, payee: 10n, channels: 0n });
        });

        it("the same salt in the next block opens a new channel", async function () {
          const { f, block, key } = await closedInItsBlock();
          const next = await open(f, { salt: 3 });
          expect(next.key.nonce).to.equal(((block + 1n) << 32n) | 3n);
          expect(next.key.nonce).to.not.equal(key.nonce);
          await claim(f, next.key, 5n);
          expect(await holdings(f)).to.deep.equal({
            payer: FUNDS - 10n - DEPOSIT,
            payer2: FUNDS,
            payee: 15n,
            channels: DEPOSIT - 5n,
          });
        });
      });
    });
  });

  describe("release", function () {
    const release = (f: World, key: ChannelKey, by: Party = f.payee) =>
      f.channels.connect(by.wallet).release(key.payer, key.nonce);

    describe("when no channel has the id", function () {
      it("reverts with PaymentChannelsUnknownChannel", async function () {
        const f = await loadFixture(opened);
        const other = { ...f.key, nonce: f.key.nonce + 1n };
        await expect(release(f, other))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsUnknownChannel")
          .withArgs(channelIdOf(other));
      });
    });

    describe("when the caller is not the payee", function () {
      it("reverts with PaymentChannelsUnknownChannel (the id the caller names as payee)", async function () {
        const f = await loadFixture(opened);
        for (const caller of [f.payer, f.payer2]) {
          await expect(release(f, f.key, caller))
            .to.be.revertedWithCustomError(f.channels, "PaymentChannelsUnknownChannel")
            .withArgs(channelIdOf({ ...f.key, payee: caller.address }));
        }
        await expect(f.channels.connect(f.provider).release(f.payer.address, f.key.nonce))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsUnknownChannel")
          .withArgs(channelIdOf({ ...f.key, payee: getAddress(f.provider.address) }));
        expect(await f.channels.channel(f.id)).to.deep.equal(channelStruct(DEPOSIT, 0n, f.expiresAt, CHALLENGE));
      });
    });

    describe("when the payee releases its open channel", function () {
      it("closes it at what was claimed and refunds the rest to the payer, at once; emits ChannelClosed", async function () {
        const f = await loadFixture(opened);
        await claim(f, f.key, 30n);
        const tx = release(f, f.key);
        await expect(tx)
          .to.emit(f.channels, "ChannelClosed")
          .withArgs(f.id, 30n, DEPOSIT - 30n)
          .and.to.emit(f.token, "Transfer")
          .withArgs(f.domain.channels, f.payer.address, DEPOSIT - 30n);
        const receipt = await (await tx).wait();
        const transfers = receipt!.logs.filter((log) => f.token.interface.parseLog(log)?.name === "Transfer");
        expect(transfers.length).to.equal(1);
        expect(await holdings(f)).to.deep.equal({ payer: FUNDS - 30n, payer2: FUNDS, payee: 30n, channels: 0n });
      });

      describe("when nothing was claimed", function () {
        it("refunds the whole deposit", async function () {
          const f = await loadFixture(opened);
          await expect(release(f, f.key)).to.emit(f.channels, "ChannelClosed").withArgs(f.id, 0n, DEPOSIT);
          expect(await holdings(f)).to.deep.equal({ payer: FUNDS, payer2: FUNDS, payee: 0n, channels: 0n });
        });
      });

      describe("when everything was claimed", function () {
        it("refunds nothing (no transfer)", async function () {
          const f = await loadFixture(opened);
          await claim(f, f.key, DEPOSIT);
          await expect(release(f, f.key))
            .to.emit(f.channels, "ChannelClosed")
            .withArgs(f.id, DEPOSIT, 0n)
            .and.not.to.emit(f.token, "Transfer");
          expect(await holdings(f)).to.deep.equal({
            payer: FUNDS - DEPOSIT,
            payer2: FUNDS,
            payee: DEPOSIT,
            channels: 0n,
          });
        });
      });

      it("clears the channel: channel(id) is zeros, a voucher, a second release or a close find no channel", async function () {
        const f = await loadFixture(opened);
        await claim(f, f.key, 10n);
        await release(f, f.key);
        expect(await f.channels.channel(f.id)).to.deep.equal(channelStruct(0n, 0n, 0, 0));
        await expect(claim(f, f.key, 20n))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsNoChannelOfSigner")
          .withArgs(f.payer.address, f.id);
        await expect(release(f, f.key))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsUnknownChannel")
          .withArgs(f.id);
        await expect(closeCooperatively(f, f.key, 10n))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsUnknownChannel")
          .withArgs(f.id);
        await expect(f.channels.connect(f.payer.wallet).requestClose(f.payee.address, f.key.nonce))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsUnknownChannel")
          .withArgs(f.id);
        expect(await holdings(f)).to.deep.equal({ payer: FUNDS - 10n, payer2: FUNDS, payee: 10n, channels: 0n });
      });

      it("releases the obligations of both members", async function () {
        const f = await loadFixture(opened);
        await open(f, { payer: f.payer2 });
        await release(f, f.key);
        expect(await f.channels.openObligations(f.payerId)).to.equal(0n);
        expect(await f.channels.openObligations(f.payer2Id)).to.equal(1n);
        expect(await f.channels.openObligations(f.payeeId)).to.equal(1n);
      });

      describe("while the channel is closing, or past its deadline", function () {
        it("closes it at once", async function () {
          const f = await loadFixture(opened);
          const other = await open(f, { salt: 2 });
          await f.channels.connect(f.payer.wallet).requestClose(f.payee.address, f.key.nonce);
          await claim(f, f.key, 15n);
          await expect(release(f, f.key))
            .to.emit(f.channels, "ChannelClosed")
            .withArgs(f.id, 15n, DEPOSIT - 15n);
          await time.increaseTo(f.expiresAt + DAY);
          await expect(release(f, other.key)).to.emit(f.channels, "ChannelClosed").withArgs(other.id, 0n, DEPOSIT);
          expect(await holdings(f)).to.deep.equal({ payer: FUNDS - 15n, payer2: FUNDS, payee: 15n, channels: 0n });
        });
      });

      describe("when released in its opening block", function () {
        it("leaves a tombstone: reopening with the same salt in that block reverts with PaymentChannelsChannelExists", async function () {
          const f = await loadFixture(world);
          const expiresAt = (await time.latest()) + LIFETIME;
          const block = BigInt(await ethers.provider.getBlockNumber()) + 1n;
          const key = { payer: f.payer.address, payee: f.payee.address, nonce: (block << 32n) | 4n };
          const id = channelIdOf(key);
          const asPayer = f.channels.connect(f.payer.wallet);
          let reopen = "";
          await inOneBlock(async () => {
            await asPayer.open(f.payee.address, 4, DEPOSIT, expiresAt, CHALLENGE, GAS);
            await f.channels.connect(f.payee.wallet).release(f.payer.address, key.nonce, GAS);
            reopen = (await asPayer.open(f.payee.address, 4, DEPOSIT, expiresAt, CHALLENGE, GAS)).hash;
          });
          const receipt = await ethers.provider.getTransactionReceipt(reopen);
          expect([receipt!.status, BigInt(receipt!.blockNumber)]).to.deep.equal([0, block]);
          expect(await f.channels.channel(id)).to.deep.equal(channelStruct(0n, 0n, 0, 0));
          await expect(f.channels.connect(f.payee.wallet).release(f.payer.address, key.nonce))
            .to.be.revertedWithCustomError(f.channels, "PaymentChannelsUnknownChannel")
            .withArgs(id);
          expect(await f.channels.openObligations(f.payerId)).to.equal(0n);
          expect(await f.token.holdsOf(f.payer.address)).to.equal(0n);
          expect(await holdings(f)).to.deep.equal({ payer: FUNDS, payer2: FUNDS, payee: 0n, channels: 0n });
        });
      });
    });
  });
});
