import { isHex, keccak256, stringToBytes, type Hex } from "viem";

/**
 * The on-chain form of an off-chain reference (a bank transaction id, payout instructions, a document):
 * its keccak-256 hash, so nothing personal or confidential is written to the chain. A value that is
 * already a 32-byte hex string is taken as a hash and kept.
 */
export function referenceHash(reference: string): Hex {
  const trimmed = reference.trim();
  if (trimmed === "") throw new Error("A reference must not be empty; pass the bank or document reference text.");
  if (isHex(trimmed) && trimmed.length === 66) return trimmed.toLowerCase() as Hex;
  return keccak256(stringToBytes(trimmed));
}
