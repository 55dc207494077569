/**
 * First tests of the UsageMeter (work in progress): the main paths and the bad-input rejections the
 * issue names. The full branch tree, role matrix and invariants follow.
 */
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { expect } from "chai";
import { network } from "hardhat";
import { getAddress, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";

import { KeyKind } from "../../src/broker/listing.js";
import { price } from "../../src/broker/tariff.js";
import { ReadingKind, proveReading, readingsRoot, type Reading } from "../../src/metering/readings.js";
import {
  reportDigest,
  signReport,
  type MeterDomain,
  type SignedReport,
  type UsageReport,
} from "../../src/metering/report.js";
import { parseEuro } from "../../src/sdk/money.js";
import { referenceHash } from "../../src/sdk/references.js";
import { meterDomain, usageReportTypes } from "../../src/sdk/typed-data.js";
import { marketFixture, mintTo, type MarketFixture } from "../helpers/fixtures.js";
import { highSTwinOf } from "../helpers/permit.js";
import { profileArg, sampleProfile, sampleTariff, tariffArg } from "../helpers/registry.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;
const deployMarket = marketFixture(connection);

const BUDGET = parseEuro("500");
const WINDOW = 3600;
const Reject = {
  None: 0,
  OrderNotOpen: 1,
  InvalidSignature: 2,
  UnknownSigner: 3,
  SignerOfAnotherMachine: 4,
  SignerNotValidAtPeriodEnd: 5,
  PeriodEndsBeforeStart: 6,
  PeriodInFuture: 7,
  PeriodAfterExpiry: 8,
  SequenceGap: 9,
  CountsNotAllowedForSigner: 10,
  LicensedProductsMismatch: 11,
  MoreSecondsThanThePeriod: 12,
  CountsTooLarge: 13,
} as const;

interface Booked extends MarketFixture {
  device: PrivateKeyAccount;
  inspector: PrivateKeyAccount;
  otherDevice: PrivateKeyAccount;
  domain: MeterDomain;
  orderId: bigint;
  licenseId: number;
  openedAt: number;
}

/** A laser (device + inspector key, tariff with licence 1), a second machine, and an order of 500 EUR. */
async function booked(): Promise<Booked> {
  const f = await deployMarket();
  const device = privateKeyToAccount(generatePrivateKey());
  const inspector = privateKeyToAccount(generatePrivateKey());
  const otherDevice = privateKeyToAccount(generatePrivateKey());
  await f.licenses.connect(f.licensor).registerLicense(parseEuro("0.35"), referenceHash("terms"));
  await f.machines
    .connect(f.provider)
    .registerMachine(profileArg(sampleProfile()), [device.address], tariffArg(sampleTariff({ licenseIds: [1] })));
  await f.machines.connect(f.provider).addKey(1n, inspector.address, KeyKind.Inspector);
  await f.machines
    .connect(f.provider)
    .registerMachine(profileArg(sampleProfile()), [otherDevice.address], tariffArg(sampleTariff()));
  await mintTo(f, f.consumer.address, parseEuro("10000"));
  await f.token.connect(f.consumer).approve(await f.meter.getAddress(), parseEuro("10000"));
  const now = await time.latest();
  await f.meter.connect(f.consumer).openOrder(terms({ expiresAt: now + 30 * 86400 }));
  const { chainId } = await ethers.provider.getNetwork();
  const domain = { chainId: Number(chainId), meter: getAddress(await f.meter.getAddress()) };
  return { ...f, device, inspector, otherDevice, domain, orderId: 1n, licenseId: 1, openedAt: await time.latest() };
}

function terms(overrides: Record<string, unknown> = {}) {
  return {
    machineId: 1n,
    tariffVersion: 1,
    budget: BUDGET,
    expiresAt: 0,
    disputeWindow: WINDOW,
    capPerPeriod: 0n,
    capPeriod: 0,
    capability: referenceHash("laser-cutting"),
    ...overrides,
  };
}

const ROOT = readingsRoot([{ index: 0n, at: 1, kind: ReadingKind.SpindleSeconds, amount: 1n, licenseId: 0 }]);

async function report(f: Booked, overrides: Partial<UsageReport> = {}, key = f.device): Promise<SignedReport> {
  const end = (await time.latest()) - 1;
  return signReport(key, f.domain, {
    orderId: f.orderId,
    sequence: 1,
    periodStart: end - 600,
    periodEnd: end,
    machineSeconds: 480n,
    units: 12n,
    inspections: 0,
    licensedProducts: [],
    readingsRoot: ROOT,
    ...overrides,
  });
}

const arg = (signed: SignedReport) => ({ ...signed.report, licensedProducts: [...signed.report.licensedProducts] });
const submit = (f: Booked, signed: SignedReport, signature: string = signed.signature) =>
  f.meter.submitReport(arg(signed), signature);

describe("UsageMeter (first tests)", function () {
  describe("openOrder", function () {
    it("escrows the budget, locks the tariff version and counts as an obligation of both sides", async function () {
      const f = await loadFixture(booked);
      const order = await f.meter.getOrder(f.orderId);
      expect(order.escrow).to.equal(BUDGET);
      expect(order.tariffVersion).to.equal(1n);
      expect(order.licenseCount).to.equal(1n);
      expect(await f.token.balanceOf(await f.meter.getAddress())).to.equal(BUDGET);
      expect(await f.meter.openObligations(f.memberIds.consumer)).to.equal(1n);
      expect(await f.meter.openObligations(f.memberIds.provider)).to.equal(1n);
      expect((await f.meter.meterOf(f.orderId)).available).to.equal(BUDGET);
    });

    it("refuses a tariff version other than the one in force", async function () {
      const f = await loadFixture(booked);
      await f.machines.connect(f.provider).publishTariff(1n, tariffArg(sampleTariff({ licenseIds: [1] })));
      await expect(f.meter.connect(f.consumer).openOrder(terms({ expiresAt: (await time.latest()) + 100 })))
        .to.be.revertedWithCustomError(f.meter, "UsageMeterTariffChanged")
        .withArgs(1n, 1, 2);
    });
  });

  describe("submitReport", function () {
    it("charges exactly what the tariff says for the first report (setup fee included)", async function () {
      const f = await loadFixture(booked);
      const signed = await report(f);
      const expected = price(sampleTariff({ licenseIds: [1] }), [parseEuro("0.35")], {
        machineSeconds: 480n,
        units: 12n,
        inspections: 0,
        licensedProducts: [],
      });
      const charge = expected.total - expected.minimumTopUp;
      await expect(submit(f, signed)).to.emit(f.meter, "ReportRecorded");
      expect((await f.meter.meterOf(f.orderId)).available).to.equal(BUDGET - charge);
    });

    it("skips a report it recorded already (a relayer may retry blindly)", async function () {
      const f = await loadFixture(booked);
      const signed = await report(f);
      await submit(f, signed);
      const before = await f.meter.meterOf(f.orderId);
      await expect(submit(f, signed)).to.emit(f.meter, "ReportDuplicate").withArgs(f.orderId, KeyKind.Device, 1);
      expect(await f.meter.meterOf(f.orderId)).to.deep.equal(before);
    });

    const rejections: [string, (f: Booked) => Promise<[SignedReport, string?]>, number][] = [
      ["a gap in the numbers", async (f) => [await report(f, { sequence: 2 })], Reject.SequenceGap],
      [
        "a period that ends before it starts",
        async (f) => {
          const end = (await time.latest()) - 10;
          // Signed without the SDK's own check, as a faulty device would.
          const bad = { ...(await report(f)).report, periodStart: end + 5, periodEnd: end, machineSeconds: 0n };
          const signature = await f.device.signTypedData({
            domain: meterDomain(f.domain.chainId, f.domain.meter),
            types: usageReportTypes,
            primaryType: "UsageReport",
            message: { ...bad, licensedProducts: [] },
          });
          return [{ report: bad, signature }];
        },
        Reject.PeriodEndsBeforeStart,
      ],
      ["a key of another machine", async (f) => [await report(f, {}, f.otherDevice)], Reject.SignerOfAnotherMachine],
      [
        "an unknown key",
        async (f) => [await report(f, {}, privateKeyToAccount(generatePrivateKey()))],
        Reject.UnknownSigner,
      ],
      [
        "the high-s twin of a valid signature",
        async (f) => {
          const signed = await report(f);
          return [signed, highSTwinOf(signed.signature)];
        },
        Reject.InvalidSignature,
      ],
      [
        "a signature for another chain (another signer recovers)",
        async (f) => {
          const signed = await report(f);
          const other = await signReport(f.device, { ...f.domain, chainId: f.domain.chainId + 1 }, signed.report);
          return [signed, other.signature];
        },
        Reject.UnknownSigner,
      ],
      [
        "a signature for another deployment",
        async (f) => {
          const signed = await report(f);
          const other = await signReport(
            f.device,
            { ...f.domain, meter: getAddress(`0x${"22".repeat(20)}`) },
            signed.report,
          );
          return [signed, other.signature];
        },
        Reject.UnknownSigner,
      ],
      [
        "inspections signed by a device key",
        async (f) => [await report(f, { inspections: 1 })],
        Reject.CountsNotAllowedForSigner,
      ],
      [
        "machine time signed by an inspector key",
        async (f) => [await report(f, {}, f.inspector)],
        Reject.CountsNotAllowedForSigner,
      ],
      [
        "more machine seconds than the period",
        async (f) => [await report(f, { machineSeconds: 601n })],
        Reject.MoreSecondsThanThePeriod,
      ],
      [
        "licensed products for two licences",
        async (f) => [await report(f, { licensedProducts: [1n, 1n] })],
        Reject.LicensedProductsMismatch,
      ],
    ];
    for (const [name, make, reason] of rejections) {
      it(`rejects ${name}`, async function () {
        const f = await loadFixture(booked);
        const [signed, signature] = await make(f);
        await expect(submit(f, signed, signature))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterReportRejected")
          .withArgs(f.orderId, signed.report.sequence, reason);
      });
    }

    it("records an inspector's report in its own stream and charges the inspections", async function () {
      const f = await loadFixture(booked);
      await submit(f, await report(f));
      const available = (await f.meter.meterOf(f.orderId)).available;
      const inspection = await report(f, { machineSeconds: 0n, units: 0n, inspections: 2 }, f.inspector);
      await expect(submit(f, inspection))
        .to.emit(f.meter, "ReportRecorded")
        .withArgs(f.orderId, KeyKind.Inspector, 1, anyValue, 2n * parseEuro("12"));
      const meter = await f.meter.meterOf(f.orderId);
      expect([meter.deviceSequence, meter.inspectorSequence]).to.deep.equal([1n, 1n]);
      expect(meter.available).to.equal(available - 2n * parseEuro("12"));
    });

    it("rejects a period that ends in the future or after the order expires", async function () {
      const f = await loadFixture(booked);
      const now = await time.latest();
      const future = await report(f, { periodStart: now, periodEnd: now + 100, machineSeconds: 10n });
      await expect(submit(f, future))
        .to.be.revertedWithCustomError(f.meter, "UsageMeterReportRejected")
        .withArgs(f.orderId, 1, Reject.PeriodInFuture);
      const { expiresAt } = await f.meter.getOrder(f.orderId);
      await time.increaseTo(expiresAt + 100n);
      const late = await report(f, {
        periodStart: Number(expiresAt),
        periodEnd: Number(expiresAt) + 50,
        machineSeconds: 10n,
      });
      await expect(submit(f, late))
        .to.be.revertedWithCustomError(f.meter, "UsageMeterReportRejected")
        .withArgs(f.orderId, 1, Reject.PeriodAfterExpiry);
    });

    it("rejects reports for a closed order, and counts that would overflow the meter", async function () {
      const f = await loadFixture(booked);
      const tooMany = await report(f, { units: 2n ** 40n });
      await expect(submit(f, tooMany))
        .to.be.revertedWithCustomError(f.meter, "UsageMeterReportRejected")
        .withArgs(f.orderId, 1, Reject.CountsTooLarge);
      await f.meter.connect(f.provider).closeOrder(f.orderId);
      const signed = await report(f);
      await expect(f.meter.submitReports([arg(signed)], [signed.signature]))
        .to.emit(f.meter, "ReportRejected")
        .withArgs(f.orderId, 1, Reject.OrderNotOpen);
    });

    it("rejects a report signed after its key was revoked, and accepts one signed before", async function () {
      const f = await loadFixture(booked);
      const before = await report(f);
      await time.increase(10);
      await f.machines.connect(f.provider).revokeKey(1n, f.device.address);
      const revokedAt = await time.latest();
      await time.increase(10);
      const after = await signReport(f.device, f.domain, {
        ...before.report,
        periodStart: revokedAt,
        periodEnd: revokedAt + 5,
      });
      await expect(submit(f, after))
        .to.be.revertedWithCustomError(f.meter, "UsageMeterReportRejected")
        .withArgs(f.orderId, 1, Reject.SignerNotValidAtPeriodEnd);
      await expect(submit(f, before)).to.emit(f.meter, "ReportRecorded");
    });

    it("in a batch, skips a rejected report with its reason and records the rest", async function () {
      const f = await loadFixture(booked);
      const first = await report(f);
      const gap = await report(f, { sequence: 3 });
      const second = await report(f, { sequence: 2 });
      const tx = f.meter.submitReports(
        [arg(first), arg(gap), arg(second), arg(first)],
        [first.signature, gap.signature, second.signature, first.signature],
      );
      await expect(tx).to.emit(f.meter, "ReportRejected").withArgs(f.orderId, 3, Reject.SequenceGap);
      await expect(tx).to.emit(f.meter, "ReportDuplicate").withArgs(f.orderId, KeyKind.Device, 1);
      expect((await f.meter.meterOf(f.orderId)).deviceSequence).to.equal(2n);
    });

    it("caps a charge at the remaining escrow and marks the order exhausted", async function () {
      const f = await loadFixture(booked);
      const huge = await report(f, { units: 100_000n });
      await expect(submit(f, huge)).to.emit(f.meter, "OrderExhausted");
      expect((await f.meter.meterOf(f.orderId)).available).to.equal(0n);
    });
  });

  describe("settling, disputes and closing", function () {
    it("pays provider (less the fee) and licensor after the dispute window, and returns the rest at closing", async function () {
      const f = await loadFixture(booked);
      await submit(f, await report(f, { licensedProducts: [10n] }));
      const charged = BUDGET - (await f.meter.meterOf(f.orderId)).available;
      await f.meter.settle([f.orderId]);
      expect(await f.meter.payableTo(f.memberIds.provider)).to.equal(0n);
      await time.increase(WINDOW);
      await f.meter.settle([f.orderId]);
      const royalty = 10n * parseEuro("0.35");
      expect(await f.meter.payableTo(f.memberIds.licensor)).to.equal(royalty);
      expect(await f.meter.payableTo(f.memberIds.provider)).to.equal(charged - royalty);
      await expect(f.meter.connect(f.provider).withdraw()).to.emit(f.meter, "PayoutWithdrawn");
      // Closing tops the provider up to the 60 EUR minimum and returns the rest of the escrow.
      const consumerBefore = await f.token.balanceOf(f.consumer.address);
      await expect(f.meter.connect(f.provider).closeOrder(f.orderId)).to.emit(f.meter, "OrderClosed");
      const minimumCharged = parseEuro("60") + royalty;
      expect(await f.token.balanceOf(f.consumer.address)).to.equal(consumerBefore + BUDGET - minimumCharged);
      expect((await f.meter.getOrder(f.orderId)).status).to.equal(2n);
      expect(await f.meter.openObligations(f.memberIds.consumer)).to.equal(1n);
      await f.meter.settle([f.orderId]);
      await time.increase(WINDOW);
      await f.meter.settle([f.orderId]);
      expect(await f.meter.payableTo(f.memberIds.provider)).to.equal(parseEuro("60") - (charged - royalty));
      expect((await f.meter.getOrder(f.orderId)).status).to.equal(3n);
      expect(await f.meter.openObligations(f.memberIds.consumer)).to.equal(0n);
      expect(await f.meter.openObligations(f.memberIds.provider)).to.equal(0n);
    });

    it("freezes a disputed charge until an auditor refunds it", async function () {
      const f = await loadFixture(booked);
      await submit(f, await report(f));
      await f.meter.settle([f.orderId]);
      await expect(
        f.meter
          .connect(f.consumer)
          .dispute(f.orderId, KeyKind.Device, 1, parseEuro("10"), referenceHash("wrong count")),
      ).to.emit(f.meter, "ReportDisputed");
      await time.increase(WINDOW);
      await f.meter.settle([f.orderId]);
      const charged = BUDGET - (await f.meter.meterOf(f.orderId)).available;
      expect(await f.meter.payableTo(f.memberIds.provider)).to.equal(charged - parseEuro("10"));
      const balance = await f.token.balanceOf(f.consumer.address);
      await f.meter.connect(f.auditor).resolveDispute(1n, parseEuro("10"), referenceHash("upheld"));
      expect(await f.token.balanceOf(f.consumer.address)).to.equal(balance + parseEuro("10"));
    });
  });

  describe("refusals and events of the order's life", function () {
    it("emits OrderOpened with the terms", async function () {
      const f = await loadFixture(booked);
      const expiresAt = (await time.latest()) + 3600;
      await expect(f.meter.connect(f.consumer).openOrder(terms({ expiresAt })))
        .to.emit(f.meter, "OrderOpened")
        .withArgs(
          2n,
          1n,
          f.memberIds.consumer,
          f.memberIds.provider,
          1,
          BUDGET,
          expiresAt,
          referenceHash("laser-cutting"),
        );
    });

    it("refuses a zero budget, a past expiry, a long dispute window and a cap without a period", async function () {
      const f = await loadFixture(booked);
      const expiresAt = (await time.latest()) + 3600;
      const open = (overrides: Record<string, unknown>) =>
        f.meter.connect(f.consumer).openOrder(terms({ expiresAt, ...overrides }));
      await expect(open({ budget: 0n }))
        .to.be.revertedWithCustomError(f.meter, "UsageMeterInvalidBudget")
        .withArgs(0n);
      await expect(open({ expiresAt: 1 }))
        .to.be.revertedWithCustomError(f.meter, "UsageMeterInvalidExpiry")
        .withArgs(1);
      const max = await f.meter.MAX_DISPUTE_WINDOW();
      await expect(open({ disputeWindow: max + 1n }))
        .to.be.revertedWithCustomError(f.meter, "UsageMeterDisputeWindowTooLong")
        .withArgs(max + 1n, max);
      await expect(open({ capPerPeriod: 5n }))
        .to.be.revertedWithCustomError(f.meter, "UsageMeterInvalidCap")
        .withArgs(5n, 0);
    });

    it("refuses a batch whose signatures do not match its reports", async function () {
      const f = await loadFixture(booked);
      const signed = await report(f);
      await expect(f.meter.submitReports([arg(signed)], []))
        .to.be.revertedWithCustomError(f.meter, "UsageMeterLengthMismatch")
        .withArgs(1n, 0n);
    });

    it("lets the consumer close only after expiry, nobody else but the provider, and only once", async function () {
      const f = await loadFixture(booked);
      const order = await f.meter.getOrder(f.orderId);
      await expect(f.meter.connect(f.consumer).closeOrder(f.orderId))
        .to.be.revertedWithCustomError(f.meter, "UsageMeterNotExpired")
        .withArgs(f.orderId, order.expiresAt);
      await expect(f.meter.connect(f.licensor).closeOrder(f.orderId))
        .to.be.revertedWithCustomError(f.meter, "UsageMeterNotConsumer")
        .withArgs(f.orderId, f.memberIds.licensor);
      await expect(f.meter.connect(f.consumer).closeOrder(99n))
        .to.be.revertedWithCustomError(f.meter, "UsageMeterUnknownOrder")
        .withArgs(99n);
      await time.increaseTo(order.expiresAt);
      await f.meter.connect(f.consumer).closeOrder(f.orderId);
      await expect(f.meter.connect(f.consumer).closeOrder(f.orderId))
        .to.be.revertedWithCustomError(f.meter, "UsageMeterOrderNotOpen")
        .withArgs(f.orderId);
    });

    it("caps what a period may cost and says so", async function () {
      const f = await loadFixture(booked);
      const expiresAt = (await time.latest()) + 86_400;
      await f.meter.connect(f.consumer).openOrder(terms({ expiresAt, capPerPeriod: parseEuro("30"), capPeriod: 3600 }));
      await time.increase(700);
      const signed = await report({ ...f, orderId: 2n });
      await expect(submit(f, signed)).to.emit(f.meter, "SpendingCapReached");
      expect((await f.meter.meterOf(2n)).available).to.equal(BUDGET - parseEuro("30"));
    });
  });

  describe("refusals and events of settlement and disputes", function () {
    it("refuses to settle an order that does not exist", async function () {
      const f = await loadFixture(booked);
      await expect(f.meter.settle([99n]))
        .to.be.revertedWithCustomError(f.meter, "UsageMeterUnknownOrder")
        .withArgs(99n);
    });

    it("refuses disputes of unknown, foreign, unrecorded, settled or too large charges", async function () {
      const f = await loadFixture(booked);
      await submit(f, await report(f));
      const dispute = (orderId: bigint, sequence: number, amount: bigint) =>
        f.meter.connect(f.consumer).dispute(orderId, KeyKind.Device, sequence, amount, referenceHash("x"));
      await expect(dispute(99n, 1, 1n))
        .to.be.revertedWithCustomError(f.meter, "UsageMeterUnknownOrder")
        .withArgs(99n);
      await expect(dispute(f.orderId, 2, 1n))
        .to.be.revertedWithCustomError(f.meter, "UsageMeterReportNotRecorded")
        .withArgs(f.orderId, 2, 1);
      const charged = BUDGET - (await f.meter.meterOf(f.orderId)).available;
      await expect(dispute(f.orderId, 1, charged + 1n))
        .to.be.revertedWithCustomError(f.meter, "UsageMeterDisputeTooLarge")
        .withArgs(f.orderId, charged + 1n, charged);
      await f.meter.settle([f.orderId]);
      await time.increase(WINDOW);
      await f.meter.settle([f.orderId]);
      await expect(dispute(f.orderId, 1, 1n))
        .to.be.revertedWithCustomError(f.meter, "UsageMeterReportSettled")
        .withArgs(f.orderId, 1);
    });

    it("refuses a dispute by a consumer that did not book the order", async function () {
      const f = await loadFixture(booked);
      await submit(f, await report(f));
      const other = f.spare[0]!;
      await f.consortium.connect(f.operator).admit([other.address], 1 << 2, referenceHash("second consumer"));
      await f.consortium.connect(other).acceptAgreement(await f.consortium.currentAgreement().then((a) => a[1]));
      await expect(f.meter.connect(other).dispute(f.orderId, KeyKind.Device, 1, 1n, referenceHash("x")))
        .to.be.revertedWithCustomError(f.meter, "UsageMeterNotConsumer")
        .withArgs(f.orderId, await f.consortium.memberCount());
    });

    it("resolves a dispute once, with a refund no larger than what was frozen", async function () {
      const f = await loadFixture(booked);
      await submit(f, await report(f));
      await f.meter.connect(f.consumer).dispute(f.orderId, KeyKind.Device, 1, 5n, referenceHash("x"));
      await expect(f.meter.connect(f.auditor).resolveDispute(1n, 6n, referenceHash("r")))
        .to.be.revertedWithCustomError(f.meter, "UsageMeterRefundTooLarge")
        .withArgs(1n, 6n, 5n);
      await expect(f.meter.connect(f.auditor).resolveDispute(1n, 0n, referenceHash("upheld")))
        .to.emit(f.meter, "DisputeResolved")
        .withArgs(1n, 0n, referenceHash("upheld"));
      await expect(f.meter.connect(f.auditor).resolveDispute(1n, 0n, referenceHash("again")))
        .to.be.revertedWithCustomError(f.meter, "UsageMeterUnknownDispute")
        .withArgs(1n);
    });

    it("takes the platform fee from the provider's part and lets an operator withdraw it", async function () {
      const f = await loadFixture(booked);
      const max = await f.meter.MAX_FEE_BPS();
      await expect(f.meter.connect(f.operator).setPlatformFee(max + 1n))
        .to.be.revertedWithCustomError(f.meter, "UsageMeterFeeTooHigh")
        .withArgs(max + 1n, max);
      await expect(f.meter.connect(f.operator).setPlatformFee(500))
        .to.emit(f.meter, "PlatformFeeChanged")
        .withArgs(500);
      await expect(f.meter.connect(f.operator).withdrawPlatformFees())
        .to.be.revertedWithCustomError(f.meter, "UsageMeterNothingToWithdraw")
        .withArgs(f.memberIds.operator);
      const expiresAt = (await time.latest()) + 86_400;
      await f.meter.connect(f.consumer).openOrder(terms({ expiresAt, disputeWindow: 0 }));
      await time.increase(700);
      await submit(f, await report({ ...f, orderId: 2n }));
      const charged = BUDGET - (await f.meter.meterOf(2n)).available;
      const fee = (charged * 500n) / 10_000n;
      await expect(f.meter.settle([2n]))
        .to.emit(f.meter, "ChargesSettled")
        .withArgs(2n, charged - fee, fee, 0n);
      await expect(f.meter.connect(f.operator).withdrawPlatformFees())
        .to.emit(f.meter, "PlatformFeesWithdrawn")
        .withArgs(f.memberIds.operator, f.operator.address, fee);
    });
  });

  describe("conservation under a random run (seeded)", function () {
    it("keeps escrow = charged + refunded + available per order, and the meter's tokens = what it owes", async function () {
      const f = await loadFixture(booked);
      let seed = 0x5eedn;
      const next = (n: number): number => {
        seed = (seed * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n;
        return Number(seed >> 33n) % n;
      };
      const expiresAt = (await time.latest()) + 30 * 86_400;
      await f.meter.connect(f.consumer).openOrder(terms({ expiresAt, disputeWindow: 0, budget: parseEuro("80") }));
      const orders = [1n, 2n];
      const sequence = new Map<bigint, number>([
        [1n, 0],
        [2n, 0],
      ]);
      let disputes = 0;
      let resolved = 0;
      for (let step = 0; step < 60; step++) {
        const orderId = orders[next(2)]!;
        const action = next(6);
        await time.increase(30 + next(600));
        if (action <= 2) {
          const seq = sequence.get(orderId)! + 1;
          const signed = await report(
            { ...f, orderId },
            {
              sequence: seq,
              machineSeconds: BigInt(next(500)),
              units: BigInt(next(40)),
              licensedProducts: next(2) === 0 ? [] : [BigInt(next(5))],
            },
          );
          await f.meter.submitReports([arg(signed)], [signed.signature]);
          if ((await f.meter.meterOf(orderId)).deviceSequence === BigInt(seq)) sequence.set(orderId, seq);
        } else if (action === 3) {
          await f.meter.settle(orders);
        } else if (action === 4 && sequence.get(orderId)! > 0) {
          const tx = f.meter
            .connect(f.consumer)
            .dispute(orderId, KeyKind.Device, sequence.get(orderId)!, 1_000n, referenceHash("x"));
          await tx.then(() => (disputes += 1)).catch(() => undefined);
        } else if (action === 5 && disputes > 0) {
          const id = BigInt(1 + next(disputes));
          await f.meter
            .connect(f.auditor)
            .resolveDispute(id, BigInt(next(1_001)), referenceHash("r"))
            .then(() => (resolved += 1))
            .catch(() => undefined);
        }
        // The laws, after every step.
        let held = 0n;
        let chargedTotal = 0n;
        for (const id of orders) {
          const order = await f.meter.getOrder(id);
          const meter = await f.meter.meterOf(id);
          const charged = order.escrow - order.refunded - meter.available;
          expect(charged >= 0n, `order ${id}: charged never negative`).to.equal(true);
          held += meter.available + charged;
          chargedTotal += charged;
        }
        // Nothing is withdrawn in this run and there is no platform fee: the meter holds every escrow less
        // what it refunded, and has credited no more than was charged.
        expect(await f.token.balanceOf(await f.meter.getAddress())).to.equal(held);
        const credited =
          (await f.meter.payableTo(f.memberIds.provider)) + (await f.meter.payableTo(f.memberIds.licensor));
        expect(credited <= chargedTotal, "credited at most what was charged").to.equal(true);
      }
      // The run reached what it is meant to exercise.
      expect(sequence.get(1n)! + sequence.get(2n)!).to.be.greaterThan(5);
      expect(disputes, "disputes opened").to.be.greaterThan(0);
      expect(resolved, "disputes resolved").to.be.greaterThan(0);
      expect(await f.meter.payableTo(f.memberIds.provider)).to.be.greaterThan(0n);
    });
  });

  describe("ReadingVerifier", function () {
    it("proves a raw reading of a recorded report, and nothing for an unrecorded one", async function () {
      const f = await loadFixture(booked);
      const readings: Reading[] = [
        { index: 0n, at: 1, kind: ReadingKind.SpindleSeconds, amount: 480n, licenseId: 0 },
        { index: 1n, at: 2, kind: ReadingKind.Units, amount: 12n, licenseId: 0 },
      ];
      const signed = await report(f, { readingsRoot: readingsRoot(readings) as Hex });
      const proof = proveReading(readings, readings[1]!);
      expect(await f.verifier.verifyReading(arg(signed), signed.signature, readings[1]!, proof)).to.equal(false);
      await submit(f, signed);
      expect(await f.verifier.verifyReading(arg(signed), signed.signature, readings[1]!, proof)).to.equal(true);
      const forged = { ...readings[1]!, amount: 13n };
      expect(await f.verifier.verifyReading(arg(signed), signed.signature, forged, proof)).to.equal(false);
    });

    it("answers false for an unknown order, a bad signature, another machine's key or a key not yet valid", async function () {
      const f = await loadFixture(booked);
      const readings: Reading[] = [{ index: 0n, at: 1, kind: ReadingKind.Units, amount: 12n, licenseId: 0 }];
      const root = readingsRoot(readings) as Hex;
      const proof = proveReading(readings, readings[0]!);
      const verify = (signed: SignedReport, signature = signed.signature) =>
        f.verifier.verifyReading(arg(signed), signature, readings[0]!, proof);
      const signed = await report(f, { readingsRoot: root });
      await submit(f, signed);
      expect(await verify(signed)).to.equal(true);
      expect(await f.verifier.meter()).to.equal(await f.meter.getAddress());
      expect(await f.verifier.reportDigest(arg(signed))).to.equal(reportDigest(f.domain, signed.report));
      expect(await verify(await signReport(f.device, f.domain, { ...signed.report, orderId: 99n }))).to.equal(false);
      expect(await verify(signed, highSTwinOf(signed.signature) as Hex)).to.equal(false);
      expect(await verify(await report(f, { readingsRoot: root }, f.otherDevice))).to.equal(false);
      expect(
        await verify(
          await signReport(f.device, f.domain, {
            ...signed.report,
            periodStart: f.openedAt - 20_000,
            periodEnd: f.openedAt - 10_000,
          }),
        ),
      ).to.equal(false);
    });
  });
});
