/*
PaymentChannels, claim and claimMany — the branches, written down first; one `it` per leaf. Who may call each function
(every member role, an outsider, the issuer's keys) is the role matrix's (test/RoleMatrix/); that the TypeScript
typed data agrees with the contract is test/core/voucher.ts's. Every money movement is checked on the balances of
both payers, the payee and the contract.

The channel's lifecycle through these functions (open, claim, top up, close cooperatively, release, request a close,
settle) is also written down in channel.tree, whose leaves are test titles checked by test/meta/trees.ts.

claim
├── when r is zero (no point) ────────────────────────────── it reverts with PaymentChannelsMalformedSignature
├── when s is above n/2 ──────────────────────────────────── it reverts with PaymentChannelsMalformedSignature
├── when the signature is the high-s twin of a valid one ─── it pays nothing: compact form cannot carry the twin, an
│                                                             unrelated signer recovers: NoChannelOfSigner
├── when the voucher names a nonce of no channel ─────────── it reverts with NoChannelOfSigner(payer, id)
├── when the voucher is of an older channel of the pair ──── it reverts with NoChannelOfSigner(payer, old id)
├── when it was signed for another chain ─────────────────── it reverts with NoChannelOfSigner (unrelated signer)
├── when it was signed for another deployment ────────────── it reverts with NoChannelOfSigner (unrelated signer)
├── when someone other than the payer signed it ──────────── it reverts with NoChannelOfSigner(signer, its id)
├── when the caller is not the payee ─────────────────────── it reverts with NoChannelOfSigner (unrelated signer)
├── when the amount is not above what was claimed ────────── it reverts with PaymentChannelsVoucherBelowClaimed
├── when the amount is above the deposit ─────────────────── it reverts with PaymentChannelsVoucherAboveDeposit
└── when the voucher is valid
    ├── it pays the payee the amount; emits ChannelClaimed with the usage; the channel stays open
    ├── a later voucher pays only the increment over what was claimed
    ├── when the channel is closing ──────────────────────── it still pays
    └── when the deadline has passed and nobody settled ──── it still pays
claimMany
├── when the list is empty ───────────────────────────────── it returns 0 and pays nothing
├── when a voucher names no open channel of its signer ───── it skips it and pays the rest (never opened, or a
│                                                             foreign voucher whose unrelated signer has no channel)
├── when a voucher's channel was closed meanwhile ────────── it skips it and pays the rest (strict claim reverts)
├── when a signature is malformed ────────────────────────── PaymentChannelsMalformedSignature; nothing is paid
├── when a voucher is above its deposit ──────────────────── PaymentChannelsVoucherAboveDeposit; nothing is paid
└── when the vouchers are valid
    ├── it pays the sum over channels of several payers in one transfer; emits ChannelClaimed for each
    ├── it skips a voucher not above what its channel claimed, and pays the rest
    └── a repeated run pays nothing twice (returns 0, emits nothing)
*/
import { expect } from "chai";
import { getAddress, recoverAddress, toHex, type Address, type Hex } from "viem";

import { NO_USAGE, channelIdOf, voucherDigest, type ChannelKey } from "../../../src/core/voucher.js";
import { parseEuro } from "../../../src/core/money.js";
import {
  CHALLENGE,
  channelStruct,
  claim,
  closeCooperatively,
  DAY,
  DEPOSIT,
  FUNDS,
  highSTwin,
  holdings,
  loadFixture,
  LOW_255_BITS,
  open,
  opened,
  type Party,
  type Signature,
  time,
  USAGE,
  voucher,
} from "./fixture.js";

/** The address the contract recovers from a compact (r, vs) over `digest`: s is vs's low 255 bits, v its top bit. */
function recoveredFrom(digest: Hex, { r, vs }: Signature): Promise<Address> {
  const raw = BigInt(vs);
  return recoverAddress({
    hash: digest,
    signature: { r, s: toHex(raw & LOW_255_BITS, { size: 32 }), yParity: Number(raw >> 255n) },
  });
}

