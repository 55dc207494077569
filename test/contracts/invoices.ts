/**
 * Invoices loaded from the meter on the in-process network (src/contracts/invoices.ts): the lines recovered
 * from the recording transactions add up to the on-chain Invoice, priced as the meter charged them.
 */
import { expect } from "chai";
import { network } from "hardhat";

import { encodeReportBatch } from "../../src/codec/batch.js";
import { ZERO_REPORTS_HASH } from "../../src/core/invoice.js";
import { KeyKind } from "../../src/core/listing.js";
import { parseEuro } from "../../src/core/money.js";
import { referenceHash } from "../../src/core/references.js";
import { expectReconciled, FEE_BPS, invoiceFixtures, ROYALTY, WINDOW } from "../helpers/invoices.js";

const connection = await network.create();
const { time } = connection.networkHelpers;
const { loadMarket, loadSettled, openOrder, report, single, load, underfundedInvoice } = invoiceFixtures(connection);

describe("loadInvoice (src/contracts/invoices.ts)", function () {
  describe("an invoice over batched and single, device and inspector reports", function () {
    it("has one line per covered report, in recording order, with the charges the meter recorded", async function () {
      const { f, orderId, doc } = await loadSettled();
      expect(doc.lines.map((l) => `${l.kind} ${l.sequence}`)).to.deep.equal([
        "device 1",
        "device 2",
        "device 3",
        "inspector 1",
      ]);
      const recorded = await f.meter.queryFilter(f.meter.filters.ReportRecorded(orderId));
      expect(doc.lines.map((l) => [l.digest, l.charge])).to.deep.equal(recorded.map((e) => [e.args[1], e.args[2]]));
      expect(doc.lines[0]!.licensedProducts).to.deep.equal([60n]);
      expect(doc.lines[3]!.inspections).to.equal(2);
    });

    it("prices every line as the meter charged it (cumulative time and tiers, setup fee once, royalties)", async function () {
      const { doc } = await loadSettled();
      for (const line of doc.lines) expect(line.price, `line ${line.kind} ${line.sequence}`).to.equal(line.charge);
      const [first, second, third, inspection] = doc.lines;
      expect(first!.setupFee).to.equal(parseEuro("25"));
      expect(second!.setupFee + third!.setupFee + inspection!.setupFee).to.equal(0n);
      // 48 EUR/h by the second, rounded once over the order: floor(1070 s) - floor(480 s).
      expect(second!.machineTime).to.equal((1070n * parseEuro("48")) / 3600n - (480n * parseEuro("48")) / 3600n);
      // Units 61..130: 40 at 0.20 up to the threshold of 100, 30 above it at 0.15.
      expect(second!.production).to.equal(40n * parseEuro("0.20") + 30n * parseEuro("0.15"));
      expect(third!.production).to.equal(7n * parseEuro("0.15"));
      expect(first!.royalty).to.equal(60n * ROYALTY);
      expect(inspection!.inspectionsPrice).to.equal(2n * parseEuro("12"));
    });

    it("carries the on-chain totals and reconciles the lines with them", async function () {
      const { f, orderId, doc } = await loadSettled();
      const invoice = await f.meter.invoiceOf(orderId, 1);
      expect(doc.totals.onChain).to.deep.equal({
        charged: invoice.charged,
        royalties: invoice.royalties,
        platformFee: invoice.platformFee,
        providerNet: invoice.providerNet,
        heldBack: invoice.heldBack,
      });
      expect(doc.totals.lines.charged).to.equal(invoice.charged);
      expect(doc.totals.lines.royalties).to.equal(invoice.royalties);
      expect(doc.totals.machineSeconds).to.equal(invoice.machineSeconds);
      expect(doc.totals.units).to.equal(invoice.units);
      expectReconciled(doc);
      const rounding = doc.totals.adjustments.filter(
        (row) => row.item !== "platform fee on the invoice total (rounding, disputes)",
      );
      expect(rounding).to.deep.equal([]);
      const order = await f.meter.getOrder(orderId);
      expect(doc.header).to.include({
        orderId,
        invoiceNumber: 1,
        machineId: 1n,
        consumer: f.memberIds.consumer,
        provider: f.memberIds.provider,
        tariffVersion: 1,
        feeBps: FEE_BPS,
        status: "settled",
        reportsHash: invoice.reportsHash,
        previousReportsHash: ZERO_REPORTS_HASH,
      });
      expect(doc.header.issuedAt).to.equal(Number(invoice.issuedAt));
      expect(doc.header.settledAt).to.equal(Number(invoice.settledAt));
      expect(order.reportsHash).to.equal(invoice.reportsHash);
    });

    it("shows a pending invoice as not credited yet", async function () {
      const { pending } = await loadSettled();
      expect(pending.header.status).to.equal("pending");
      expect(pending.header.settledAt).to.equal(0);
      expect(pending.totals.adjustments.map((row) => row.item)).to.deep.equal([
        "not credited yet (dispute window running)",
      ]);
      expectReconciled(pending);
    });
  });

  describe("the second invoice of an order", function () {
    it("starts from the first invoice's reports hash and covers only the later reports", async function () {
      const { f, orderId, doc: first } = await loadSettled();
      await f.meter.submitReports(
        encodeReportBatch([
          await report(f, orderId, "device", { machineSeconds: 200n, units: 3n, licensedProducts: [3n] }),
          await report(f, orderId, "inspector", { inspections: 1 }),
        ]),
      );
      await f.meter.settle([orderId]);
      await time.increase(WINDOW);
      await f.meter.settle([orderId]);
      const second = await load(f, orderId, 2);
      expect(second.header.previousReportsHash).to.equal(first.header.reportsHash);
      expect(second.lines.map((l) => `${l.kind} ${l.sequence}`)).to.deep.equal(["device 4", "inspector 2"]);
      for (const line of second.lines) expect(line.price).to.equal(line.charge);
      expectReconciled(second);
    });
  });

  describe("when the order was closed below its minimum charge", function () {
    it("shows the top-up at closing as an adjustment", async function () {
      const f = await loadMarket();
      const orderId = await openOrder(f);
      await single(f, await report(f, orderId, "device", { machineSeconds: 60n, units: 1n }));
      await f.meter.connect(f.provider).closeOrder(orderId);
      await f.meter.settle([orderId]);
      await time.increase(WINDOW);
      await f.meter.settle([orderId]);
      const doc = await load(f, orderId, 1);
      const [line] = doc.lines;
      // 25 setup + 0.80 machine time + 0.20 for the unit, topped up to the 60 EUR minimum.
      expect(line!.charge).to.equal(parseEuro("26"));
      const topUp = doc.totals.adjustments.find((row) => row.item === "minimum charge top-up at closing");
      expect(topUp?.charged).to.equal(parseEuro("34"));
      expect(doc.totals.onChain.charged).to.equal(parseEuro("60"));
      expectReconciled(doc);
    });
  });

  describe("when the escrow runs out", function () {
    it("charges the line below its price", async function () {
      const doc = await underfundedInvoice();
      expect(doc.lines[0]!.charge).to.equal(parseEuro("30"));
      expect(doc.lines[0]!.price).to.be.greaterThan(parseEuro("30"));
      expectReconciled(doc);
    });
  });

  describe("when a dispute refunds part of a report", function () {
    it("shows the refund between the lines and the credited totals", async function () {
      const f = await loadMarket();
      const orderId = await openOrder(f);
      await single(f, await report(f, orderId, "device", { machineSeconds: 600n, units: 20n }));
      await f.meter.settle([orderId]);
      await f.meter.connect(f.consumer).dispute(orderId, KeyKind.Device, 1, parseEuro("5"), referenceHash("scrap"));
      await f.meter.connect(f.auditor).resolveDispute(1n, parseEuro("2"), referenceHash("2 EUR refunded"));
      await time.increase(WINDOW);
      await f.meter.settle([orderId]);
      const doc = await load(f, orderId, 1);
      const refund = doc.totals.adjustments.find((row) => row.item === "refunded to the consumer (disputes)");
      expect(refund?.providerNet).to.equal(-parseEuro("2"));
      expectReconciled(doc);
    });
  });

  describe("errors a user can act on", function () {
    it("refuses an invoice number the order does not have", async function () {
      const { f, orderId } = await loadSettled();
      let message = "";
      await load(f, orderId, 2).catch((error: Error) => (message = error.message));
      expect(message).to.contain("has 1 invoice(s)");
    });
  });
});
