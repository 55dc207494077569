import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { Signature, concat, toBeHex, verifyTypedData, type TypedDataDomain } from "ethers";

import { permitTypes } from "../../src/core/typed-data.js";
import type { SettlementToken } from "../../typechain-types/index.js";

/** EIP-2612's `Permit` struct from src/core/typed-data.ts, as the mutable object ethers' signer expects. */
export const PERMIT_TYPES = { Permit: permitTypes.Permit.map((field) => ({ ...field })) };

/** Order of the secp256k1 group; `s` above half of it is the malleable twin OpenZeppelin's ECDSA refuses. */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

export interface PermitMessage {
  owner: string;
  spender: string;
  value: bigint;
  nonce: bigint;
  deadline: bigint;
}

export interface SignedPermit {
  domain: TypedDataDomain;
  message: PermitMessage;
  signature: string;
  v: number;
  r: string;
  s: string;
}

export interface PermitOptions {
  /** Fields that replace the token's own EIP-712 domain (to sign for another chain or contract). */
  domain?: Partial<TypedDataDomain>;
  /** Nonce to sign; default the owner's current nonce on `token`. */
  nonce?: bigint;
  /** Key that signs; default the owner (to forge a permit, pass someone else). */
  signer?: HardhatEthersSigner;
}

/** The token's EIP-712 domain as the token itself reports it (ERC-5267). */
export async function permitDomain(token: SettlementToken): Promise<TypedDataDomain> {
  const domain = await token.eip712Domain();
  return {
    name: domain.name,
    version: domain.version,
    chainId: domain.chainId,
    verifyingContract: domain.verifyingContract,
  };
}

/** Signs an EIP-2612 permit with `signTypedData` (eth_signTypedData_v4). */
export async function signPermit(
  token: SettlementToken,
  owner: HardhatEthersSigner,
  spender: string,
  value: bigint,
  deadline: bigint,
  options: PermitOptions = {},
): Promise<SignedPermit> {
  const domain = { ...(await permitDomain(token)), ...options.domain };
  const message: PermitMessage = {
    owner: owner.address,
    spender,
    value,
    nonce: options.nonce ?? (await token.nonces(owner.address)),
    deadline,
  };
  const signature = await (options.signer ?? owner).signTypedData(domain, PERMIT_TYPES, message);
  const { v, r, s } = Signature.from(signature);
  return { domain, message, signature, v, r, s };
}

/**
 * The address `token` recovers from `permit`'s signature when it checks it against its own domain and
 * the message as submitted (`submitted` replaces fields of the signed message, e.g. the current nonce).
 */
export async function recoveredSigner(
  token: SettlementToken,
  permit: SignedPermit,
  submitted: Partial<PermitMessage>,
): Promise<string> {
  const message = { ...permit.message, ...submitted };
  return verifyTypedData(await permitDomain(token), PERMIT_TYPES, message, permit.signature);
}

/** The other valid-looking signature of the same message: s' = n - s with the parity of v flipped. */
/** The high-s twin of a 65-byte signature: ecrecover accepts it, OpenZeppelin's ECDSA refuses it. */
export function highSTwinOf(signature: string): string {
  const { v, r, s } = Signature.from(signature);
  return concat([r, toBeHex(SECP256K1_N - BigInt(s), 32), toBeHex(v === 27 ? 28 : 27, 1)]);
}

export function highSTwin(permit: SignedPermit): { v: number; r: string; s: string } {
  return {
    v: permit.v === 27 ? 28 : 27,
    r: permit.r,
    s: toBeHex(SECP256K1_N - BigInt(permit.s), 32),
  };
}
