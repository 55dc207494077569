/**
 * Invoices on the in-process network, for the tests of the document (test/core/invoice.ts), its loader
 * (test/contracts/invoices.ts) and its table (test/cli/render/invoice.ts): a licensed laser with a device and an
 * inspector key, orders, signed reports, and one invoice issued and settled over batched and single reports.
 */
import { expect } from "chai";
import type { NetworkConnection } from "hardhat/types/network";
import { getAddress, type Address } from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";

import { viemChain, type ViemChain } from "../../src/chain/hardhat.js";
import { encodeReportBatch } from "../../src/codec/batch.js";
import { loadInvoice } from "../../src/contracts/invoices.js";
import type { InvoiceDocument } from "../../src/core/invoice.js";
import { KeyKind } from "../../src/core/listing.js";
import { parseEuro } from "../../src/core/money.js";
import { ReadingKind, readingsRoot } from "../../src/core/readings.js";
import { referenceHash } from "../../src/core/references.js";
import { signReport, type MeterDomain, type SignedReport, type UsageReport } from "../../src/core/report.js";
import { marketFixture, mintTo, type MarketFixture } from "./fixtures.js";
import { profileArg, sampleProfile, sampleTariff, tariffArg } from "./registry.js";

export const WINDOW = 3600;
export const FEE_BPS = 250;
export const ROYALTY = parseEuro("0.35");

export interface Invoiced extends MarketFixture {
  chain: ViemChain;
  device: PrivateKeyAccount;
  inspector: PrivateKeyAccount;
  domain: MeterDomain;
  meterAddress: Address;
  registry: Address;
  /** Next sequence number per order and kind. */
  next: Map<string, number>;
}

/** Every column of the document adds up: lines plus adjustments give the on-chain totals. */
export function expectReconciled(doc: InvoiceDocument): void {
  for (const column of ["charged", "royalties", "platformFee", "providerNet", "heldBack"] as const) {
    const sum = doc.totals.adjustments.reduce((total, row) => total + row[column], doc.totals.lines[column]);
    expect(sum, column).to.equal(doc.totals.onChain[column]);
  }
}

