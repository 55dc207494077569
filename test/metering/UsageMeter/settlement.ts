/*
UsageMeter, settle, holds, withdraw and settleAndWithdraw — the branches, written down first; one `it` per leaf. Who
may call each function (every member role, an outsider, the issuer's keys) is the role matrix's (test/RoleMatrix/).

The order's lifecycle through these functions (open, report, close, dispute, resolve, payout) is also written down in
order.tree, whose leaves are test titles checked by test/meta/trees.ts.

settle
├── when an order does not exist ────────────────────────── it reverts with UsageMeterUnknownOrder
├── when nothing was charged ────────────────────────────── it does nothing
├── when charges were recorded and no invoice is pending
│   ├── with a dispute window ── it issues the next invoice (InvoiceIssued) and credits nothing yet
│   └── with a window of zero ── it issues and settles the invoice at once (fee and royalties)
├── when the pending invoice is inside its window ───────── a second settle does nothing
├── when the window has passed
│   ├── it settles the invoice (InvoiceSettled, settledAt) and issues the next one over the reports since
│   └── invoices number 1, 2, ...; each covers its sequence ranges (first > last when none of a kind), counts,
│       charged, royalties, and the reportsHash after its last report
├── when a dispute froze part of the invoice ── it holds that back; a resolution with a partial refund is
│   credited by the next settle to the same invoice (providerNet up, heldBack down)
└── when the order is closed ── its obligations go only once every charge is settled (status Settled); the credits
    stay obligations of the provider and the licensor until they withdraw them
holds (SettlementToken.holdsOf: the payer's account cannot be removed before its orders are Settled)
├── when an order is closed with nothing pending ───────── it becomes Settled at once and releases the hold, once
├── when charges are pending at closing ────────────────── the hold stays until the settle after the last window
├── when a dispute is open at closing ──────────────────── the hold stays until its resolution settles the order
├── an order and a channel of one account ───────────────── count two holds, released each by its own contract
└── when the member removes the paying account ─────────── removeAccount reverts with the token's
                                                             SettlementTokenAccountHeld until the order is Settled
withdraw
├── when nothing was credited ───────────────────────────── it reverts with UsageMeterNothingToWithdraw
└── when something was credited ─────────────────────────── it pays the caller, emits PayoutWithdrawn (a suspended member too)
settleAndWithdraw
├── when nothing is credited ────────────────────────────── it settles and returns 0 without reverting
└── when the settlement credits the caller ──────────────── it settles and pays out in one transaction
*/
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { expect } from "chai";
import type { Hex } from "viem";

import { KeyKind } from "../../../src/core/listing.js";
import { parseEuro } from "../../../src/core/money.js";
import { referenceHash } from "../../../src/core/references.js";
import { mintTo } from "../../helpers/fixtures.js";
import {
  blockTime,
  booked,
  type Booked,
  BUDGET,
  chargedOn,
  ethers,
  fold,
  inspection,
  invoice,
  loadFixture,
  openAnother,
  priceOf,
  recordedDigests,
  report,
  ROYALTY,
  Status,
  submit,
  submitBatch,
  terms,
  time,
  WINDOW,
} from "./fixture.js";

