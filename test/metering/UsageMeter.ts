/*
UsageMeter.tree — the branches, written down first; one `it` per leaf. Who may call each function (every
member role, an outsider, the issuer's keys) is the role matrix's (test/RoleMatrix.ts).

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
submitReport (rejections revert with UsageMeterReportRejected(orderId, sequence, reason))
├── when the order does not exist or is closed ──────────── OrderNotOpen
├── when it counts licensed products for another number of licences  LicensedProductsMismatch
│   └── also when it counts more than any tariff can name (more than 4) ── LicensedProductsMismatch
├── when the signature is not 65 bytes ──────────────────── InvalidSignature
├── when the signature is the high-s twin of a valid one ── InvalidSignature
├── when the key is unknown ─────────────────────────────── UnknownSigner
├── when it was signed for another chain ────────────────── UnknownSigner (another address recovers)
├── when it was signed for another deployment ───────────── UnknownSigner (another address recovers)
├── when the key is another machine's ───────────────────── SignerOfAnotherMachine
├── when the period ends before it starts ───────────────── PeriodEndsBeforeStart
├── when the period ends in the future ──────────────────── PeriodInFuture
├── when the period ends after the order expires ────────── PeriodAfterExpiry
├── when the key was revoked before the period ended ────── SignerNotValidForPeriod (one signed before counts)
├── when the key was added after the period ended ───────── SignerNotValidForPeriod
├── when the key was added during the period ────────────── SignerNotValidForPeriod (from its first second it counts)
├── when the period starts before the order opened ──────── PeriodStartsBeforeOrder (both streams; from 0 the key fails first)
├── when the period starts before the stream's last end ─── PeriodOverlapsPrevious; a period from the last end counts;
│   ├── the other stream keeps its own mark
│   └── a stream's machine seconds never exceed the time since the order opened
├── when a device key signs inspections ─────────────────── CountsNotAllowedForSigner
├── when an inspector key signs machine time, units or licensed products  CountsNotAllowedForSigner
├── when a device report counts more seconds than its period  MoreSecondsThanThePeriod
├── when the report was recorded already ────────────────── it emits ReportDuplicate and changes nothing
├── when the report skips a number ──────────────────────── SequenceGap
├── when its counts would overflow the meter ────────────── CountsTooLarge (units beyond 32 bits, a 2^24th device report)
├── when several reasons hold ───────────────────────────── the first of: not open, licences, _check, duplicate, gap, counts
└── when the report is valid
    ├── it charges the tariff's price (setup fee with the first counted report); emits ReportRecorded(digest, charge)
    ├── it prices time and units over the order's totals (units climb the tiers across reports)
    ├── an inspector's report counts in its own stream (kept in the head) and charges the inspections
    ├── a report that counts nothing charges nothing, not even the setup fee
    ├── it folds the report's digest into the order's reportsHash
    ├── when the escrow runs out ── it charges what is left, emits OrderExhausted and marks the meter exhausted
    ├── when the spending cap, not the escrow, falls short ── capped, not exhausted; exhausted once the escrow is (I-1)
    ├── when the escrow cannot pay the royalties ── royalties are booked first, in licence order
    └── when the spending cap of the period is reached ── it charges up to the cap and emits SpendingCapReached;
        the next period starts afresh; no device report reaches back into a spent period; the other stream's late
        report of the earlier period is still held to that period's cap
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
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { expect } from "chai";
import { Interface, type ContractTransactionResponse } from "ethers";
import hre, { network } from "hardhat";
import { concat, getAddress, keccak256, pad, slice, toHex, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";

import { KeyKind } from "../../src/core/listing.js";
import { price, type Usage } from "../../src/core/tariff.js";
import { decodeReportBatch, encodeReportBatch } from "../../src/codec/batch.js";
import { viemChain } from "../../src/chain/hardhat.js";
import { UsageMeterClient } from "../../src/contracts/meter.js";
import { ReadingKind, proveReading, readingsRoot, type Reading } from "../../src/core/readings.js";
import {
  reportDigest,
  signReport,
  type MeterDomain,
  type SignedReport,
  type UsageReport,
} from "../../src/core/report.js";
import { Role } from "../../src/core/membership.js";
import { parseEuro } from "../../src/core/money.js";
import { referenceHash } from "../../src/core/references.js";
import { meterDomain, usageReportTypes } from "../../src/core/typed-data.js";
import { marketFixture, mintTo, type MarketFixture } from "../helpers/fixtures.js";
import { interfaceIdOf, ownFunctions, functionSignatures, IERC165_SIGNATURES } from "../helpers/interfaceId.js";
import { highSTwinOf, signPermit } from "../helpers/permit.js";
import { profileArg, sampleProfile, sampleTariff, tariffArg } from "../helpers/registry.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;
const deployMarket = marketFixture(connection);

const BUDGET = parseEuro("500");
const WINDOW = 3600;
const ROYALTY = parseEuro("0.35");
const TARIFF = sampleTariff({ licenseIds: [1] });
const ZERO_HASH = `0x${"00".repeat(12)}` as Hex;
const Status = { None: 0n, Open: 1n, Closed: 2n, Settled: 3n } as const;
const Outcome = { Recorded: 0n, Duplicate: 1n, Rejected: 2n } as const;
const Reject = {
  None: 0,
  OrderNotOpen: 1,
  InvalidSignature: 2,
  UnknownSigner: 3,
  SignerOfAnotherMachine: 4,
  SignerNotValidForPeriod: 5,
  PeriodEndsBeforeStart: 6,
  PeriodInFuture: 7,
  PeriodAfterExpiry: 8,
  SequenceGap: 9,
  CountsNotAllowedForSigner: 10,
  LicensedProductsMismatch: 11,
  MoreSecondsThanThePeriod: 12,
  CountsTooLarge: 13,
  PeriodStartsBeforeOrder: 14,
  PeriodOverlapsPrevious: 15,
} as const;

interface Booked extends MarketFixture {
  device: PrivateKeyAccount;
  inspector: PrivateKeyAccount;
  otherDevice: PrivateKeyAccount;
  domain: MeterDomain;
  orderId: bigint;
  openedAt: number;
}

/**
 * A laser (machine 1: device and inspector key, tariff with licence 1 at 0.35 EUR), a second machine without
 * licences (machine 2), and order 1 of 500 EUR on the laser (dispute window an hour, no platform fee).
 */
