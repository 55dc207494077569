/**
 * How fast a payee verifies vouchers on one core, beside two baselines measured in the same run:
 * ethers.verifyTypedData (what a payee would write without thinking about speed) and the bound for any
 * verifier that recovers the signer, raw native public-key recovery plus the keccak that turns the key
 * into an address, on digests and signatures prepared in advance. Each figure is the median of several
 * rounds, interleaved so that a noisy neighbour slows all three alike.
 */
import { verifyTypedData } from "ethers";
import { keccak256, toHex, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";

import { VoucherHasher, VoucherSigner, VoucherVerifier } from "../src/crypto/voucher-digest.js";
import { nativeSecp256k1, rawRecover } from "../src/crypto/secp256k1.js";
import type { ChannelsDomain, Voucher } from "../src/core/voucher.js";
import { channelsDomain, voucherTypes } from "../src/core/typed-data.js";

const ROUNDS = 7;
/** Vouchers per round for the fast verifiers, and for ethers (about 40 times slower). */
const FAST = 4000;
const SLOW = 200;

export interface VoucherThroughput {
  "voucher.verify": number;
  "voucher.verify.ethersBaseline": number;
  "secp256k1.recoverLimit": number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Runs `work` over `count` items and returns how many it did per second. */
function rate(count: number, work: (i: number) => void): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) work(i);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return count / seconds;
}

export function measureVoucherThroughput(): VoucherThroughput {
  if (!nativeSecp256k1) {
    throw new Error("libsecp256k1's prebuilt binary did not load: the voucher throughput would measure the fallback.");
  }
  const domain: ChannelsDomain = { chainId: 31337, channels: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };
  const payerKey = generatePrivateKey();
  const payer = privateKeyToAddress(payerKey).toLowerCase() as Address;
  const signer = new VoucherSigner(domain, payerKey);
  const payee: Address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
  // Distinct vouchers of one channel: rising amounts, each naming its own usage increment.
  const vouchers = Array.from({ length: FAST }, (_, i): { voucher: Voucher; signature: Hex } => {
    const voucher = {
      payee,
      nonce: (1234n << 32n) | 1n,
      amount: 200_000n * BigInt(i + 1),
      usage: keccak256(toHex(`usage increment ${i}`)),
    };
    return { voucher, signature: signer.sign(voucher) };
  });
  // The raw bound's input: the same digests and signatures, already as bytes.
  const hasher = new VoucherHasher(domain);
  const raw = vouchers.map(({ voucher, signature }) => {
    const bytes = Buffer.from(signature.slice(2), "hex");
    return {
      digest: Uint8Array.from(hasher.digest(voucher)),
      signature: bytes.subarray(0, 64),
      recid: bytes[64]! - 27,
    };
  });
  const ethersDomain = channelsDomain(domain.chainId, domain.channels) as Record<string, unknown>;
  const ethersTypes = { Voucher: voucherTypes.Voucher.map((field) => ({ ...field })) };

  const verifier = new VoucherVerifier(domain);
  const check = (found: string) => {
    if (found.toLowerCase() !== payer) throw new Error(`a voucher recovered to ${found}, not the payer ${payer}`);
  };
  const ours: number[] = [];
  const ethers: number[] = [];
  const limit: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    ours.push(rate(FAST, (i) => check(verifier.signer(vouchers[i]!.voucher, vouchers[i]!.signature))));
    limit.push(
      rate(FAST, (i) => {
        const { digest, signature, recid } = raw[i]!;
        rawRecover(digest, signature, recid);
      }),
    );
    ethers.push(
      rate(SLOW, (i) => {
        const { voucher, signature } = vouchers[(round * SLOW + i) % FAST]!;
        check(verifyTypedData(ethersDomain, ethersTypes, voucher, signature));
      }),
    );
  }
  return {
    "voucher.verify": Math.round(median(ours)),
    "voucher.verify.ethersBaseline": Math.round(median(ethers)),
    "secp256k1.recoverLimit": Math.round(median(limit)),
  };
}