describe("UsageMeter", function () {
  describe("settle", function () {
    describe("when an order does not exist", function () {
      it("reverts with UsageMeterUnknownOrder", async function () {
        const f = await loadFixture(booked);
        await expect(f.meter.settle([f.orderId, 99n]))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterUnknownOrder")
          .withArgs(99n);
      });
    });

    describe("when nothing was charged", function () {
      it("does nothing", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f, { machineSeconds: 0n, units: 0n }));
        const tx = f.meter.settle([f.orderId]);
        await expect(tx).not.to.emit(f.meter, "InvoiceIssued");
        await expect(tx).not.to.emit(f.meter, "InvoiceSettled");
        expect((await f.meter.getOrder(f.orderId)).invoiceCount).to.equal(0n);
      });
    });

    describe("when charges were recorded and no invoice is pending", function () {
      it("issues the next invoice (InvoiceIssued) and credits nothing yet, with a dispute window", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f));
        const charged = await chargedOn(f);
        const { reportsHash } = await f.meter.getOrder(f.orderId);
        const tx = f.meter.settle([f.orderId]);
        await expect(tx).to.emit(f.meter, "InvoiceIssued").withArgs(f.orderId, 1, charged, reportsHash);
        await expect(tx).not.to.emit(f.meter, "InvoiceSettled");
        const issued = await invoice(f, 1);
        expect([issued.orderId, issued.number, issued.issuedAt, issued.settledAt]).to.deep.equal([
          f.orderId,
          1n,
          await blockTime(),
          0n,
        ]);
        expect([issued.providerNet, issued.platformFee, issued.heldBack]).to.deep.equal([0n, 0n, 0n]);
        expect(await f.meter.payableTo(f.memberIds.provider)).to.equal(0n);
        expect((await f.meter.getOrder(f.orderId)).invoiceCount).to.equal(1n);
      });

      it("issues and settles the invoice at once with a window of zero (fee and royalties)", async function () {
        const f = await loadFixture(booked);
        await f.meter.connect(f.operator).setPlatformFee(500);
        const orderId = await openAnother(f, { disputeWindow: 0 });
        await time.increase(700);
        await submit(f, await report({ ...f, orderId }, { licensedProducts: [3n] }));
        const charged = await chargedOn(f, orderId);
        const royalties = 3n * ROYALTY;
        const fee = ((charged - royalties) * 500n) / 10_000n;
        const { reportsHash } = await f.meter.getOrder(orderId);
        const tx = f.meter.settle([orderId]);
        await expect(tx).to.emit(f.meter, "InvoiceIssued").withArgs(orderId, 1, charged, reportsHash);
        await expect(tx)
          .to.emit(f.meter, "InvoiceSettled")
          .withArgs(orderId, 1, charged - royalties - fee, fee, royalties, 0n);
        const settled = await invoice(f, 1, orderId);
        expect(settled.settledAt).to.equal(settled.issuedAt);
        expect([settled.providerNet, settled.platformFee, settled.heldBack]).to.deep.equal([
          charged - royalties - fee,
          fee,
          0n,
        ]);
        expect(await f.meter.platformFees()).to.equal(fee);
        expect(await f.meter.payableTo(f.memberIds.provider)).to.equal(charged - royalties - fee);
        expect(await f.meter.payableTo(f.memberIds.licensor)).to.equal(royalties);
      });
    });

    describe("when the pending invoice is inside its window", function () {
      it("does nothing on a second settle", async function () {
        const f = await loadFixture(booked);
        const [first, second] = [await report(f), await report(f, { sequence: 2 })];
        await submit(f, first);
        await f.meter.settle([f.orderId]);
        await submit(f, second);
        await time.increase(WINDOW - 5);
        const tx = f.meter.settle([f.orderId]);
        await expect(tx).not.to.emit(f.meter, "InvoiceIssued");
        await expect(tx).not.to.emit(f.meter, "InvoiceSettled");
        expect((await f.meter.getOrder(f.orderId)).invoiceCount).to.equal(1n);
        expect((await invoice(f, 1)).settledAt).to.equal(0n);
        expect(await f.meter.payableTo(f.memberIds.provider)).to.equal(0n);
      });
    });

    describe("when the window has passed", function () {
      it("settles the invoice (InvoiceSettled, settledAt) and issues the next one over the reports since", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f));
        const first = await chargedOn(f);
        await f.meter.settle([f.orderId]);
        await submit(f, await report(f, { sequence: 2, machineSeconds: 60n, units: 0n }));
        const second = (await chargedOn(f)) - first;
        const { reportsHash } = await f.meter.getOrder(f.orderId);
        await time.increase(WINDOW);
        const tx = f.meter.settle([f.orderId]);
        await expect(tx).to.emit(f.meter, "InvoiceSettled").withArgs(f.orderId, 1, first, 0n, 0n, 0n);
        await expect(tx).to.emit(f.meter, "InvoiceIssued").withArgs(f.orderId, 2, second, reportsHash);
        const now = await blockTime();
        expect((await invoice(f, 1)).settledAt).to.equal(now);
        expect((await invoice(f, 2)).issuedAt).to.equal(now);
        expect(await f.meter.payableTo(f.memberIds.provider)).to.equal(first);
      });

      it("numbers invoices and records the ranges, counts, charges, royalties and reports hash each covers", async function () {
        const f = await loadFixture(booked);
        // Invoice 1: device reports 1-2 and inspector report 1.
        const r1 = await report(f, { licensedProducts: [10n] });
        const r2 = await report(f, { sequence: 2, machineSeconds: 300n, units: 0n });
        const i1 = await inspection(f, 1, 2);
        const d1 = await recordedDigests(f, submitBatch(f, r1, r2, i1));
        const charged1 = priceOf({ machineSeconds: 780n, units: 12n, inspections: 2, licensedProducts: [10n] });
        expect(await chargedOn(f)).to.equal(charged1);
        await f.meter.settle([f.orderId]);
        const issued1 = await blockTime();
        // Invoice 2: device report 3 only, recorded while invoice 1 is pending.
        const r3 = await report(f, { sequence: 3, machineSeconds: 60n, units: 0n });
        const d2 = await recordedDigests(f, submit(f, r3));
        const charged2 = (await chargedOn(f)) - charged1;
        expect(charged2).to.equal(parseEuro("0.8"));
        await time.increase(WINDOW);
        await f.meter.settle([f.orderId]);
        const settled1 = await blockTime();
        // Invoice 3: inspector report 2 only.
        const i2 = await inspection(f, 2, 1);
        const d3 = await recordedDigests(f, submit(f, i2));
        await time.increase(WINDOW);
        await f.meter.settle([f.orderId]);
        await time.increase(WINDOW);
        await f.meter.settle([f.orderId]);

        const [one, two, three] = [await invoice(f, 1), await invoice(f, 2), await invoice(f, 3)];
        expect((await f.meter.getOrder(f.orderId)).invoiceCount).to.equal(3n);
        expect([one.number, two.number, three.number]).to.deep.equal([1n, 2n, 3n]);
        const ranges = (i: typeof one) => [
          i.firstDeviceSequence,
          i.lastDeviceSequence,
          i.firstInspectorSequence,
          i.lastInspectorSequence,
        ];
        expect(ranges(one)).to.deep.equal([1n, 2n, 1n, 1n]);
        expect(ranges(two)).to.deep.equal([3n, 3n, 2n, 1n]);
        expect(ranges(three)).to.deep.equal([4n, 3n, 2n, 2n]);
        const counts = (i: typeof one) => [i.machineSeconds, i.units, i.charged, i.royalties];
        expect(counts(one)).to.deep.equal([780n, 12n, charged1, 10n * ROYALTY]);
        expect(counts(two)).to.deep.equal([60n, 0n, charged2, 0n]);
        expect(counts(three)).to.deep.equal([0n, 0n, parseEuro("12"), 0n]);
        // Each invoice's hash is the chain after its last report, folded on from the previous invoice's.
        expect(one.reportsHash).to.equal(fold(d1));
        expect(two.reportsHash).to.equal(fold(d2, one.reportsHash as Hex));
        expect(three.reportsHash).to.equal(fold(d3, two.reportsHash as Hex));
        expect((await f.meter.getOrder(f.orderId)).reportsHash).to.equal(three.reportsHash);
        expect([one.issuedAt, one.settledAt, two.issuedAt]).to.deep.equal([issued1, settled1, settled1]);
        expect(two.settledAt > two.issuedAt && three.settledAt > three.issuedAt).to.equal(true);
        const net = (i: typeof one) => [i.providerNet, i.platformFee, i.heldBack];
        expect(net(one)).to.deep.equal([charged1 - 10n * ROYALTY, 0n, 0n]);
        expect(net(two)).to.deep.equal([charged2, 0n, 0n]);
        expect(await f.meter.payableTo(f.memberIds.provider)).to.equal(
          charged1 - 10n * ROYALTY + charged2 + parseEuro("12"),
        );
      });
    });

    describe("when a dispute froze part of the invoice", function () {
      it("holds it back; a partial refund's release is credited by the next settle to the same invoice", async function () {
        const f = await loadFixture(booked);
        await f.meter.connect(f.operator).setPlatformFee(500);
        const orderId = await openAnother(f);
        await time.increase(700);
        await submit(f, await report({ ...f, orderId }));
        const charged = await chargedOn(f, orderId);
        await f.meter.settle([orderId]);
        const frozen = parseEuro("10");
        await f.meter.connect(f.consumer).dispute(orderId, KeyKind.Device, 1, frozen, referenceHash("wrong count"));
        await time.increase(WINDOW);
        const paid = charged - frozen;
        const fee = (paid * 500n) / 10_000n;
        await expect(f.meter.settle([orderId]))
          .to.emit(f.meter, "InvoiceSettled")
          .withArgs(orderId, 1, paid - fee, fee, 0n, frozen);
        const settledAt = (await invoice(f, 1, orderId)).settledAt;
        let held = await invoice(f, 1, orderId);
        expect([held.providerNet, held.platformFee, held.heldBack]).to.deep.equal([paid - fee, fee, frozen]);
        // While the dispute is open, settling again releases nothing.
        await expect(f.meter.settle([orderId])).not.to.emit(f.meter, "InvoiceSettled");
        // The auditor refunds 4 EUR; 6 EUR are released.
        const balance = await f.token.balanceOf(f.consumer.address);
        await f.meter.connect(f.auditor).resolveDispute(1n, parseEuro("4"), referenceHash("partly upheld"));
        expect(await f.token.balanceOf(f.consumer.address)).to.equal(balance + parseEuro("4"));
        expect((await f.meter.getOrder(orderId)).refunded).to.equal(parseEuro("4"));
        expect(await chargedOn(f, orderId)).to.equal(charged - parseEuro("4"));
        const released = parseEuro("6");
        const fee2 = (released * 500n) / 10_000n;
        const tx = f.meter.settle([orderId]);
        await expect(tx)
          .to.emit(f.meter, "InvoiceSettled")
          .withArgs(orderId, 1, released - fee2, fee2, 0n, 0n);
        await expect(tx).not.to.emit(f.meter, "InvoiceIssued");
        held = await invoice(f, 1, orderId);
        expect([held.providerNet, held.platformFee, held.heldBack, held.settledAt]).to.deep.equal([
          paid - fee + released - fee2,
          fee + fee2,
          0n,
          settledAt,
        ]);
        expect(held.charged).to.equal(charged);
        expect((await f.meter.getOrder(orderId)).invoiceCount).to.equal(1n);
        expect(await f.meter.payableTo(f.memberIds.provider)).to.equal(paid - fee + released - fee2);
        expect(await f.meter.platformFees()).to.equal(fee + fee2);
        await expect(f.meter.settle([orderId])).not.to.emit(f.meter, "InvoiceSettled");
      });
    });

    describe("when the order is closed", function () {
      it("drops its obligations only once every charge is settled (status Settled); payouts count until withdrawn", async function () {
        const f = await loadFixture(booked);
        const obligations = async () => [
          await f.meter.openObligations(f.memberIds.consumer),
          await f.meter.openObligations(f.memberIds.provider),
          await f.meter.openObligations(f.memberIds.licensor),
        ];
        await submit(f, await report(f, { licensedProducts: [2n] }));
        await f.meter.settle([f.orderId]);
        await f.meter.connect(f.provider).closeOrder(f.orderId);
        expect((await f.meter.getOrder(f.orderId)).status).to.equal(Status.Closed);
        expect(await obligations()).to.deep.equal([1n, 1n, 1n]);
        await time.increase(WINDOW);
        // Invoice 1 settles and invoice 2 (the minimum's top-up) is issued: still owed; the credits are owed too.
        await expect(f.meter.settle([f.orderId]))
          .to.emit(f.meter, "InvoiceIssued")
          .withArgs(f.orderId, 2, anyValue, anyValue);
        expect((await f.meter.getOrder(f.orderId)).status).to.equal(Status.Closed);
        expect(await obligations()).to.deep.equal([1n, 2n, 2n]);
        await time.increase(WINDOW);
        await f.meter.settle([f.orderId]);
        expect((await f.meter.getOrder(f.orderId)).status).to.equal(Status.Settled);
        // The order is settled; what the provider and the licensor were credited stays an obligation until paid.
        expect(await obligations()).to.deep.equal([0n, 1n, 1n]);
        await f.meter.connect(f.provider).withdraw();
        await f.meter.connect(f.licensor).withdraw();
        expect(await obligations()).to.deep.equal([0n, 0n, 0n]);
        // Settling a settled order changes nothing.
        await expect(f.meter.settle([f.orderId])).not.to.emit(f.meter, "InvoiceSettled");
        expect(await obligations()).to.deep.equal([0n, 0n, 0n]);
      });
    });
  });

  describe("holds (SettlementToken.holdsOf)", function () {
    const holds = (f: Booked, account: string = f.consumer.address) => f.token.holdsOf(account);

    describe("when an order is closed with nothing pending", function () {
      it("becomes Settled at once and releases the hold, once", async function () {
        const f = await loadFixture(booked);
        await openAnother(f);
        await f.meter.connect(f.provider).closeOrder(f.orderId);
        expect((await f.meter.getOrder(f.orderId)).status).to.equal(Status.Settled);
        expect(await holds(f)).to.equal(1n);
        // Settling a settled order releases nothing more (the other order keeps its hold).
        await f.meter.settle([f.orderId, f.orderId]);
        await f.meter.connect(f.consumer).settleAndWithdraw([f.orderId]);
        expect(await holds(f)).to.equal(1n);
      });
    });

    describe("when charges are pending at closing", function () {
      it("keeps the hold until the settle after the last window settles the order", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f));
        await f.meter.settle([f.orderId]);
        await f.meter.connect(f.provider).closeOrder(f.orderId);
        expect(await holds(f)).to.equal(1n);
        await time.increase(WINDOW);
        // Invoice 1 settles and invoice 2 (the minimum's top-up) is issued: still owed.
        await f.meter.settle([f.orderId]);
        expect((await f.meter.getOrder(f.orderId)).status).to.equal(Status.Closed);
        expect(await holds(f)).to.equal(1n);
        await time.increase(WINDOW);
        await f.meter.connect(f.provider).settleAndWithdraw([f.orderId]);
        expect((await f.meter.getOrder(f.orderId)).status).to.equal(Status.Settled);
        expect(await holds(f)).to.equal(0n);
        await f.meter.settle([f.orderId]);
        expect(await holds(f)).to.equal(0n);
      });
    });

    describe("when a dispute is open at closing", function () {
      it("keeps the hold until the dispute's resolution settles the order", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f, { machineSeconds: 600n, units: 300n }));
        const charged = await chargedOn(f);
        await f.meter.connect(f.consumer).dispute(f.orderId, KeyKind.Device, 1, charged, referenceHash("x"));
        await f.meter.settle([f.orderId]);
        await time.increase(WINDOW);
        await f.meter.settle([f.orderId]);
        await f.meter.connect(f.provider).closeOrder(f.orderId);
        expect((await f.meter.getOrder(f.orderId)).status).to.equal(Status.Closed);
        expect(await holds(f)).to.equal(1n);
        await f.meter.connect(f.auditor).resolveDispute(1n, charged, referenceHash("upheld"));
        expect((await f.meter.getOrder(f.orderId)).status).to.equal(Status.Settled);
        expect(await holds(f)).to.equal(0n);
      });
    });

    it("an order and a channel of one account count two holds, released each by its own contract", async function () {
      const f = await loadFixture(booked);
      await f.token.connect(f.consumer).approve(await f.channels.getAddress(), BUDGET);
      const expiresAt = (await time.latest()) + 86_400;
      const receipt = await (
        await f.channels.connect(f.consumer).open(f.provider.address, 1, BUDGET, expiresAt, 3600)
      ).wait();
      const nonce = receipt!.logs
        .map((log) => f.channels.interface.parseLog(log))
        .find((event) => event?.name === "ChannelOpened")!.args.nonce as bigint;
      expect(await holds(f)).to.equal(2n);
      await f.meter.connect(f.provider).closeOrder(f.orderId);
      expect(await holds(f)).to.equal(1n);
      await f.channels.connect(f.provider).release(f.consumer.address, nonce);
      expect(await holds(f)).to.equal(0n);
    });

    describe("when the member removes the paying account", function () {
      it("removeAccount reverts with SettlementTokenAccountHeld until the order is Settled", async function () {
        const f = await loadFixture(booked);
        const payer = f.spare[0]!;
        await f.consortium.connect(f.consumer).addAccount(payer.address);
        await mintTo(f, payer.address, BUDGET);
        await f.token.connect(payer).approve(await f.meter.getAddress(), BUDGET);
        const expiresAt = (await time.latest()) + 86_400;
        const receipt = await (await f.meter.connect(payer).openOrder(terms({ expiresAt }))).wait();
        const orderId = receipt!.logs
          .map((log) => f.meter.interface.parseLog(log))
          .find((event) => event?.name === "OrderOpened")!.args.orderId as bigint;
        expect((await f.meter.getOrder(orderId)).payer).to.equal(payer.address);
        // The paying account holds nothing, as removeAccount requires.
        expect(await f.token.balanceOf(payer.address)).to.equal(0n);
        await expect(f.consortium.connect(f.consumer).removeAccount(payer.address))
          .to.be.revertedWithCustomError(f.token, "SettlementTokenAccountHeld")
          .withArgs(payer.address, 1n);
        await submit(f, await report(f, { orderId }));
        await f.meter.connect(f.provider).closeOrder(orderId);
        // Closed, not settled: its charges wait out the dispute window, and a refund could still reach the payer,
        // even once it has passed on what the closing returned.
        await f.token.connect(payer).transfer(f.consumer.address, await f.token.balanceOf(payer.address));
        await expect(f.consortium.connect(f.consumer).removeAccount(payer.address))
          .to.be.revertedWithCustomError(f.token, "SettlementTokenAccountHeld")
          .withArgs(payer.address, 1n);
        await f.meter.settle([orderId]);
        await time.increase(WINDOW);
        await f.meter.settle([orderId]);
        expect((await f.meter.getOrder(orderId)).status).to.equal(Status.Settled);
        await f.token.connect(payer).transfer(f.consumer.address, await f.token.balanceOf(payer.address));
        await expect(f.consortium.connect(f.consumer).removeAccount(payer.address))
          .to.emit(f.consortium, "AccountRemoved")
          .withArgs(f.memberIds.consumer, payer.address);
      });
    });
  });

  describe("withdraw", function () {
    describe("when nothing was credited", function () {
      it("reverts with UsageMeterNothingToWithdraw", async function () {
        const f = await loadFixture(booked);
        await expect(f.meter.connect(f.consumer).withdraw())
          .to.be.revertedWithCustomError(f.meter, "UsageMeterNothingToWithdraw")
          .withArgs(f.memberIds.consumer);
      });
    });

    describe("when something was credited", function () {
      it("pays the caller and emits PayoutWithdrawn, a suspended member too", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f));
        await f.meter.settle([f.orderId]);
        await time.increase(WINDOW);
        await f.meter.settle([f.orderId]);
        const amount = await f.meter.payableTo(f.memberIds.provider);
        expect(amount).to.equal(await chargedOn(f));
        await f.consortium.connect(f.operator).suspend(f.memberIds.provider, referenceHash("suspended"));
        const balance = await f.token.balanceOf(f.provider.address);
        expect(await f.meter.connect(f.provider).withdraw.staticCall()).to.equal(amount);
        await expect(f.meter.connect(f.provider).withdraw())
          .to.emit(f.meter, "PayoutWithdrawn")
          .withArgs(f.memberIds.provider, f.provider.address, amount);
        expect(await f.token.balanceOf(f.provider.address)).to.equal(balance + amount);
        expect(await f.meter.payableTo(f.memberIds.provider)).to.equal(0n);
      });
    });
  });

  describe("settleAndWithdraw", function () {
    describe("when nothing is credited", function () {
      it("settles and returns 0 without reverting", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f));
        expect(await f.meter.connect(f.provider).settleAndWithdraw.staticCall([f.orderId])).to.equal(0n);
        const tx = f.meter.connect(f.provider).settleAndWithdraw([f.orderId]);
        await expect(tx).to.emit(f.meter, "InvoiceIssued");
        await expect(tx).not.to.emit(f.meter, "PayoutWithdrawn");
      });
    });

    describe("when the settlement credits the caller", function () {
      it("settles and pays out in one transaction", async function () {
        const f = await loadFixture(booked);
        await submit(f, await report(f));
        await f.meter.settle([f.orderId]);
        await time.increase(WINDOW);
        const charged = await chargedOn(f);
        const tx = f.meter.connect(f.provider).settleAndWithdraw([f.orderId]);
        await expect(tx).to.emit(f.meter, "InvoiceSettled").withArgs(f.orderId, 1, charged, 0n, 0n, 0n);
        await expect(tx)
          .to.emit(f.meter, "PayoutWithdrawn")
          .withArgs(f.memberIds.provider, f.provider.address, charged);
        await expect(tx).to.changeTokenBalance(ethers, f.token, f.provider, charged);
      });
    });
  });
});