async function booked(): Promise<Booked> {
  const f = await deployMarket();
  const device = privateKeyToAccount(generatePrivateKey());
  const inspector = privateKeyToAccount(generatePrivateKey());
  const otherDevice = privateKeyToAccount(generatePrivateKey());
  await f.licenses.connect(f.licensor).registerLicense(ROYALTY, referenceHash("terms"));
  await f.machines
    .connect(f.provider)
    .registerMachine(profileArg(sampleProfile()), [device.address], tariffArg(TARIFF));
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
  return { ...f, device, inspector, otherDevice, domain, orderId: 1n, openedAt: await time.latest() };
}

function terms(overrides: Record<string, unknown> = {}) {
  // The laser's tariff names licence 1 (at version 1); the second machine's none.
  const machineId = (overrides.machineId as bigint | undefined) ?? 1n;
  return {
    machineId: 1n,
    tariffVersion: 1,
    budget: BUDGET,
    expiresAt: 0,
    disputeWindow: WINDOW,
    capPerPeriod: 0n,
    capPeriod: 0,
    capability: referenceHash("laser-cutting"),
    licenseVersions: machineId === 1n ? [1] : [],
    ...overrides,
  };
}

/** Opens the next order for the fixture's consumer, a day long unless `overrides` say otherwise. */
async function openAnother(f: Booked, overrides: Record<string, unknown> = {}): Promise<bigint> {
  const expiresAt = (await time.latest()) + 86_400;
  const receipt = await (await f.meter.connect(f.consumer).openOrder(terms({ expiresAt, ...overrides }))).wait();
  for (const log of receipt!.logs) {
    const event = f.meter.interface.parseLog(log);
    if (event?.name === "OrderOpened") return event.args.orderId as bigint;
  }
  throw new Error("openOrder emitted no OrderOpened event");
}

