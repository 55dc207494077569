/*
UsageMeter, openOrder and openOrderWithPermit — the branches, written down first; one `it` per leaf. Who may call each
function (every member role, an outsider, the issuer's keys) is the role matrix's (test/RoleMatrix/).

The order's lifecycle through these functions (open, report, close, dispute, resolve, payout) is also written down in
order.tree, whose leaves are test titles checked by test/meta/trees.ts.

openOrder
├── when the budget is zero ─────────────────────────────── it reverts with UsageMeterInvalidBudget
├── when the budget does not fit 46 bits ────────────────── it reverts with UsageMeterInvalidBudget
├── when the expiry is not in the future ────────────────── it reverts with UsageMeterInvalidExpiry
├── when the expiry is more than MAX_ORDER_LIFETIME away ── it reverts with UsageMeterInvalidExpiry (at the bound it opens)
├── when a licence's royalty changed since the quote ────── it reverts with UsageMeterLicenseChanged(licence, quoted, now)
├── when the terms give another number of licence versions  it reverts with UsageMeterLicenseCountMismatch
├── when the dispute window is longer than MAX_DISPUTE_WINDOW  it reverts with UsageMeterDisputeWindowTooLong
├── when a spending cap has no period ───────────────────── it reverts with UsageMeterInvalidCap
├── when another tariff version is in force ─────────────── it reverts with UsageMeterTariffChanged
├── when the budget is not approved ─────────────────────── it reverts with the token's ERC20InsufficientAllowance
└── when the terms are valid
    ├── it escrows the budget and stores the order (tariff, licences, window, fee, payer, parties, opening time,
    │   report grace; both streams' marks at the opening); emits OrderOpened
    ├── it counts an open obligation of the consumer, the provider and each licensor of the tariff
    └── it takes a hold on the payer's account in the token (one per order; a failed open takes none)
openOrderWithPermit
├── when the permit is valid ────────────────────────────── it opens the order without a prior approval; a hold
├── when the permit was used already (front-run) ────────── it opens with the allowance the permit set
└── when the permit is invalid and nothing is approved ──── it reverts with ERC20InsufficientAllowance
*/
import { expect } from "chai";

import { parseEuro } from "../../../src/core/money.js";
import { referenceHash } from "../../../src/core/references.js";
import { signPermit } from "../../helpers/permit.js";
import { tariffArg } from "../../helpers/registry.js";
import {
  blockTime,
  booked,
  BUDGET,
  loadFixture,
  openAnother,
  Status,
  TARIFF,
  terms,
  time,
  ZERO_HASH,
} from "./fixture.js";

