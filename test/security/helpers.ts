/**
 * The market the security proofs of concept (test/security/Findings.ts) run in: the whole system from the shared
 * fixture, a licence, two machines with device keys whose private keys the tests hold, and a funded consumer.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import type { ContractTransactionResponse } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";
import { getAddress, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";

import { encodeReportBatch } from "../../src/codec/batch.js";
import { ReadingKind, readingsRoot, type Reading } from "../../src/core/readings.js";
import { signReport, type MeterDomain, type SignedReport, type UsageReport } from "../../src/core/report.js";
import { parseEuro } from "../../src/core/money.js";
import { referenceHash } from "../../src/core/references.js";
import { marketFixture, mintTo, type MarketFixture } from "../helpers/fixtures.js";
import { profileArg, sampleProfile, tariff } from "../helpers/registry.js";

export const HOUR = 3600;
export const DAY = 86_400;
export const FUNDS = parseEuro("10000");
export const BUDGET = parseEuro("500");
export const ROYALTY = parseEuro("0.35");
/** 36 EUR an hour (a cent a second) and 1 EUR a unit: no setup fee, no minimum charge, no tiers. */
export const PLAIN_TARIFF = tariff({ pricePerHour: parseEuro("36"), pricePerUnit: parseEuro("1") });
/** 1 EUR a unit, naming licence 1 (royalty per licensed product on top). */
export const LICENSED_TARIFF = tariff({ pricePerUnit: parseEuro("1"), licenseIds: [1] });

/** IUsageMeter.RejectReason's values the proofs name. */
export const Reject = {
  OrderNotOpen: 1,
  SignerNotValidForPeriod: 5,
  PeriodStartsBeforeOrder: 14,
  PeriodOverlapsPrevious: 15,
} as const;
export const Status = { None: 0n, Open: 1n, Closed: 2n, Settled: 3n } as const;
/** AccountStanding's values (src/core/membership.ts does not name Leaving yet). */
export const Standing = { None: 0, Frozen: 1, Member: 2, System: 3, Leaving: 4 } as const;

export interface Market extends MarketFixture {
  /** Machine 1 (PLAIN_TARIFF): its device key, and a second device key the tests may revoke. */
  plainMachine: bigint;
  device: PrivateKeyAccount;
  secondKey: PrivateKeyAccount;
  /** Machine 2 (LICENSED_TARIFF, licence 1 of the licensor at ROYALTY): its device key. */
  licensedMachine: bigint;
  licensedDevice: PrivateKeyAccount;
  licenseId: number;
  domain: MeterDomain;
}

/**
 * Deploys the market, registers licence 1 and the two machines, funds the consumer (FUNDS, approved to the meter),
 * then lets a day pass, so that the keys have a past in which they were valid before any order exists.
 */
export function securityFixture(connection: NetworkConnection): () => Promise<Market> {
  const deployMarket = marketFixture(connection);
  return async function deploySecurityMarket(): Promise<Market> {
    const f = await deployMarket();
    const device = privateKeyToAccount(generatePrivateKey());
    const secondKey = privateKeyToAccount(generatePrivateKey());
    const licensedDevice = privateKeyToAccount(generatePrivateKey());
    await f.licenses.connect(f.licensor).registerLicense(ROYALTY, referenceHash("licence terms v1"));
    await f.machines
      .connect(f.provider)
      .registerMachine(profileArg(sampleProfile()), [device.address, secondKey.address], PLAIN_TARIFF);
    await f.machines
      .connect(f.provider)
      .registerMachine(profileArg(sampleProfile()), [licensedDevice.address], LICENSED_TARIFF);
    await mintTo(f, f.consumer.address, FUNDS);
    await f.token.connect(f.consumer).approve(await f.meter.getAddress(), FUNDS);
    await connection.networkHelpers.time.increase(DAY);
    const { chainId } = await connection.ethers.provider.getNetwork();
    const domain = { chainId: Number(chainId), meter: getAddress(await f.meter.getAddress()) };
    return { ...f, plainMachine: 1n, device, secondKey, licensedMachine: 2n, licensedDevice, licenseId: 1, domain };
  };
}

/** Order terms for `machineId` (machine 1 unless overridden), with the licence versions the tariff names now. */
export function orderTerms(f: Market, overrides: Record<string, unknown> = {}) {
  const machineId = (overrides.machineId as bigint | undefined) ?? f.plainMachine;
  return {
    machineId,
    tariffVersion: 1,
    budget: BUDGET,
    expiresAt: 0,
    disputeWindow: HOUR,
    capPerPeriod: 0n,
    capPeriod: 0,
    capability: referenceHash("laser-cutting"),
    licenseVersions: machineId === f.licensedMachine ? [1] : [],
    ...overrides,
  };
}

