/*
UsageMeter, closeOrder — the branches, written down first; one `it` per leaf. Who may call each function (every member
role, an outsider, the issuer's keys) is the role matrix's (test/RoleMatrix/).

The order's lifecycle through these functions (open, report, close, dispute, resolve, payout) is also written down in
order.tree, whose leaves are test titles checked by test/meta/trees.ts.

closeOrder
├── when the caller is not a member's account ───────────── it reverts with ConsortiumNotMember
├── when the order does not exist ───────────────────────── it reverts with UsageMeterUnknownOrder
├── when the order is not open ──────────────────────────── it reverts with UsageMeterOrderNotOpen
├── when the caller is neither its provider nor its consumer  it reverts with UsageMeterNotConsumer
├── when the consumer closes before expiry ──────────────── it reverts with UsageMeterNotExpired
├── when the consumer closes within the report grace ────── it reverts with UsageMeterReportGraceRunning(order, closableAt);
│                                                            a report ending by the expiry still lands
└── when the provider closes, or the consumer after expiry and the report grace
    ├── when the order was never used ── it returns the whole escrow; the order is Settled at once
    ├── when the order was used above the minimum charge ── it returns the rest; emits OrderClosed(charged, returned)
    ├── when the order was used below the minimum ── it keeps the top-up, which the next invoice charges
    ├── when a dispute refunded part of the charges ── the top-up counts them as earned: no refund is clawed back
    └── when the escrow cannot cover the top-up ── it keeps what is left and returns nothing
*/
import { expect } from "chai";

import { parseEuro } from "../../../src/core/money.js";
import { referenceHash } from "../../../src/core/references.js";
import {
  booked,
  BUDGET,
  chargedOn,
  invoice,
  loadFixture,
  openAnother,
  priceOf,
  report,
  ROYALTY,
  Status,
  submit,
  time,
  WINDOW,
} from "./fixture.js";

