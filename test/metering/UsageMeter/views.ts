/*
UsageMeter, views, laws and ReadingVerifier — the branches, written down first; one `it` per leaf. Who may call each
function (every member role, an outsider, the issuer's keys) is the role matrix's (test/RoleMatrix/).

views
├── getOrder of an unknown id ───────────────────────────── status None and zeros; meterOf all zero
├── invoiceOf of number 0 or beyond the last ────────────── it reverts with UsageMeterUnknownInvoice
├── consortium, token, registry ──────────────────────────── the contracts it was deployed with
├── MAX_FEE_BPS, MAX_DISPUTE_WINDOW, platformFeeBps, platformFees, payableTo ── the constants and the running totals
└── supportsInterface ───────────────────────────────────── IUsageMeter, IObligations, IERC165; nothing else
laws
└── a seeded random run keeps escrow = charged + refunded + available and the meter's tokens = what it holds
ReadingVerifier (reads the meter)
├── it proves a raw reading of a report at its place in the order's hash chain (later digests of both streams),
│   anchored at the current reports hash or at an invoice's; the client finds the place in the meter's events
├── a well-signed report the meter never recorded under its number proves nothing (F-06)
└── it answers false for an unknown order or invoice and a wrong previous value; it reads the meter's domain
*/
import { expect } from "chai";
import { Interface } from "ethers";
import hre from "hardhat";
import { getAddress, type Hex } from "viem";

import { KeyKind } from "../../../src/core/listing.js";
import { viemChain } from "../../../src/chain/hardhat.js";
import { UsageMeterClient } from "../../../src/contracts/meter.js";
import { ReadingKind, proveReading, readingsRoot, type Reading } from "../../../src/core/readings.js";
import { reportDigest, signReport, type SignedReport } from "../../../src/core/report.js";
import { parseEuro } from "../../../src/core/money.js";
import { referenceHash } from "../../../src/core/references.js";
import { interfaceIdOf, ownFunctions, functionSignatures, IERC165_SIGNATURES } from "../../helpers/interfaceId.js";
import {
  arg,
  booked,
  connection,
  ethers,
  fold,
  inspection,
  invoice,
  loadFixture,
  openAnother,
  recordedDigests,
  report,
  ROOT,
  Status,
  submit,
  submitBatch,
  time,
  ZERO_HASH,
} from "./fixture.js";

