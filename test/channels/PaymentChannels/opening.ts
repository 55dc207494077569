/*
PaymentChannels, constructor, open, openWithPermit and topUp — the branches, written down first; one `it` per leaf.
Who may call each function (every member role, an outsider, the issuer's keys) is the role matrix's
(test/RoleMatrix/); that the TypeScript typed data agrees with the contract is test/core/voucher.ts's. Every
money movement is checked on the balances of both payers, the payee and the contract.

The channel's lifecycle through these functions (open, claim, top up, close cooperatively, release, request a close,
settle) is also written down in channel.tree, whose leaves are test titles checked by test/meta/trees.ts.

constructor
├── when the Consortium's token is another token ─────────── it reverts with PaymentChannelsTokenMismatch
└── when the minimum challenge period is zero ────────────── it reverts with PaymentChannelsInvalidMinimum
open
├── when the deposit is zero ─────────────────────────────── it reverts with PaymentChannelsInvalidDeposit
├── when the deposit is not approved ─────────────────────── it reverts with the token's ERC20InsufficientAllowance
├── when the expiry is not in the future ─────────────────── it reverts with PaymentChannelsInvalidExpiry
├── when the challenge period is below the minimum ───────── it reverts with PaymentChannelsChallengeTooShort
├── when the payee is the zero address ───────────────────── it reverts with PaymentChannelsInvalidPayee
├── when the payee is the payer ──────────────────────────── it reverts with PaymentChannelsInvalidPayee
├── when the payer is not a consumer ─────────────────────── it reverts with the token's SettlementTokenMissingRole(payer,
│                                                             Consumer) (the token checks it with the escrow: without an
│                                                             approval its ERC20InsufficientAllowance comes first)
├── when the payee is not a provider ─────────────────────── it reverts with PaymentChannelsMissingRole(payee, Provider)
├── when the payer's member is suspended ─────────────────── it reverts with the token's SettlementTokenSenderFrozen(payer)
├── when the payee's member is suspended ─────────────────── it reverts with PaymentChannelsMissingRole(payee, Provider)
├── when the payer's member asked to leave ───────────────── it reverts with the token's SettlementTokenMissingRole(payer,
│                                                             Consumer): a Leaving account sends, but starts nothing
├── when the payee's member asked to leave ───────────────── it reverts with PaymentChannelsMissingRole(payee, Provider)
├── when the payer's member has not accepted the current agreement
│   └── it reverts with the token's SettlementTokenMissingRole(payer, Consumer); accepting it opens the channel
├── when the payee's member has not accepted the current agreement
│   └── it reverts with PaymentChannelsMissingRole(payee, Provider); accepting it opens the channel
├── when the two opened a channel with this salt in this block  it reverts with PaymentChannelsChannelExists
└── when the terms are valid
    ├── it returns the id and the nonce (block number << 32 | salt) and stores the channel
    ├── it escrows the deposit; emits ChannelOpened with the nonce
    ├── it counts an open obligation of the payer's member and of the payee's member
    ├── it takes a hold on the payer's account in the token (one per channel), none on the payee's
    └── the same salt in a later block opens another channel
openWithPermit
├── when the permit is valid ─────────────────────────────── it opens the channel without a prior approval; a hold
├── when the permit was used already (front-run) ─────────── it opens with the allowance the permit set
└── when the permit is invalid and nothing is approved ───── it reverts with ERC20InsufficientAllowance
topUp
├── when no channel has the id ───────────────────────────── it reverts with PaymentChannelsUnknownChannel
├── when the caller is not the payer ─────────────────────── it reverts with PaymentChannelsUnknownChannel (its own id)
├── when the channel is closing ──────────────────────────── it reverts with PaymentChannelsClosing
├── when the deadline has passed ─────────────────────────── it reverts with PaymentChannelsPastDeadline
├── when the amount is zero ──────────────────────────────── it reverts with PaymentChannelsInvalidDeposit(0)
├── when the new deposit is above 2^96 - 1 ───────────────── it reverts with PaymentChannelsInvalidDeposit(new deposit)
└── when valid ───────────────────────────────────────────── it adds to the deposit, escrows it (no new hold);
                                                              emits ChannelToppedUp
*/
import { expect } from "chai";
import { getAddress, parseSignature, toHex, zeroAddress, type Hex } from "viem";

