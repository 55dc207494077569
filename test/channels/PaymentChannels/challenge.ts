/*
PaymentChannels, requestClose, settle and setMinChallengePeriod — the branches, written down first; one `it` per leaf.
Who may call each function (every member role, an outsider, the issuer's keys) is the role matrix's
(test/RoleMatrix/); that the TypeScript typed data agrees with the contract is test/core/voucher.ts's. Every
money movement is checked on the balances of both payers, the payee and the contract.

The channel's lifecycle through these functions (open, claim, top up, close cooperatively, release, request a close,
settle) is also written down in channel.tree, whose leaves are test titles checked by test/meta/trees.ts.

requestClose
├── when no channel has the id ───────────────────────────── it reverts with PaymentChannelsUnknownChannel
├── when the channel is closing already ──────────────────── it reverts with PaymentChannelsClosing(id, deadline)
└── when the channel is open
    ├── it sets the deadline to now + the challenge period; emits ChannelCloseRequested
    ├── when the expiry is sooner ────────────────────────── it keeps the expiry as the deadline
    └── the payee can still claim until the channel is settled
settle
├── when no channel has the id ───────────────────────────── it reverts with PaymentChannelsUnknownChannel
├── when the deadline has not been reached ───────────────── it reverts with PaymentChannelsDeadlineNotReached
├── when the token is paused ─────────────────────────────── it reverts with the token's EnforcedPause (no refund moves)
├── when the token was unpaused less than the minimum challenge period ago
│   ├── it reverts with PaymentChannelsPauseGrace(id, unpausedAt + minimum), even past the deadline; the payee claims
│   └── at unpausedAt + minimum exactly ──────────────────── it settles
├── when the token was unpaused long before the deadline ─── the deadline alone decides
└── when the deadline has passed
    ├── after the challenge period, anyone settles: the payer gets the rest; emits ChannelClosed; the channel is cleared
    ├── after the expiry without a close request ─────────── it refunds the whole unclaimed deposit
    ├── when everything was claimed ──────────────────────── it refunds nothing
    └── it releases the obligations of both members
setMinChallengePeriod
├── when the period is zero ──────────────────────────────── it reverts with PaymentChannelsInvalidMinimum
├── when an operator sets it ─────────────────────────────── it stores it; emits MinChallengePeriodChanged
└── the new minimum applies to channels opened after it, not to open ones
*/
import { expect } from "chai";

import { NO_USAGE, channelIdOf } from "../../../src/core/voucher.js";
import {
  CHALLENGE,
  channelStruct,
  claim,
  closeCooperatively,
  DAY,
  DEPOSIT,
  FUNDS,
  holdings,
  loadFixture,
  MIN_CHALLENGE,
  open,
  opened,
  time,
  world,
} from "./fixture.js";

