/**
 * The packed batch (src/codec/batch.ts) against the report's field table: a packed report is abi.encodePacked
 * over the table's types (an array as its one-byte count and its entries at their width), then r ‖ s ‖ v; the
 * gateway's packing straight from the hashed words gives the same bytes; a batch decodes back to its reports.
 */
import { expect } from "chai";
import { bytesToHex, encodePacked, keccak256, toHex, type Hex } from "viem";
import { generatePrivateKey } from "viem/accounts";

import {
  decodeReportBatch,
  encodePackedReport,
  encodeReportBatch,
  PACKED_REPORT_BYTES,
} from "../../src/codec/batch.js";
import { keyOf, shapeOf } from "../../src/core/message.js";
import { usageReportFields, type SignedReport, type UsageReport } from "../../src/core/report.js";
import { packReport, ReportSigner, ReportVerifier } from "../../src/crypto/report-digest.js";

const domain = { chainId: 31337, meter: "0x5FbDB2315678afecb367f032d93F642f64180aa3" } as const;
const signer = new ReportSigner(domain, generatePrivateKey());

function report(i: number, fields: Partial<UsageReport> = {}): SignedReport {
  return signer.sign({
    orderId: BigInt(i + 1),
    sequence: i + 1,
    periodStart: 1_795_000_000 + i,
    periodEnd: 1_795_000_100 + i,
    machineSeconds: BigInt(i),
    units: BigInt(2 * i),
    inspections: 0,
    licensedProducts: Array.from({ length: i % 4 }, (_, j) => BigInt(j + i)),
    readingsRoot: keccak256(toHex(`readings ${i}`)),
    ...fields,
  });
}

/** abi.encodePacked over the table, an array as uint8 count and entries of the element's type. */
function packedByTable({ report: r, signature }: SignedReport): Hex {
  const types: string[] = [];
  const values: unknown[] = [];
  for (const field of usageReportFields) {
    const value = (r as Record<string, unknown>)[keyOf(field)];
    if (shapeOf(field.type).array) {
      const entries = value as readonly bigint[];
      types.push("uint8", ...entries.map(() => field.type.slice(0, -2)));
      values.push(entries.length, ...entries);
    } else {
      types.push(field.type);
      values.push(value);
    }
  }
  return `${encodePacked(types, values)}${signature.slice(2)}` as Hex;
}

describe("packed report batches (src/codec/batch.ts)", function () {
  it("packs each report as abi.encodePacked over its field table, then its signature", function () {
    const widest = report(3, { orderId: 2n ** 64n - 1n, periodEnd: 2 ** 40 - 1, units: 2n ** 64n - 1n });
    for (const signed of [...Array.from({ length: 8 }, (_, i) => report(i)), widest]) {
      const packed = encodePackedReport(signed);
      expect(packed).to.equal(packedByTable(signed));
      expect((packed.length - 2) / 2).to.equal(PACKED_REPORT_BYTES + 8 * signed.report.licensedProducts.length);
    }
    expect(PACKED_REPORT_BYTES).to.equal(140);
  });

  it("packs the same bytes from the verifier's hashed words and from packReport", function () {
    const verifier = new ReportVerifier(domain);
    for (let i = 0; i < 8; i++) {
      const signed = report(i);
      verifier.verify(signed);
      expect(verifier.packed()).to.equal(encodePackedReport(signed));
      expect(bytesToHex(verifier.packedBytes())).to.equal(encodePackedReport(signed));
      expect(packReport(signed)).to.equal(encodePackedReport(signed));
    }
  });

  it("decodes a batch back to its reports, and names where a truncated one ends", function () {
    const reports = Array.from({ length: 6 }, (_, i) => report(i));
    const batch = encodeReportBatch(reports);
    expect(decodeReportBatch(batch)).to.deep.equal(reports);
    expect(() => decodeReportBatch(batch.slice(0, -2) as Hex)).to.throw(RangeError, "ends inside the report");
  });

  it("writes v as 27 or 28 when a signature carries the parity as 0 or 1", function () {
    const signed = report(1);
    const parity = Number.parseInt(signed.signature.slice(130), 16) - 27;
    const raw = `${signed.signature.slice(0, 130)}0${parity}` as Hex;
    expect(encodePackedReport({ ...signed, signature: raw })).to.equal(encodePackedReport(signed));
  });

  it("refuses what a packed report cannot carry, naming it", function () {
    expect(() => encodePackedReport(report(1, { units: 2n ** 64n }))).to.throw(RangeError, "units");
    expect(() => encodePackedReport(report(1, { licensedProducts: Array.from({ length: 256 }, () => 1n) }))).to.throw(
      RangeError,
      "at most 255",
    );
    expect(() => encodePackedReport({ ...report(1), signature: "0x1234" })).to.throw(RangeError, "65 bytes");
  });
});