import { channelIdOf } from "../../../src/core/voucher.js";
import { AccountStanding, Role } from "../../../src/core/membership.js";
import { parseEuro } from "../../../src/core/money.js";
import { referenceHash } from "../../../src/core/references.js";
import { permitTypes, tokenDomain } from "../../../src/core/typed-data.js";
import { mintTo } from "../../helpers/fixtures.js";
import { AGREEMENT_V2 } from "../../helpers/registry.js";
import {
  CHALLENGE,
  channelStruct,
  claim,
  DEPOSIT,
  ethers,
  FUNDS,
  GAS,
  holdings,
  inOneBlock,
  LIFETIME,
  loadFixture,
  MAX_UINT96,
  MIN_CHALLENGE,
  open,
  opened,
  type OpenOptions,
  type Party,
  time,
  world,
  type World,
} from "./fixture.js";

describe("PaymentChannels", function () {
  describe("constructor", function () {
    describe("when the Consortium's token is another token", function () {
      it("reverts with PaymentChannelsTokenMismatch", async function () {
        const f = await loadFixture(world);
        const plain = await ethers.deployContract("PlainERC20", ["Plain", "PLN", f.operator.address, 1n]);
        const factory = await ethers.getContractFactory("PaymentChannels");
        await expect(factory.deploy(await plain.getAddress(), await f.consortium.getAddress(), MIN_CHALLENGE))
          .to.be.revertedWithCustomError(factory, "PaymentChannelsTokenMismatch")
          .withArgs(await plain.getAddress(), await f.token.getAddress());
      });
    });

    describe("when the minimum challenge period is zero", function () {
      it("reverts with PaymentChannelsInvalidMinimum", async function () {
        const f = await loadFixture(world);
        const factory = await ethers.getContractFactory("PaymentChannels");
        await expect(factory.deploy(await f.token.getAddress(), await f.consortium.getAddress(), 0))
          .to.be.revertedWithCustomError(factory, "PaymentChannelsInvalidMinimum")
          .withArgs(0);
      });
    });
  });

  describe("open", function () {
    const openAs = async (f: World, payer: Party, o: OpenOptions = {}) =>
      f.channels
        .connect(payer.wallet)
        .open(
          o.payee ?? f.payee.address,
          o.salt ?? 1,
          o.deposit ?? DEPOSIT,
          o.expiresAt ?? (await time.latest()) + LIFETIME,
          o.challenge ?? CHALLENGE,
        );

    describe("when the deposit is zero", function () {
      it("reverts with PaymentChannelsInvalidDeposit", async function () {
        const f = await loadFixture(world);
        await expect(openAs(f, f.payer, { deposit: 0n }))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsInvalidDeposit")
          .withArgs(0n);
      });
    });

    describe("when the deposit is not approved", function () {
      it("reverts with the token's ERC20InsufficientAllowance", async function () {
        const f = await loadFixture(world);
        await f.token.connect(f.payer.wallet).approve(f.domain.channels, DEPOSIT - 1n);
        await expect(openAs(f, f.payer))
          .to.be.revertedWithCustomError(f.token, "ERC20InsufficientAllowance")
          .withArgs(f.domain.channels, DEPOSIT - 1n, DEPOSIT);
        expect(await holdings(f)).to.deep.equal({ payer: FUNDS, payer2: FUNDS, payee: 0n, channels: 0n });
      });
    });

    describe("when the expiry is not in the future", function () {
      it("reverts with PaymentChannelsInvalidExpiry", async function () {
        const f = await loadFixture(world);
        const next = (await time.latest()) + 10;
        await time.setNextBlockTimestamp(next);
        await expect(openAs(f, f.payer, { expiresAt: next }))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsInvalidExpiry")
          .withArgs(next);
      });
    });

    describe("when the challenge period is below the minimum", function () {
      it("reverts with PaymentChannelsChallengeTooShort", async function () {
        const f = await loadFixture(world);
        await expect(openAs(f, f.payer, { challenge: MIN_CHALLENGE - 1 }))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsChallengeTooShort")
          .withArgs(MIN_CHALLENGE - 1, MIN_CHALLENGE);
      });
    });

    describe("when the payee is the zero address", function () {
      it("reverts with PaymentChannelsInvalidPayee", async function () {
        const f = await loadFixture(world);
        await expect(openAs(f, f.payer, { payee: zeroAddress }))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsInvalidPayee")
          .withArgs(zeroAddress);
      });
    });

    describe("when the payee is the payer", function () {
      it("reverts with PaymentChannelsInvalidPayee", async function () {
        const f = await loadFixture(world);
        await expect(openAs(f, f.payer, { payee: f.payer.address }))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsInvalidPayee")
          .withArgs(f.payer.address);
      });
    });

    describe("when the payer is not a consumer", function () {
      it("reverts with the token's SettlementTokenMissingRole(payer, Consumer)", async function () {
        const f = await loadFixture(world);
        // The payee is a provider only. The token checks its roles with the escrow, so it needs the deposit and an
        // approval to get that far.
        await expect(openAs(f, f.payee, { payee: getAddress(f.provider.address) }))
          .to.be.revertedWithCustomError(f.token, "ERC20InsufficientAllowance")
          .withArgs(f.domain.channels, 0n, DEPOSIT);
        await mintTo(f, f.payee.address, DEPOSIT);
        await f.token.connect(f.payee.wallet).approve(f.domain.channels, DEPOSIT);
        await expect(openAs(f, f.payee, { payee: getAddress(f.provider.address) }))
          .to.be.revertedWithCustomError(f.token, "SettlementTokenMissingRole")
          .withArgs(f.payee.address, Role.Consumer);
        expect(await f.token.balanceOf(f.payee.address)).to.equal(DEPOSIT);
        expect(await f.token.holdsOf(f.payee.address)).to.equal(0n);
      });
    });

    describe("when the payee is not a provider", function () {
      it("reverts with PaymentChannelsMissingRole(payee, Provider)", async function () {
        const f = await loadFixture(world);
        await expect(openAs(f, f.payer, { payee: f.payer2.address }))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsMissingRole")
          .withArgs(f.payer2.address, Role.Provider);
      });
    });

    describe("when the payer's member is suspended", function () {
      it("reverts with the token's SettlementTokenSenderFrozen(payer): a frozen account cannot escrow", async function () {
        const f = await loadFixture(world);
        await f.consortium.connect(f.operator).suspend(f.payerId, referenceHash("unpaid fees"));
        await expect(openAs(f, f.payer))
          .to.be.revertedWithCustomError(f.token, "SettlementTokenSenderFrozen")
          .withArgs(f.payer.address);
        expect(await holdings(f)).to.deep.equal({ payer: FUNDS, payer2: FUNDS, payee: 0n, channels: 0n });
      });
    });

    describe("when the payer's member asked to leave", function () {
      it("reverts with the token's SettlementTokenMissingRole(payer, Consumer)", async function () {
        const f = await loadFixture(world);
        await f.consortium.connect(f.payer.wallet).requestExit();
        // Leaving accounts still send (to empty their wallets), so the escrow moves and the role check refuses it.
        expect(await f.token.standingOf(f.payer.address)).to.equal(AccountStanding.Leaving);
        await expect(openAs(f, f.payer))
          .to.be.revertedWithCustomError(f.token, "SettlementTokenMissingRole")
          .withArgs(f.payer.address, Role.Consumer);
        expect(await holdings(f)).to.deep.equal({ payer: FUNDS, payer2: FUNDS, payee: 0n, channels: 0n });
        expect(await f.token.holdsOf(f.payer.address)).to.equal(0n);
      });
    });

    describe("when the payee's member is suspended", function () {
      it("reverts with PaymentChannelsMissingRole(payee, Provider)", async function () {
        const f = await loadFixture(world);
        await f.consortium.connect(f.operator).suspend(f.payeeId, referenceHash("unsafe machine"));
        await expect(openAs(f, f.payer))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsMissingRole")
          .withArgs(f.payee.address, Role.Provider);
      });
    });

    describe("when the payee's member asked to leave", function () {
      // A channel counts as an obligation of the payee's member, so a channel handed to a leaving provider (a
      // deposit of one base unit, expiring in 2^40 - 1) would hold its exit hostage. The token reports no active
      // roles for a Leaving account, so the channels refuse it as payee (and it may release the channels it has).
      it("reverts with PaymentChannelsMissingRole(payee, Provider)", async function () {
        const f = await loadFixture(world);
        await f.consortium.connect(f.payee.wallet).requestExit();
        await expect(openAs(f, f.payer, { deposit: 1n, expiresAt: 2 ** 40 - 1 }))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsMissingRole")
          .withArgs(f.payee.address, Role.Provider);
      });
    });

    describe("when the payer's member has not accepted the current agreement", function () {
      it("reverts with the token's SettlementTokenMissingRole(payer, Consumer); accepting it opens the channel", async function () {
        const f = await loadFixture(world);
        await f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V2);
        await f.consortium.connect(f.payee.wallet).acceptAgreement(AGREEMENT_V2);
        // The payer's roles and standing are intact; only its agreement is behind the one in force.
        expect(await f.token.agreementOf(f.payer.address)).to.equal(1n);
        expect(await f.token.currentAgreement()).to.equal(2n);
        expect(await f.token.activeRolesOf(f.payer.address)).to.equal(0n);
        await expect(openAs(f, f.payer))
          .to.be.revertedWithCustomError(f.token, "SettlementTokenMissingRole")
          .withArgs(f.payer.address, Role.Consumer);
        expect(await holdings(f)).to.deep.equal({ payer: FUNDS, payer2: FUNDS, payee: 0n, channels: 0n });

        await f.consortium.connect(f.payer.wallet).acceptAgreement(AGREEMENT_V2);
        await expect(openAs(f, f.payer)).to.emit(f.channels, "ChannelOpened");
        expect((await holdings(f)).payer).to.equal(FUNDS - DEPOSIT);
      });
    });

    describe("when the payee's member has not accepted the current agreement", function () {
      it("reverts with PaymentChannelsMissingRole(payee, Provider); accepting it opens the channel", async function () {
        const f = await loadFixture(world);
        await f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V2);
        await f.consortium.connect(f.payer.wallet).acceptAgreement(AGREEMENT_V2);
        await expect(openAs(f, f.payer))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsMissingRole")
          .withArgs(f.payee.address, Role.Provider);

        await f.consortium.connect(f.payee.wallet).acceptAgreement(AGREEMENT_V2);
        await expect(openAs(f, f.payer)).to.emit(f.channels, "ChannelOpened");
      });
    });

    describe("when the two opened a channel with this salt in this block", function () {
      it("reverts with PaymentChannelsChannelExists", async function () {
        const f = await loadFixture(world);
        const expiresAt = (await time.latest()) + LIFETIME;
        const block = BigInt(await ethers.provider.getBlockNumber()) + 1n;
        const id = channelIdOf({ payer: f.payer.address, payee: f.payee.address, nonce: (block << 32n) | 7n });
        const asPayer = f.channels.connect(f.payer.wallet);
        let second = "";
        await inOneBlock(async () => {
          await asPayer.open(f.payee.address, 7, DEPOSIT, expiresAt, CHALLENGE, GAS);
          await expect(
            asPayer.open.staticCall(f.payee.address, 7, DEPOSIT, expiresAt, CHALLENGE, { blockTag: "pending" }),
          )
            .to.be.revertedWithCustomError(f.channels, "PaymentChannelsChannelExists")
            .withArgs(id);
          second = (await asPayer.open(f.payee.address, 7, DEPOSIT, expiresAt, CHALLENGE, GAS)).hash;
        });
        const receipt = await ethers.provider.getTransactionReceipt(second);
        expect([receipt!.status, BigInt(receipt!.blockNumber)]).to.deep.equal([0, block]);
        expect(await f.channels.channel(id)).to.deep.equal(channelStruct(DEPOSIT, 0n, expiresAt, CHALLENGE));
        expect(await holdings(f)).to.deep.equal({
          payer: FUNDS - DEPOSIT,
          payer2: FUNDS,
          payee: 0n,
          channels: DEPOSIT,
        });
      });
    });

    describe("when the terms are valid", function () {
      it("returns the id and the nonce (block number << 32 | salt) and stores the channel", async function () {
        const f = await loadFixture(world);
        const expiresAt = (await time.latest()) + LIFETIME;
        const salt = 0xfedcba98;
        const nonce = (BigInt(await ethers.provider.getBlockNumber()) + 1n) << 32n;
        const id = channelIdOf({ payer: f.payer.address, payee: f.payee.address, nonce: nonce | BigInt(salt) });
        expect(
          await f.channels
            .connect(f.payer.wallet)
            .open.staticCall(f.payee.address, salt, DEPOSIT, expiresAt, CHALLENGE, { blockTag: "pending" }),
        ).to.deep.equal([id, nonce | BigInt(salt)]);
        await f.channels.connect(f.payer.wallet).open(f.payee.address, salt, DEPOSIT, expiresAt, CHALLENGE);
        expect(await f.channels.channel(id)).to.deep.equal(channelStruct(DEPOSIT, 0n, expiresAt, CHALLENGE));
      });

      it("escrows the deposit; emits ChannelOpened with the nonce", async function () {
        const f = await loadFixture(world);
        const expiresAt = (await time.latest()) + LIFETIME;
        const nonce = ((BigInt(await ethers.provider.getBlockNumber()) + 1n) << 32n) | 5n;
        const id = channelIdOf({ payer: f.payer.address, payee: f.payee.address, nonce });
        await expect(f.channels.connect(f.payer.wallet).open(f.payee.address, 5, DEPOSIT, expiresAt, CHALLENGE))
          .to.emit(f.channels, "ChannelOpened")
          .withArgs(id, f.payer.address, f.payee.address, nonce, DEPOSIT, expiresAt, CHALLENGE);
        expect(await holdings(f)).to.deep.equal({
          payer: FUNDS - DEPOSIT,
          payer2: FUNDS,
          payee: 0n,
          channels: DEPOSIT,
        });
      });

      it("counts an open obligation of the payer's member and of the payee's member", async function () {
        const f = await loadFixture(world);
        await open(f);
        expect(await f.channels.openObligations(f.payerId)).to.equal(1n);
        expect(await f.channels.openObligations(f.payeeId)).to.equal(1n);
        expect(await f.channels.openObligations(f.payer2Id)).to.equal(0n);
        await open(f, { payer: f.payer2 });
        await open(f, { salt: 2 });
        expect(await f.channels.openObligations(f.payerId)).to.equal(2n);
        expect(await f.channels.openObligations(f.payer2Id)).to.equal(1n);
        expect(await f.channels.openObligations(f.payeeId)).to.equal(3n);
      });

      it("takes a hold on the payer's account in the token (one per channel), none on the payee's", async function () {
        const f = await loadFixture(world);
        await open(f);
        expect(await f.token.holdsOf(f.payer.address)).to.equal(1n);
        await open(f, { salt: 2 });
        await open(f, { payer: f.payer2 });
        expect(await f.token.holdsOf(f.payer.address)).to.equal(2n);
        expect(await f.token.holdsOf(f.payer2.address)).to.equal(1n);
        expect(await f.token.holdsOf(f.payee.address)).to.equal(0n);
      });

      it("the same salt in a later block opens another channel", async function () {
        const f = await loadFixture(world);
        const first = await open(f, { salt: 9 });
        const second = await open(f, { salt: 9 });
        expect(second.id).to.not.equal(first.id);
        expect(second.key.nonce - first.key.nonce).to.equal(1n << 32n);
        expect((await f.channels.channel(first.id)).deposit).to.equal(DEPOSIT);
        expect((await f.channels.channel(second.id)).deposit).to.equal(DEPOSIT);
        expect(await holdings(f)).to.deep.equal({
          payer: FUNDS - 2n * DEPOSIT,
          payer2: FUNDS,
          payee: 0n,
          channels: 2n * DEPOSIT,
        });
      });
    });
  });

  describe("openWithPermit", function () {
    async function withPermit() {
      const f = await loadFixture(world);
      await f.token.connect(f.payer.wallet).approve(f.domain.channels, 0n);
      const deadline = BigInt(await time.latest()) + 3600n;
      const signature = await f.payer.account.signTypedData({
        domain: tokenDomain(await f.token.name(), f.domain.chainId, getAddress(await f.token.getAddress())),
        types: permitTypes,
        primaryType: "Permit",
        message: {
          owner: f.payer.address,
          spender: f.domain.channels,
          value: DEPOSIT,
          nonce: await f.token.nonces(f.payer.address),
          deadline,
        },
      });
      const { v, r, s } = parseSignature(signature);
      const expiresAt = (await time.latest()) + LIFETIME;
      const openWith = (permit: { v: number; r: Hex; s: Hex }) =>
        f.channels
          .connect(f.payer.wallet)
          .openWithPermit(f.payee.address, 1, DEPOSIT, expiresAt, CHALLENGE, deadline, permit.v, permit.r, permit.s);
      return { f, deadline, permit: { v: Number(v), r, s }, openWith, expiresAt };
    }

    describe("when the permit is valid", function () {
      it("opens the channel without a prior approval", async function () {
        const { f, permit, openWith, expiresAt } = await withPermit();
        const nonce = ((BigInt(await ethers.provider.getBlockNumber()) + 1n) << 32n) | 1n;
        const id = channelIdOf({ payer: f.payer.address, payee: f.payee.address, nonce });
        await expect(openWith(permit))
          .to.emit(f.channels, "ChannelOpened")
          .withArgs(id, f.payer.address, f.payee.address, nonce, DEPOSIT, expiresAt, CHALLENGE);
        expect(await f.token.nonces(f.payer.address)).to.equal(1n);
        expect(await f.token.allowance(f.payer.address, f.domain.channels)).to.equal(0n);
        expect(await f.token.holdsOf(f.payer.address)).to.equal(1n);
        expect(await holdings(f)).to.deep.equal({
          payer: FUNDS - DEPOSIT,
          payer2: FUNDS,
          payee: 0n,
          channels: DEPOSIT,
        });
      });
    });

    describe("when the permit was used already (front-run)", function () {
      it("opens with the allowance the permit set", async function () {
        const { f, deadline, permit, openWith } = await withPermit();
        await f.token
          .connect(f.outsider)
          .permit(f.payer.address, f.domain.channels, DEPOSIT, deadline, permit.v, permit.r, permit.s);
        await expect(openWith(permit)).to.emit(f.channels, "ChannelOpened");
        expect(await f.token.allowance(f.payer.address, f.domain.channels)).to.equal(0n);
        expect(await holdings(f)).to.deep.equal({
          payer: FUNDS - DEPOSIT,
          payer2: FUNDS,
          payee: 0n,
          channels: DEPOSIT,
        });
      });
    });

    describe("when the permit is invalid and nothing is approved", function () {
      it("reverts with ERC20InsufficientAllowance", async function () {
        const { f, permit, openWith } = await withPermit();
        await expect(openWith({ ...permit, s: toHex(1n, { size: 32 }) }))
          .to.be.revertedWithCustomError(f.token, "ERC20InsufficientAllowance")
          .withArgs(f.domain.channels, 0n, DEPOSIT);
        expect(await holdings(f)).to.deep.equal({ payer: FUNDS, payer2: FUNDS, payee: 0n, channels: 0n });
      });
    });
  });

  describe("topUp", function () {
    describe("when no channel has the id", function () {
      it("reverts with PaymentChannelsUnknownChannel", async function () {
        const f = await loadFixture(opened);
        const nonce = f.key.nonce + 1n;
        await expect(f.channels.connect(f.payer.wallet).topUp(f.payee.address, nonce, 1n))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsUnknownChannel")
          .withArgs(channelIdOf({ ...f.key, nonce }));
      });
    });

    describe("when the caller is not the payer", function () {
      it("reverts with PaymentChannelsUnknownChannel (the id the caller names as payer)", async function () {
        const f = await loadFixture(opened);
        await expect(f.channels.connect(f.payer2.wallet).topUp(f.payee.address, f.key.nonce, 1n))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsUnknownChannel")
          .withArgs(channelIdOf({ ...f.key, payer: f.payer2.address }));
      });
    });

    describe("when the channel is closing", function () {
      it("reverts with PaymentChannelsClosing", async function () {
        const f = await loadFixture(opened);
        await f.channels.connect(f.payer.wallet).requestClose(f.payee.address, f.key.nonce);
        const { deadline } = await f.channels.channel(f.id);
        await expect(f.channels.connect(f.payer.wallet).topUp(f.payee.address, f.key.nonce, 1n))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsClosing")
          .withArgs(f.id, deadline);
      });
    });

    describe("when the deadline has passed", function () {
      it("reverts with PaymentChannelsPastDeadline", async function () {
        const f = await loadFixture(opened);
        await time.setNextBlockTimestamp(f.expiresAt);
        await expect(f.channels.connect(f.payer.wallet).topUp(f.payee.address, f.key.nonce, 1n))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsPastDeadline")
          .withArgs(f.id, f.expiresAt);
      });
    });

    describe("when the amount is zero", function () {
      it("reverts with PaymentChannelsInvalidDeposit(0)", async function () {
        const f = await loadFixture(opened);
        await expect(f.channels.connect(f.payer.wallet).topUp(f.payee.address, f.key.nonce, 0n))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsInvalidDeposit")
          .withArgs(0n);
        expect((await f.channels.channel(f.id)).deposit).to.equal(DEPOSIT);
      });
    });

    describe("when the new deposit is above 2^96 - 1", function () {
      it("reverts with PaymentChannelsInvalidDeposit(new deposit)", async function () {
        const f = await loadFixture(opened);
        const amount = MAX_UINT96 - DEPOSIT + 1n;
        await expect(f.channels.connect(f.payer.wallet).topUp(f.payee.address, f.key.nonce, amount))
          .to.be.revertedWithCustomError(f.channels, "PaymentChannelsInvalidDeposit")
          .withArgs(MAX_UINT96 + 1n);
      });
    });

    describe("when valid", function () {
      it("adds to the deposit and escrows it; emits ChannelToppedUp", async function () {
        const f = await loadFixture(opened);
        await claim(f, f.key, 7n);
        const more = parseEuro("50");
        await expect(f.channels.connect(f.payer.wallet).topUp(f.payee.address, f.key.nonce, more))
          .to.emit(f.channels, "ChannelToppedUp")
          .withArgs(f.id, DEPOSIT + more);
        expect(await f.channels.channel(f.id)).to.deep.equal(channelStruct(DEPOSIT + more, 7n, f.expiresAt, CHALLENGE));
        // The channel's hold was taken at opening; a top-up adds none.
        expect(await f.token.holdsOf(f.payer.address)).to.equal(1n);
        expect(await holdings(f)).to.deep.equal({
          payer: FUNDS - DEPOSIT - more,
          payer2: FUNDS,
          payee: 7n,
          channels: DEPOSIT + more - 7n,
        });
        // The larger deposit pays a larger voucher.
        await claim(f, f.key, DEPOSIT + more);
        expect(await holdings(f)).to.deep.equal({
          payer: FUNDS - DEPOSIT - more,
          payer2: FUNDS,
          payee: DEPOSIT + more,
          channels: 0n,
        });
      });
    });
  });
});
