/*
voucher.tree — src/core/voucher.ts and the typed data of src/core/typed-data.ts against the contract (a
PaymentChannels without a Consortium, on PlainERC20). Inputs are pseudo-random from fixed seeds, so a failure repeats.

typed data
├── channelsDomain ───────────────────────────────────────── the contract's EIP-5267 eip712Domain
├── voucherDigest of seeded vouchers (and the largest values) ── the contract's voucherDigest
├── closeDigest of seeded ids and amounts ────────────────── the contract's closeDigest
└── channelIdOf of seeded parties and nonces ─────────────── the contract's channelId
compact
├── it keeps r, s and the parity (both parities seen) ────── compactSignatureToSignature gives parseSignature back
└── (r, vs) recovers the signer over the digest ──────────── as the contract's claim recovers it
wallet-style signing (eth_signTypedData_v4 through the node)
├── a voucher signed with voucherTypes ───────────────────── the contract pays it
└── a close authorisation signed with closeAuthorizationTypes  the contract closes with it
signVoucher
└── when the amount is not positive ──────────────────────── it throws a RangeError
*/
import { expect } from "chai";
import { network } from "hardhat";
import {
  compactSignatureToSignature,
  getAddress,
  keccak256,
  parseSignature,
  recoverAddress,
  sliceHex,
  stringToHex,
  toHex,
  zeroAddress,
  type Address,
  type Hex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";

import {
  NO_USAGE,
  channelIdOf,
  closeDigest,
  compact,
  signVoucher,
  voucherDigest,
  type ChannelsDomain,
  type Voucher,
} from "../../src/core/voucher.js";
import { channelsDomain, closeAuthorizationTypes, voucherTypes } from "../../src/core/typed-data.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;

const MAX_UINT96 = 2n ** 96n - 1n;
const MAX_UINT256 = 2n ** 256n - 1n;
const DEPOSIT = 1_000_000n;
/** The typed-data definitions as the mutable objects ethers' signer expects. */
const VOUCHER_TYPES = { Voucher: voucherTypes.Voucher.map((field) => ({ ...field })) };
const CLOSE_TYPES = { CloseAuthorization: closeAuthorizationTypes.CloseAuthorization.map((field) => ({ ...field })) };

/** A channels deployment without a Consortium; the first account holds the plain token and approved it. */
async function deployment() {
  const [payer, payee] = await ethers.getSigners();
  const plain = await ethers.deployContract("PlainERC20", ["Plain", "PLN", payer!.address, DEPOSIT]);
  const channels = await ethers.deployContract("PaymentChannels", [await plain.getAddress(), zeroAddress, 60]);
  const { chainId } = await ethers.provider.getNetwork();
  const domain: ChannelsDomain = { chainId: Number(chainId), channels: getAddress(await channels.getAddress()) };
  await plain.connect(payer!).approve(domain.channels, DEPOSIT);
  return { plain, channels, domain, payer: payer!, payee: payee! };
}

/** The `i`-th pseudo-random 32 bytes of stream `label`. */
const seeded = (label: string, i: number): Hex => keccak256(stringToHex(`${label} ${i}`));
const addressOf = (h: Hex): Address => getAddress(sliceHex(h, 12));

function seededVouchers(): Voucher[] {
  const vouchers: Voucher[] = [];
  for (let i = 0; i < 5; i++) {
    vouchers.push({
      payee: addressOf(seeded("payee", i)),
      nonce: BigInt(seeded("nonce", i)) & MAX_UINT96,
      amount: BigInt(seeded("amount", i)) >> BigInt(8 * i * 6),
      usage: i === 0 ? NO_USAGE : seeded("usage", i),
    });
  }
  vouchers.push({
    payee: getAddress(`0x${"ff".repeat(20)}`),
    nonce: MAX_UINT96,
    amount: MAX_UINT256,
    usage: seeded("usage", 9),
  });
  return vouchers;
}

describe("channel vouchers (src/core/voucher.ts)", function () {
  describe("typed data", function () {
    it("channelsDomain is the contract's EIP-5267 eip712Domain", async function () {
      const { channels, domain } = await loadFixture(deployment);
      const [, name, version, chainId, verifyingContract] = await channels.eip712Domain();
      const expected = channelsDomain(domain.chainId, domain.channels);
      expect({ name, version, chainId: Number(chainId), verifyingContract }).to.deep.equal(expected);
    });

    it("voucherDigest of seeded vouchers (and the largest values) is the contract's voucherDigest", async function () {
      const { channels, domain } = await loadFixture(deployment);
      for (const v of seededVouchers()) {
        expect(await channels.voucherDigest(v.payee, v.nonce, v.amount, v.usage)).to.equal(voucherDigest(domain, v));
      }
    });

    it("closeDigest of seeded ids and amounts is the contract's closeDigest", async function () {
      const { channels, domain } = await loadFixture(deployment);
      for (let i = 0; i < 5; i++) {
        const id = seeded("channel", i);
        const amount = i === 4 ? MAX_UINT256 : BigInt(seeded("close amount", i)) >> BigInt(40 * i);
        expect(await channels.closeDigest(id, amount)).to.equal(closeDigest(domain, id, amount));
      }
    });

    it("channelIdOf of seeded parties and nonces is the contract's channelId", async function () {
      const { channels } = await loadFixture(deployment);
      for (let i = 0; i < 5; i++) {
        const key = {
          payer: addressOf(seeded("payer", i)),
          payee: addressOf(seeded("payee", i)),
          nonce: i === 4 ? MAX_UINT96 : BigInt(seeded("nonce", i)) & MAX_UINT96,
        };
        expect(await channels.channelId(key.payer, key.payee, key.nonce)).to.equal(channelIdOf(key));
      }
    });
  });

  describe("compact", function () {
    it("keeps r, s and the parity (both parities seen): compactSignatureToSignature gives parseSignature back", async function () {
      const { domain } = await loadFixture(deployment);
      const parities = new Set<number>();
      for (let i = 0; i < 16; i++) {
        const payer = privateKeyToAccount(seeded("payer key", i));
        const v = { payee: addressOf(seeded("payee", i)), nonce: BigInt(i), amount: BigInt(i + 1), usage: NO_USAGE };
        const { signature } = await signVoucher(payer, domain, v);
        const { r, vs } = compact(signature);
        const full = parseSignature(signature);
        const back = compactSignatureToSignature({ r, yParityAndS: vs });
        expect([back.r, back.s, back.yParity]).to.deep.equal([full.r, full.s, full.yParity]);
        parities.add(full.yParity!);
      }
      expect([...parities].sort()).to.deep.equal([0, 1]);
    });

    it("(r, vs) recovers the signer over the digest, as the contract's claim recovers it", async function () {
      const { domain } = await loadFixture(deployment);
      for (let i = 0; i < 8; i++) {
        const payer = privateKeyToAccount(seeded("payer key", i));
        const v = { payee: addressOf(seeded("payee", i)), nonce: BigInt(i), amount: 10n ** BigInt(i), usage: NO_USAGE };
        const { r, vs } = compact((await signVoucher(payer, domain, v)).signature);
        const raw = BigInt(vs);
        const signature = { r, s: toHex(raw & (2n ** 255n - 1n), { size: 32 }), yParity: Number(raw >> 255n) };
        expect(await recoverAddress({ hash: voucherDigest(domain, v), signature })).to.equal(payer.address);
      }
    });
  });

  describe("wallet-style signing (eth_signTypedData_v4 through the node)", function () {
    it("a voucher signed with voucherTypes: the contract pays it", async function () {
      const { plain, channels, domain, payer, payee } = await loadFixture(deployment);
      const expiresAt = (await time.latest()) + 86_400;
      await channels.connect(payer).open(payee.address, 1, DEPOSIT, expiresAt, 60);
      const nonce = (BigInt(await ethers.provider.getBlockNumber()) << 32n) | 1n;
      const message = { payee: payee.address, nonce, amount: 250n, usage: seeded("usage", 1) };
      const signature = await payer.signTypedData(
        channelsDomain(domain.chainId, domain.channels),
        VOUCHER_TYPES,
        message,
      );
      const { r, vs } = compact(signature as Hex);
      const id = channelIdOf({ payer: getAddress(payer.address), payee: getAddress(payee.address), nonce });
      await expect(channels.connect(payee).claim(nonce, 250n, message.usage, r, vs))
        .to.emit(channels, "ChannelClaimed")
        .withArgs(id, 250n, message.usage);
      expect(await plain.balanceOf(payee.address)).to.equal(250n);
      expect(await plain.balanceOf(domain.channels)).to.equal(DEPOSIT - 250n);
      expect(await plain.balanceOf(payer.address)).to.equal(0n);
    });

    it("a close authorisation signed with closeAuthorizationTypes: the contract closes with it", async function () {
      const { plain, channels, domain, payer, payee } = await loadFixture(deployment);
      const expiresAt = (await time.latest()) + 86_400;
      await channels.connect(payer).open(payee.address, 1, DEPOSIT, expiresAt, 60);
      const nonce = (BigInt(await ethers.provider.getBlockNumber()) << 32n) | 1n;
      const id = channelIdOf({ payer: getAddress(payer.address), payee: getAddress(payee.address), nonce });
      const signature = await payee.signTypedData(channelsDomain(domain.chainId, domain.channels), CLOSE_TYPES, {
        channel: id,
        amount: 400n,
      });
      const { r, vs } = compact(signature as Hex);
      await expect(channels.connect(payer).closeCooperatively(payee.address, nonce, 400n, r, vs))
        .to.emit(channels, "ChannelClosed")
        .withArgs(id, 400n, DEPOSIT - 400n);
      expect(await plain.balanceOf(payee.address)).to.equal(400n);
      expect(await plain.balanceOf(payer.address)).to.equal(DEPOSIT - 400n);
      expect(await plain.balanceOf(domain.channels)).to.equal(0n);
    });
  });

  describe("signVoucher", function () {
    describe("when the amount is not positive", function () {
      it("throws a RangeError", async function () {
        const payer = privateKeyToAccount(seeded("payer key", 0));
        const domain = { chainId: 1, channels: addressOf(seeded("channels", 0)) };
        for (const amount of [0n, -1n]) {
          let thrown: unknown;
          await signVoucher(payer, domain, { payee: payer.address, nonce: 1n, amount, usage: NO_USAGE }).catch(
            (error: unknown) => (thrown = error),
          );
          expect(thrown).to.be.instanceOf(RangeError);
        }
      });
    });
  });
});
