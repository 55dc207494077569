/*
PaymentChannels without a Consortium — the branches, written down first; one `it` per leaf. Who may call each function
(every member role, an outsider, the issuer's keys) is the role matrix's (test/RoleMatrix/); that the TypeScript
typed data agrees with the contract is test/core/voucher.ts's. Every money movement is checked on the balances of
both payers, the payee and the contract.

without a Consortium (PlainERC20)
├── anyone opens to anyone, with no role checks; claims, closes and settles as usual
├── the payee releases a channel ─────────────────────────── the rest goes back; with nothing left, no transfer
├── openWithPermit on a token without permits ────────────── the failed permit is ignored; the approval pays
├── openObligations ──────────────────────────────────────── 0 for any member id
└── setMinChallengePeriod ────────────────────────────────── it reverts with PaymentChannelsUngoverned
*/
import { expect } from "chai";
import { getAddress, toHex, zeroAddress } from "viem";

import {
  NO_USAGE,
  compact,
  signCloseAuthorization,
  signVoucher,
  type ChannelsDomain,
} from "../../../src/core/voucher.js";
import type { PaymentChannels, PlainERC20 } from "../../../typechain-types/index.js";
import {
  DEPOSIT,
  ethers,
  FUNDS,
  LIFETIME,
  loadFixture,
  MIN_CHALLENGE,
  newParty,
  opened,
  openedBy,
  type Party,
  time,
  USAGE,
} from "./fixture.js";

