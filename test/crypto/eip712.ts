/**
 * The one struct hasher (src/crypto/eip712.ts) against viem's hashTypedData, one case per message type of the
 * system, over seeded messages and the widest values; and fields beyond their type refused, not cut.
 */
import { expect } from "chai";
import { hashTypedData, keccak256, toHex, type Hex } from "viem";

import { StructHasher } from "../../src/crypto/eip712.js";
import { ReportHasher } from "../../src/crypto/report-digest.js";
import { UsageHasher, VoucherHasher } from "../../src/crypto/voucher-digest.js";
import { usageDigest, usageIncrementFields } from "../../src/core/increment.js";
import { reportDigest, usageReportFields, type UsageReport } from "../../src/core/report.js";
import {
  channelsDomain,
  closeAuthorizationFields,
  closeAuthorizationTypes,
  closeDigest,
  voucherDigest,
  type ChannelsDomain,
} from "../../src/core/voucher.js";

const channels: ChannelsDomain = { chainId: 31337, channels: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };
const meter = { chainId: 1337, meter: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512" } as const;
const hash = (i: number): Hex => keccak256(toHex(`seed ${i}`));

function report(i: number): UsageReport {
  return {
    orderId: BigInt(i) * 7919n + 1n,
    sequence: i + 1,
    periodStart: 1_795_000_000 + 60 * i,
    periodEnd: 1_795_000_060 + 60 * i,
    machineSeconds: BigInt(i % 61),
    units: BigInt(i * 3),
    inspections: i % 2,
    licensedProducts: Array.from({ length: i % 4 }, (_, j) => BigInt(i + j)),
    readingsRoot: hash(i),
  };
}

describe("the one EIP-712 struct hasher (src/crypto/eip712.ts)", function () {
  it("UsageReport: viem's digest, with and without licensed products and at the widest values", function () {
    const hasher = new ReportHasher(meter);
    const widest = {
      ...report(3),
      orderId: 2n ** 64n - 1n,
      sequence: 2 ** 32 - 1,
      periodEnd: 2 ** 40 - 1,
      inspections: 2 ** 32 - 1,
      licensedProducts: Array.from({ length: 255 }, () => 2n ** 64n - 1n),
    };
    for (const r of [...Array.from({ length: 30 }, (_, i) => report(i)), widest]) {
      expect(hasher.hex(r)).to.equal(reportDigest(meter, r));
    }
  });

  it("Voucher: viem's digest, up to a 96-bit nonce and a 256-bit amount", function () {
    const hasher = new VoucherHasher(channels);
    for (let i = 0; i < 30; i++) {
      const voucher = {
        payee: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" as const,
        nonce: i === 29 ? 2n ** 96n - 1n : (BigInt(i) << 32n) | 5n,
        amount: i === 29 ? 2n ** 256n - 1n : 10n ** BigInt(i),
        usage: hash(i),
      };
      expect(hasher.hex(voucher)).to.equal(voucherDigest(channels, voucher));
    }
  });

  it("CloseAuthorization: viem's digest from the table alone", function () {
    const hasher = new StructHasher(
      channelsDomain(channels.chainId, channels.channels),
      "CloseAuthorization",
      closeAuthorizationFields,
    );
    for (const amount of [0n, 1n, 2n ** 64n, 2n ** 256n - 1n]) {
      expect(hasher.hex({ channel: hash(Number(amount % 7n)), amount })).to.equal(
        closeDigest(channels, hash(Number(amount % 7n)), amount),
      );
    }
    expect(closeAuthorizationTypes.CloseAuthorization.length).to.equal(closeAuthorizationFields.length);
  });

  it("ChannelUsage: viem's digest under the channels' domain", function () {
    const hasher = new UsageHasher(channels);
    for (let i = 0; i < 30; i++) {
      const increment = {
        channelId: hash(i % 3),
        sequence: i + 1,
        periodStart: 1_700_000_000 + i,
        periodEnd: 1_700_000_000 + 2 * i,
        machineSeconds: BigInt(i),
        units: i === 29 ? 2n ** 64n - 1n : BigInt(i * 11),
        readingsRoot: hash(100 + i),
      };
      expect(hasher.hex(increment)).to.equal(usageDigest(channels, increment));
    }
  });

  it("any table under any domain: the same as hashTypedData of the table's typed data", function () {
    const domain = { name: "Any", version: "2", chainId: 5, verifyingContract: channels.channels };
    const hasher = new StructHasher(domain, "UsageReport", usageReportFields);
    const r = report(5);
    expect(hasher.hex(r)).to.equal(
      hashTypedData({
        domain,
        types: { UsageReport: usageReportFields.map(({ name, type }) => ({ name, type })) },
        primaryType: "UsageReport",
        message: { ...r, licensedProducts: [...r.licensedProducts] },
      }),
    );
    expect(new StructHasher(domain, "ChannelUsage", usageIncrementFields).typeHash).to.have.length(32);
  });

  it("refuses fields beyond their type's width, negative or malformed, naming them", function () {
    const hasher = new ReportHasher(meter);
    expect(() => hasher.digest({ ...report(1), periodEnd: 2 ** 40 })).to.throw(
      RangeError,
      "periodEnd must fit 40 bits",
    );
    expect(() => hasher.digest({ ...report(1), orderId: 2n ** 64n })).to.throw(RangeError, "orderId must fit 64 bits");
    expect(() => hasher.digest({ ...report(1), units: -1n })).to.throw(RangeError, "units must fit 64 bits");
    expect(() => hasher.digest({ ...report(1), licensedProducts: [2n ** 64n] })).to.throw(
      RangeError,
      "licensedProducts[0] must fit 64 bits",
    );
    expect(() => hasher.digest({ ...report(1), readingsRoot: "0xzz" as Hex })).to.throw(TypeError, "readingsRoot");
    const vouchers = new VoucherHasher(channels);
    expect(() => vouchers.digest({ payee: "0x12", nonce: 1n, amount: 1n, usage: hash(1) })).to.throw(
      TypeError,
      "payee",
    );
    // A valid digest after a refused one: nothing of the refused message stays in the buffers.
    expect(hasher.hex(report(2))).to.equal(reportDigest(meter, report(2)));
  });
});
