/*
PaymentChannels.tree — the branches, written down first; one `it` per leaf. Who may call each function (every
member role, an outsider, the issuer's keys) is the role matrix's (test/RoleMatrix.ts); that the TypeScript typed
data agrees with the contract is test/core/voucher.ts's. Every money movement is checked on the balances of
both payers, the payee and the contract.

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
views
├── channelId is channelIdOf(payer, payee, nonce) ─────────── for the fixture's channel and edge values
├── channel of an unknown id ─────────────────────────────── all zeros
├── voucherDigest and closeDigest ────────────────────────── the TypeScript voucherDigest and closeDigest
├── supportsInterface ────────────────────────────────────── IPaymentChannels, IObligations, IERC165; nothing else
└── token, consortium, minChallengePeriod ────────────────── the deployment's (one hour by default)
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
without a Consortium (PlainERC20)
├── anyone opens to anyone, with no role checks; claims, closes and settles as usual
├── the payee releases a channel ─────────────────────────── the rest goes back; with nothing left, no transfer
├── openWithPermit on a token without permits ────────────── the failed permit is ignored; the approval pays
├── openObligations ──────────────────────────────────────── 0 for any member id
└── setMinChallengePeriod ────────────────────────────────── it reverts with PaymentChannelsUngoverned
*/
import { expect } from "chai";
import { Interface, type ContractTransactionReceipt, type Wallet } from "ethers";
import hre, { network } from "hardhat";
import { getAddress, parseSignature, recoverAddress, toHex, zeroAddress, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";

import {
  NO_USAGE,
  channelIdOf,
  closeDigest,
  compact,
  signCloseAuthorization,
  signVoucher,
  voucherDigest,
  type ChannelKey,
  type ChannelsDomain,
} from "../../src/core/voucher.js";
import { AccountStanding, Role, roleMask } from "../../src/core/membership.js";
import { parseEuro } from "../../src/core/money.js";
import { referenceHash } from "../../src/core/references.js";
import { permitTypes, tokenDomain } from "../../src/core/typed-data.js";
import type { PaymentChannels, PlainERC20 } from "../../typechain-types/index.js";
import { AGREEMENT_V1, marketFixture, mintTo, type MarketFixture } from "../helpers/fixtures.js";
import { IERC165_SIGNATURES, functionSignatures, interfaceIdOf, ownFunctions } from "../helpers/interfaceId.js";
import { AGREEMENT_V2 } from "../helpers/registry.js";
import { SECP256K1_N } from "../helpers/permit.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;
const deployMarket = marketFixture(connection);

const FUNDS = parseEuro("1000");
const DEPOSIT = parseEuro("100");
const DAY = 86_400;
const CHALLENGE = DAY;
const LIFETIME = 30 * DAY;
const MIN_CHALLENGE = 3600;
const MAX_UINT96 = 2n ** 96n - 1n;
const LOW_255_BITS = 2n ** 255n - 1n;
const USAGE = referenceHash("usage increment 1: 480 machine seconds");

/** A key whose private key we hold (vouchers are signed off-chain), funded with ether, as a wallet on the network. */
interface Party {
  account: PrivateKeyAccount;
  wallet: Wallet;
  address: Address;
}

interface Signature {
  r: Hex;
  vs: Hex;
}

interface World extends MarketFixture {
  /** Consumers, each a member of its own, holding FUNDS and having approved the channels for them. */
  payer: Party;
  payer2: Party;
  /** A provider, a member of its own, holding nothing. */
  payee: Party;
  payerId: bigint;
  payer2Id: bigint;
  payeeId: bigint;
  domain: ChannelsDomain;
}

interface Opened extends World {
  /** The payer's channel to the payee: DEPOSIT, a day's challenge period, expiring in 30 days, salt 1. */
  key: ChannelKey;
  id: Hex;
  expiresAt: number;
}

async function newParty(): Promise<Party> {
  const privateKey = generatePrivateKey();
  const account = privateKeyToAccount(privateKey);
  await networkHelpers.setBalance(account.address, 10n ** 20n);
  return { account, wallet: new ethers.Wallet(privateKey, ethers.provider), address: account.address };
}

/** Admits `party` as a member of its own holding `role`; the member accepts the framework agreement in force. */
async function admit(f: MarketFixture, party: Party, role: Role): Promise<bigint> {
  await f.consortium
    .connect(f.operator)
    .admit([party.address], roleMask(role), referenceHash(`member ${party.address}`));
  await f.consortium.connect(party.wallet).acceptAgreement(AGREEMENT_V1);
  return f.consortium.memberCount();
}

async function world(): Promise<World> {
  const f = await deployMarket();
  const [payer, payer2, payee] = [await newParty(), await newParty(), await newParty()];
  const payerId = await admit(f, payer, Role.Consumer);
  const payer2Id = await admit(f, payer2, Role.Consumer);
  const payeeId = await admit(f, payee, Role.Provider);
  const channels = getAddress(await f.channels.getAddress());
  for (const p of [payer, payer2]) {
    await mintTo(f, p.address, FUNDS);
    await f.token.connect(p.wallet).approve(channels, FUNDS);
  }
  const { chainId } = await ethers.provider.getNetwork();
  const domain = { chainId: Number(chainId), channels };
  return { ...f, payer, payer2, payee, payerId, payer2Id, payeeId, domain };
}

async function opened(): Promise<Opened> {
  const f = await world();
  const expiresAt = (await time.latest()) + LIFETIME;
  const { key, id } = await open(f, { expiresAt });
  return { ...f, key, id, expiresAt };
}

interface OpenOptions {
  payer?: Party;
  payee?: Address;
  salt?: number;
  deposit?: bigint;
  expiresAt?: number;
  challenge?: number;
}

/** Opens a channel (payer → payee, DEPOSIT, expiring in 30 days, a day's challenge period, salt 1 by default). */
async function open(f: World, o: OpenOptions = {}): Promise<{ key: ChannelKey; id: Hex }> {
  const payer = o.payer ?? f.payer;
  const payee = o.payee ?? f.payee.address;
  const expiresAt = o.expiresAt ?? (await time.latest()) + LIFETIME;
  const tx = await f.channels
    .connect(payer.wallet)
    .open(payee, o.salt ?? 1, o.deposit ?? DEPOSIT, expiresAt, o.challenge ?? CHALLENGE);
  return openedBy(f.channels, await tx.wait(), payer.address, payee);
}

function openedBy(
  channels: PaymentChannels,
  receipt: ContractTransactionReceipt | null,
  payer: Address,
  payee: Address,
) {
  for (const log of receipt!.logs) {
    const event = channels.interface.parseLog(log);
    if (event?.name === "ChannelOpened") {
      const key: ChannelKey = { payer, payee: getAddress(payee), nonce: event.args.nonce as bigint };
      return { key, id: event.args.channelId as Hex };
    }
  }
  throw new Error("open emitted no ChannelOpened event");
}

/** The payer's voucher for `amount` in all on channel `key`, compact. */
async function voucher(
  f: World,
  key: ChannelKey,
  amount: bigint,
  o: { usage?: Hex; signer?: Party; domain?: ChannelsDomain } = {},
): Promise<Signature> {
  const signed = await signVoucher((o.signer ?? f.payer).account, o.domain ?? f.domain, {
    payee: key.payee,
    nonce: key.nonce,
    amount,
    usage: o.usage ?? NO_USAGE,
  });
  return compact(signed.signature);
}

/** The payee claims its channel `key`'s voucher for `amount` in all. */
async function claim(f: World, key: ChannelKey, amount: bigint, usage: Hex = NO_USAGE) {
  const { r, vs } = await voucher(f, key, amount, { usage });
  return f.channels.connect(f.payee.wallet).claim(key.nonce, amount, usage, r, vs);
}

/** The payee's close authorisation for `amount` in all, compact. */
async function authorization(f: World, id: Hex, amount: bigint, signer: Party = f.payee): Promise<Signature> {
  return compact(await signCloseAuthorization(signer.account, f.domain, id, amount));
}

async function closeCooperatively(f: World, key: ChannelKey, amount: bigint) {
  const { r, vs } = await authorization(f, channelIdOf(key), amount);
  return f.channels.connect(f.payer.wallet).closeCooperatively(key.payee, key.nonce, amount, r, vs);
}

/** The address the contract recovers from a compact (r, vs) over `digest`: s is vs's low 255 bits, v its top bit. */
function recoveredFrom(digest: Hex, { r, vs }: Signature): Promise<Address> {
  const raw = BigInt(vs);
  return recoverAddress({
    hash: digest,
    signature: { r, s: toHex(raw & LOW_255_BITS, { size: 32 }), yParity: Number(raw >> 255n) },
  });
}

/**
 * The high-s twin (r, n - s, parity flipped) of a compact signature, packed the only way EIP-2098 can: with
 * n - s > 2^255 (for all but about 2^-127 of signatures) the top bit of s' collides with the parity bit.
 */
function highSTwin({ r, vs }: Signature): Signature {
  const s = BigInt(vs) & LOW_255_BITS;
  const parity = BigInt(vs) >> 255n;
  return { r, vs: toHex(((1n - parity) << 255n) | (SECP256K1_N - s), { size: 32 }) };
}

/** Token balances of both payers, the payee and the channels contract. */
async function holdings(f: World) {
  return {
    payer: await f.token.balanceOf(f.payer.address),
    payer2: await f.token.balanceOf(f.payer2.address),
    payee: await f.token.balanceOf(f.payee.address),
    channels: await f.token.balanceOf(f.domain.channels),
  };
}

/** Runs `send` with automine off, so that every transaction it sends lands in one block; mines that block. */
async function inOneBlock(send: () => Promise<void>): Promise<void> {
  await connection.provider.request({ method: "evm_setAutomine", params: [false] });
  try {
    await send();
    await networkHelpers.mine();
  } finally {
    await connection.provider.request({ method: "evm_setAutomine", params: [true] });
  }
}

/** Explicit gas: with automine off, an estimate would run before the earlier transactions of the block. */
const GAS = { gasLimit: 500_000n };

/** `signer`'s member asks to leave and waits out the notice period; returns the member's id. */
async function requestExitAndWait(f: World, signer: Wallet): Promise<bigint> {
  await f.consortium.connect(signer).requestExit();
  const [id] = await f.consortium.memberOf(signer.address);
  await time.increaseTo((await f.consortium.getMember(id)).exitEffectiveAt);
  return id;
}

const channelStruct = (deposit: bigint, claimed: bigint, deadline: number | bigint, challengePeriod: number) => [
  deposit,
  claimed,
  BigInt(deadline),
  BigInt(challengePeriod),
];

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

  describe("views", function () {
    it("channelId is channelIdOf(payer, payee, nonce), for the fixture's channel and edge values", async function () {
      const f = await loadFixture(opened);
      expect(await f.channels.channelId(f.key.payer, f.key.payee, f.key.nonce)).to.equal(f.id);
      expect(f.id).to.equal(channelIdOf(f.key));
      for (const key of [
        { payer: zeroAddress, payee: zeroAddress, nonce: 0n },
        { payer: getAddress(`0x${"ff".repeat(20)}`), payee: f.payee.address, nonce: MAX_UINT96 },
      ]) {
        expect(await f.channels.channelId(key.payer, key.payee, key.nonce)).to.equal(channelIdOf(key));
      }
    });

    it("channel of an unknown id is all zeros", async function () {
      const f = await loadFixture(opened);
      expect(await f.channels.channel(referenceHash("no channel"))).to.deep.equal(channelStruct(0n, 0n, 0, 0));
    });

    it("voucherDigest and closeDigest are the TypeScript voucherDigest and closeDigest", async function () {
      const f = await loadFixture(opened);
      const v = { payee: f.key.payee, nonce: f.key.nonce, amount: 123_456n, usage: USAGE };
      expect(await f.channels.voucherDigest(v.payee, v.nonce, v.amount, v.usage)).to.equal(voucherDigest(f.domain, v));
      expect(await f.channels.closeDigest(f.id, 42n)).to.equal(closeDigest(f.domain, f.id, 42n));
    });

    it("supportsInterface answers for IPaymentChannels, IObligations and IERC165, and nothing else", async function () {
      const f = await loadFixture(world);
      const iface = async (name: string) => new Interface((await hre.artifacts.readArtifact(name)).abi);
      const obligations = functionSignatures(await iface("IObligations"));
      const ierc165 = [...IERC165_SIGNATURES];
      const channelsId = interfaceIdOf(ownFunctions(await iface("IPaymentChannels"), [...obligations, ...ierc165]));
      const obligationsId = interfaceIdOf(ownFunctions(await iface("IObligations"), ierc165));
      const meterId = interfaceIdOf(ownFunctions(await iface("IUsageMeter"), [...obligations, ...ierc165]));
      expect(await f.channels.supportsInterface(channelsId)).to.equal(true);
      expect(await f.channels.supportsInterface(obligationsId)).to.equal(true);
      expect(await f.channels.supportsInterface(interfaceIdOf(ierc165))).to.equal(true);
      expect(await f.channels.supportsInterface(meterId)).to.equal(false);
      expect(await f.channels.supportsInterface("0xffffffff")).to.equal(false);
    });

    it("token, consortium and minChallengePeriod are the deployment's (one hour by default)", async function () {
      const f = await loadFixture(world);
      expect(await f.channels.token()).to.equal(await f.token.getAddress());
      expect(await f.channels.consortium()).to.equal(await f.consortium.getAddress());
      expect(await f.channels.minChallengePeriod()).to.equal(BigInt(MIN_CHALLENGE));
    });
  });

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