describe("PaymentChannels", function () {
  describe("without a Consortium (PlainERC20)", function () {
    interface Plain {
      plain: PlainERC20;
      channels: PaymentChannels;
      payer: Party;
      payee: Party;
      domain: ChannelsDomain;
    }

    async function ungoverned(): Promise<Plain> {
      const [payer, payee] = [await newParty(), await newParty()];
      const plain = await ethers.deployContract("PlainERC20", ["Plain", "PLN", payer.address, FUNDS]);
      const channels = await ethers.deployContract("PaymentChannels", [
        await plain.getAddress(),
        zeroAddress,
        MIN_CHALLENGE,
      ]);
      const { chainId } = await ethers.provider.getNetwork();
      const domain = { chainId: Number(chainId), channels: getAddress(await channels.getAddress()) };
      await plain.connect(payer.wallet).approve(domain.channels, FUNDS);
      return { plain, channels, payer, payee, domain };
    }

    const plainHoldings = async (p: Plain) => ({
      payer: await p.plain.balanceOf(p.payer.address),
      payee: await p.plain.balanceOf(p.payee.address),
      channels: await p.plain.balanceOf(p.domain.channels),
    });

    it("anyone opens to anyone, with no role checks; claims, closes and settles as usual", async function () {
      const p = await loadFixture(ungoverned);
      expect(await p.channels.consortium()).to.equal(zeroAddress);
      expect(await p.channels.token()).to.equal(await p.plain.getAddress());
      const expiresAt = (await time.latest()) + LIFETIME;
      const asPayer = p.channels.connect(p.payer.wallet);
      const first = openedBy(
        p.channels,
        await (await asPayer.open(p.payee.address, 1, DEPOSIT, expiresAt, MIN_CHALLENGE)).wait(),
        p.payer.address,
        p.payee.address,
      );
      const second = openedBy(
        p.channels,
        await (await asPayer.open(p.payee.address, 2, DEPOSIT, expiresAt, MIN_CHALLENGE)).wait(),
        p.payer.address,
        p.payee.address,
      );
      expect(await plainHoldings(p)).to.deep.equal({ payer: FUNDS - 2n * DEPOSIT, payee: 0n, channels: 2n * DEPOSIT });

      const signed = compact(
        (await signVoucher(p.payer.account, p.domain, { ...first.key, amount: 40n, usage: USAGE })).signature,
      );
      await expect(p.channels.connect(p.payee.wallet).claim(first.key.nonce, 40n, USAGE, signed.r, signed.vs))
        .to.emit(p.channels, "ChannelClaimed")
        .withArgs(first.id, 40n, USAGE);
      expect(await plainHoldings(p)).to.deep.equal({
        payer: FUNDS - 2n * DEPOSIT,
        payee: 40n,
        channels: 2n * DEPOSIT - 40n,
      });

      const agreed = compact(await signCloseAuthorization(p.payee.account, p.domain, first.id, 50n));
      await expect(asPayer.closeCooperatively(p.payee.address, first.key.nonce, 50n, agreed.r, agreed.vs))
        .to.emit(p.channels, "ChannelClosed")
        .withArgs(first.id, 50n, DEPOSIT - 50n);
      expect(await plainHoldings(p)).to.deep.equal({ payer: FUNDS - DEPOSIT - 50n, payee: 50n, channels: DEPOSIT });

      await asPayer.requestClose(p.payee.address, second.key.nonce);
      await time.increase(MIN_CHALLENGE);
      await expect(p.channels.settle(p.payer.address, p.payee.address, second.key.nonce))
        .to.emit(p.channels, "ChannelClosed")
        .withArgs(second.id, 0n, DEPOSIT);
      expect(await plainHoldings(p)).to.deep.equal({ payer: FUNDS - 50n, payee: 50n, channels: 0n });
    });

    it("the payee releases a channel: the rest goes back; a release with nothing left transfers nothing", async function () {
      const p = await loadFixture(ungoverned);
      const expiresAt = (await time.latest()) + LIFETIME;
      const asPayer = p.channels.connect(p.payer.wallet);
      const opened = async (salt: number) =>
        openedBy(
          p.channels,
          await (await asPayer.open(p.payee.address, salt, DEPOSIT, expiresAt, MIN_CHALLENGE)).wait(),
          p.payer.address,
          p.payee.address,
        );
      const first = await opened(1);
      const second = await opened(2);
      const signed = compact(
        (await signVoucher(p.payer.account, p.domain, { ...second.key, amount: DEPOSIT, usage: NO_USAGE })).signature,
      );
      await p.channels.connect(p.payee.wallet).claim(second.key.nonce, DEPOSIT, NO_USAGE, signed.r, signed.vs);
      await expect(p.channels.connect(p.payee.wallet).release(p.payer.address, first.key.nonce))
        .to.emit(p.channels, "ChannelClosed")
        .withArgs(first.id, 0n, DEPOSIT)
        .and.to.emit(p.plain, "Transfer")
        .withArgs(p.domain.channels, p.payer.address, DEPOSIT);
      await expect(p.channels.connect(p.payee.wallet).release(p.payer.address, second.key.nonce))
        .to.emit(p.channels, "ChannelClosed")
        .withArgs(second.id, DEPOSIT, 0n)
        .and.not.to.emit(p.plain, "Transfer");
      expect(await plainHoldings(p)).to.deep.equal({ payer: FUNDS - DEPOSIT, payee: DEPOSIT, channels: 0n });
    });

    it("openWithPermit on a token without permits: the failed permit is ignored; the approval pays", async function () {
      const p = await loadFixture(ungoverned);
      const expiresAt = (await time.latest()) + LIFETIME;
      const zero = toHex(0n, { size: 32 });
      await expect(
        p.channels
          .connect(p.payer.wallet)
          .openWithPermit(p.payee.address, 1, DEPOSIT, expiresAt, MIN_CHALLENGE, expiresAt, 27, zero, zero),
      ).to.emit(p.channels, "ChannelOpened");
      expect(await plainHoldings(p)).to.deep.equal({ payer: FUNDS - DEPOSIT, payee: 0n, channels: DEPOSIT });
    });

    it("openObligations is 0 for any member id", async function () {
      const p = await loadFixture(ungoverned);
      await p.channels
        .connect(p.payer.wallet)
        .open(p.payee.address, 1, DEPOSIT, (await time.latest()) + LIFETIME, MIN_CHALLENGE);
      for (const id of [0n, 1n, 2n ** 64n - 1n]) expect(await p.channels.openObligations(id)).to.equal(0n);
    });

    it("setMinChallengePeriod reverts with PaymentChannelsUngoverned", async function () {
      const p = await loadFixture(ungoverned);
      await expect(p.channels.connect(p.payer.wallet).setMinChallengePeriod(60))
        .to.be.revertedWithCustomError(p.channels, "PaymentChannelsUngoverned")
        .withArgs();
    });
  });
});