/** The length of a default report's period: ten minutes. */
const SLOT = 600;
const ROOT = readingsRoot([{ index: 0n, at: 1, kind: ReadingKind.SpindleSeconds, amount: 1n, licenseId: 0 }]);

/**
 * A report of order `f.orderId` (480 s and 12 units unless overridden) over its stream's ten-minute slot: report
 * n of a stream covers the n-th ten minutes after the order opened, so a stream's default periods are ordered
 * and never overlap. The chain is moved past the period's end if it is not there yet.
 */
async function report(f: Booked, overrides: Partial<UsageReport> = {}, key = f.device): Promise<SignedReport> {
  const orderId = overrides.orderId ?? f.orderId;
  const sequence = overrides.sequence ?? 1;
  const openedAt = Number((await f.meter.getOrder(orderId)).openedAt);
  const start = overrides.periodStart ?? openedAt + (sequence - 1) * SLOT;
  const end = overrides.periodEnd ?? start + SLOT;
  if (overrides.periodEnd === undefined && end >= (await time.latest())) await time.increaseTo(end + 1);
  return signReport(key, f.domain, {
    orderId,
    sequence,
    periodStart: start,
    periodEnd: end,
    machineSeconds: 480n,
    units: 12n,
    inspections: 0,
    licensedProducts: [],
    readingsRoot: ROOT,
    ...overrides,
  });
}

/** An inspector's report of `inspections` inspections. */
const inspection = (f: Booked, sequence: number, inspections: number) =>
  report(f, { sequence, machineSeconds: 0n, units: 0n, inspections }, f.inspector);

const arg = (signed: SignedReport) => ({ ...signed.report, licensedProducts: [...signed.report.licensedProducts] });
const submit = (f: Booked, signed: SignedReport, signature: string = signed.signature) =>
  f.meter.submitReport(arg(signed), signature);
const submitBatch = (f: Booked, ...signed: SignedReport[]) => f.meter.submitReports(encodeReportBatch(signed));

/** What the laser's tariff prices usage at before any minimum charge (royalties included). */
function priceOf(usage: Partial<Usage>, tariff = TARIFF, royalties = [ROYALTY]): bigint {
  const charge = price(tariff, royalties, {
    machineSeconds: 0n,
    units: 0n,
    inspections: 0,
    licensedProducts: [],
    ...usage,
  });
  return charge.total - charge.minimumTopUp;
}

/** Charged so far on the order, net of dispute refunds: escrow - refunded - available. */
async function chargedOn(f: Booked, orderId = f.orderId): Promise<bigint> {
  const order = await f.meter.getOrder(orderId);
  return order.escrow - order.refunded - (await f.meter.meterOf(orderId)).available;
}

/** The order's reports hash after folding `digests` into `from`: h' = bytes12(keccak256(h ‖ 20 zero bytes ‖ digest)). */
function fold(digests: readonly Hex[], from: Hex = ZERO_HASH): Hex {
  let h = from;
  for (const digest of digests) h = slice(keccak256(concat([pad(h, { dir: "right", size: 32 }), digest])), 0, 12);
  return h;
}

/** The digests of the ReportRecorded events a transaction emitted, in order. */
async function recordedDigests(f: Booked, tx: Promise<ContractTransactionResponse>): Promise<Hex[]> {
  const receipt = await (await tx).wait();
  return receipt!.logs
    .map((log) => f.meter.interface.parseLog(log))
    .filter((event) => event?.name === "ReportRecorded")
    .map((event) => event!.args.digest as Hex);
}

const invoice = (f: Booked, number: number, orderId = f.orderId) => f.meter.invoiceOf(orderId, number);

/**
 * The storage slot of an order's meter word: UsageMeter's state follows EIP712's two fallback strings (slots 0
 * and 1), so `hot` is the mapping at slot 2, and the meter word is the second slot of an order's entry.
 */
function meterWordSlot(orderId: bigint): bigint {
  return BigInt(keccak256(concat([pad(toHex(orderId)), pad(toHex(2n))]))) + 1n;
}
const blockTime = async () => BigInt(await time.latest());

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
