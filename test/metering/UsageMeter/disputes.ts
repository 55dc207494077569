/*
UsageMeter, dispute and resolveDispute — the branches, written down first; one `it` per leaf. Who may call each
function (every member role, an outsider, the issuer's keys) is the role matrix's (test/RoleMatrix/).

The order's lifecycle through these functions (open, report, close, dispute, resolve, payout) is also written down in
order.tree, whose leaves are test titles checked by test/meta/trees.ts.

dispute
├── when the order does not exist ───────────────────────── it reverts with UsageMeterUnknownOrder
├── when the caller's member did not book the order ─────── it reverts with UsageMeterNotConsumer
├── when the report is not recorded (0, beyond the last, other stream)  it reverts with UsageMeterReportNotRecorded
├── when the report's invoice was settled ───────────────── it reverts with UsageMeterReportSettled
├── when its invoice's window passed, nobody settled yet ── it reverts with UsageMeterDisputeWindowPassed; a later report
│                                                            is still disputable
├── when the amount is zero or above the unfrozen provider charges  it reverts with UsageMeterDisputeTooLarge
│   └── once an invoice with royalties matured, only the royalties not yet settled count against them
└── when valid ──────────────────────────────────────────── it freezes the amount, emits ReportDisputed with a new id
resolveDispute
├── when the dispute does not exist or was resolved ─────── it reverts with UsageMeterUnknownDispute
├── when the auditor's member is the consumer or provider ─ it reverts with UsageMeterAuditorIsParty
├── when the refund exceeds the frozen amount ───────────── it reverts with UsageMeterRefundTooLarge
├── when the refund is zero ─────────────────────────────── it releases the frozen amount; emits DisputeResolved
└── when the whole frozen amount is refunded ────────────── it pays the payer; a closed order becomes Settled
*/
import { expect } from "chai";

import { KeyKind } from "../../../src/core/listing.js";
import { Role } from "../../../src/core/membership.js";
import { parseEuro } from "../../../src/core/money.js";
import { referenceHash } from "../../../src/core/references.js";
import {
  booked,
  type Booked,
  BUDGET,
  chargedOn,
  inspection,
  invoice,
  loadFixture,
  report,
  ROYALTY,
  Status,
  submit,
  time,
  WINDOW,
} from "./fixture.js";

