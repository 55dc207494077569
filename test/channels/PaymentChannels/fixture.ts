/**
 * The PaymentChannels tests' network, fixtures (two payers and a payee, a channel) and voucher helpers, shared by the
 * files of this directory.
 */
import type { ContractTransactionReceipt, Wallet } from "ethers";
import { network } from "hardhat";
import { getAddress, toHex, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";

import {
  NO_USAGE,
  channelIdOf,
  compact,
  signCloseAuthorization,
  signVoucher,
  type ChannelKey,
  type ChannelsDomain,
} from "../../../src/core/voucher.js";
import { Role, roleMask } from "../../../src/core/membership.js";
import { parseEuro } from "../../../src/core/money.js";
import { referenceHash } from "../../../src/core/references.js";
import type { PaymentChannels } from "../../../typechain-types/index.js";
import { AGREEMENT_V1, marketFixture, mintTo, type MarketFixture } from "../../helpers/fixtures.js";
import { SECP256K1_N } from "../../helpers/permit.js";

export const connection = await network.create();
export const { ethers, networkHelpers } = connection;
export const { loadFixture, time } = networkHelpers;
export const deployMarket = marketFixture(connection);

export const FUNDS = parseEuro("1000");
export const DEPOSIT = parseEuro("100");
export const DAY = 86_400;
export const CHALLENGE = DAY;
export const LIFETIME = 30 * DAY;
export const MIN_CHALLENGE = 3600;
export const MAX_UINT96 = 2n ** 96n - 1n;
export const LOW_255_BITS = 2n ** 255n - 1n;
export const USAGE = referenceHash("usage increment 1: 480 machine seconds");

/** A key whose private key we hold (vouchers are signed off-chain), funded with ether, as a wallet on the network. */
export interface Party {
  account: PrivateKeyAccount;
  wallet: Wallet;
  address: Address;
}

export interface Signature {
  r: Hex;
  vs: Hex;
}

export interface World extends MarketFixture {
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

export interface Opened extends World {
  /** The payer's channel to the payee: DEPOSIT, a day's challenge period, expiring in 30 days, salt 1. */
  key: ChannelKey;
  id: Hex;
  expiresAt: number;
}

export async function newParty(): Promise<Party> {
  const privateKey = generatePrivateKey();
  const account = privateKeyToAccount(privateKey);
  await networkHelpers.setBalance(account.address, 10n ** 20n);
  return { account, wallet: new ethers.Wallet(privateKey, ethers.provider), address: account.address };
}

/** Admits `party` as a member of its own holding `role`; the member accepts the framework agreement in force. */
export async function admit(f: MarketFixture, party: Party, role: Role): Promise<bigint> {
  await f.consortium
    .connect(f.operator)
    .admit([party.address], roleMask(role), referenceHash(`member ${party.address}`));
  await f.consortium.connect(party.wallet).acceptAgreement(AGREEMENT_V1);
  return f.consortium.memberCount();
}

export async function world(): Promise<World> {
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

export async function opened(): Promise<Opened> {
  const f = await world();
  const expiresAt = (await time.latest()) + LIFETIME;
  const { key, id } = await open(f, { expiresAt });
  return { ...f, key, id, expiresAt };
}

export interface OpenOptions {
  payer?: Party;
  payee?: Address;
  salt?: number;
  deposit?: bigint;
  expiresAt?: number;
  challenge?: number;
}

/** Opens a channel (payer → payee, DEPOSIT, expiring in 30 days, a day's challenge period, salt 1 by default). */
export async function open(f: World, o: OpenOptions = {}): Promise<{ key: ChannelKey; id: Hex }> {
  const payer = o.payer ?? f.payer;
  const payee = o.payee ?? f.payee.address;
  const expiresAt = o.expiresAt ?? (await time.latest()) + LIFETIME;
  const tx = await f.channels
    .connect(payer.wallet)
    .open(payee, o.salt ?? 1, o.deposit ?? DEPOSIT, expiresAt, o.challenge ?? CHALLENGE);
  return openedBy(f.channels, await tx.wait(), payer.address, payee);
}

export function openedBy(
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
export async function voucher(
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
export async function claim(f: World, key: ChannelKey, amount: bigint, usage: Hex = NO_USAGE) {
  const { r, vs } = await voucher(f, key, amount, { usage });
  return f.channels.connect(f.payee.wallet).claim(key.nonce, amount, usage, r, vs);
}

/** The payee's close authorisation for `amount` in all, compact. */
export async function authorization(f: World, id: Hex, amount: bigint, signer: Party = f.payee): Promise<Signature> {
  return compact(await signCloseAuthorization(signer.account, f.domain, id, amount));
}

export async function closeCooperatively(f: World, key: ChannelKey, amount: bigint) {
  const { r, vs } = await authorization(f, channelIdOf(key), amount);
  return f.channels.connect(f.payer.wallet).closeCooperatively(key.payee, key.nonce, amount, r, vs);
}

/**
 * The high-s twin (r, n - s, parity flipped) of a compact signature, packed the only way EIP-2098 can: with
 * n - s > 2^255 (for all but about 2^-127 of signatures) the top bit of s' collides with the parity bit.
 */
export function highSTwin({ r, vs }: Signature): Signature {
  const s = BigInt(vs) & LOW_255_BITS;
  const parity = BigInt(vs) >> 255n;
  return { r, vs: toHex(((1n - parity) << 255n) | (SECP256K1_N - s), { size: 32 }) };
}

/** Token balances of both payers, the payee and the channels contract. */
export async function holdings(f: World) {
  return {
    payer: await f.token.balanceOf(f.payer.address),
    payer2: await f.token.balanceOf(f.payer2.address),
    payee: await f.token.balanceOf(f.payee.address),
    channels: await f.token.balanceOf(f.domain.channels),
  };
}

/** Runs `send` with automine off, so that every transaction it sends lands in one block; mines that block. */
export async function inOneBlock(send: () => Promise<void>): Promise<void> {
  await connection.provider.request({ method: "evm_setAutomine", params: [false] });
  try {
    await send();
    await networkHelpers.mine();
  } finally {
    await connection.provider.request({ method: "evm_setAutomine", params: [true] });
  }
}

/** Explicit gas: with automine off, an estimate would run before the earlier transactions of the block. */
export const GAS = { gasLimit: 500_000n };

export const channelStruct = (deposit: bigint, claimed: bigint, deadline: number | bigint, challengePeriod: number) => [
  deposit,
  claimed,
  BigInt(deadline),
  BigInt(challengePeriod),
];
