import { expect } from "chai";
import { network } from "hardhat";
import { getAddress, recoverAddress } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import {
  ReadingKind,
  proveReading,
  readingsRoot,
  readingsTree,
  totals,
  verifyReading,
  type Reading,
} from "../../src/core/readings.js";
import { highSTwinOf } from "../helpers/permit.js";
import { checkReport, reportDigest, reportSigner, signReport, type UsageReport } from "../../src/core/report.js";

const connection = await network.create();
const { ethers } = connection;

const T0 = 1_795_000_000;
const readings: Reading[] = [
  { index: 0n, at: T0 + 10, kind: ReadingKind.SpindleSeconds, amount: 40n, licenseId: 0 },
  { index: 1n, at: T0 + 50, kind: ReadingKind.LicensedUnits, amount: 1n, licenseId: 7 },
  { index: 2n, at: T0 + 90, kind: ReadingKind.SpindleSeconds, amount: 38n, licenseId: 0 },
  { index: 3n, at: T0 + 130, kind: ReadingKind.Units, amount: 1n, licenseId: 0 },
  { index: 4n, at: T0 + 140, kind: ReadingKind.Inspection, amount: 1n, licenseId: 0 },
];

async function harness() {
  const contract = await ethers.deployContract("UsageReportHarness");
  const { chainId } = await ethers.provider.getNetwork();
  return { contract, domain: { chainId: Number(chainId), meter: getAddress(await contract.getAddress()) } };
}

function sampleReport(overrides: Partial<UsageReport> = {}): UsageReport {
  return {
    orderId: 42n,
    sequence: 1,
    periodStart: T0,
    periodEnd: T0 + 150,
    machineSeconds: 78n,
    units: 2n,
    inspections: 0,
    licensedProducts: [1n, 0n],
    readingsRoot: readingsRoot(readings),
    ...overrides,
  };
}

const tuple = (report: UsageReport) => ({ ...report, licensedProducts: [...report.licensedProducts] });

describe("usage reports: typed data and readings", function () {
  it("hashes a report exactly as the contract does (EIP-712, chain id and contract in the domain)", async function () {
    const { contract, domain } = await harness();
    for (const report of [
      sampleReport(),
      sampleReport({ licensedProducts: [] }),
      sampleReport({ orderId: 2n ** 64n - 1n, sequence: 2 ** 32 - 1, periodEnd: 2 ** 40 - 1, units: 2n ** 64n - 1n }),
    ]) {
      expect(await contract.digest(tuple(report))).to.equal(reportDigest(domain, report));
    }
  });

  it("recovers the device key on both sides, and another chain or deployment gives another digest", async function () {
    const { contract, domain } = await harness();
    const device = privateKeyToAccount(generatePrivateKey());
    const signed = await signReport(device, domain, sampleReport());
    expect(await reportSigner(domain, signed)).to.equal(device.address);
    expect(await contract.recoverSigner(tuple(signed.report), signed.signature)).to.equal(device.address);
    expect(reportDigest({ ...domain, chainId: domain.chainId + 1 }, signed.report)).not.to.equal(
      reportDigest(domain, signed.report),
    );
    const other = getAddress(`0x${"11".repeat(20)}`);
    expect(reportDigest({ ...domain, meter: other }, signed.report)).not.to.equal(reportDigest(domain, signed.report));
  });

  it("refuses the high-s twin of a valid signature on-chain (ECDSAInvalidSignatureS)", async function () {
    const { contract, domain } = await harness();
    const device = privateKeyToAccount(generatePrivateKey());
    const signed = await signReport(device, domain, sampleReport());
    // The twin recovers the same key with plain ecrecover, so only the low-s rule stops it.
    const twin = highSTwinOf(signed.signature) as `0x${string}`;
    expect(await recoverAddress({ hash: reportDigest(domain, signed.report), signature: twin })).to.equal(
      device.address,
    );
    await expect(contract.recoverSigner(tuple(signed.report), twin)).to.be.revertedWithCustomError(
      contract,
      "ECDSAInvalidSignatureS",
    );
  });

  it("refuses to sign a report that ends before it starts or has no valid sequence number", function () {
    expect(() => checkReport(sampleReport({ periodEnd: T0 - 1 }))).to.throw("ends");
    expect(() => checkReport(sampleReport({ sequence: 0 }))).to.throw("start at 1");
  });

  it("proves every reading against the root, off-chain and with OpenZeppelin's MerkleProof on-chain", async function () {
    const { contract } = await harness();
    const root = readingsRoot(readings);
    for (const reading of readings) {
      const proof = proveReading(readings, reading);
      expect(verifyReading(root, reading, proof)).to.equal(true);
      expect(await contract.verifyReading(root, reading, proof)).to.equal(true);
      // A one-reading tree's root is its leaf: the contract's leaf hash is the tree's.
      expect(await contract.leaf(reading)).to.equal(readingsRoot([reading]));
      const forged = { ...reading, amount: reading.amount + 1n };
      expect(verifyReading(root, forged, proof)).to.equal(false);
      expect(await contract.verifyReading(root, forged, proof)).to.equal(false);
    }
  });

  it("names what is wrong with readings and proofs asked for", function () {
    expect(() => readingsTree([])).to.throw("at least one reading");
    expect(() => readingsRoot([readings[0]!, readings[0]!])).to.throw("appears twice");
    expect(() => proveReading(readings, { ...readings[1]!, amount: 9n })).to.throw("differs");
    expect(() => proveReading(readings, { ...readings[1]!, index: 99n })).to.throw("No reading with index 99");
  });

  it("sums readings into a report's counts; licensed units are units too", function () {
    expect(totals(readings, [3, 7])).to.deep.equal({
      machineSeconds: 78n,
      units: 2n,
      inspections: 1,
      licensedProducts: [0n, 1n],
    });
    expect(totals(readings.slice(0, 1), [])).to.deep.equal({
      machineSeconds: 40n,
      units: 0n,
      inspections: 0,
      licensedProducts: [],
    });
    expect(() => totals(readings, [3])).to.throw("licence 7");
  });
});