describe("UsageMeter", function () {
  describe("dispute", function () {
    const disputeAs = (f: Booked, orderId: bigint, sequence: number, amount: bigint, kind: number = KeyKind.Device) =>
      f.meter.connect(f.consumer).dispute(orderId, kind, sequence, amount, referenceHash("x"));

    describe("when the order does not exist", function () {
      it("reverts with UsageMeterUnknownOrder", async function () {
        const f = await loadFixture(booked);
        await expect(disputeAs(f, 99n, 1, 1n))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterUnknownOrder")
          .withArgs(99n);
      });
    });

    describe("when the caller's member did not book the order", function () {
      it("reverts with UsageMeterNotConsumer", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f));
        const other = f.spare[0]!;
        await f.consortium.connect(f.operator).admit([other.address], 1 << 2, referenceHash("second consumer"));
        await f.consortium.connect(other).acceptAgreement(await f.consortium.currentAgreement().then((a) => a[1]));
        await expect(f.meter.connect(other).dispute(f.orderId, KeyKind.Device, 1, 1n, referenceHash("x")))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterNotConsumer")
          .withArgs(f.orderId, await f.consortium.memberCount());
      });
    });

    describe("when the report is not recorded", function () {
      it("reverts with UsageMeterReportNotRecorded (number 0, beyond the last, the other stream)", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f));
        for (const [sequence, kind, last] of [
          [0, KeyKind.Device, 1],
          [2, KeyKind.Device, 1],
          [1, KeyKind.Inspector, 0],
        ] as const) {
          await expect(disputeAs(f, f.orderId, sequence, 1n, kind))
            .to.be.revertedWithCustomError(f.meter, "UsageMeterReportNotRecorded")
            .withArgs(f.orderId, sequence, last);
        }
      });
    });

    describe("when the report's invoice was settled", function () {
      it("reverts with UsageMeterReportSettled", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f));
        await f.meter.settle([f.orderId]);
        await submit(f, await report(f, { sequence: 2 }));
        await time.increase(WINDOW);
        await f.meter.settle([f.orderId]);
        await expect(disputeAs(f, f.orderId, 1, 1n))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterReportSettled")
          .withArgs(f.orderId, 1);
        // Report 2 is in the pending invoice 2: still disputable.
        await expect(disputeAs(f, f.orderId, 2, 1n)).to.emit(f.meter, "ReportDisputed");
      });
    });

    describe("when the amount is zero or above the unfrozen provider charges", function () {
      it("reverts with UsageMeterDisputeTooLarge", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f, { licensedProducts: [10n] }));
        const providerCharges = (await chargedOn(f)) - 10n * ROYALTY;
        await expect(disputeAs(f, f.orderId, 1, 0n))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterDisputeTooLarge")
          .withArgs(f.orderId, 0n, providerCharges);
        await expect(disputeAs(f, f.orderId, 1, providerCharges + 1n))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterDisputeTooLarge")
          .withArgs(f.orderId, providerCharges + 1n, providerCharges);
        await disputeAs(f, f.orderId, 1, parseEuro("5"));
        await expect(disputeAs(f, f.orderId, 1, providerCharges))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterDisputeTooLarge")
          .withArgs(f.orderId, providerCharges, providerCharges - parseEuro("5"));
      });

      it("counts only the royalties not yet settled against them, once an invoice with royalties matured", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f, { licensedProducts: [10n] }));
        await f.meter.settle([f.orderId]);
        await time.increase(WINDOW);
        await f.meter.settle([f.orderId]);
        const settled = await chargedOn(f);
        await submit(f, await report(f, { sequence: 2, licensedProducts: [4n] }));
        const providerCharges = (await chargedOn(f)) - settled - 4n * ROYALTY;
        await expect(disputeAs(f, f.orderId, 2, providerCharges + 1n))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterDisputeTooLarge")
          .withArgs(f.orderId, providerCharges + 1n, providerCharges);
        await expect(disputeAs(f, f.orderId, 2, providerCharges)).to.emit(f.meter, "ReportDisputed");
      });
    });

    describe("when the window of the invoice covering the report has passed, even before anyone settled", function () {
      it("reverts with UsageMeterDisputeWindowPassed; a report after that invoice is still disputable", async function () {
        const f = await loadFixture(booked);
        const [first, second] = [await report(f), await report(f, { sequence: 2 })];
        await submit(f, first);
        await f.meter.settle([f.orderId]);
        const { issuedAt } = await invoice(f, 1);
        await submit(f, second);
        await time.increaseTo(issuedAt + BigInt(WINDOW) - 2n);
        // Inside the window: accepted.
        await expect(disputeAs(f, f.orderId, 1, 1n)).to.emit(f.meter, "ReportDisputed");
        // At its end, with no settle in between: refused.
        await time.setNextBlockTimestamp(issuedAt + BigInt(WINDOW));
        await expect(disputeAs(f, f.orderId, 1, 1n))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterDisputeWindowPassed")
          .withArgs(f.orderId, 1, issuedAt + BigInt(WINDOW));
        // Report 2 came after invoice 1: its window has not started.
        await expect(disputeAs(f, f.orderId, 2, 1n)).to.emit(f.meter, "ReportDisputed");
      });
    });

    describe("when the order is closed and the report's invoice is pending", function () {
      it("freezes the amount; the order is Settled only once the dispute is resolved and the rest settled", async function () {
        const f = await loadFixture(booked);
        const status = async () => (await f.meter.getOrder(f.orderId)).status;
        await submit(f, await report(f));
        await f.meter.settle([f.orderId]);
        await f.meter.connect(f.provider).closeOrder(f.orderId);
        expect(await status()).to.equal(Status.Closed);
        await expect(disputeAs(f, f.orderId, 1, 1n))
          .to.emit(f.meter, "ReportDisputed")
          .withArgs(f.orderId, 1n, KeyKind.Device, 1, 1n, referenceHash("x"));
        // Invoice 1 settles with the disputed unit held back; invoice 2 (the minimum's top-up) settles in full.
        await time.increase(WINDOW);
        await f.meter.settle([f.orderId]);
        await time.increase(WINDOW);
        await f.meter.settle([f.orderId]);
        expect((await invoice(f, 1)).heldBack).to.equal(1n);
        expect(await status()).to.equal(Status.Closed);
        expect(await f.token.holdsOf(f.consumer.address)).to.equal(1n);
        // Rejected, the dispute releases the unit; the next settle credits it and the order is done.
        await f.meter.connect(f.auditor).resolveDispute(1n, 0n, referenceHash("rejected"));
        expect(await status()).to.equal(Status.Closed);
        await f.meter.settle([f.orderId]);
        expect(await status()).to.equal(Status.Settled);
        expect(await f.token.holdsOf(f.consumer.address)).to.equal(0n);
        expect(await f.meter.openObligations(f.memberIds.consumer)).to.equal(0n);
      });
    });

    describe("when the order is settled", function () {
      it("reverts with UsageMeterReportSettled", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f));
        await f.meter.settle([f.orderId]);
        await f.meter.connect(f.provider).closeOrder(f.orderId);
        await time.increase(WINDOW);
        await f.meter.settle([f.orderId]);
        await time.increase(WINDOW);
        await f.meter.settle([f.orderId]);
        expect((await f.meter.getOrder(f.orderId)).status).to.equal(Status.Settled);
        await expect(disputeAs(f, f.orderId, 1, 1n))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterReportSettled")
          .withArgs(f.orderId, 1);
      });
    });

    describe("when valid", function () {
      it("freezes the amount and emits ReportDisputed with a new id", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f));
        await submit(f, await inspection(f, 1, 1));
        await expect(f.meter.connect(f.consumer).dispute(f.orderId, KeyKind.Device, 1, 7n, referenceHash("wrong")))
          .to.emit(f.meter, "ReportDisputed")
          .withArgs(f.orderId, 1n, KeyKind.Device, 1, 7n, referenceHash("wrong"));
        expect(
          await f.meter.connect(f.consumer).dispute.staticCall(f.orderId, KeyKind.Inspector, 1, 3n, referenceHash("y")),
        ).to.equal(2n);
        await expect(disputeAs(f, f.orderId, 1, 3n, KeyKind.Inspector))
          .to.emit(f.meter, "ReportDisputed")
          .withArgs(f.orderId, 2n, KeyKind.Inspector, 1, 3n, referenceHash("x"));
        // Frozen charges are held back when the invoice settles.
        await f.meter.settle([f.orderId]);
        await time.increase(WINDOW);
        const charged = await chargedOn(f);
        await expect(f.meter.settle([f.orderId]))
          .to.emit(f.meter, "InvoiceSettled")
          .withArgs(f.orderId, 1, charged - 10n, 0n, 0n, 10n);
      });
    });
  });

  describe("resolveDispute", function () {
    describe("when the dispute does not exist or was resolved", function () {
      it("reverts with UsageMeterUnknownDispute", async function () {
        const f = await loadFixture(booked);
        await expect(f.meter.connect(f.auditor).resolveDispute(1n, 0n, referenceHash("r")))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterUnknownDispute")
          .withArgs(1n);
        await submit(f, await report(f));
        await f.meter.connect(f.consumer).dispute(f.orderId, KeyKind.Device, 1, 5n, referenceHash("x"));
        await f.meter.connect(f.auditor).resolveDispute(1n, 0n, referenceHash("r"));
        await expect(f.meter.connect(f.auditor).resolveDispute(1n, 0n, referenceHash("again")))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterUnknownDispute")
          .withArgs(1n);
      });
    });

    describe("when the auditor's member is the order's consumer or provider", function () {
      it("reverts with UsageMeterAuditorIsParty; another auditor resolves it", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f));
        await f.meter.connect(f.consumer).dispute(f.orderId, KeyKind.Device, 1, 5n, referenceHash("x"));
        for (const [party, account] of [
          [f.memberIds.consumer, f.consumer],
          [f.memberIds.provider, f.provider],
        ] as const) {
          await f.consortium.connect(f.operator).grantMemberRole(party, Role.Auditor);
          await expect(f.meter.connect(account).resolveDispute(1n, 5n, referenceHash("mine")))
            .to.be.revertedWithCustomError(f.meter, "UsageMeterAuditorIsParty")
            .withArgs(1n, party);
        }
        await expect(f.meter.connect(f.auditor).resolveDispute(1n, 0n, referenceHash("r"))).to.emit(
          f.meter,
          "DisputeResolved",
        );
      });
    });

    describe("when the refund exceeds the frozen amount", function () {
      it("reverts with UsageMeterRefundTooLarge", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f));
        await f.meter.connect(f.consumer).dispute(f.orderId, KeyKind.Device, 1, 5n, referenceHash("x"));
        await expect(f.meter.connect(f.auditor).resolveDispute(1n, 6n, referenceHash("r")))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterRefundTooLarge")
          .withArgs(1n, 6n, 5n);
      });
    });

    describe("when the refund is zero", function () {
      it("releases the frozen amount and emits DisputeResolved", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f));
        const charged = await chargedOn(f);
        await f.meter.connect(f.consumer).dispute(f.orderId, KeyKind.Device, 1, charged, referenceHash("x"));
        const balance = await f.token.balanceOf(f.consumer.address);
        await expect(f.meter.connect(f.auditor).resolveDispute(1n, 0n, referenceHash("rejected")))
          .to.emit(f.meter, "DisputeResolved")
          .withArgs(1n, 0n, referenceHash("rejected"));
        expect(await f.token.balanceOf(f.consumer.address)).to.equal(balance);
        // The whole charge can be disputed again, and matures in full otherwise.
        expect(
          await f.meter
            .connect(f.consumer)
            .dispute.staticCall(f.orderId, KeyKind.Device, 1, charged, referenceHash("x")),
        ).to.equal(2n);
        await f.meter.settle([f.orderId]);
        await time.increase(WINDOW);
        await expect(f.meter.settle([f.orderId]))
          .to.emit(f.meter, "InvoiceSettled")
          .withArgs(f.orderId, 1, charged, 0n, 0n, 0n);
      });
    });

    describe("when the whole frozen amount is refunded", function () {
      it("pays the payer; a closed order becomes Settled", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f, { machineSeconds: 600n, units: 300n }));
        const charged = await chargedOn(f);
        await f.meter.connect(f.consumer).dispute(f.orderId, KeyKind.Device, 1, charged, referenceHash("x"));
        await f.meter.settle([f.orderId]);
        await time.increase(WINDOW);
        await expect(f.meter.settle([f.orderId]))
          .to.emit(f.meter, "InvoiceSettled")
          .withArgs(f.orderId, 1, 0n, 0n, 0n, charged);
        await f.meter.connect(f.provider).closeOrder(f.orderId);
        expect((await f.meter.getOrder(f.orderId)).status).to.equal(Status.Closed);
        const balance = await f.token.balanceOf(f.consumer.address);
        await expect(f.meter.connect(f.auditor).resolveDispute(1n, charged, referenceHash("upheld")))
          .to.emit(f.meter, "DisputeResolved")
          .withArgs(1n, charged, referenceHash("upheld"));
        expect(await f.token.balanceOf(f.consumer.address)).to.equal(balance + charged);
        const order = await f.meter.getOrder(f.orderId);
        expect([order.status, order.refunded]).to.deep.equal([Status.Settled, BUDGET]);
        expect(await f.meter.openObligations(f.memberIds.provider)).to.equal(0n);
        expect(await f.token.balanceOf(await f.meter.getAddress())).to.equal(0n);
      });
    });
  });
});
