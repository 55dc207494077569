/*
UsageMeter, submitReports — the branches, written down first; one `it` per leaf. Who may call each function (every
member role, an outsider, the issuer's keys) is the role matrix's (test/RoleMatrix/).

submitReports
├── when the batch is empty ─────────────────────────────── it returns no outcomes
├── when the batch ends inside a report's fixed part ────── it reverts with UsageMeterMalformedBatch(offset)
├── when the batch ends inside a report's licensed counts ─ it reverts with UsageMeterMalformedBatch(offset)
├── when a later report is truncated ────────────────────── it reverts with the later report's offset; nothing counts
└── when the batch is well formed
    ├── it records the reports in order, of several orders and both streams, and returns their outcomes
    ├── it keeps to its gas budget: two reports in a batch under 100,000 gas
    ├── a duplicate is skipped with ReportDuplicate without failing the rest
    ├── an invalid report is skipped with ReportRejected and its reason; the rest records
    ├── a report with licensed products (n > 0) books its royalties; decodeReportBatch reads the batch back
    └── the order's reportsHash is the off-chain fold of the ReportRecorded digests (duplicates and rejects left out)
*/
import { expect } from "chai";
import { slice, type Hex } from "viem";

import { KeyKind } from "../../../src/core/listing.js";
import { decodeReportBatch, encodeReportBatch } from "../../../src/codec/batch.js";
import { reportDigest } from "../../../src/core/report.js";
import { highSTwinOf } from "../../helpers/permit.js";
import { sampleTariff } from "../../helpers/registry.js";
import {
  booked,
  chargedOn,
  fold,
  inspection,
  invoice,
  loadFixture,
  openAnother,
  Outcome,
  priceOf,
  recordedDigests,
  Reject,
  report,
  ROYALTY,
  submit,
  submitBatch,
  time,
  WINDOW,
} from "./fixture.js";

