/**
 * The UsageMeter tests' network, fixture (a booked laser) and report helpers, shared by the files of this directory.
 */
import type { ContractTransactionResponse } from "ethers";
import { network } from "hardhat";
import { concat, getAddress, keccak256, pad, slice, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";

import { KeyKind } from "../../../src/core/listing.js";
import { price, type Usage } from "../../../src/core/tariff.js";
import { encodeReportBatch } from "../../../src/codec/batch.js";
import { ReadingKind, readingsRoot } from "../../../src/core/readings.js";
import { signReport, type MeterDomain, type SignedReport, type UsageReport } from "../../../src/core/report.js";
import { parseEuro } from "../../../src/core/money.js";
import { referenceHash } from "../../../src/core/references.js";
import { marketFixture, mintTo, type MarketFixture } from "../../helpers/fixtures.js";
import { profileArg, sampleProfile, sampleTariff, tariffArg } from "../../helpers/registry.js";

export const connection = await network.create();
export const { ethers, networkHelpers } = connection;
export const { loadFixture, time } = networkHelpers;
export const deployMarket = marketFixture(connection);

export const BUDGET = parseEuro("500");
export const WINDOW = 3600;
export const ROYALTY = parseEuro("0.35");
export const TARIFF = sampleTariff({ licenseIds: [1] });
export const ZERO_HASH = `0x${"00".repeat(12)}` as Hex;
export const Status = { None: 0n, Open: 1n, Closed: 2n, Settled: 3n } as const;
export const Outcome = { Recorded: 0n, Duplicate: 1n, Rejected: 2n } as const;
export const Reject = {
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

export interface Booked extends MarketFixture {
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
export async function booked(): Promise<Booked> {
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

export function terms(overrides: Record<string, unknown> = {}) {
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
export async function openAnother(f: Booked, overrides: Record<string, unknown> = {}): Promise<bigint> {
  const expiresAt = (await time.latest()) + 86_400;
  const receipt = await (await f.meter.connect(f.consumer).openOrder(terms({ expiresAt, ...overrides }))).wait();
  for (const log of receipt!.logs) {
    const event = f.meter.interface.parseLog(log);
    if (event?.name === "OrderOpened") return event.args.orderId as bigint;
  }
  throw new Error("openOrder emitted no OrderOpened event");
}

/** The length of a default report's period: ten minutes. */
export const SLOT = 600;
export const ROOT = readingsRoot([{ index: 0n, at: 1, kind: ReadingKind.SpindleSeconds, amount: 1n, licenseId: 0 }]);

/**
 * A report of order `f.orderId` (480 s and 12 units unless overridden) over its stream's ten-minute slot: report
 * n of a stream covers the n-th ten minutes after the order opened, so a stream's default periods are ordered
 * and never overlap. The chain is moved past the period's end if it is not there yet.
 */
export async function report(f: Booked, overrides: Partial<UsageReport> = {}, key = f.device): Promise<SignedReport> {
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
export const inspection = (f: Booked, sequence: number, inspections: number) =>
  report(f, { sequence, machineSeconds: 0n, units: 0n, inspections }, f.inspector);

export const arg = (signed: SignedReport) => ({
  ...signed.report,
  licensedProducts: [...signed.report.licensedProducts],
});
export const submit = (f: Booked, signed: SignedReport, signature: string = signed.signature) =>
  f.meter.submitReport(arg(signed), signature);
export const submitBatch = (f: Booked, ...signed: SignedReport[]) => f.meter.submitReports(encodeReportBatch(signed));

/** What the laser's tariff prices usage at before any minimum charge (royalties included). */
export function priceOf(usage: Partial<Usage>, tariff = TARIFF, royalties = [ROYALTY]): bigint {
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
export async function chargedOn(f: Booked, orderId = f.orderId): Promise<bigint> {
  const order = await f.meter.getOrder(orderId);
  return order.escrow - order.refunded - (await f.meter.meterOf(orderId)).available;
}

/** The order's reports hash after folding `digests` into `from`: h' = bytes12(keccak256(h ‖ 20 zero bytes ‖ digest)). */
export function fold(digests: readonly Hex[], from: Hex = ZERO_HASH): Hex {
  let h = from;
  for (const digest of digests) h = slice(keccak256(concat([pad(h, { dir: "right", size: 32 }), digest])), 0, 12);
  return h;
}

/** The digests of the ReportRecorded events a transaction emitted, in order. */
export async function recordedDigests(f: Booked, tx: Promise<ContractTransactionResponse>): Promise<Hex[]> {
  const receipt = await (await tx).wait();
  return receipt!.logs
    .map((log) => f.meter.interface.parseLog(log))
    .filter((event) => event?.name === "ReportRecorded")
    .map((event) => event!.args.digest as Hex);
}

export const invoice = (f: Booked, number: number, orderId = f.orderId) => f.meter.invoiceOf(orderId, number);
export const blockTime = async () => BigInt(await time.latest());
