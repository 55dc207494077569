/**
 * The hot path's EIP-712 digests (src/crypto/voucher-digest.ts) against viem's, computed from the shared
 * type definitions: equal for many messages, and out-of-range fields refused rather than truncated.
 */
import { expect } from "chai";
import { keccak256, toHex, type Hex } from "viem";

import { UsageHasher, VoucherHasher } from "../../src/crypto/voucher-digest.js";
import { usageDigest, type UsageIncrement } from "../../src/core/increment.js";
import { voucherDigest, type ChannelsDomain } from "../../src/core/voucher.js";

const domain: ChannelsDomain = { chainId: 31337, channels: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };

function increment(i: number): UsageIncrement {
  return {
    channelId: keccak256(toHex(`channel ${i % 3}`)),
    sequence: i + 1,
    periodStart: 1_700_000_000 + i * 10,
    periodEnd: 1_700_000_000 + i * 10 + (i % 11),
    machineSeconds: BigInt(i % 11),
    units: BigInt(i * 7919),
    readingsRoot: keccak256(toHex(`readings ${i}`)),
  };
}

describe("fast EIP-712 digests of channel messages", function () {
  it("computes the usage digest viem computes, increment after increment", function () {
    const hasher = new UsageHasher(domain);
    for (let i = 0; i < 50; i++) expect(hasher.hex(increment(i))).to.equal(usageDigest(domain, increment(i)));
    const largest = { ...increment(1), sequence: 2 ** 32 - 1, periodEnd: 2 ** 40 - 1, units: 2n ** 64n - 1n };
    expect(hasher.hex(largest)).to.equal(usageDigest(domain, largest));
  });

  it("binds the usage digest to chain and deployment", function () {
    const other = new UsageHasher({ ...domain, chainId: 1 });
    expect(other.hex(increment(1))).to.not.equal(new UsageHasher(domain).hex(increment(1)));
  });

  it("refuses usage fields beyond their type's width instead of cutting them", function () {
    const hasher = new UsageHasher(domain);
    expect(() => hasher.hex({ ...increment(1), sequence: 2 ** 32 })).to.throw(RangeError, "sequence must fit 32 bits");
    expect(() => hasher.hex({ ...increment(1), units: 2n ** 64n })).to.throw(RangeError, "units must fit 64 bits");
    expect(() => hasher.hex({ ...increment(1), readingsRoot: "0x12" as Hex })).to.throw(TypeError, "readingsRoot");
  });

  it("computes the voucher digest viem computes, and refuses a nonce beyond 96 bits", function () {
    const hasher = new VoucherHasher(domain);
    for (let i = 0; i < 20; i++) {
      const voucher = {
        payee: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as const,
        nonce: (BigInt(i) << 32n) | 5n,
        amount: 10n ** BigInt(i),
        usage: keccak256(toHex(`usage ${i}`)),
      };
      expect(toHex(hasher.digest(voucher))).to.equal(voucherDigest(domain, voucher));
    }
    const voucher = {
      payee: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as const,
      nonce: 2n ** 96n,
      amount: 1n,
      usage: keccak256("0x"),
    };
    expect(() => hasher.digest(voucher)).to.throw(RangeError, "nonce must fit 96 bits");
  });
});