describe("UsageMeter", function () {
  describe("closeOrder", function () {
    describe("when the caller is not a member's account", function () {
      it("reverts with ConsortiumNotMember", async function () {
        const f = await loadFixture(booked);
        await expect(f.meter.connect(f.outsider).closeOrder(f.orderId))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotMember")
          .withArgs(f.outsider.address);
      });
    });

    describe("when the order does not exist", function () {
      it("reverts with UsageMeterUnknownOrder", async function () {
        const f = await loadFixture(booked);
        await expect(f.meter.connect(f.consumer).closeOrder(99n))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterUnknownOrder")
          .withArgs(99n);
      });
    });

    describe("when the order is not open", function () {
      it("reverts with UsageMeterOrderNotOpen", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f));
        await f.meter.connect(f.provider).closeOrder(f.orderId);
        await expect(f.meter.connect(f.provider).closeOrder(f.orderId))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterOrderNotOpen")
          .withArgs(f.orderId);
      });
    });

    describe("when the order is settled", function () {
      it("reverts with UsageMeterOrderNotOpen", async function () {
        const f = await loadFixture(booked);
        // Never used, the order is Settled as soon as it is closed.
        await f.meter.connect(f.provider).closeOrder(f.orderId);
        expect((await f.meter.getOrder(f.orderId)).status).to.equal(Status.Settled);
        await expect(f.meter.connect(f.consumer).closeOrder(f.orderId))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterOrderNotOpen")
          .withArgs(f.orderId);
      });
    });

    describe("when the caller is neither its provider nor its consumer", function () {
      it("reverts with UsageMeterNotConsumer", async function () {
        const f = await loadFixture(booked);
        await expect(f.meter.connect(f.licensor).closeOrder(f.orderId))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterNotConsumer")
          .withArgs(f.orderId, f.memberIds.licensor);
      });
    });

    describe("when the consumer closes before expiry", function () {
      it("reverts with UsageMeterNotExpired", async function () {
        const f = await loadFixture(booked);
        const order = await f.meter.getOrder(f.orderId);
        await time.increaseTo(order.expiresAt - 2n);
        await expect(f.meter.connect(f.consumer).closeOrder(f.orderId))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterNotExpired")
          .withArgs(f.orderId, order.expiresAt);
      });
    });

    describe("when the consumer closes after expiry but within the report grace", function () {
      it("reverts with UsageMeterReportGraceRunning; a report that ended by the expiry still lands", async function () {
        const f = await loadFixture(booked);
        const order = await f.meter.getOrder(f.orderId);
        expect(order.reportGrace).to.equal(BigInt(await f.meter.reportGrace()));
        expect(order.reportGrace).to.equal(3600n);
        const closableAt = order.expiresAt + order.reportGrace;
        await time.increaseTo(order.expiresAt);
        await expect(f.meter.connect(f.consumer).closeOrder(f.orderId))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterReportGraceRunning")
          .withArgs(f.orderId, closableAt);
        // The device's last report, ending at the expiry, arrives late: it is still charged.
        const last = await report(f, {
          periodStart: Number(order.expiresAt) - 600,
          periodEnd: Number(order.expiresAt),
          machineSeconds: 600n,
          units: 0n,
        });
        await time.increaseTo(closableAt - 3n);
        await expect(submit(f, last)).to.emit(f.meter, "ReportRecorded");
        expect(await chargedOn(f)).to.equal(priceOf({ machineSeconds: 600n }));
        await expect(f.meter.connect(f.consumer).closeOrder(f.orderId))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterReportGraceRunning")
          .withArgs(f.orderId, closableAt);
        await time.setNextBlockTimestamp(closableAt);
        await expect(f.meter.connect(f.consumer).closeOrder(f.orderId)).to.emit(f.meter, "OrderClosed");
      });
    });

    describe("when the provider closes, or the consumer after expiry and the report grace", function () {
      it("returns the whole escrow of an order never used; the order is Settled at once", async function () {
        const f = await loadFixture(booked);
        const balance = await f.token.balanceOf(f.consumer.address);
        await expect(f.meter.connect(f.provider).closeOrder(f.orderId))
          .to.emit(f.meter, "OrderClosed")
          .withArgs(f.orderId, 0n, BUDGET);
        expect(await f.token.balanceOf(f.consumer.address)).to.equal(balance + BUDGET);
        const order = await f.meter.getOrder(f.orderId);
        expect([order.status, order.refunded]).to.deep.equal([Status.Settled, BUDGET]);
        expect((await f.meter.meterOf(f.orderId)).available).to.equal(0n);
        expect(await f.meter.openObligations(f.memberIds.consumer)).to.equal(0n);
        expect(await f.meter.openObligations(f.memberIds.provider)).to.equal(0n);
        await expect(f.meter.settle([f.orderId])).not.to.emit(f.meter, "InvoiceIssued");
      });

      it("returns the rest of an order used above the minimum; emits OrderClosed(charged, returned)", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f, { machineSeconds: 600n, units: 300n }));
        const charged = priceOf({ machineSeconds: 600n, units: 300n });
        expect(charged > parseEuro("60")).to.equal(true);
        const { expiresAt, reportGrace } = await f.meter.getOrder(f.orderId);
        await time.increaseTo(expiresAt + reportGrace);
        const balance = await f.token.balanceOf(f.consumer.address);
        await expect(f.meter.connect(f.consumer).closeOrder(f.orderId))
          .to.emit(f.meter, "OrderClosed")
          .withArgs(f.orderId, charged, BUDGET - charged);
        expect(await f.token.balanceOf(f.consumer.address)).to.equal(balance + BUDGET - charged);
        const order = await f.meter.getOrder(f.orderId);
        expect([order.status, order.refunded]).to.deep.equal([Status.Closed, BUDGET - charged]);
        expect(await chargedOn(f)).to.equal(charged);
      });

      it("keeps the minimum charge's top-up of an order used below it; the next invoice charges it", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f, { licensedProducts: [10n] }));
        const royalty = 10n * ROYALTY;
        const charged = await chargedOn(f);
        await f.meter.settle([f.orderId]);
        const firstHash = (await invoice(f, 1)).reportsHash;
        await time.increase(WINDOW);
        await f.meter.settle([f.orderId]);
        expect(await f.meter.payableTo(f.memberIds.provider)).to.equal(charged - royalty);
        // The provider earned charged - royalty; the minimum tops it up to 60 EUR.
        const topUp = parseEuro("60") - (charged - royalty);
        const balance = await f.token.balanceOf(f.consumer.address);
        await expect(f.meter.connect(f.provider).closeOrder(f.orderId))
          .to.emit(f.meter, "OrderClosed")
          .withArgs(f.orderId, charged + topUp, BUDGET - charged - topUp);
        expect(await f.token.balanceOf(f.consumer.address)).to.equal(balance + BUDGET - charged - topUp);
        await expect(f.meter.settle([f.orderId]))
          .to.emit(f.meter, "InvoiceIssued")
          .withArgs(f.orderId, 2, topUp, firstHash);
        const second = await invoice(f, 2);
        expect([second.charged, second.royalties, second.machineSeconds, second.units]).to.deep.equal([
          topUp,
          0n,
          0n,
          0n,
        ]);
        expect([second.firstDeviceSequence, second.lastDeviceSequence]).to.deep.equal([2n, 1n]);
        await time.increase(WINDOW);
        await f.meter.settle([f.orderId]);
        expect(await f.meter.payableTo(f.memberIds.provider)).to.equal(parseEuro("60"));
      });

      it("counts refunded charges as earned for the minimum charge: a refund is never clawed back", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f, { licensedProducts: [10n] }));
        const royalty = 10n * ROYALTY;
        const charged = await chargedOn(f);
        const earned = charged - royalty;
        await f.meter.connect(f.consumer).dispute(f.orderId, 0, 1, earned, referenceHash("wrong count"));
        await f.meter.connect(f.auditor).resolveDispute(1n, earned, referenceHash("upheld"));
        // Without the refund the provider earned `earned`; the minimum tops that up, not the refunded zero.
        const topUp = parseEuro("60") - earned;
        const balance = await f.token.balanceOf(f.consumer.address);
        await expect(f.meter.connect(f.provider).closeOrder(f.orderId))
          .to.emit(f.meter, "OrderClosed")
          .withArgs(f.orderId, royalty + topUp, BUDGET - charged - topUp);
        expect(await f.token.balanceOf(f.consumer.address)).to.equal(balance + BUDGET - charged - topUp);
      });

      it("keeps what is left when the escrow cannot cover the top-up, and returns nothing", async function () {
        const f = await loadFixture(booked);
        const orderId = await openAnother(f, { budget: parseEuro("30") });
        await time.increase(700);
        await expect(submit(f, await report({ ...f, orderId }))).to.emit(f.meter, "OrderExhausted");
        const balance = await f.token.balanceOf(f.consumer.address);
        await expect(f.meter.connect(f.provider).closeOrder(orderId))
          .to.emit(f.meter, "OrderClosed")
          .withArgs(orderId, parseEuro("30"), 0n);
        expect(await f.token.balanceOf(f.consumer.address)).to.equal(balance);
      });
    });
  });
});