describe("PaymentChannels", function () {
  describe("requestClose", function () {
    describe("when no channel has the id", function () {
      it("reverts with PaymentChannelsUnknownChannel", async function () {
        const f = await loadFixture(opened);
        await expect(f.channels.connect(f.payer.wallet).requestClose(f.payee.address, f.key.nonce + 1n))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsUnknownChannel")
          .withArgs(channelIdOf({ ...f.key, nonce: f.key.nonce + 1n }));
      });
    });

    describe("when the channel is closing already", function () {
      it("reverts with PaymentChannelsClosing(id, deadline)", async function () {
        const f = await loadFixture(opened);
        await f.channels.connect(f.payer.wallet).requestClose(f.payee.address, f.key.nonce);
        const deadline = BigInt(await time.latest()) + BigInt(CHALLENGE);
        await expect(f.channels.connect(f.payer.wallet).requestClose(f.payee.address, f.key.nonce))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsClosing")
          .withArgs(f.id, deadline);
      });
    });

    describe("when the channel is open", function () {
      it("sets the deadline to now + the challenge period; emits ChannelCloseRequested", async function () {
        const f = await loadFixture(opened);
        await claim(f, f.key, 3n);
        const at = (await time.latest()) + 100;
        await time.setNextBlockTimestamp(at);
        await expect(f.channels.connect(f.payer.wallet).requestClose(f.payee.address, f.key.nonce))
          .to.emit(f.channels, "ChannelCloseRequested")
          .withArgs(f.id, at + CHALLENGE);
        expect(await f.channels.channel(f.id)).to.deep.equal(channelStruct(DEPOSIT, 3n, at + CHALLENGE, 0));
        expect(await holdings(f)).to.deep.equal({
          payer: FUNDS - DEPOSIT,
          payer2: FUNDS,
          payee: 3n,
          channels: DEPOSIT - 3n,
        });
      });

      describe("when the expiry is sooner", function () {
        it("keeps the expiry as the deadline", async function () {
          const f = await loadFixture(opened);
          const at = f.expiresAt - CHALLENGE / 2;
          await time.setNextBlockTimestamp(at);
          await expect(f.channels.connect(f.payer.wallet).requestClose(f.payee.address, f.key.nonce))
            .to.emit(f.channels, "ChannelCloseRequested")
            .withArgs(f.id, f.expiresAt);
          expect(await f.channels.channel(f.id)).to.deep.equal(channelStruct(DEPOSIT, 0n, f.expiresAt, 0));
        });
      });

      it("the payee can still claim until the channel is settled", async function () {
        const f = await loadFixture(opened);
        await f.channels.connect(f.payer.wallet).requestClose(f.payee.address, f.key.nonce);
        await expect(claim(f, f.key, 20n))
          .to.emit(f.channels, "ChannelClaimed")
          .withArgs(f.id, 20n, NO_USAGE);
        await time.increase(CHALLENGE);
        // Past the deadline, the first to act decides: here the payee's newer voucher comes before the settlement.
        await expect(claim(f, f.key, 35n))
          .to.emit(f.channels, "ChannelClaimed")
          .withArgs(f.id, 35n, NO_USAGE);
        await expect(f.channels.settle(f.payer.address, f.payee.address, f.key.nonce))
          .to.emit(f.channels, "ChannelClosed")
          .withArgs(f.id, 35n, DEPOSIT - 35n);
        expect(await holdings(f)).to.deep.equal({ payer: FUNDS - 35n, payer2: FUNDS, payee: 35n, channels: 0n });
      });
    });
  });

  describe("settle", function () {
    describe("when no channel has the id", function () {
      it("reverts with PaymentChannelsUnknownChannel", async function () {
        const f = await loadFixture(opened);
        await expect(f.channels.settle(f.payer2.address, f.payee.address, f.key.nonce))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsUnknownChannel")
          .withArgs(channelIdOf({ ...f.key, payer: f.payer2.address }));
      });
    });

    describe("when the channel was settled already", function () {
      it("reverts with PaymentChannelsUnknownChannel, whatever is called", async function () {
        const f = await loadFixture(opened);
        await time.increaseTo(f.expiresAt);
        await f.channels.settle(f.payer.address, f.payee.address, f.key.nonce);
        const unknown = (tx: Promise<unknown>) =>
          expect(tx).to.be.revertedWithCustomError(f.channels, "PaymentChannelsUnknownChannel").withArgs(f.id);
        await unknown(f.channels.settle(f.payer.address, f.payee.address, f.key.nonce));
        await unknown(f.channels.connect(f.payer.wallet).topUp(f.payee.address, f.key.nonce, 1n));
        await unknown(f.channels.connect(f.payer.wallet).requestClose(f.payee.address, f.key.nonce));
        await unknown(f.channels.connect(f.payee.wallet).release(f.payer.address, f.key.nonce));
        await unknown(closeCooperatively(f, f.key, 0n));
      });
    });

    describe("when the deadline has not been reached", function () {
      it("reverts with PaymentChannelsDeadlineNotReached", async function () {
        const f = await loadFixture(opened);
        await f.channels.connect(f.payer.wallet).requestClose(f.payee.address, f.key.nonce);
        const { deadline } = await f.channels.channel(f.id);
        await time.setNextBlockTimestamp(deadline - 1n);
        await expect(f.channels.connect(f.payer.wallet).settle(f.payer.address, f.payee.address, f.key.nonce))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsDeadlineNotReached")
          .withArgs(f.id, deadline);
        expect(await holdings(f)).to.deep.equal({
          payer: FUNDS - DEPOSIT,
          payer2: FUNDS,
          payee: 0n,
          channels: DEPOSIT,
        });
      });
    });

    describe("when the token is paused", function () {
      it("reverts with the token's EnforcedPause: no refund moves", async function () {
        const f = await loadFixture(opened);
        await time.increaseTo(f.expiresAt);
        await f.token.connect(f.operator).pause();
        await expect(f.channels.settle(f.payer.address, f.payee.address, f.key.nonce)).to.be.revertedWithCustomError(
          f.token,
          "EnforcedPause",
        );
        expect((await f.channels.channel(f.id)).deposit).to.equal(DEPOSIT);
      });
    });

    describe("when the token was unpaused less than the minimum challenge period ago", function () {
      // The payer asks to close and the token is paused for the whole challenge period: no claim could pay.
      async function pausedThroughTheDeadline() {
        const f = await loadFixture(opened);
        await f.channels.connect(f.payer.wallet).requestClose(f.payee.address, f.key.nonce);
        const { deadline } = await f.channels.channel(f.id);
        await f.token.connect(f.operator).pause();
        await expect(claim(f, f.key, 40n)).to.be.revertedWithCustomError(f.token, "EnforcedPause");
        await time.increaseTo(deadline + 60n);
        await f.token.connect(f.operator).unpause();
        const unpausedAt = BigInt(await time.latest());
        return { ...f, graceEnd: unpausedAt + BigInt(MIN_CHALLENGE) };
      }

      it("reverts with PaymentChannelsPauseGrace(id, unpausedAt + minimum), even past the deadline; the payee claims", async function () {
        const f = await pausedThroughTheDeadline();
        expect(await f.token.unpausedAt()).to.equal(f.graceEnd - BigInt(MIN_CHALLENGE));
        await time.setNextBlockTimestamp(f.graceEnd - 1n);
        await expect(f.channels.connect(f.outsider).settle(f.payer.address, f.payee.address, f.key.nonce))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsPauseGrace")
          .withArgs(f.id, f.graceEnd);
        await expect(claim(f, f.key, 40n))
          .to.emit(f.channels, "ChannelClaimed")
          .withArgs(f.id, 40n, NO_USAGE);
        expect(await holdings(f)).to.deep.equal({
          payer: FUNDS - DEPOSIT,
          payer2: FUNDS,
          payee: 40n,
          channels: DEPOSIT - 40n,
        });
      });

      it("settles at unpausedAt + minimum exactly", async function () {
        const f = await pausedThroughTheDeadline();
        await claim(f, f.key, 40n);
        await time.setNextBlockTimestamp(f.graceEnd);
        await expect(f.channels.connect(f.outsider).settle(f.payer.address, f.payee.address, f.key.nonce))
          .to.emit(f.channels, "ChannelClosed")
          .withArgs(f.id, 40n, DEPOSIT - 40n);
        expect(await holdings(f)).to.deep.equal({ payer: FUNDS - 40n, payer2: FUNDS, payee: 40n, channels: 0n });
      });
    });

    describe("when the token was unpaused long before the deadline", function () {
      it("settles at the deadline: the grace has run out", async function () {
        const f = await loadFixture(opened);
        await f.token.connect(f.operator).pause();
        await f.token.connect(f.operator).unpause();
        await f.channels.connect(f.payer.wallet).requestClose(f.payee.address, f.key.nonce);
        const { deadline } = await f.channels.channel(f.id);
        expect(deadline).to.be.greaterThan((await f.token.unpausedAt()) + BigInt(MIN_CHALLENGE));
        await time.setNextBlockTimestamp(deadline);
        await expect(f.channels.settle(f.payer.address, f.payee.address, f.key.nonce))
          .to.emit(f.channels, "ChannelClosed")
          .withArgs(f.id, 0n, DEPOSIT);
      });
    });

    describe("when the deadline has passed", function () {
      it("after the challenge period, anyone settles: the payer gets the rest; emits ChannelClosed; the channel is cleared", async function () {
        const f = await loadFixture(opened);
        await claim(f, f.key, 10n);
        await f.channels.connect(f.payer.wallet).requestClose(f.payee.address, f.key.nonce);
        await claim(f, f.key, 30n);
        const { deadline } = await f.channels.channel(f.id);
        await time.setNextBlockTimestamp(deadline);
        // An outsider, not a member, relays the settlement; the money goes to the payer.
        await expect(f.channels.connect(f.outsider).settle(f.payer.address, f.payee.address, f.key.nonce))
          .to.emit(f.channels, "ChannelClosed")
          .withArgs(f.id, 30n, DEPOSIT - 30n)
          .and.to.emit(f.token, "Transfer")
          .withArgs(f.domain.channels, f.payer.address, DEPOSIT - 30n);
        expect(await f.channels.channel(f.id)).to.deep.equal(channelStruct(0n, 0n, 0, 0));
        await expect(claim(f, f.key, 40n))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsNoChannelOfSigner")
          .withArgs(f.payer.address, f.id);
        expect(await holdings(f)).to.deep.equal({ payer: FUNDS - 30n, payer2: FUNDS, payee: 30n, channels: 0n });
      });

      it("after the expiry without a close request, it refunds the whole unclaimed deposit", async function () {
        const f = await loadFixture(opened);
        await time.setNextBlockTimestamp(f.expiresAt);
        await expect(f.channels.connect(f.payee.wallet).settle(f.payer.address, f.payee.address, f.key.nonce))
          .to.emit(f.channels, "ChannelClosed")
          .withArgs(f.id, 0n, DEPOSIT);
        expect(await holdings(f)).to.deep.equal({ payer: FUNDS, payer2: FUNDS, payee: 0n, channels: 0n });
      });

      describe("when everything was claimed", function () {
        it("refunds nothing", async function () {
          const f = await loadFixture(opened);
          await claim(f, f.key, DEPOSIT);
          await time.increaseTo(f.expiresAt);
          await expect(f.channels.settle(f.payer.address, f.payee.address, f.key.nonce))
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

      it("releases the obligations of both members", async function () {
        const f = await loadFixture(opened);
        await time.increaseTo(f.expiresAt);
        await f.channels.settle(f.payer.address, f.payee.address, f.key.nonce);
        expect(await f.channels.openObligations(f.payerId)).to.equal(0n);
        expect(await f.channels.openObligations(f.payeeId)).to.equal(0n);
      });
    });
  });

  describe("setMinChallengePeriod", function () {
    describe("when the period is zero", function () {
      it("reverts with PaymentChannelsInvalidMinimum", async function () {
        const f = await loadFixture(world);
        await expect(f.channels.connect(f.operator).setMinChallengePeriod(0))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsInvalidMinimum")
          .withArgs(0);
      });
    });

    describe("when an operator sets it", function () {
      it("stores it; emits MinChallengePeriodChanged", async function () {
        const f = await loadFixture(world);
        await expect(f.channels.connect(f.operator).setMinChallengePeriod(2 * DAY))
          .to.emit(f.channels, "MinChallengePeriodChanged")
          .withArgs(2 * DAY);
        expect(await f.channels.minChallengePeriod()).to.equal(BigInt(2 * DAY));
      });
    });

    it("the new minimum applies to channels opened after it, not to open ones", async function () {
      const f = await loadFixture(opened);
      await f.channels.connect(f.operator).setMinChallengePeriod(2 * DAY);
      await expect(open(f, { salt: 2, challenge: DAY }))
        .to.be.revertedWithCustomError(f.channels, "PaymentChannelsChallengeTooShort")
        .withArgs(DAY, 2 * DAY);
      await open(f, { salt: 2, challenge: 2 * DAY });
      // The open channel keeps the day it was opened with.
      const at = (await time.latest()) + 1;
      await time.setNextBlockTimestamp(at);
      await expect(f.channels.connect(f.payer.wallet).requestClose(f.payee.address, f.key.nonce))
        .to.emit(f.channels, "ChannelCloseRequested")
        .withArgs(f.id, at + DAY);
    });
  });
});
