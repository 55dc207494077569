/*
UsageMeter, withdrawPlatformFees, setPlatformFee and setReportGrace — the branches, written down first; one `it` per
leaf. Who may call each function (every member role, an outsider, the issuer's keys) is the role matrix's
(test/RoleMatrix/).

withdrawPlatformFees
├── when no fees were collected ─────────────────────────── it reverts with UsageMeterNothingToWithdraw
└── when fees were collected ────────────────────────────── it pays them to the operator; emits PlatformFeesWithdrawn
setPlatformFee
├── when above MAX_FEE_BPS ──────────────────────────────── it reverts with UsageMeterFeeTooHigh
└── when valid ──────────────────────────────────────────── it applies to orders opened from then on; emits PlatformFeeChanged
setReportGrace
├── when above MAX_REPORT_GRACE ─────────────────────────── it reverts with UsageMeterReportGraceTooLong (also at deployment);
│                                                            at the bound it applies
└── when valid ──────────────────────────────────────────── it applies to orders opened from then on; emits ReportGraceChanged
*/
import { expect } from "chai";

import { booked, chargedOn, ethers, loadFixture, openAnother, report, submit, time, WINDOW } from "./fixture.js";

describe("UsageMeter", function () {
  describe("withdrawPlatformFees", function () {
    describe("when no fees were collected", function () {
      it("reverts with UsageMeterNothingToWithdraw", async function () {
        const f = await loadFixture(booked);
        await expect(f.meter.connect(f.operator).withdrawPlatformFees())
          .to.be.revertedWithCustomError(f.meter, "UsageMeterNothingToWithdraw")
          .withArgs(f.memberIds.operator);
      });
    });

    describe("when fees were collected", function () {
      it("pays them to the operator and emits PlatformFeesWithdrawn", async function () {
        const f = await loadFixture(booked);
        await f.meter.connect(f.operator).setPlatformFee(1000);
        const orderId = await openAnother(f, { disputeWindow: 0 });
        await time.increase(700);
        await submit(f, await report({ ...f, orderId }));
        const fee = ((await chargedOn(f, orderId)) * 1000n) / 10_000n;
        await f.meter.settle([orderId]);
        expect(await f.meter.platformFees()).to.equal(fee);
        const tx = f.meter.connect(f.operator).withdrawPlatformFees();
        await expect(tx)
          .to.emit(f.meter, "PlatformFeesWithdrawn")
          .withArgs(f.memberIds.operator, f.operator.address, fee);
        await expect(tx).to.changeTokenBalance(ethers, f.token, f.operator, fee);
        expect(await f.meter.platformFees()).to.equal(0n);
      });
    });
  });

  describe("setPlatformFee", function () {
    describe("when above MAX_FEE_BPS", function () {
      it("reverts with UsageMeterFeeTooHigh", async function () {
        const f = await loadFixture(booked);
        const max = await f.meter.MAX_FEE_BPS();
        await expect(f.meter.connect(f.operator).setPlatformFee(max + 1n))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterFeeTooHigh")
          .withArgs(max + 1n, max);
      });
    });

    describe("when valid", function () {
      it("applies to orders opened from then on; emits PlatformFeeChanged", async function () {
        const f = await loadFixture(booked);
        await expect(f.meter.connect(f.operator).setPlatformFee(1000))
          .to.emit(f.meter, "PlatformFeeChanged")
          .withArgs(1000);
        expect(await f.meter.platformFeeBps()).to.equal(1000n);
        const orderId = await openAnother(f);
        expect((await f.meter.getOrder(orderId)).feeBps).to.equal(1000n);
        expect((await f.meter.getOrder(f.orderId)).feeBps).to.equal(0n);
        // Order 1 keeps its fee of 0.
        await submit(f, await report(f));
        await f.meter.settle([f.orderId]);
        await time.increase(WINDOW);
        await expect(f.meter.settle([f.orderId]))
          .to.emit(f.meter, "InvoiceSettled")
          .withArgs(f.orderId, 1, await chargedOn(f), 0n, 0n, 0n);
      });
    });
  });

  describe("setReportGrace", function () {
    describe("when above MAX_REPORT_GRACE", function () {
      it("reverts with UsageMeterReportGraceTooLong, also at deployment; at the bound it applies", async function () {
        const f = await loadFixture(booked);
        const max = await f.meter.MAX_REPORT_GRACE();
        expect(max).to.equal(30n * 86400n);
        await expect(f.meter.connect(f.operator).setReportGrace(max + 1n))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterReportGraceTooLong")
          .withArgs(max + 1n, max);
        await expect(f.meter.connect(f.operator).setReportGrace(max))
          .to.emit(f.meter, "ReportGraceChanged")
          .withArgs(max);
        const ledger = await ethers.deployContract("MeterLedger");
        const factory = await ethers.getContractFactory("UsageMeter", {
          libraries: { MeterLedger: await ledger.getAddress() },
        });
        const [consortium, token, machines] = [f.consortium, f.token, f.machines].map((c) => c.getAddress());
        await expect(factory.deploy(await consortium!, await token!, await machines!, max + 1n))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterReportGraceTooLong")
          .withArgs(max + 1n, max);
      });
    });

    describe("when valid", function () {
      it("applies to orders opened from then on; emits ReportGraceChanged", async function () {
        const f = await loadFixture(booked);
        await expect(f.meter.connect(f.operator).setReportGrace(60))
          .to.emit(f.meter, "ReportGraceChanged")
          .withArgs(60);
        expect(await f.meter.reportGrace()).to.equal(60n);
        const orderId = await openAnother(f);
        expect((await f.meter.getOrder(orderId)).reportGrace).to.equal(60n);
        expect((await f.meter.getOrder(f.orderId)).reportGrace).to.equal(3600n);
        // The new order's consumer closes a minute after its expiry.
        const { expiresAt } = await f.meter.getOrder(orderId);
        await time.increaseTo(expiresAt + 58n);
        await expect(f.meter.connect(f.consumer).closeOrder(orderId))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterReportGraceRunning")
          .withArgs(orderId, expiresAt + 60n);
        await time.setNextBlockTimestamp(expiresAt + 60n);
        await expect(f.meter.connect(f.consumer).closeOrder(orderId)).to.emit(f.meter, "OrderClosed");
      });
    });
  });
});
