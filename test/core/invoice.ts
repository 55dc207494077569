/**
 * Invoices as documents (src/core/invoice.ts): the reports hash, the checks and pricing of invoiceDocument
 * over reports given by hand, and the JSON of an invoice loaded from the meter on the in-process network.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { zeroHash, type Hex } from "viem";

import {
  InvoiceVerificationError,
  ZERO_REPORTS_HASH,
  foldReportsHash,
  invoiceDocument,
  parseInvoiceJson,
  renderInvoiceJson,
  verifyReportsHash,
  type InvoiceRecord,
  type InvoiceSources,
  type RecordedReport,
} from "../../src/core/invoice.js";
import { parseEuro } from "../../src/core/money.js";
import { referenceHash } from "../../src/core/references.js";
import { price, type Tariff } from "../../src/core/tariff.js";
import { invoiceFixtures } from "../helpers/invoices.js";

const connection = await network.create();
const { loadSettled } = invoiceFixtures(connection);

describe("Invoices as documents (src/core/invoice.ts)", function () {
  describe("verifyReportsHash", function () {
    const digests: Hex[] = [referenceHash("report a"), referenceHash("report b")];

    it("folds digests from zero the way the meter does, one step at a time", function () {
      const once = foldReportsHash(ZERO_REPORTS_HASH, digests.slice(0, 1));
      expect(foldReportsHash(once, digests.slice(1))).to.equal(foldReportsHash(ZERO_REPORTS_HASH, digests));
      expect(verifyReportsHash(ZERO_REPORTS_HASH, [])).to.equal(ZERO_REPORTS_HASH);
    });

    it("throws InvoiceVerificationError naming both hashes when the result differs", function () {
      const good = foldReportsHash(ZERO_REPORTS_HASH, digests);
      expect(() => verifyReportsHash(ZERO_REPORTS_HASH, [...digests].reverse(), good))
        .to.throw(InvoiceVerificationError)
        .with.property("message")
        .that.contains(good);
    });
  });

  describe("invoiceDocument over reports given by hand", function () {
    // 36 EUR/h, 0.50 EUR per unit, 12 per inspection, 10 setup fee; order 7's second invoice covers device
    // report 2 and inspector report 1, after device report 1 went on the first invoice.
    const tariff: Tariff = {
      pricePerHour: parseEuro("36"),
      pricePerUnit: parseEuro("0.50"),
      pricePerInspection: parseEuro("12"),
      setupFee: parseEuro("10"),
      minimumCharge: 0n,
      tiers: [],
      licenseIds: [],
    };
    const recorded = (
      kind: RecordedReport["kind"],
      sequence: number,
      machineSeconds: bigint,
      units: bigint,
      inspections: number,
      charge: bigint,
    ): RecordedReport => ({
      signed: {
        report: {
          orderId: 7n,
          sequence,
          periodStart: 1_000 * sequence,
          periodEnd: 1_000 * sequence + 600,
          machineSeconds,
          units,
          inspections,
          licensedProducts: [],
          readingsRoot: zeroHash,
        },
        signature: "0x",
      },
      kind,
      digest: referenceHash(`${kind} report ${sequence}`),
      charge,
      transactionHash: referenceHash(`transaction of ${kind} report ${sequence}`),
    });
    const reports = [
      recorded("device", 1, 600n, 10n, 0, parseEuro("21")),
      recorded("device", 2, 1_200n, 4n, 0, parseEuro("14")),
      recorded("inspector", 1, 0n, 0n, 2, parseEuro("24")),
    ];
    const previousReportsHash = foldReportsHash(ZERO_REPORTS_HASH, [reports[0]!.digest]);
    const invoice: InvoiceRecord = {
      issuedAt: 5_000,
      settledAt: 0,
      firstDeviceSequence: 2,
      lastDeviceSequence: 2,
      firstInspectorSequence: 1,
      lastInspectorSequence: 1,
      reportsHash: foldReportsHash(previousReportsHash, [reports[1]!.digest, reports[2]!.digest]),
      machineSeconds: 1_200,
      units: 4,
      charged: parseEuro("38"),
      royalties: 0n,
      platformFee: 0n,
      providerNet: 0n,
      heldBack: 0n,
    };
    const sources = (overrides: Partial<InvoiceSources> = {}): InvoiceSources => ({
      chainId: 31337,
      meter: "0x0000000000000000000000000000000000000001",
      orderId: 7n,
      number: 2,
      order: {
        machineId: 3n,
        tariffVersion: 1,
        payer: "0x0000000000000000000000000000000000000002",
        consumer: 4n,
        provider: 5n,
        feeBps: 0,
        disputeWindow: 3_600,
      },
      invoice,
      previousReportsHash,
      tariff,
      royalties: [],
      recorded: reports,
      issuedInBlock: 99n,
      ...overrides,
    });
    const cumulative = (machineSeconds: bigint, units: bigint) =>
      price(tariff, [], { machineSeconds, units, inspections: 0, licensedProducts: [] });

    it("prices the covered reports on top of the order's earlier ones, the setup fee with the first", function () {
      const doc = invoiceDocument(sources());
      expect(doc.lines.map((line) => `${line.kind} ${line.sequence}`)).to.deep.equal(["device 2", "inspector 1"]);
      const [device, inspector] = doc.lines;
      expect(device!.machineTime).to.equal(cumulative(1_800n, 14n).machineTime - cumulative(600n, 10n).machineTime);
      expect(device!.production).to.equal(4n * parseEuro("0.50"));
      expect([device!.setupFee, inspector!.setupFee]).to.deep.equal([0n, 0n]);
      expect(inspector!.inspectionsPrice).to.equal(2n * parseEuro("12"));
      expect(doc.header).to.include({ orderId: 7n, invoiceNumber: 2, status: "pending", previousReportsHash });
      expect(doc.totals.lines.charged).to.equal(parseEuro("38"));
    });

    it("refuses reports that are fewer than the invoice's ranges say, naming the ranges and the block", function () {
      expect(() => invoiceDocument(sources({ recorded: reports.slice(0, 2) })))
        .to.throw(InvoiceVerificationError)
        .with.property("message")
        .that.equals(
          "invoice 2 of order 7 covers 2 report(s) (device 2..2, inspector 1..1), but 1 were found in the logs up to block 99.",
        );
    });

    it("refuses reports whose digests do not fold to the invoice's reports hash", function () {
      const swapped = [reports[0]!, { ...reports[1]!, digest: referenceHash("another report") as Hex }, reports[2]!];
      expect(() => invoiceDocument(sources({ recorded: swapped })))
        .to.throw(InvoiceVerificationError)
        .with.property("message")
        .that.matches(/^invoice 2 of order 7: Folding 2 report digest\(s\)/);
    });
  });
  describe("an invoice loaded from the meter", function () {
    it("detects a wrong previous hash: the covered digests do not fold to the invoice's hash", async function () {
      const { doc } = await loadSettled();
      const digests = doc.lines.map((line) => line.digest);
      expect(verifyReportsHash(doc.header.previousReportsHash, digests, doc.header.reportsHash)).to.equal(
        doc.header.reportsHash,
      );
      const wrong = foldReportsHash(ZERO_REPORTS_HASH, [referenceHash("some other report")]);
      expect(() => verifyReportsHash(wrong, digests, doc.header.reportsHash)).to.throw(
        InvoiceVerificationError,
        doc.header.reportsHash,
      );
      expect(() =>
        verifyReportsHash(doc.header.previousReportsHash, digests.slice(1), doc.header.reportsHash),
      ).to.throw(InvoiceVerificationError);
    });

    it("round-trips through JSON with bigints as decimal strings and sorted keys", async function () {
      const { doc } = await loadSettled();
      const json = renderInvoiceJson(doc);
      expect(parseInvoiceJson(json)).to.deep.equal(doc);
      expect(renderInvoiceJson(parseInvoiceJson(json))).to.equal(json);
      const raw = JSON.parse(json) as { header: Record<string, unknown>; lines: Record<string, unknown>[] };
      expect(Object.keys(raw)).to.deep.equal(["header", "lines", "totals"]);
      expect(Object.keys(raw.header)).to.deep.equal([...Object.keys(raw.header)].sort());
      expect(raw.header.orderId).to.equal(`${doc.header.orderId}`);
      expect(raw.lines[0]!.charge).to.equal(`${doc.lines[0]!.charge}`);
    });
  });
});