describe("UsageMeter", function () {
  describe("openOrder", function () {
    describe("when the budget is zero", function () {
      it("reverts with UsageMeterInvalidBudget", async function () {
        const f = await loadFixture(booked);
        const expiresAt = (await time.latest()) + 3600;
        await expect(f.meter.connect(f.consumer).openOrder(terms({ expiresAt, budget: 0n })))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterInvalidBudget")
          .withArgs(0n);
      });
    });

    describe("when the expiry is more than MAX_ORDER_LIFETIME away", function () {
      it("reverts with UsageMeterInvalidExpiry; at the bound it opens", async function () {
        const f = await loadFixture(booked);
        const lifetime = Number(await f.meter.MAX_ORDER_LIFETIME());
        expect(lifetime).to.equal(2 ** 28 - 1);
        const now = await time.latest();
        await time.setNextBlockTimestamp(now + 10);
        await expect(f.meter.connect(f.consumer).openOrder(terms({ expiresAt: now + 10 + lifetime + 1 })))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterInvalidExpiry")
          .withArgs(now + 10 + lifetime + 1);
        await time.setNextBlockTimestamp(now + 20);
        await expect(f.meter.connect(f.consumer).openOrder(terms({ expiresAt: now + 20 + lifetime }))).to.emit(
          f.meter,
          "OrderOpened",
        );
      });
    });

    describe("when a licence's royalty changed since the quote (its version moved on)", function () {
      it("reverts with UsageMeterLicenseChanged(licenseId, quoted, current)", async function () {
        const f = await loadFixture(booked);
        await f.licenses.connect(f.licensor).publishRoyalty(1, parseEuro("0.50"), referenceHash("terms v2"));
        const expiresAt = (await time.latest()) + 3600;
        await expect(f.meter.connect(f.consumer).openOrder(terms({ expiresAt })))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterLicenseChanged")
          .withArgs(1, 1, 2);
        await expect(f.meter.connect(f.consumer).openOrder(terms({ expiresAt, licenseVersions: [2] }))).to.emit(
          f.meter,
          "OrderOpened",
        );
      });
    });

    describe("when the terms name another number of licence versions than the tariff has licences", function () {
      it("reverts with UsageMeterLicenseCountMismatch(machineId, given, expected)", async function () {
        const f = await loadFixture(booked);
        const expiresAt = (await time.latest()) + 3600;
        await expect(f.meter.connect(f.consumer).openOrder(terms({ expiresAt, licenseVersions: [] })))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterLicenseCountMismatch")
          .withArgs(1n, 0n, 1n);
        await expect(f.meter.connect(f.consumer).openOrder(terms({ expiresAt, machineId: 2n, licenseVersions: [1] })))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterLicenseCountMismatch")
          .withArgs(2n, 1n, 0n);
      });
    });

    describe("when the budget does not fit the meter's 46 bits", function () {
      it("reverts with UsageMeterInvalidBudget", async function () {
        const f = await loadFixture(booked);
        const expiresAt = (await time.latest()) + 3600;
        await expect(f.meter.connect(f.consumer).openOrder(terms({ expiresAt, budget: 2n ** 46n })))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterInvalidBudget")
          .withArgs(2n ** 46n);
      });
    });

    describe("when the expiry is not in the future", function () {
      it("reverts with UsageMeterInvalidExpiry", async function () {
        const f = await loadFixture(booked);
        const now = await time.latest();
        await expect(f.meter.connect(f.consumer).openOrder(terms({ expiresAt: now + 1 })))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterInvalidExpiry")
          .withArgs(now + 1);
      });
    });

    describe("when the dispute window is longer than MAX_DISPUTE_WINDOW", function () {
      it("reverts with UsageMeterDisputeWindowTooLong", async function () {
        const f = await loadFixture(booked);
        const max = await f.meter.MAX_DISPUTE_WINDOW();
        const expiresAt = (await time.latest()) + 3600;
        await expect(f.meter.connect(f.consumer).openOrder(terms({ expiresAt, disputeWindow: max + 1n })))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterDisputeWindowTooLong")
          .withArgs(max + 1n, max);
      });
    });

    describe("when a spending cap has no period", function () {
      it("reverts with UsageMeterInvalidCap", async function () {
        const f = await loadFixture(booked);
        const expiresAt = (await time.latest()) + 3600;
        await expect(f.meter.connect(f.consumer).openOrder(terms({ expiresAt, capPerPeriod: 5n })))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterInvalidCap")
          .withArgs(5n, 0);
      });
    });

    describe("when another tariff version is in force", function () {
      it("reverts with UsageMeterTariffChanged", async function () {
        const f = await loadFixture(booked);
        await f.machines.connect(f.provider).publishTariff(1n, tariffArg(TARIFF));
        await expect(f.meter.connect(f.consumer).openOrder(terms({ expiresAt: (await time.latest()) + 100 })))
          .to.be.revertedWithCustomError(f.meter, "UsageMeterTariffChanged")
          .withArgs(1n, 1, 2);
      });
    });

    describe("when the budget is not approved", function () {
      it("reverts with the token's ERC20InsufficientAllowance", async function () {
        const f = await loadFixture(booked);
        const meter = await f.meter.getAddress();
        await f.token.connect(f.consumer).approve(meter, 0n);
        await expect(f.meter.connect(f.consumer).openOrder(terms({ expiresAt: (await time.latest()) + 100 })))
          .to.be.revertedWithCustomError(f.token, "ERC20InsufficientAllowance")
          .withArgs(meter, 0n, BUDGET);
      });
    });

    describe("when the terms are valid", function () {
      it("escrows the budget and stores the order; emits OrderOpened", async function () {
        const f = await loadFixture(booked);
        const expiresAt = (await time.latest()) + 3600;
        const balance = await f.token.balanceOf(f.consumer.address);
        await expect(
          f.meter
            .connect(f.consumer)
            .openOrder(terms({ expiresAt, disputeWindow: 60, capPerPeriod: 7n, capPeriod: 600 })),
        )
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
        expect(await f.token.balanceOf(f.consumer.address)).to.equal(balance - BUDGET);
        expect(await f.token.balanceOf(await f.meter.getAddress())).to.equal(2n * BUDGET);
        const order = await f.meter.getOrder(2n);
        expect(order.machineId).to.equal(1n);
        expect(order.tariffVersion).to.equal(1n);
        expect(order.expiresAt).to.equal(BigInt(expiresAt));
        expect(order.status).to.equal(Status.Open);
        expect(order.licenseCount).to.equal(1n);
        expect(order.capped).to.equal(true);
        expect(order.disputeWindow).to.equal(60n);
        expect(order.feeBps).to.equal(0n);
        expect(order.payer).to.equal(f.consumer.address);
        expect(order.consumer).to.equal(f.memberIds.consumer);
        expect(order.provider).to.equal(f.memberIds.provider);
        expect(order.escrow).to.equal(BUDGET);
        expect(order.refunded).to.equal(0n);
        expect(order.reportsHash).to.equal(ZERO_HASH);
        expect(order.invoiceCount).to.equal(0n);
        const openedAt = BigInt(await time.latest());
        expect([order.openedAt, order.reportGrace]).to.deep.equal([openedAt, 3600n]);
        const meter = await f.meter.meterOf(2n);
        // Both streams' periods may start at the opening, no earlier.
        expect([meter.devicePeriodEnd, meter.inspectorPeriodEnd]).to.deep.equal([openedAt, openedAt]);
        expect([meter.deviceSequence, meter.inspectorSequence, meter.machineSeconds, meter.units]).to.deep.equal([
          0n,
          0n,
          0n,
          0n,
        ]);
        expect([meter.available, meter.used, meter.exhausted]).to.deep.equal([BUDGET, false, false]);
        expect((await f.meter.getOrder(1n)).capped).to.equal(false);
      });

      it("counts an open obligation of the consumer, of the provider and of each licensor of the tariff", async function () {
        const f = await loadFixture(booked);
        expect(await f.meter.openObligations(f.memberIds.consumer)).to.equal(1n);
        expect(await f.meter.openObligations(f.memberIds.provider)).to.equal(1n);
        expect(await f.meter.openObligations(f.memberIds.licensor)).to.equal(1n);
        await openAnother(f);
        expect(await f.meter.openObligations(f.memberIds.consumer)).to.equal(2n);
        expect(await f.meter.openObligations(f.memberIds.provider)).to.equal(2n);
        expect(await f.meter.openObligations(f.memberIds.licensor)).to.equal(2n);
        // The second machine's tariff names no licence: its orders are no obligation of the licensor.
        await openAnother(f, { machineId: 2n });
        expect(await f.meter.openObligations(f.memberIds.licensor)).to.equal(2n);
      });

      it("takes a hold on the payer's account in the token (one per order; a failed open takes none)", async function () {
        const f = await loadFixture(booked);
        expect(await f.token.holdsOf(f.consumer.address)).to.equal(1n);
        await openAnother(f);
        expect(await f.token.holdsOf(f.consumer.address)).to.equal(2n);
        await expect(openAnother(f, { budget: 0n })).to.be.revertedWithCustomError(f.meter, "UsageMeterInvalidBudget");
        expect(await f.token.holdsOf(f.consumer.address)).to.equal(2n);
        expect(await f.token.holdsOf(f.provider.address)).to.equal(0n);
      });
    });
  });

  describe("openOrderWithPermit", function () {
    async function withPermit() {
      const f = await loadFixture(booked);
      const meter = await f.meter.getAddress();
      await f.token.connect(f.consumer).approve(meter, 0n);
      const permit = await signPermit(f.token, f.consumer, meter, BUDGET, (await blockTime()) + 3600n);
      const open = async () =>
        f.meter
          .connect(f.consumer)
          .openOrderWithPermit(
            terms({ expiresAt: (await time.latest()) + 3600 }),
            permit.message.deadline,
            permit.v,
            permit.r,
            permit.s,
          );
      return { f, meter, permit, open };
    }

    describe("when the permit is valid", function () {
      it("opens the order without a prior approval", async function () {
        const { f, open } = await withPermit();
        await expect(open()).to.emit(f.meter, "OrderOpened");
        expect((await f.meter.getOrder(2n)).escrow).to.equal(BUDGET);
        expect(await f.token.nonces(f.consumer.address)).to.equal(1n);
        expect(await f.token.holdsOf(f.consumer.address)).to.equal(2n);
      });
    });

    describe("when the permit was used already (front-run)", function () {
      it("opens with the allowance the permit set", async function () {
        const { f, meter, permit, open } = await withPermit();
        await f.token
          .connect(f.outsider)
          .permit(f.consumer.address, meter, BUDGET, permit.message.deadline, permit.v, permit.r, permit.s);
        await expect(open()).to.emit(f.meter, "OrderOpened");
        expect(await f.token.allowance(f.consumer.address, meter)).to.equal(0n);
      });
    });

    describe("when the permit is invalid and nothing is approved", function () {
      it("reverts with ERC20InsufficientAllowance", async function () {
        const { f, meter, permit } = await withPermit();
        const open = f.meter
          .connect(f.consumer)
          .openOrderWithPermit(
            terms({ expiresAt: (await time.latest()) + 3600 }),
            permit.message.deadline,
            permit.v,
            permit.s,
            permit.r,
          );
        await expect(open)
          .to.be.revertedWithCustomError(f.token, "ERC20InsufficientAllowance")
          .withArgs(meter, 0n, BUDGET);
      });
    });
  });
});
