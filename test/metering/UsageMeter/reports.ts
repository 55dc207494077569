/*
UsageMeter, submitReport: the usage report's acceptance path. Its branches are written down in report.tree, next to
this file, whose leaves are the titles of these tests (test/meta/trees.ts checks that each has one). Who may call each
function (every member role, an outsider, the issuer's keys) is the role matrix's (test/RoleMatrix/).
*/
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { expect } from "chai";
import { concat, getAddress, keccak256, pad, slice, toHex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { KeyKind } from "../../../src/core/listing.js";
import { reportDigest, signReport, type UsageReport } from "../../../src/core/report.js";
import { parseEuro } from "../../../src/core/money.js";
import { meterDomain, usageReportTypes } from "../../../src/core/typed-data.js";
import { highSTwinOf } from "../../helpers/permit.js";
import {
  arg,
  booked,
  type Booked,
  BUDGET,
  chargedOn,
  connection,
  fold,
  inspection,
  loadFixture,
  networkHelpers,
  openAnother,
  Outcome,
  priceOf,
  Reject,
  report,
  SLOT,
  Status,
  submit,
  terms,
  time,
  WINDOW,
} from "./fixture.js";

/**
 * The storage slot of an order's meter word: UsageMeter's state follows EIP712's two fallback strings (slots 0
 * and 1), so `hot` is the mapping at slot 2, and the meter word is the second slot of an order's entry.
 */
function meterWordSlot(orderId: bigint): bigint {
  return BigInt(keccak256(concat([pad(toHex(orderId)), pad(toHex(2n))]))) + 1n;
}

describe("UsageMeter", function () {
  describe("submitReport", function () {
    const rejected = async (f: Booked, tx: Promise<unknown>, sequence: number, reason: number, orderId = f.orderId) =>
      expect(tx).to.be.revertedWithCustomError(f.meter, "UsageMeterReportRejected").withArgs(orderId, sequence, reason);

    /** Signs `report` as a faulty device would, without the SDK's own checks. */
    const signRaw = (f: Booked, report: UsageReport, key = f.device) =>
      key.signTypedData({
        domain: meterDomain(f.domain.chainId, f.domain.meter),
        types: usageReportTypes,
        primaryType: "UsageReport",
        message: { ...report, licensedProducts: [...report.licensedProducts] },
      });

    describe("when the order does not exist or is closed", function () {
      it("rejects with OrderNotOpen", async function () {
        const f = await loadFixture(booked);
        const unknown = await report({ ...f, orderId: 99n });
        await rejected(f, submit(f, unknown), 1, Reject.OrderNotOpen, 99n);
        await f.meter.connect(f.provider).closeOrder(f.orderId);
        await rejected(f, submit(f, await report(f)), 1, Reject.OrderNotOpen);
      });

      it("rejects it with OrderNotOpen, though the order is not settled yet", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f));
        await f.meter.connect(f.provider).closeOrder(f.orderId);
        expect((await f.meter.getOrder(f.orderId)).status).to.equal(Status.Closed);
        await rejected(f, submit(f, await report(f, { sequence: 2 })), 2, Reject.OrderNotOpen);
      });
    });

    describe("when it counts licensed products for another number of licences", function () {
      it("rejects with LicensedProductsMismatch", async function () {
        const f = await loadFixture(booked);
        await rejected(
          f,
          submit(f, await report(f, { licensedProducts: [1n, 1n] })),
          1,
          Reject.LicensedProductsMismatch,
        );
      });

      it("rejects a report counting more licences than a tariff can name before packing it", async function () {
        const f = await loadFixture(booked);
        const signed = await report(f, { licensedProducts: [1n, 1n, 1n, 1n, 1n] });
        await expect(
          f.meter.submitReport(
            { ...signed.report, licensedProducts: [...signed.report.licensedProducts] },
            signed.signature,
          ),
        )
          .to.be.revertedWithCustomError(f.meter, "UsageMeterReportRejected")
          .withArgs(f.orderId, 1, Reject.LicensedProductsMismatch);
      });
    });

    describe("when the signature is not 65 bytes", function () {
      it("rejects with InvalidSignature", async function () {
        const f = await loadFixture(booked);
        const signed = await report(f);
        await rejected(f, submit(f, signed, signed.signature.slice(0, 130)), 1, Reject.InvalidSignature);
      });
    });

    describe("when the signature is the high-s twin of a valid one", function () {
      it("rejects with InvalidSignature", async function () {
        const f = await loadFixture(booked);
        const signed = await report(f);
        await rejected(f, submit(f, signed, highSTwinOf(signed.signature)), 1, Reject.InvalidSignature);
      });
    });

    describe("when the key is unknown", function () {
      it("rejects with UnknownSigner", async function () {
        const f = await loadFixture(booked);
        const stranger = privateKeyToAccount(generatePrivateKey());
        await rejected(f, submit(f, await report(f, {}, stranger)), 1, Reject.UnknownSigner);
      });
    });

    describe("when it was signed for another chain", function () {
      it("rejects with UnknownSigner (another address recovers)", async function () {
        const f = await loadFixture(booked);
        const signed = await report(f);
        const other = await signReport(f.device, { ...f.domain, chainId: f.domain.chainId + 1 }, signed.report);
        await rejected(f, submit(f, signed, other.signature), 1, Reject.UnknownSigner);
      });
    });

    describe("when it was signed for another deployment", function () {
      it("rejects with UnknownSigner (another address recovers)", async function () {
        const f = await loadFixture(booked);
        const signed = await report(f);
        const elsewhere = { ...f.domain, meter: getAddress(`0x${"22".repeat(20)}`) };
        const other = await signReport(f.device, elsewhere, signed.report);
        await rejected(f, submit(f, signed, other.signature), 1, Reject.UnknownSigner);
      });
    });

    describe("when the key is another machine's", function () {
      it("rejects with SignerOfAnotherMachine", async function () {
        const f = await loadFixture(booked);
        await rejected(f, submit(f, await report(f, {}, f.otherDevice)), 1, Reject.SignerOfAnotherMachine);
      });
    });

    describe("when the period ends before it starts", function () {
      it("rejects with PeriodEndsBeforeStart", async function () {
        const f = await loadFixture(booked);
        const end = (await time.latest()) - 10;
        const bad = { ...(await report(f)).report, periodStart: end + 5, periodEnd: end, machineSeconds: 0n };
        await rejected(
          f,
          submit(f, { report: bad, signature: await signRaw(f, bad) }),
          1,
          Reject.PeriodEndsBeforeStart,
        );
      });
    });

    describe("when the period ends in the future", function () {
      it("rejects with PeriodInFuture", async function () {
        const f = await loadFixture(booked);
        const now = await time.latest();
        const future = await report(f, { periodStart: now, periodEnd: now + 100, machineSeconds: 10n });
        await rejected(f, submit(f, future), 1, Reject.PeriodInFuture);
      });
    });

    describe("when the period ends after the order expires", function () {
      it("rejects with PeriodAfterExpiry", async function () {
        const f = await loadFixture(booked);
        const { expiresAt } = await f.meter.getOrder(f.orderId);
        await time.increaseTo(expiresAt + 100n);
        const late = await report(f, {
          periodStart: Number(expiresAt),
          periodEnd: Number(expiresAt) + 50,
          machineSeconds: 10n,
        });
        await rejected(f, submit(f, late), 1, Reject.PeriodAfterExpiry);
      });
    });

    describe("when the key was revoked before the period ended", function () {
      it("rejects with SignerNotValidForPeriod, and records one signed before", async function () {
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
          machineSeconds: 5n,
        });
        await rejected(f, submit(f, after), 1, Reject.SignerNotValidForPeriod);
        await expect(submit(f, before)).to.emit(f.meter, "ReportRecorded");
      });
    });

    describe("when the key was added after the period ended", function () {
      it("rejects with SignerNotValidForPeriod", async function () {
        const f = await loadFixture(booked);
        const late = privateKeyToAccount(generatePrivateKey());
        const signed = await report(f, {}, late);
        await f.machines.connect(f.provider).addKey(1n, late.address, KeyKind.Device);
        await rejected(f, submit(f, signed), 1, Reject.SignerNotValidForPeriod);
      });
    });

    describe("when the key was added during the period (valid at its end, not at its start)", function () {
      it("rejects with SignerNotValidForPeriod; a period from the key's first second counts", async function () {
        const f = await loadFixture(booked);
        await time.increase(2 * SLOT);
        const replacement = privateKeyToAccount(generatePrivateKey());
        await f.machines.connect(f.provider).addKey(1n, replacement.address, KeyKind.Device);
        const addedAt = await time.latest();
        await time.increase(SLOT);
        const spanning = await report(
          f,
          { periodStart: addedAt - 60, periodEnd: addedAt + 60, machineSeconds: 60n },
          replacement,
        );
        await rejected(f, submit(f, spanning), 1, Reject.SignerNotValidForPeriod);
        const within = await report(
          f,
          { periodStart: addedAt, periodEnd: addedAt + 60, machineSeconds: 60n },
          replacement,
        );
        await expect(submit(f, within)).to.emit(f.meter, "ReportRecorded");
      });
    });

    describe("when the period starts before the order opened", function () {
      it("rejects with PeriodStartsBeforeOrder, also from the epoch", async function () {
        const f = await loadFixture(booked);
        await time.increase(2 * SLOT);
        const early = await report(f, { periodStart: f.openedAt - 1, periodEnd: f.openedAt + SLOT });
        await rejected(f, submit(f, early), 1, Reject.PeriodStartsBeforeOrder);
        // From the epoch the key was not valid either, and its validity over the period ranks first.
        const fromZero = await report(f, { periodStart: 0, periodEnd: f.openedAt + SLOT, machineSeconds: 1n });
        await rejected(f, submit(f, fromZero), 1, Reject.SignerNotValidForPeriod);
        // The inspector stream is held to the opening too.
        const inspected = await report(
          f,
          { periodStart: f.openedAt - 1, periodEnd: f.openedAt + 10, machineSeconds: 0n, units: 0n, inspections: 1 },
          f.inspector,
        );
        await rejected(f, submit(f, inspected), 1, Reject.PeriodStartsBeforeOrder);
        // From the opening itself, it counts.
        await expect(submit(f, await report(f, { periodStart: f.openedAt }))).to.emit(f.meter, "ReportRecorded");
      });
    });

    describe("when the period starts before the stream's previous period ended", function () {
      it("rejects with PeriodOverlapsPrevious; a period starting at the previous end counts; streams are apart", async function () {
        const f = await loadFixture(booked);
        const first = await report(f);
        await submit(f, first);
        expect((await f.meter.meterOf(f.orderId)).devicePeriodEnd).to.equal(BigInt(first.report.periodEnd));
        await time.increase(2 * SLOT);
        const overlapping = await report(f, {
          sequence: 2,
          periodStart: first.report.periodEnd - 1,
          periodEnd: first.report.periodEnd + SLOT,
        });
        await rejected(f, submit(f, overlapping), 2, Reject.PeriodOverlapsPrevious);
        // The inspector stream has its own mark, still at the opening.
        const meter = await f.meter.meterOf(f.orderId);
        expect(meter.inspectorPeriodEnd).to.equal(BigInt(f.openedAt));
        await expect(submit(f, await inspection(f, 1, 1))).to.emit(f.meter, "ReportRecorded");
        expect((await f.meter.meterOf(f.orderId)).inspectorPeriodEnd).to.equal(BigInt(f.openedAt + SLOT));
        // Contiguous: the next period may start where the last ended.
        const next = await report(f, { sequence: 2, periodStart: first.report.periodEnd });
        await expect(submit(f, next)).to.emit(f.meter, "ReportRecorded");
        expect((await f.meter.meterOf(f.orderId)).devicePeriodEnd).to.equal(BigInt(next.report.periodEnd));
      });

      it("keeps a stream's recorded machine seconds within the time since the order opened", async function () {
        const f = await loadFixture(booked);
        for (let sequence = 1; sequence <= 4; sequence++) {
          await submit(f, await report(f, { sequence, machineSeconds: BigInt(SLOT) }));
        }
        // Full periods back to back: machine seconds equal the time covered, never more.
        const meter = await f.meter.meterOf(f.orderId);
        expect(meter.machineSeconds).to.equal(BigInt(4 * SLOT));
        expect(meter.devicePeriodEnd - BigInt(f.openedAt)).to.equal(BigInt(4 * SLOT));
        const again = await report(f, { sequence: 5, periodStart: f.openedAt, periodEnd: f.openedAt + SLOT });
        await rejected(f, submit(f, again), 5, Reject.PeriodOverlapsPrevious);
      });
    });

    describe("when a device key signs inspections", function () {
      it("rejects with CountsNotAllowedForSigner", async function () {
        const f = await loadFixture(booked);
        await rejected(f, submit(f, await report(f, { inspections: 1 })), 1, Reject.CountsNotAllowedForSigner);
      });
    });

    describe("when an inspector key signs machine time, units or licensed products", function () {
      it("rejects with CountsNotAllowedForSigner", async function () {
        const f = await loadFixture(booked);
        for (const counts of [
          { machineSeconds: 10n, units: 0n },
          { machineSeconds: 0n, units: 1n },
          { machineSeconds: 0n, units: 0n, licensedProducts: [1n] },
        ]) {
          await rejected(f, submit(f, await report(f, counts, f.inspector)), 1, Reject.CountsNotAllowedForSigner);
        }
      });
    });

    describe("when a device report counts more seconds than its period", function () {
      it("rejects with MoreSecondsThanThePeriod", async function () {
        const f = await loadFixture(booked);
        await rejected(f, submit(f, await report(f, { machineSeconds: 601n })), 1, Reject.MoreSecondsThanThePeriod);
      });
    });

    describe("when the report was recorded already", function () {
      it("emits ReportDuplicate and changes nothing (a relayer may retry blindly)", async function () {
        const f = await loadFixture(booked);
        const signed = await report(f);
        await submit(f, signed);
        await submit(f, await inspection(f, 1, 1));
        const [meter, order] = [await f.meter.meterOf(f.orderId), await f.meter.getOrder(f.orderId)];
        await expect(submit(f, signed)).to.emit(f.meter, "ReportDuplicate").withArgs(f.orderId, KeyKind.Device, 1);
        await expect(submit(f, await inspection(f, 1, 1)))
          .to.emit(f.meter, "ReportDuplicate")
          .withArgs(f.orderId, KeyKind.Inspector, 1);
        expect(await f.meter.submitReport.staticCall(arg(signed), signed.signature)).to.equal(Outcome.Duplicate);
        expect(await f.meter.meterOf(f.orderId)).to.deep.equal(meter);
        expect(await f.meter.getOrder(f.orderId)).to.deep.equal(order);
      });
    });

    describe("when the report skips a number", function () {
      it("rejects with SequenceGap", async function () {
        const f = await loadFixture(booked);
        await rejected(f, submit(f, await report(f, { sequence: 2 })), 2, Reject.SequenceGap);
      });
    });

    describe("when its counts would overflow the meter", function () {
      it("rejects with CountsTooLarge: units beyond 32 bits per order", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f, { units: 2n ** 32n - 10n, machineSeconds: 0n }));
        await rejected(f, submit(f, await report(f, { sequence: 2, units: 10n })), 2, Reject.CountsTooLarge);
        await rejected(f, submit(f, await report(f, { sequence: 2, units: 2n ** 32n })), 2, Reject.CountsTooLarge);
        await submit(f, await report(f, { sequence: 2, units: 9n }));
        expect((await f.meter.meterOf(f.orderId)).units).to.equal(2n ** 32n - 1n);
      });

      it("rejects with CountsTooLarge: a device stream's 2^24th report", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f));
        // Recording 2^24 - 1 reports takes too long for a unit test: the meter word's device sequence (bits 0-23)
        // is set to it directly, after checking that the slot is the order's meter word.
        const slot = meterWordSlot(f.orderId);
        const word = BigInt(await connection.ethers.provider.getStorage(await f.meter.getAddress(), slot));
        expect(word & 0xffffffn).to.equal(1n);
        const full = (word & ~0xffffffn) | (2n ** 24n - 1n);
        await networkHelpers.setStorageAt(await f.meter.getAddress(), slot, full);
        expect((await f.meter.meterOf(f.orderId)).deviceSequence).to.equal(2 ** 24 - 1);
        const next = { sequence: 2 ** 24, periodStart: f.openedAt + SLOT, periodEnd: f.openedAt + 2 * SLOT };
        await time.increaseTo(next.periodEnd + 1);
        await rejected(f, submit(f, await report(f, next)), 2 ** 24, Reject.CountsTooLarge);
      });
    });

    describe("when several reasons hold", function () {
      it("rejects for the first of: not open, licences, signature to counts (_check), duplicate, gap, too large", async function () {
        const f = await loadFixture(booked);
        const first = await report(f);
        await submit(f, first);
        // Licences before the signature; the signature before the sequence; _check before the duplicate.
        const mismatched = await report(f, { sequence: 5, licensedProducts: [1n, 1n] });
        await rejected(f, submit(f, mismatched, highSTwinOf(mismatched.signature)), 5, Reject.LicensedProductsMismatch);
        const gap = await report(f, { sequence: 5 });
        await rejected(f, submit(f, gap, highSTwinOf(gap.signature)), 5, Reject.InvalidSignature);
        const now = await time.latest();
        const futureTwin = await report(f, { periodStart: now, periodEnd: now + 100, machineSeconds: 1n });
        await rejected(f, submit(f, futureTwin), 1, Reject.PeriodInFuture);
        // A duplicate before the gap and the counts; the gap before the counts.
        await expect(submit(f, await report(f, { units: 2n ** 32n }))).to.emit(f.meter, "ReportDuplicate");
        await rejected(f, submit(f, await report(f, { sequence: 3, units: 2n ** 32n })), 3, Reject.SequenceGap);
        // Not open before everything.
        await f.meter.connect(f.provider).closeOrder(f.orderId);
        await rejected(f, submit(f, mismatched), 5, Reject.OrderNotOpen);
      });
    });

    describe("when the report is valid", function () {
      it("charges the tariff's price, setup fee included; emits ReportRecorded(digest, charge)", async function () {
        const f = await loadFixture(booked);
        const signed = await report(f);
        const charge = priceOf({ machineSeconds: 480n, units: 12n });
        expect(charge).to.equal(parseEuro("25") + parseEuro("6.4") + parseEuro("2.4"));
        expect(await f.meter.submitReport.staticCall(arg(signed), signed.signature)).to.equal(Outcome.Recorded);
        await expect(submit(f, signed))
          .to.emit(f.meter, "ReportRecorded")
          .withArgs(f.orderId, reportDigest(f.domain, signed.report), charge);
        const meter = await f.meter.meterOf(f.orderId);
        expect([meter.deviceSequence, meter.machineSeconds, meter.units]).to.deep.equal([1n, 480n, 12n]);
        expect([meter.available, meter.used, meter.exhausted]).to.deep.equal([BUDGET - charge, true, false]);
      });

      it("prices time and units over the order's totals (units climb the tiers across reports)", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f, { machineSeconds: 1n, units: 90n }));
        const second = await report(f, { sequence: 2, machineSeconds: 74n, units: 30n });
        const expected = priceOf({ machineSeconds: 75n, units: 120n }) - priceOf({ machineSeconds: 1n, units: 90n });
        // 10 units at 0.20 up to the threshold of 100, 20 at 0.15 above it; time rounds once over the order's
        // total: 75 s cost exactly 1 EUR, of which the first second was charged 0.013333.
        expect(expected).to.equal(parseEuro("2") + parseEuro("3") + parseEuro("1") - 13_333n);
        await expect(submit(f, second)).to.emit(f.meter, "ReportRecorded").withArgs(f.orderId, anyValue, expected);
        expect(await chargedOn(f)).to.equal(priceOf({ machineSeconds: 75n, units: 120n }));
      });

      it("counts an inspector's report in its own stream and charges the inspections", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f));
        const available = (await f.meter.meterOf(f.orderId)).available;
        const terms = (o: Awaited<ReturnType<typeof f.meter.getOrder>>) =>
          [o.machineId, o.tariffVersion, o.expiresAt, o.status, o.licenseCount, o.capped].map(String);
        const before = terms(await f.meter.getOrder(f.orderId));
        const signed = await inspection(f, 1, 2);
        await expect(submit(f, signed))
          .to.emit(f.meter, "ReportRecorded")
          .withArgs(f.orderId, reportDigest(f.domain, signed.report), 2n * parseEuro("12"));
        const meter = await f.meter.meterOf(f.orderId);
        expect([meter.deviceSequence, meter.inspectorSequence]).to.deep.equal([1n, 1n]);
        expect(meter.available).to.equal(available - 2n * parseEuro("12"));
        // The inspector stream lives in the order's head: the rest of the head is left as it was.
        expect(terms(await f.meter.getOrder(f.orderId))).to.deep.equal(before);
      });

      it("charges nothing for a report that counts nothing, not even the setup fee", async function () {
        const f = await loadFixture(booked);
        const idle = await report(f, { machineSeconds: 0n, units: 0n, licensedProducts: [0n] });
        await expect(submit(f, idle)).to.emit(f.meter, "ReportRecorded").withArgs(f.orderId, anyValue, 0n);
        const meter = await f.meter.meterOf(f.orderId);
        expect([meter.deviceSequence, meter.available, meter.used]).to.deep.equal([1n, BUDGET, false]);
      });

      it("folds the report's digest into the order's reportsHash", async function () {
        const f = await loadFixture(booked);
        const signed = await report(f);
        await submit(f, signed);
        const digest = reportDigest(f.domain, signed.report);
        expect((await f.meter.getOrder(f.orderId)).reportsHash).to.equal(fold([digest]));
        expect(fold([digest])).to.equal(slice(keccak256(concat([`0x${"00".repeat(32)}`, digest])), 0, 12));
      });

      describe("when the escrow runs out", function () {
        it("charges what is left, emits OrderExhausted and marks the meter exhausted", async function () {
          const f = await loadFixture(booked);
          const total = priceOf({ machineSeconds: 480n, units: 100_000n });
          await expect(submit(f, await report(f, { units: 100_000n })))
            .to.emit(f.meter, "OrderExhausted")
            .withArgs(f.orderId, total - BUDGET);
          const meter = await f.meter.meterOf(f.orderId);
          expect([meter.available, meter.exhausted]).to.deep.equal([0n, true]);
          // Later reports are recorded and charge nothing.
          await expect(submit(f, await report(f, { sequence: 2 })))
            .to.emit(f.meter, "ReportRecorded")
            .withArgs(f.orderId, anyValue, 0n);
        });
      });

      describe("when the spending cap, not the escrow, falls short (I-1)", function () {
        it("charges up to the cap without marking the order exhausted; OrderExhausted only when the escrow is short", async function () {
          const f = await loadFixture(booked);
          const budget = parseEuro("40");
          const cap = parseEuro("30");
          const orderId = await openAnother(f, { budget, capPerPeriod: cap, capPeriod: 3600 });
          const g = { ...f, orderId };
          // Priced above the escrow left, capped below it: the cap decides, the order is not exhausted.
          const price1 = priceOf({ machineSeconds: 480n, units: 300n });
          expect(price1 > budget).to.equal(true);
          const tx = submit(f, await report(g, { units: 300n }));
          await expect(tx).to.emit(f.meter, "SpendingCapReached");
          await expect(tx).not.to.emit(f.meter, "OrderExhausted");
          const capped = await f.meter.meterOf(orderId);
          expect([capped.available, capped.exhausted]).to.deep.equal([budget - cap, false]);
          // An hour later the cap allows 30 again, the escrow only 10: now the escrow is short.
          await time.increase(3600);
          const second = await report(g, { sequence: 2, periodEnd: (await time.latest()) - 1, units: 300n });
          const lateTx = submit(f, second);
          await expect(lateTx)
            .to.emit(f.meter, "OrderExhausted")
            .withArgs(orderId, cap - (budget - cap));
          const exhausted = await f.meter.meterOf(orderId);
          expect([exhausted.available, exhausted.exhausted]).to.deep.equal([0n, true]);
        });
      });

      describe("when the escrow cannot pay the royalties", function () {
        it("books the royalties first, in licence order, and leaves the provider nothing", async function () {
          const f = await loadFixture(booked);
          await submit(f, await report(f, { licensedProducts: [2000n] }));
          await f.meter.settle([f.orderId]);
          await time.increase(WINDOW);
          await expect(f.meter.settle([f.orderId]))
            .to.emit(f.meter, "InvoiceSettled")
            .withArgs(f.orderId, 1, 0n, 0n, BUDGET, 0n);
          expect(await f.meter.payableTo(f.memberIds.licensor)).to.equal(BUDGET);
          expect(await f.meter.payableTo(f.memberIds.provider)).to.equal(0n);
        });
      });

      describe("when the spending cap of the period is reached", function () {
        it("charges up to the cap, emits SpendingCapReached; the next period starts afresh; late reports keep their period's cap", async function () {
          const f = await loadFixture(booked);
          const cap = parseEuro("30");
          // Early in an hour, so that the first two reports' periods end in the same one.
          await time.increaseTo(Math.ceil((await time.latest()) / 3600) * 3600 + 100);
          const orderId = await openAnother(f, { capPerPeriod: cap, capPeriod: 3600 });
          const g = { ...f, orderId };
          const first = await report(g);
          const price1 = priceOf({ machineSeconds: 480n, units: 12n });
          const period = BigInt(Math.floor(first.report.periodEnd / 3600));
          await expect(submit(f, first))
            .to.emit(f.meter, "SpendingCapReached")
            .withArgs(orderId, period, price1 - cap);
          expect((await f.meter.meterOf(orderId)).available).to.equal(BUDGET - cap);
          // The same period again: nothing more is allowed.
          const second = await report(g, { sequence: 2, machineSeconds: 0n, units: 1n });
          expect(BigInt(Math.floor(second.report.periodEnd / 3600))).to.equal(period);
          await expect(submit(f, second))
            .to.emit(f.meter, "SpendingCapReached")
            .withArgs(orderId, period, parseEuro("0.20"));
          expect((await f.meter.meterOf(orderId)).available).to.equal(BUDGET - cap);
          // The next period: charged in full.
          await time.increase(3600);
          const nextHourEnd = (await time.latest()) - 1;
          const third = await report(g, { sequence: 3, periodEnd: nextHourEnd });
          expect(BigInt(Math.floor(nextHourEnd / 3600))).to.equal(period + 1n);
          const price3 = priceOf({ machineSeconds: 960n, units: 25n }) - priceOf({ machineSeconds: 480n, units: 13n });
          const tx = submit(f, third);
          await expect(tx).to.emit(f.meter, "ReportRecorded").withArgs(orderId, anyValue, price3);
          await expect(tx).not.to.emit(f.meter, "SpendingCapReached");
          expect((await f.meter.meterOf(orderId)).available).to.equal(BUDGET - cap - price3);
          // A device report back-dated into the first hour cannot reach its cap again: the stream moved past it.
          const backDated = await report(g, {
            sequence: 4,
            periodStart: first.report.periodStart,
            periodEnd: first.report.periodEnd,
            machineSeconds: 0n,
            units: 1n,
          });
          await rejected(f, submit(f, backDated), 4, Reject.PeriodOverlapsPrevious, orderId);
          // The inspector stream's own first report, an inspection done in the first hour, is held to that hour's
          // spent cap; the later hour's is untouched.
          const late = await report(
            g,
            {
              periodStart: first.report.periodStart,
              periodEnd: first.report.periodEnd,
              machineSeconds: 0n,
              units: 0n,
              inspections: 1,
            },
            f.inspector,
          );
          const lateTx = submit(f, late);
          await expect(lateTx).to.emit(f.meter, "SpendingCapReached").withArgs(orderId, period, anyValue);
          await expect(lateTx).to.emit(f.meter, "ReportRecorded").withArgs(orderId, anyValue, 0n);
          expect((await f.meter.meterOf(orderId)).available).to.equal(BUDGET - cap - price3);
        });
      });
    });
  });
});