describe("UsageMeter", function () {
  describe("views", function () {
    it("getOrder of an unknown id has status None and zeros; meterOf is all zero", async function () {
      const f = await loadFixture(booked);
      const order = await f.meter.getOrder(99n);
      expect([order.status, order.machineId, order.escrow, order.payer]).to.deep.equal([
        Status.None,
        0n,
        0n,
        ethers.ZeroAddress,
      ]);
      const meter = await f.meter.meterOf(99n);
      expect([meter.deviceSequence, meter.available, meter.used, meter.exhausted]).to.deep.equal([
        0n,
        0n,
        false,
        false,
      ]);
    });

    it("invoiceOf of number 0 or beyond the last reverts with UsageMeterUnknownInvoice", async function () {
      const f = await loadFixture(booked);
      await expect(f.meter.invoiceOf(f.orderId, 1))
        .to.be.revertedWithCustomError(f.meter, "UsageMeterUnknownInvoice")
        .withArgs(f.orderId, 1);
      await submit(f, await report(f));
      await f.meter.settle([f.orderId]);
      expect((await invoice(f, 1)).number).to.equal(1n);
      await expect(f.meter.invoiceOf(f.orderId, 0))
        .to.be.revertedWithCustomError(f.meter, "UsageMeterUnknownInvoice")
        .withArgs(f.orderId, 0);
      await expect(f.meter.invoiceOf(f.orderId, 2))
        .to.be.revertedWithCustomError(f.meter, "UsageMeterUnknownInvoice")
        .withArgs(f.orderId, 2);
      await expect(f.meter.invoiceOf(99n, 1))
        .to.be.revertedWithCustomError(f.meter, "UsageMeterUnknownInvoice")
        .withArgs(99n, 1);
    });

    it("consortium, token and registry name the contracts it was deployed with", async function () {
      const f = await loadFixture(booked);
      expect(await f.meter.consortium()).to.equal(await f.consortium.getAddress());
      expect(await f.meter.token()).to.equal(await f.token.getAddress());
      expect(await f.meter.registry()).to.equal(await f.machines.getAddress());
    });

    it("MAX_FEE_BPS, MAX_DISPUTE_WINDOW, platformFeeBps, platformFees and payableTo start as documented", async function () {
      const f = await loadFixture(booked);
      expect(await f.meter.MAX_FEE_BPS()).to.equal(1000n);
      expect(await f.meter.MAX_DISPUTE_WINDOW()).to.equal(90n * 86_400n);
      expect(await f.meter.platformFeeBps()).to.equal(0n);
      expect(await f.meter.platformFees()).to.equal(0n);
      expect(await f.meter.payableTo(f.memberIds.provider)).to.equal(0n);
    });

    it("supportsInterface answers for IUsageMeter, IObligations and IERC165, and nothing else", async function () {
      const f = await loadFixture(booked);
      const iface = async (name: string) => new Interface((await hre.artifacts.readArtifact(name)).abi);
      const obligations = functionSignatures(await iface("IObligations"));
      const ierc165 = [...IERC165_SIGNATURES];
      const meterId = interfaceIdOf(ownFunctions(await iface("IUsageMeter"), [...obligations, ...ierc165]));
      const obligationsId = interfaceIdOf(ownFunctions(await iface("IObligations"), ierc165));
      expect(await f.meter.supportsInterface(meterId)).to.equal(true);
      expect(await f.meter.supportsInterface(obligationsId)).to.equal(true);
      expect(await f.meter.supportsInterface(interfaceIdOf(ierc165))).to.equal(true);
      expect(await f.meter.supportsInterface("0xffffffff")).to.equal(false);
    });
  });

  describe("laws", function () {
    it("a seeded random run keeps escrow = charged + refunded + available and the meter's tokens = what it holds", async function () {
      const f = await loadFixture(booked);
      let seed = 0x5eedn;
      const next = (n: number): number => {
        seed = (seed * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n;
        return Number(seed >> 33n) % n;
      };
      await openAnother(f, {
        disputeWindow: 0,
        budget: parseEuro("80"),
        expiresAt: (await time.latest()) + 30 * 86_400,
      });
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
          await submitBatch(f, signed);
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
          // Invoices charge what was charged, gross of dispute refunds, up to the last one.
          let invoiced = 0n;
          for (let n = 1; n <= Number(order.invoiceCount); n++) invoiced += (await invoice(f, n, id)).charged;
          expect(invoiced <= charged + order.refunded, `order ${id}: invoiced at most the gross charges`).to.equal(
            true,
          );
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

  describe("ReadingVerifier (reads the meter)", function () {
    const position = (previous: Hex, later: Hex[] = [], number = 0) => ({ previous, later, invoice: number });

    it("proves a raw reading of a report at its place in the order's hash chain, anchored now or at an invoice", async function () {
      const f = await loadFixture(booked);
      const readings: Reading[] = [
        { index: 0n, at: 1, kind: ReadingKind.SpindleSeconds, amount: 480n, licenseId: 0 },
        { index: 1n, at: 2, kind: ReadingKind.Units, amount: 12n, licenseId: 0 },
      ];
      const signed = await report(f, { readingsRoot: readingsRoot(readings) as Hex });
      const proof = proveReading(readings, readings[1]!);
      const verify = (at: ReturnType<typeof position>, reading = readings[1]!) =>
        f.verifier.verifyReading(arg(signed), at, reading, proof);
      expect(await verify(position(ZERO_HASH))).to.equal(false);
      const [digest] = await recordedDigests(f, submit(f, signed));
      expect(await verify(position(ZERO_HASH))).to.equal(true);
      expect(await f.verifier.isRecorded(arg(signed), position(ZERO_HASH))).to.equal(true);
      expect(await verify(position(ZERO_HASH), { ...readings[1]!, amount: 13n })).to.equal(false);
      // Later reports of both streams: the position names them.
      const inspected = await recordedDigests(f, submit(f, await inspection(f, 1, 2)));
      const next = await recordedDigests(f, submit(f, await report(f, { sequence: 2 })));
      const later = [...inspected, ...next];
      expect(await verify(position(ZERO_HASH))).to.equal(false);
      expect(await verify(position(ZERO_HASH, later))).to.equal(true);
      expect(await verify(position(ZERO_HASH, [...later].reverse()))).to.equal(false);
      // Anchored at invoice 1 (which covers all three), also once more reports came after it.
      await f.meter.settle([f.orderId]);
      await submit(f, await report(f, { sequence: 3 }));
      expect(await verify(position(ZERO_HASH, later, 1))).to.equal(true);
      expect(await verify(position(ZERO_HASH, later, 2))).to.equal(false);
      // The off-chain client finds the position in the meter's events.
      const client = new UsageMeterClient(await viemChain(connection), {
        token: getAddress(await f.token.getAddress()),
        usageMeter: getAddress(await f.meter.getAddress()),
        readingVerifier: getAddress(await f.verifier.getAddress()),
      });
      const found = await client.chainPosition(signed);
      expect(found?.previous).to.equal(ZERO_HASH);
      expect(found?.later).to.have.length(3);
      expect(await client.verifyReading(signed, readings[1]!, proof)).to.equal(true);
      expect(digest).to.equal(reportDigest(f.domain, signed.report));
    });

    it("proves nothing for a well-signed report the meter never recorded under its number (F-06)", async function () {
      const f = await loadFixture(booked);
      const readings: Reading[] = [{ index: 0n, at: 1, kind: ReadingKind.Units, amount: 12n, licenseId: 0 }];
      const recorded = await report(f, { readingsRoot: readingsRoot(readings) as Hex });
      await submit(f, recorded);
      // A second "report 1" over the same period, with made-up readings, signed by the machine's own key.
      const madeUp: Reading[] = [{ index: 0n, at: 1, kind: ReadingKind.Units, amount: 999n, licenseId: 0 }];
      const forged = await signReport(f.device, f.domain, { ...recorded.report, readingsRoot: readingsRoot(madeUp) });
      const proof = proveReading(madeUp, madeUp[0]!);
      for (const at of [position(ZERO_HASH), position(fold([reportDigest(f.domain, recorded.report)]))]) {
        expect(await f.verifier.verifyReading(arg(forged), at, madeUp[0]!, proof)).to.equal(false);
      }
      const client = new UsageMeterClient(await viemChain(connection), {
        token: getAddress(await f.token.getAddress()),
        usageMeter: getAddress(await f.meter.getAddress()),
        readingVerifier: getAddress(await f.verifier.getAddress()),
      });
      expect(await client.chainPosition(forged)).to.equal(undefined);
      expect(await client.verifyReading(forged, madeUp[0]!, proof)).to.equal(false);
    });

    it("answers false for an unknown order or invoice and a wrong previous value; reads the meter's domain", async function () {
      const f = await loadFixture(booked);
      const readings: Reading[] = [{ index: 0n, at: 1, kind: ReadingKind.Units, amount: 12n, licenseId: 0 }];
      const proof = proveReading(readings, readings[0]!);
      const signed = await report(f, { readingsRoot: readingsRoot(readings) as Hex });
      await submit(f, signed);
      const verify = (report: SignedReport, at = position(ZERO_HASH)) =>
        f.verifier.verifyReading(arg(report), at, readings[0]!, proof);
      expect(await verify(signed)).to.equal(true);
      expect(await f.verifier.meter()).to.equal(await f.meter.getAddress());
      expect(await f.verifier.reportDigest(arg(signed))).to.equal(reportDigest(f.domain, signed.report));
      expect(await verify(await signReport(f.device, f.domain, { ...signed.report, orderId: 99n }))).to.equal(false);
      expect(await verify(signed, position(fold([ROOT])))).to.equal(false);
      expect(await verify(signed, position(ZERO_HASH, [], 7))).to.equal(false);
    });
  });
});