describe("UsageMeter", function () {
  describe("submitReports", function () {
    describe("when the batch is empty", function () {
      it("returns no outcomes", async function () {
        const f = await loadFixture(booked);
        expect(await f.meter.submitReports.staticCall("0x")).to.deep.equal([]);
        await expect(f.meter.submitReports("0x")).not.to.emit(f.meter, "ReportRecorded");
      });
    });

    describe("when the batch ends inside a report's fixed part", function () {
      it("reverts with UsageMeterMalformedBatch(offset)", async function () {
        const f = await loadFixture(booked);
        const packed = encodeReportBatch([await report(f)]);
        await expect(f.meter.submitReports(slice(packed, 0, 139)))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterMalformedBatch")
          .withArgs(0n);
        await expect(f.meter.submitReports(slice(packed, 0, 1)))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterMalformedBatch")
          .withArgs(0n);
      });
    });

    describe("when the batch ends inside a report's licensed counts", function () {
      it("reverts with UsageMeterMalformedBatch(offset)", async function () {
        const f = await loadFixture(booked);
        const packed = encodeReportBatch([await report(f, { licensedProducts: [3n] })]);
        expect((packed.length - 2) / 2).to.equal(148);
        // Long enough for the fixed part, short of the count and the signature it announces.
        await expect(f.meter.submitReports(slice(packed, 0, 145)))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterMalformedBatch")
          .withArgs(0n);
        await expect(f.meter.submitReports(slice(packed, 0, 147)))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterMalformedBatch")
          .withArgs(0n);
      });
    });

    describe("when a later report is truncated", function () {
      it("reverts with the later report's offset; nothing counts", async function () {
        const f = await loadFixture(booked);
        const first = await report(f, { licensedProducts: [3n] });
        const second = await report(f, { sequence: 2, licensedProducts: [1n] });
        const packed = encodeReportBatch([first, second]);
        await expect(f.meter.submitReports(slice(packed, 0, 148 + 146)))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterMalformedBatch")
          .withArgs(148n);
        await expect(f.meter.submitReports(slice(packed, 0, 148 + 100)))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterMalformedBatch")
          .withArgs(148n);
        expect((await f.meter.meterOf(f.orderId)).deviceSequence).to.equal(0n);
      });
    });

    describe("when the batch is well formed", function () {
      it("records the reports in order, of several orders and both streams, and returns their outcomes", async function () {
        const f = await loadFixture(booked);
        const other = await openAnother(f, { machineId: 2n });
        await time.increase(700);
        const reports = [
          await report(f),
          await report({ ...f, orderId: other }, {}, f.otherDevice),
          await report(f, { sequence: 2, machineSeconds: 120n, units: 3n }),
          await inspection(f, 1, 1),
          await report({ ...f, orderId: other }, { sequence: 2, units: 200n }, f.otherDevice),
        ];
        expect(await f.meter.submitReports.staticCall(encodeReportBatch(reports))).to.deep.equal(
          reports.map(() => Outcome.Recorded),
        );
        await submitBatch(f, ...reports);
        const meter = await f.meter.meterOf(f.orderId);
        expect([meter.deviceSequence, meter.inspectorSequence, meter.machineSeconds, meter.units]).to.deep.equal([
          2n,
          1n,
          600n,
          15n,
        ]);
        expect(await chargedOn(f)).to.equal(priceOf({ machineSeconds: 600n, units: 15n, inspections: 1 }));
        expect(await chargedOn(f, other)).to.equal(priceOf({ machineSeconds: 960n, units: 212n }, sampleTariff(), []));
      });

      it("keeps to its gas budget: two reports in one batch cost under 100,000 gas (about 64,000 measured)", async function () {
        // The batch path copies each report into one buffer sized for the largest report; a buffer sized
        // wrongly shows only as memory expansion, that is as gas.
        const f = await loadFixture(booked);
        await submit(f, await report(f));
        const batch = [await report(f, { sequence: 2 }), await report(f, { sequence: 3 })];
        const receipt = await (await submitBatch(f, ...batch)).wait();
        expect((await f.meter.meterOf(f.orderId)).deviceSequence).to.equal(3n);
        expect(receipt!.gasUsed).to.be.below(100_000n);
      });

      it("skips a duplicate with ReportDuplicate without failing the rest", async function () {
        const f = await loadFixture(booked);
        const first = await report(f);
        const second = await report(f, { sequence: 2 });
        const tx = submitBatch(f, first, first, second, first);
        await expect(tx).to.emit(f.meter, "ReportDuplicate").withArgs(f.orderId, KeyKind.Device, 1);
        expect((await f.meter.meterOf(f.orderId)).deviceSequence).to.equal(2n);
        expect(await f.meter.submitReports.staticCall(encodeReportBatch([first, second]))).to.deep.equal([
          Outcome.Duplicate,
          Outcome.Duplicate,
        ]);
      });

      it("skips an invalid report with ReportRejected and its reason; the rest records", async function () {
        const f = await loadFixture(booked);
        const first = await report(f);
        const gap = await report(f, { sequence: 3 });
        const twin = await report(f, { sequence: 2 });
        const now = await time.latest();
        const future = await report(f, { sequence: 2, periodStart: now, periodEnd: now + 100, machineSeconds: 1n });
        const mismatch = await report(f, { sequence: 2, licensedProducts: [1n, 2n] });
        const second = await report(f, { sequence: 2 });
        const batch = [
          first,
          gap,
          { ...twin, signature: highSTwinOf(twin.signature) as Hex },
          future,
          mismatch,
          second,
        ];
        expect(await f.meter.submitReports.staticCall(encodeReportBatch(batch))).to.deep.equal([
          Outcome.Recorded,
          Outcome.Rejected,
          Outcome.Rejected,
          Outcome.Rejected,
          Outcome.Rejected,
          Outcome.Recorded,
        ]);
        const tx = submitBatch(f, ...batch);
        await expect(tx).to.emit(f.meter, "ReportRejected").withArgs(f.orderId, 3, Reject.SequenceGap);
        await expect(tx).to.emit(f.meter, "ReportRejected").withArgs(f.orderId, 2, Reject.InvalidSignature);
        await expect(tx).to.emit(f.meter, "ReportRejected").withArgs(f.orderId, 2, Reject.PeriodInFuture);
        await expect(tx).to.emit(f.meter, "ReportRejected").withArgs(f.orderId, 2, Reject.LicensedProductsMismatch);
        expect((await f.meter.meterOf(f.orderId)).deviceSequence).to.equal(2n);
        expect(await chargedOn(f)).to.equal(priceOf({ machineSeconds: 960n, units: 24n }));
        // Reports of a closed order are skipped the same way.
        await f.meter.connect(f.provider).closeOrder(f.orderId);
        await expect(submitBatch(f, await report(f, { sequence: 3 })))
          .to.emit(f.meter, "ReportRejected")
          .withArgs(f.orderId, 3, Reject.OrderNotOpen);
      });

      it("books the royalties of reports with licensed products (n > 0); decodeReportBatch reads the batch back", async function () {
        const f = await loadFixture(booked);
        const reports = [
          await report(f, { licensedProducts: [10n] }),
          await report(f, { sequence: 2, licensedProducts: [4n] }),
          await report(f, { sequence: 3, licensedProducts: [] }),
        ];
        const packed = encodeReportBatch(reports);
        expect((packed.length - 2) / 2).to.equal(148 + 148 + 140);
        expect(decodeReportBatch(packed)).to.deep.equal(reports);
        const digests = await recordedDigests(f, f.meter.submitReports(packed));
        expect(digests).to.deep.equal(reports.map((signed) => reportDigest(f.domain, signed.report)));
        const royalties = 14n * ROYALTY;
        const charged = await chargedOn(f);
        expect(charged).to.equal(priceOf({ machineSeconds: 1440n, units: 36n, licensedProducts: [14n] }));
        await expect(f.meter.settle([f.orderId]))
          .to.emit(f.meter, "InvoiceIssued")
          .withArgs(f.orderId, 1, charged, fold(digests));
        expect((await invoice(f, 1)).royalties).to.equal(royalties);
        await time.increase(WINDOW);
        await expect(f.meter.settle([f.orderId]))
          .to.emit(f.meter, "InvoiceSettled")
          .withArgs(f.orderId, 1, charged - royalties, 0n, royalties, 0n);
        expect(await f.meter.payableTo(f.memberIds.licensor)).to.equal(royalties);
      });

      it("keeps reportsHash equal to the off-chain fold of the ReportRecorded digests", async function () {
        const f = await loadFixture(booked);
        const first = await report(f);
        const gap = await report(f, { sequence: 4 });
        const second = await report(f, { sequence: 2, licensedProducts: [1n] });
        const inspected = await inspection(f, 1, 3);
        const digests = await recordedDigests(f, submitBatch(f, first, gap, second, first, inspected));
        expect(digests).to.deep.equal(
          [first, second, inspected].map((signed) => reportDigest(f.domain, signed.report)),
        );
        expect((await f.meter.getOrder(f.orderId)).reportsHash).to.equal(fold(digests));
        // The chain goes on across transactions, and the single-report path folds the same way.
        const third = await report(f, { sequence: 3 });
        const more = await recordedDigests(f, submit(f, third));
        expect((await f.meter.getOrder(f.orderId)).reportsHash).to.equal(fold([...digests, ...more]));
        expect(fold(more, fold(digests))).to.equal(fold([...digests, ...more]));
      });
    });
  });
});
