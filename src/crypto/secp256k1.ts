/**
 * secp256k1 for the payment hot path: libsecp256k1 through the npm package `secp256k1` (its prebuilt
 * native binary ships in the tarball, no install script needed), with the package's pure JavaScript
 * implementation as the fallback where no prebuilt binary fits the platform. `native` says which one runs.
 */
import { createRequire } from "node:module";

import { keccak256Bytes } from "./keccak.js";

interface Secp256k1 {
  ecdsaRecover(signature: Uint8Array, recid: number, message: Uint8Array, compressed?: boolean): Uint8Array;
  ecdsaSign(message: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number };
  publicKeyCreate(privateKey: Uint8Array, compressed?: boolean): Uint8Array;
}

const require = createRequire(import.meta.url);

function load(): { lib: Secp256k1; native: boolean } {
  try {
    return { lib: require("secp256k1/bindings") as Secp256k1, native: true };
  } catch {
    return { lib: require("secp256k1/elliptic") as Secp256k1, native: false };
  }
}

const { lib, native } = load();

/** Whether libsecp256k1 (native) runs, rather than the JavaScript fallback. */
export const nativeSecp256k1 = native;

/** Half the curve order: a signature with s above it is the malleable high-s twin, which the contracts refuse. */
const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;
const HALF_N_BYTES = Buffer.from(HALF_N.toString(16).padStart(64, "0"), "hex");

/** Why a signature recovers no signer. */
export class SignatureError extends Error {
  override name = "SignatureError";
}

/** The Ethereum address (20 bytes) of an uncompressed public key (65 bytes, 0x04 prefix). */
function addressOf(publicKey: Uint8Array): Uint8Array {
  return keccak256Bytes(publicKey.subarray(1)).subarray(12);
}

/**
 * The address that signed `digest` (32 bytes) with the 65-byte signature r ‖ s ‖ v (v 27/28 or 0/1).
 * Throws a SignatureError for a malformed signature or the high-s twin of one, as the contracts reject both.
 */
export function recoverAddress(digest: Uint8Array, signature: Uint8Array): Uint8Array {
  if (signature.length !== 65) throw new SignatureError(`a signature has 65 bytes, this one ${signature.length}`);
  const v = signature[64]!;
  const recid = v >= 27 ? v - 27 : v;
  if (recid !== 0 && recid !== 1) throw new SignatureError(`v must be 27 or 28 (or 0 or 1), not ${v}`);
  if (Buffer.compare(signature.subarray(32, 64), HALF_N_BYTES) > 0) {
    throw new SignatureError("s is in the upper half of the curve order (the malleable twin of a signature)");
  }
  let publicKey: Uint8Array;
  try {
    publicKey = lib.ecdsaRecover(signature.subarray(0, 64), recid, digest, false);
  } catch (cause) {
    throw new SignatureError("the signature recovers no public key", { cause });
  }
  return addressOf(publicKey);
}

/** Signs `digest` with `privateKey` (32 bytes each): r ‖ s ‖ v with v 27/28, low s (RFC 6979 nonces). */
export function signDigest(digest: Uint8Array, privateKey: Uint8Array): Uint8Array {
  const { signature, recid } = lib.ecdsaSign(digest, privateKey);
  const out = new Uint8Array(65);
  out.set(signature, 0);
  out[64] = 27 + recid;
  return out;
}

/** The address of `privateKey`. */
export function addressOfKey(privateKey: Uint8Array): Uint8Array {
  return addressOf(lib.publicKeyCreate(privateKey, false));
}

/**
 * The bound for any verifier that recovers a signer: raw public-key recovery plus the keccak that turns the
 * key into an address, on a prepared digest and signature.
 */
export function rawRecover(digest: Uint8Array, signature64: Uint8Array, recid: number): Uint8Array {
  return addressOf(lib.ecdsaRecover(signature64, recid, digest, false));
}