/** The order id and the timestamp of the block of the OrderOpened event `tx` emitted. */
export async function openedBy(f: Market, tx: ContractTransactionResponse): Promise<{ id: bigint; at: number }> {
  const receipt = await tx.wait();
  for (const log of receipt!.logs) {
    const event = f.meter.interface.parseLog(log);
    if (event?.name === "OrderOpened")
      return { id: event.args.orderId as bigint, at: (await receipt!.getBlock()).timestamp };
  }
  throw new Error("openOrder emitted no OrderOpened event");
}

/** Opens an order for the consumer (30 days long unless overridden); returns its id and its opening time. */
export async function openOrder(
  connection: NetworkConnection,
  f: Market,
  overrides: Record<string, unknown> = {},
): Promise<{ id: bigint; at: number }> {
  const expiresAt = (await connection.networkHelpers.time.latest()) + 30 * DAY;
  return openedBy(f, await f.meter.connect(f.consumer).openOrder(orderTerms(f, { expiresAt, ...overrides })));
}

/** A reading and the root of a one-reading tree of it. */
export function readingOf(amount: bigint, at = 1): { reading: Reading; root: Hex } {
  const reading: Reading = { index: 0n, at, kind: ReadingKind.SpindleSeconds, amount, licenseId: 0 };
  return { reading, root: readingsRoot([reading]) };
}

const NO_READINGS = readingOf(0n).root;

/** A usage report of `orderId` signed by `key`: nothing counted, no licensed products, unless `fields` say so. */
export function report(
  f: Market,
  key: PrivateKeyAccount,
  orderId: bigint,
  fields: Partial<UsageReport> & Pick<UsageReport, "sequence" | "periodStart" | "periodEnd">,
): Promise<SignedReport> {
  return signReport(key, f.domain, {
    orderId,
    machineSeconds: 0n,
    units: 0n,
    inspections: 0,
    licensedProducts: [],
    readingsRoot: NO_READINGS,
    ...fields,
  });
}

/** The report as the meter's ABI takes it. */
export const reportArg = (signed: SignedReport) => ({
  ...signed.report,
  licensedProducts: [...signed.report.licensedProducts],
});

/** Submits one report strictly (a rejection reverts). */
export const submit = (f: Market, signed: SignedReport) => f.meter.submitReport(reportArg(signed), signed.signature);

/** Submits a batch (a rejection is an event; the rest records). */
export const submitBatch = (f: Market, ...signed: SignedReport[]) => f.meter.submitReports(encodeReportBatch(signed));

/** Charged so far on the order, net of dispute refunds: escrow - refunded - available. */
export async function chargedOn(f: Market, orderId: bigint): Promise<bigint> {
  const order = await f.meter.getOrder(orderId);
  return order.escrow - order.refunded - (await f.meter.meterOf(orderId)).available;
}

/** The charges of the ReportRecorded events `tx` emitted, in order. */
export async function recordedCharges(f: Market, tx: ContractTransactionResponse): Promise<bigint[]> {
  const receipt = await tx.wait();
  return receipt!.logs
    .map((log) => f.meter.interface.parseLog(log))
    .filter((event) => event?.name === "ReportRecorded")
    .map((event) => event!.args.charge as bigint);
}

/** The ReportRecorded digests of `orderId`, in the order the meter recorded them. */
export async function recordedDigests(f: Market, orderId: bigint): Promise<Hex[]> {
  const logs = await f.meter.queryFilter(f.meter.filters.ReportRecorded(orderId));
  return logs.map((log) => log.args.digest as Hex);
}

/** The member of `signer`'s account leaves with nothing in it: redeems its whole balance through the gateway. */
export async function redeemAll(f: Market, signer: HardhatEthersSigner): Promise<bigint> {
  const balance = await f.token.balanceOf(signer.address);
  if (balance === 0n) return 0n;
  await f.token.connect(signer).approve(await f.gateway.getAddress(), balance);
  await f.gateway.connect(signer).requestRedemption(balance, referenceHash(`payout to ${signer.address}`));
  const redemptionId = await f.gateway.redemptionCount();
  await f.gateway.connect(f.operator).markRedemptionPaid(redemptionId, referenceHash(`bank transfer ${redemptionId}`));
  return balance;
}
