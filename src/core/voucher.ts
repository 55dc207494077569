/**
 * Vouchers and close authorisations as payers and payees sign them: EIP-712 typed data over the channels
 * contract's domain (chain id and contract address). `voucherFields` and `closeAuthorizationFields` are the one
 * definition of each message's shape (the TypeScript type, the typed data, the wire form and the fast digest of
 * src/crypto/voucher-digest.ts come from them); tests hold their type strings equal to those of
 * contracts/libraries/ChannelHash.sol. Signatures go on-chain in EIP-2098 compact form (r, vs).
 */
import {
  encodeAbiParameters,
  hashTypedData,
  keccak256,
  parseSignature,
  serializeCompactSignature,
  signatureToCompactSignature,
  sliceHex,
  type Address,
  type Hex,
  type LocalAccount,
  type TypedDataDomain,
} from "viem";

import { eip712Fields, typedMessage, type MessageOf } from "./message.js";

/** Where a voucher pays: the chain and the channels deployment. */
export interface ChannelsDomain {
  chainId: number;
  channels: Address;
}

/** What names a channel: its payer, its payee and the nonce it was opened with (block number << 32 | salt). */
export interface ChannelKey {
  payer: Address;
  payee: Address;
  nonce: bigint;
}

/**
 * A payment on a channel: the signer (the payer) owes `payee` `amount` in all, in token base units, on its
 * channel opened with `nonce`; `usage` names the metered use it pays for. Signer, payee and nonce name the
 * channel, so a wallet shows whom it pays, on which channel, how much in all.
 */
export const voucherFields = [
  { name: "payee", type: "address" },
  /** The channel's nonce: with the payer (the signer) and the payee it names the channel. */
  { name: "nonce", type: "uint96" },
  /** Cumulative: everything the payer owes the payee on this channel, in token base units. */
  { name: "amount", type: "uint256" },
  /** What the payment covers (e.g. the hash of a device-signed usage increment); zero for nothing named. */
  { name: "usage", type: "bytes32" },
] as const;

export type Voucher = MessageOf<typeof voucherFields>;

/** The payee's agreement to close a channel with `amount` paid in all. */
export const closeAuthorizationFields = [
  { name: "channel", type: "bytes32" },
  { name: "amount", type: "uint256" },
] as const;

export const voucherTypes = { Voucher: eip712Fields(voucherFields) } as const;
export const closeAuthorizationTypes = { CloseAuthorization: eip712Fields(closeAuthorizationFields) } as const;

/** The payment channels' EIP-712 domain: name "PaymentChannels", version "1", bound to chain and deployment. */
export function channelsDomain(chainId: number, channels: Address): TypedDataDomain {
  return { name: "PaymentChannels", version: "1", chainId, verifyingContract: channels };
}

export interface SignedVoucher extends Voucher {
  /** The payer's signature, 65 bytes. */
  signature: Hex;
}

export const NO_USAGE: Hex = `0x${"00".repeat(32)}`;

/** The id the contract gives the channel: keccak256(abi.encode(payer, payee, nonce)). */
export function channelIdOf(key: ChannelKey): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "address" }, { type: "address" }, { type: "uint96" }],
      [key.payer, key.payee, key.nonce],
    ),
  );
}

/** The block a channel was opened in, from its nonce. */
export function openedInBlock(nonce: bigint): bigint {
  return nonce >> 32n;
}

function voucherData(domain: ChannelsDomain, voucher: Voucher) {
  return {
    domain: channelsDomain(domain.chainId, domain.channels),
    types: voucherTypes,
    primaryType: "Voucher",
    message: typedMessage(voucherFields, voucher) as Voucher,
  } as const;
}

/** The typed data of the payee's authorisation to close `channelId` with `amount` paid in all (for any wallet). */
export function closeData(domain: ChannelsDomain, channelId: Hex, amount: bigint) {
  return {
    domain: channelsDomain(domain.chainId, domain.channels),
    types: closeAuthorizationTypes,
    primaryType: "CloseAuthorization",
    message: { channel: channelId, amount },
  } as const;
}

/** The EIP-712 digest a payer signs for `voucher`. */
export function voucherDigest(domain: ChannelsDomain, voucher: Voucher): Hex {
  return hashTypedData(voucherData(domain, voucher));
}

/** The EIP-712 digest a payee signs to close `channelId` with `amount` paid in all. */
export function closeDigest(domain: ChannelsDomain, channelId: Hex, amount: bigint): Hex {
  return hashTypedData(closeData(domain, channelId, amount));
}

/** Signs `voucher` with the payer's key. */
export async function signVoucher(
  payer: LocalAccount,
  domain: ChannelsDomain,
  voucher: Voucher,
): Promise<SignedVoucher> {
  if (voucher.amount <= 0n) throw new RangeError(`A voucher pays a positive amount in all; got ${voucher.amount}.`);
  return { ...voucher, signature: await payer.signTypedData(voucherData(domain, voucher)) };
}

/** Signs the payee's authorisation to close `channelId` with `amount` paid in all. */
export async function signCloseAuthorization(
  payee: LocalAccount,
  domain: ChannelsDomain,
  channelId: Hex,
  amount: bigint,
): Promise<Hex> {
  return payee.signTypedData(closeData(domain, channelId, amount));
}

/** A 65-byte signature as the contract takes it: EIP-2098 compact (r, vs). */
export function compact(signature: Hex): { r: Hex; vs: Hex } {
  const serialized = serializeCompactSignature(signatureToCompactSignature(parseSignature(signature)));
  return { r: sliceHex(serialized, 0, 32), vs: sliceHex(serialized, 32, 64) };
}