/** The invoice fixtures of one connection. */
export function invoiceFixtures(connection: NetworkConnection) {
  const { ethers, networkHelpers } = connection;
  const { loadFixture, time } = networkHelpers;
  const deployMarket = marketFixture(connection);

  /** A licensed laser with a device and an inspector key, a 2.5 % platform fee, a funded consumer. */
  async function market(): Promise<Invoiced> {
    const f = await deployMarket();
    const device = privateKeyToAccount(generatePrivateKey());
    const inspector = privateKeyToAccount(generatePrivateKey());
    await f.licenses.connect(f.licensor).registerLicense(ROYALTY, referenceHash("bracket licence terms"));
    await f.machines
      .connect(f.provider)
      .registerMachine(profileArg(sampleProfile()), [device.address], tariffArg(sampleTariff({ licenseIds: [1] })));
    await f.machines.connect(f.provider).addKey(1n, inspector.address, KeyKind.Inspector);
    await f.meter.connect(f.operator).setPlatformFee(FEE_BPS);
    await mintTo(f, f.consumer.address, parseEuro("10000"));
    await f.token.connect(f.consumer).approve(await f.meter.getAddress(), parseEuro("10000"));
    const meterAddress = getAddress(await f.meter.getAddress());
    const { chainId } = await ethers.provider.getNetwork();
    return {
      ...f,
      chain: await viemChain(connection),
      device,
      inspector,
      domain: { chainId: Number(chainId), meter: meterAddress },
      meterAddress,
      registry: getAddress(await f.machines.getAddress()),
      next: new Map(),
    };
  }

  async function openOrder(f: Invoiced, budget = parseEuro("500")): Promise<bigint> {
    await f.meter.connect(f.consumer).openOrder({
      machineId: 1n,
      tariffVersion: 1,
      budget,
      expiresAt: (await time.latest()) + 30 * 86400,
      disputeWindow: WINDOW,
      capPerPeriod: 0n,
      capPeriod: 0,
      capability: referenceHash("laser-cutting"),
      licenseVersions: [1],
    });
    const [opened] = (await f.meter.queryFilter(f.meter.filters.OrderOpened())).slice(-1);
    return opened!.args.orderId;
  }

  /** Signs the next report of `kind` for the order, over the last ten minutes (after the previous one ended). */
  async function report(
    f: Invoiced,
    orderId: bigint,
    kind: "device" | "inspector",
    counts: Partial<Pick<UsageReport, "machineSeconds" | "units" | "inspections" | "licensedProducts">>,
  ): Promise<SignedReport> {
    const key = `${orderId}/${kind}`;
    const sequence = f.next.get(key) ?? 1;
    f.next.set(key, sequence + 1);
    await time.increase(601);
    const end = (await time.latest()) - 1;
    const reading = { index: BigInt(sequence), at: end, kind: ReadingKind.SpindleSeconds, amount: 1n, licenseId: 0 };
    return signReport(kind === "device" ? f.device : f.inspector, f.domain, {
      orderId,
      sequence,
      periodStart: end - 600,
      periodEnd: end,
      machineSeconds: 0n,
      units: 0n,
      inspections: 0,
      licensedProducts: [],
      readingsRoot: readingsRoot([reading]),
      ...counts,
    });
  }

  const single = (f: Invoiced, signed: SignedReport) =>
    f.meter.submitReport({ ...signed.report, licensedProducts: [...signed.report.licensedProducts] }, signed.signature);

  const load = (f: Invoiced, orderId: bigint, number: number): Promise<InvoiceDocument> =>
    loadInvoice(f.chain.publicClient, f.meterAddress, orderId, number, { registry: f.registry });

  /**
   * Order 1: a packed batch with two device reports (licensed products) and one of another order, a
   * device report alone, an inspector report in a batch; invoice 1 issued and settled after the window.
   */
  async function settledInvoice() {
    const f = await market();
    const orderId = await openOrder(f);
    const other = await openOrder(f);
    const batch1 = [
      await report(f, orderId, "device", { machineSeconds: 480n, units: 60n, licensedProducts: [60n] }),
      await report(f, other, "device", { machineSeconds: 100n, units: 5n }),
      await report(f, orderId, "device", { machineSeconds: 590n, units: 70n, licensedProducts: [30n] }),
    ];
    await f.meter.submitReports(encodeReportBatch(batch1));
    await single(f, await report(f, orderId, "device", { machineSeconds: 333n, units: 7n }));
    await f.meter.submitReports(encodeReportBatch([await report(f, orderId, "inspector", { inspections: 2 })]));
    await f.meter.settle([orderId]);
    const pending = await load(f, orderId, 1);
    await time.increase(WINDOW);
    await f.meter.settle([orderId]);
    return { f, orderId, pending, doc: await load(f, orderId, 1) };
  }

  // loadFixture hands back the same objects after each revert: copy the sequence counters so that no test sees another's.
  async function loadMarket(): Promise<Invoiced> {
    const f = await loadFixture(market);
    return { ...f, next: new Map(f.next) };
  }

  async function loadSettled(): Promise<Awaited<ReturnType<typeof settledInvoice>>> {
    const settled = await loadFixture(settledInvoice);
    return { ...settled, f: { ...settled.f, next: new Map(settled.f.next) } };
  }

  /** An order with a 30 EUR escrow and one report priced above it: its invoice's line is charged below its price. */
  async function underfundedInvoice(): Promise<InvoiceDocument> {
    const f = await loadMarket();
    const orderId = await openOrder(f, parseEuro("30"));
    await single(f, await report(f, orderId, "device", { machineSeconds: 600n, units: 20n }));
    await f.meter.settle([orderId]);
    return load(f, orderId, 1);
  }

  return { loadMarket, loadSettled, openOrder, report, single, load, underfundedInvoice };
}