describe("PaymentChannels", function () {
  describe("claim", function () {
    const held = { payer: FUNDS - DEPOSIT, payer2: FUNDS, payee: 0n, channels: DEPOSIT };

    describe("when r is zero (no point)", function () {
      it("reverts with PaymentChannelsMalformedSignature", async function () {
        const f = await loadFixture(opened);
        const { vs } = await voucher(f, f.key, 5n);
        await expect(f.channels.connect(f.payee.wallet).claim(f.key.nonce, 5n, NO_USAGE, toHex(0n, { size: 32 }), vs))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsMalformedSignature")
          .withArgs();
      });
    });

    describe("when s is above n/2", function () {
      it("reverts with PaymentChannelsMalformedSignature", async function () {
        const f = await loadFixture(opened);
        const { r } = await voucher(f, f.key, 5n);
        // The largest s compact form can carry (2^255 - 1) is above n/2; OpenZeppelin's ECDSA refuses it.
        await expect(
          f.channels.connect(f.payee.wallet).claim(f.key.nonce, 5n, NO_USAGE, r, toHex(LOW_255_BITS, { size: 32 })),
        )
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsMalformedSignature")
          .withArgs();
      });
    });

    describe("when the signature is the high-s twin of a valid one", function () {
      it("pays nothing: an unrelated signer recovers, PaymentChannelsNoChannelOfSigner", async function () {
        const f = await loadFixture(opened);
        const twin = highSTwin(await voucher(f, f.key, 5n));
        const stranger = await recoveredFrom(voucherDigest(f.domain, { ...f.key, amount: 5n, usage: NO_USAGE }), twin);
        expect(stranger).to.not.equal(f.payer.address);
        await expect(f.channels.connect(f.payee.wallet).claim(f.key.nonce, 5n, NO_USAGE, twin.r, twin.vs))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsNoChannelOfSigner")
          .withArgs(stranger, channelIdOf({ ...f.key, payer: stranger }));
        expect(await holdings(f)).to.deep.equal(held);
      });
    });

    describe("when the voucher names a nonce of no channel", function () {
      it("reverts with PaymentChannelsNoChannelOfSigner(payer, id)", async function () {
        const f = await loadFixture(opened);
        const other = { ...f.key, nonce: f.key.nonce + 1n };
        const { r, vs } = await voucher(f, other, 5n);
        await expect(f.channels.connect(f.payee.wallet).claim(other.nonce, 5n, NO_USAGE, r, vs))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsNoChannelOfSigner")
          .withArgs(f.payer.address, channelIdOf(other));
        expect((await f.channels.channel(f.id)).claimed).to.equal(0n);
      });
    });

    describe("when the voucher is of an older channel of the pair", function () {
      it("reverts with PaymentChannelsNoChannelOfSigner(payer, old id)", async function () {
        const f = await loadFixture(opened);
        const old = await voucher(f, f.key, 60n);
        await claim(f, f.key, 10n);
        await closeCooperatively(f, f.key, 10n);
        const reopened = await open(f, { salt: 1 });
        await expect(f.channels.connect(f.payee.wallet).claim(f.key.nonce, 60n, NO_USAGE, old.r, old.vs))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsNoChannelOfSigner")
          .withArgs(f.payer.address, f.id);
        expect((await f.channels.channel(reopened.id)).claimed).to.equal(0n);
        expect(await holdings(f)).to.deep.equal({
          payer: FUNDS - 10n - DEPOSIT,
          payer2: FUNDS,
          payee: 10n,
          channels: DEPOSIT,
        });
      });
    });

    describe("when it was signed for another chain", function () {
      it("reverts with PaymentChannelsNoChannelOfSigner (an unrelated signer recovers)", async function () {
        const f = await loadFixture(opened);
        const signature = await voucher(f, f.key, 5n, { domain: { ...f.domain, chainId: f.domain.chainId + 1 } });
        const stranger = await recoveredFrom(
          voucherDigest(f.domain, { ...f.key, amount: 5n, usage: NO_USAGE }),
          signature,
        );
        expect(stranger).to.not.equal(f.payer.address);
        await expect(f.channels.connect(f.payee.wallet).claim(f.key.nonce, 5n, NO_USAGE, signature.r, signature.vs))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsNoChannelOfSigner")
          .withArgs(stranger, channelIdOf({ ...f.key, payer: stranger }));
        expect(await holdings(f)).to.deep.equal(held);
      });
    });

    describe("when it was signed for another deployment", function () {
      it("reverts with PaymentChannelsNoChannelOfSigner (an unrelated signer recovers)", async function () {
        const f = await loadFixture(opened);
        const signature = await voucher(f, f.key, 5n, {
          domain: { ...f.domain, channels: getAddress(await f.meter.getAddress()) },
        });
        const stranger = await recoveredFrom(
          voucherDigest(f.domain, { ...f.key, amount: 5n, usage: NO_USAGE }),
          signature,
        );
        expect(stranger).to.not.equal(f.payer.address);
        await expect(f.channels.connect(f.payee.wallet).claim(f.key.nonce, 5n, NO_USAGE, signature.r, signature.vs))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsNoChannelOfSigner")
          .withArgs(stranger, channelIdOf({ ...f.key, payer: stranger }));
        expect(await holdings(f)).to.deep.equal(held);
      });
    });

    describe("when someone other than the payer signed it", function () {
      it("reverts with PaymentChannelsNoChannelOfSigner(signer, id)", async function () {
        const f = await loadFixture(opened);
        const { r, vs } = await voucher(f, f.key, 5n, { signer: f.payer2 });
        await expect(f.channels.connect(f.payee.wallet).claim(f.key.nonce, 5n, NO_USAGE, r, vs))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsNoChannelOfSigner")
          .withArgs(f.payer2.address, channelIdOf({ ...f.key, payer: f.payer2.address }));
        expect(await holdings(f)).to.deep.equal(held);
      });
    });

    describe("when the caller is not the payee", function () {
      it("reverts with PaymentChannelsNoChannelOfSigner (the caller is hashed in as payee; an unrelated signer recovers)", async function () {
        const f = await loadFixture(opened);
        const signature = await voucher(f, f.key, 5n);
        const thief = f.provider.address as Address;
        const stranger = await recoveredFrom(
          voucherDigest(f.domain, { payee: thief, nonce: f.key.nonce, amount: 5n, usage: NO_USAGE }),
          signature,
        );
        expect(stranger).to.not.equal(f.payer.address);
        await expect(f.channels.connect(f.provider).claim(f.key.nonce, 5n, NO_USAGE, signature.r, signature.vs))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsNoChannelOfSigner")
          .withArgs(stranger, channelIdOf({ payer: stranger, payee: thief, nonce: f.key.nonce }));
        expect(await holdings(f)).to.deep.equal(held);
      });
    });

    describe("when the amount is not above what was claimed", function () {
      it("reverts with PaymentChannelsVoucherBelowClaimed", async function () {
        const f = await loadFixture(opened);
        await claim(f, f.key, 7n);
        await expect(claim(f, f.key, 7n))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsVoucherBelowClaimed")
          .withArgs(f.id, 7n, 7n);
        await expect(claim(f, f.key, 5n))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsVoucherBelowClaimed")
          .withArgs(f.id, 5n, 7n);
        expect(await holdings(f)).to.deep.equal({ ...held, payee: 7n, channels: DEPOSIT - 7n });
      });
    });

    describe("when the amount is above the deposit", function () {
      it("reverts with PaymentChannelsVoucherAboveDeposit", async function () {
        const f = await loadFixture(opened);
        await expect(claim(f, f.key, DEPOSIT + 1n))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsVoucherAboveDeposit")
          .withArgs(f.id, DEPOSIT + 1n, DEPOSIT);
        expect(await holdings(f)).to.deep.equal(held);
      });
    });

    describe("when the voucher is valid", function () {
      it("pays the payee the amount; emits ChannelClaimed with the usage; the channel stays open", async function () {
        const f = await loadFixture(opened);
        const amount = parseEuro("12.5");
        await expect(claim(f, f.key, amount, USAGE))
          .to.emit(f.channels, "ChannelClaimed")
          .withArgs(f.id, amount, USAGE);
        expect(await f.channels.channel(f.id)).to.deep.equal(channelStruct(DEPOSIT, amount, f.expiresAt, CHALLENGE));
        expect(await holdings(f)).to.deep.equal({ ...held, payee: amount, channels: DEPOSIT - amount });
      });

      it("a later voucher pays only the increment over what was claimed", async function () {
        const f = await loadFixture(opened);
        await claim(f, f.key, parseEuro("10"));
        await expect(claim(f, f.key, parseEuro("25")))
          .to.emit(f.channels, "ChannelClaimed")
          .withArgs(f.id, parseEuro("25"), NO_USAGE);
        expect(await holdings(f)).to.deep.equal({
          ...held,
          payee: parseEuro("25"),
          channels: DEPOSIT - parseEuro("25"),
        });
        await claim(f, f.key, DEPOSIT);
        expect(await holdings(f)).to.deep.equal({ ...held, payee: DEPOSIT, channels: 0n });
      });

      describe("when the channel is closing", function () {
        it("still pays", async function () {
          const f = await loadFixture(opened);
          await f.channels.connect(f.payer.wallet).requestClose(f.payee.address, f.key.nonce);
          await time.increase(CHALLENGE - 10);
          await expect(claim(f, f.key, 30n))
            .to.emit(f.channels, "ChannelClaimed")
            .withArgs(f.id, 30n, NO_USAGE);
          expect(await holdings(f)).to.deep.equal({ ...held, payee: 30n, channels: DEPOSIT - 30n });
        });
      });

      describe("when the deadline has passed and nobody settled", function () {
        it("still pays", async function () {
          const f = await loadFixture(opened);
          await time.increaseTo(f.expiresAt + DAY);
          await expect(claim(f, f.key, 30n))
            .to.emit(f.channels, "ChannelClaimed")
            .withArgs(f.id, 30n, NO_USAGE);
          expect(await holdings(f)).to.deep.equal({ ...held, payee: 30n, channels: DEPOSIT - 30n });
        });
      });
    });
  });

  describe("claimMany", function () {
    /** The fixture's channel, one of the second payer's and a second one of the payer, all to the payee. */
    async function three() {
      const f = await loadFixture(opened);
      const second = await open(f, { payer: f.payer2 });
      const third = await open(f, { salt: 2 });
      const item = async (key: ChannelKey, amount: bigint, signer: Party, usage: Hex = NO_USAGE) => ({
        nonce: key.nonce,
        amount,
        usage,
        ...(await voucher(f, key, amount, { signer, usage })),
      });
      return { f, second, third, item };
    }
    const start = { payer: FUNDS - 2n * DEPOSIT, payer2: FUNDS - DEPOSIT, payee: 0n, channels: 3n * DEPOSIT };

    describe("when the list is empty", function () {
      it("returns 0 and pays nothing", async function () {
        const f = await loadFixture(opened);
        expect(await f.channels.connect(f.payee.wallet).claimMany.staticCall([])).to.equal(0n);
        await expect(f.channels.connect(f.payee.wallet).claimMany([])).to.not.emit(f.token, "Transfer");
        expect(await holdings(f)).to.deep.equal({
          payer: FUNDS - DEPOSIT,
          payer2: FUNDS,
          payee: 0n,
          channels: DEPOSIT,
        });
      });
    });

    describe("when a voucher names no open channel of its signer", function () {
      it("skips it and pays the rest: a nonce never opened, a foreign voucher", async function () {
        const { f, second, item } = await three();
        const missing = { ...f.key, nonce: f.key.nonce + 7n };
        // Signed for another chain: an unrelated signer recovers, which has no channel.
        const foreign = {
          nonce: second.key.nonce,
          amount: 9n,
          usage: NO_USAGE,
          ...(await voucher(f, second.key, 9n, { signer: f.payer2, domain: { ...f.domain, chainId: 1 } })),
        };
        const batch = [await item(missing, 5n, f.payer), await item(f.key, 5n, f.payer), foreign];
        expect(await f.channels.connect(f.payee.wallet).claimMany.staticCall(batch)).to.equal(5n);
        const tx = f.channels.connect(f.payee.wallet).claimMany(batch);
        await expect(tx).to.emit(f.channels, "ChannelClaimed").withArgs(f.id, 5n, NO_USAGE);
        const receipt = await (await tx).wait();
        const claimed = receipt!.logs.filter((log) => f.channels.interface.parseLog(log)?.name === "ChannelClaimed");
        expect(claimed.length).to.equal(1);
        expect((await f.channels.channel(second.id)).claimed).to.equal(0n);
        expect(await holdings(f)).to.deep.equal({ ...start, payee: 5n, channels: 3n * DEPOSIT - 5n });
      });
    });

    describe("when a voucher's channel was closed meanwhile", function () {
      it("skips it and pays the rest, where a strict claim reverts with PaymentChannelsNoChannelOfSigner", async function () {
        const { f, second, item } = await three();
        const batch = [await item(f.key, 10n, f.payer), await item(second.key, 20n, f.payer2)];
        await closeCooperatively(f, f.key, 4n);
        await expect(
          f.channels.connect(f.payee.wallet).claim(batch[0]!.nonce, 10n, NO_USAGE, batch[0]!.r, batch[0]!.vs),
        )
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsNoChannelOfSigner")
          .withArgs(f.payer.address, f.id);
        expect(await f.channels.connect(f.payee.wallet).claimMany.staticCall(batch)).to.equal(20n);
        await expect(f.channels.connect(f.payee.wallet).claimMany(batch))
          .to.emit(f.channels, "ChannelClaimed")
          .withArgs(second.id, 20n, NO_USAGE)
          .and.to.emit(f.token, "Transfer")
          .withArgs(f.domain.channels, f.payee.address, 20n);
        expect(await holdings(f)).to.deep.equal({
          payer: FUNDS - DEPOSIT - 4n,
          payer2: FUNDS - DEPOSIT,
          payee: 24n,
          channels: 2n * DEPOSIT - 20n,
        });
      });

      it("pays nothing when every voucher's channel is closed (returns 0, no transfer)", async function () {
        const { f, second, item } = await three();
        const batch = [await item(f.key, 10n, f.payer), await item(second.key, 20n, f.payer2)];
        await closeCooperatively(f, f.key, 0n);
        await f.channels.connect(f.payee.wallet).release(f.payer2.address, second.key.nonce);
        await expect(f.channels.connect(f.payee.wallet).claimMany(batch))
          .to.not.emit(f.channels, "ChannelClaimed")
          .and.not.to.emit(f.token, "Transfer");
      });
    });

    describe("when a signature is malformed", function () {
      it("reverts with PaymentChannelsMalformedSignature; nothing is paid", async function () {
        const { f, second, item } = await three();
        const bad = { ...(await item(second.key, 5n, f.payer2)), r: toHex(0n, { size: 32 }) };
        await expect(f.channels.connect(f.payee.wallet).claimMany([await item(f.key, 5n, f.payer), bad]))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsMalformedSignature")
          .withArgs();
        expect(await holdings(f)).to.deep.equal(start);
      });
    });

    describe("when a voucher is above its deposit", function () {
      it("reverts with PaymentChannelsVoucherAboveDeposit; nothing is paid", async function () {
        const { f, second, item } = await three();
        const batch = [await item(f.key, 5n, f.payer), await item(second.key, DEPOSIT + 1n, f.payer2)];
        await expect(f.channels.connect(f.payee.wallet).claimMany(batch))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsVoucherAboveDeposit")
          .withArgs(second.id, DEPOSIT + 1n, DEPOSIT);
        expect(await holdings(f)).to.deep.equal(start);
      });
    });

    describe("when the vouchers are valid", function () {
      it("pays the sum over channels of several payers in one transfer; emits ChannelClaimed for each", async function () {
        const { f, second, third, item } = await three();
        const batch = [
          await item(f.key, 10n, f.payer, USAGE),
          await item(second.key, 20n, f.payer2),
          await item(third.key, 30n, f.payer),
        ];
        expect(await f.channels.connect(f.payee.wallet).claimMany.staticCall(batch)).to.equal(60n);
        const tx = f.channels.connect(f.payee.wallet).claimMany(batch);
        await expect(tx)
          .to.emit(f.channels, "ChannelClaimed")
          .withArgs(f.id, 10n, USAGE)
          .and.to.emit(f.channels, "ChannelClaimed")
          .withArgs(second.id, 20n, NO_USAGE)
          .and.to.emit(f.channels, "ChannelClaimed")
          .withArgs(third.id, 30n, NO_USAGE)
          .and.to.emit(f.token, "Transfer")
          .withArgs(f.domain.channels, f.payee.address, 60n);
        const receipt = await (await tx).wait();
        const transfers = receipt!.logs.filter((log) => f.token.interface.parseLog(log)?.name === "Transfer");
        expect(transfers.length).to.equal(1);
        expect(await holdings(f)).to.deep.equal({ ...start, payee: 60n, channels: 3n * DEPOSIT - 60n });
      });

      it("skips a voucher not above what its channel claimed, and pays the rest", async function () {
        const { f, second, item } = await three();
        await claim(f, f.key, 10n);
        const batch = [await item(f.key, 8n, f.payer), await item(second.key, 20n, f.payer2)];
        await expect(f.channels.connect(f.payee.wallet).claimMany(batch))
          .to.emit(f.channels, "ChannelClaimed")
          .withArgs(second.id, 20n, NO_USAGE);
        expect((await f.channels.channel(f.id)).claimed).to.equal(10n);
        expect(await holdings(f)).to.deep.equal({ ...start, payee: 30n, channels: 3n * DEPOSIT - 30n });
      });

      it("a repeated run pays nothing twice (returns 0, emits nothing)", async function () {
        const { f, second, item } = await three();
        const batch = [await item(f.key, 10n, f.payer), await item(second.key, 20n, f.payer2)];
        await f.channels.connect(f.payee.wallet).claimMany(batch);
        expect(await f.channels.connect(f.payee.wallet).claimMany.staticCall(batch)).to.equal(0n);
        await expect(f.channels.connect(f.payee.wallet).claimMany(batch))
          .to.not.emit(f.channels, "ChannelClaimed")
          .and.not.to.emit(f.token, "Transfer");
        expect(await holdings(f)).to.deep.equal({ ...start, payee: 30n, channels: 3n * DEPOSIT - 30n });
      });
    });
  });
});
