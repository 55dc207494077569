/**
 * Invoices as documents (src/core/invoice.ts) against the meter on the in-process network: the lines
 * recovered from the recording transactions add up to the on-chain Invoice, the reports hash is checked,
 * and the JSON and table renderings hold what they should.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { getAddress, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";

import { KeyKind } from "../../src/core/listing.js";
import { encodeReportBatch } from "../../src/codec/batch.js";
import {
  InvoiceVerificationError,
  ZERO_REPORTS_HASH,
  foldReportsHash,
  loadInvoice,
  parseInvoiceJson,
  renderInvoiceJson,
  renderInvoiceTable,
  verifyReportsHash,
  type InvoiceDocument,
} from "../../src/core/invoice.js";
import { ReadingKind, readingsRoot } from "../../src/core/readings.js";
import { signReport, type MeterDomain, type SignedReport, type UsageReport } from "../../src/core/report.js";
import { usageRecords } from "../../src/contracts/usage.js";
import { usageInsight } from "../../src/core/insight.js";
import { formatEuro, parseEuro } from "../../src/core/money.js";
import { referenceHash } from "../../src/core/references.js";
import { viemChain, type ViemChain } from "../../src/chain/hardhat.js";
import { marketFixture, mintTo, type MarketFixture } from "../helpers/fixtures.js";
import { profileArg, sampleProfile, sampleTariff, tariffArg } from "../helpers/registry.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;
const deployMarket = marketFixture(connection);

const WINDOW = 3600;
const FEE_BPS = 250;
const ROYALTY = parseEuro("0.35");

interface Invoiced extends MarketFixture {
  chain: ViemChain;
  device: PrivateKeyAccount;
  inspector: PrivateKeyAccount;
  domain: MeterDomain;
  meterAddress: Address;
  registry: Address;
  /** Next sequence number per order and kind. */
  next: Map<string, number>;
}

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

/** Every column of the document adds up: lines plus adjustments give the on-chain totals. */
function expectReconciled(doc: InvoiceDocument): void {
  for (const column of ["charged", "royalties", "platformFee", "providerNet", "heldBack"] as const) {
    const sum = doc.totals.adjustments.reduce((total, row) => total + row[column], doc.totals.lines[column]);
    expect(sum, column).to.equal(doc.totals.onChain[column]);
  }
}

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

describe("Invoices as documents (src/core/invoice.ts)", function () {
  describe("verifyReportsHash", function () {
    const digests: Hex[] = [referenceHash("report a"), referenceHash("report b")];

    it("folds digests from zero the way the meter does, one step at a time", function () {
      const once = foldReportsHash(ZERO_REPORTS_HASH, digests.slice(0, 1));
      expect(foldReportsHash(once, digests.slice(1))).to.equal(foldReportsHash(ZERO_REPORTS_HASH, digests));
      expect(verifyReportsHash(ZERO_REPORTS_HASH, [])).to.equal(ZERO_REPORTS_HASH);
    });

    it("throws InvoiceVerificationError naming both hashes when the result differs", function () {
      const good = foldReportsHash(ZERO_REPORTS_HASH, digests);
      expect(() => verifyReportsHash(ZERO_REPORTS_HASH, [...digests].reverse(), good))
        .to.throw(InvoiceVerificationError)
        .with.property("message")
        .that.contains(good);
    });
  });

  describe("an invoice over batched and single, device and inspector reports", function () {
    it("has one line per covered report, in recording order, with the charges the meter recorded", async function () {
      const { f, orderId, doc } = await loadSettled();
      expect(doc.lines.map((l) => `${l.kind} ${l.sequence}`)).to.deep.equal([
        "device 1",
        "device 2",
        "device 3",
        "inspector 1",
      ]);
      const recorded = await f.meter.queryFilter(f.meter.filters.ReportRecorded(orderId));
      expect(doc.lines.map((l) => [l.digest, l.charge])).to.deep.equal(recorded.map((e) => [e.args[1], e.args[2]]));
      expect(doc.lines[0]!.licensedProducts).to.deep.equal([60n]);
      expect(doc.lines[3]!.inspections).to.equal(2);
    });

    it("prices every line as the meter charged it (cumulative time and tiers, setup fee once, royalties)", async function () {
      const { doc } = await loadSettled();
      for (const line of doc.lines) expect(line.price, `line ${line.kind} ${line.sequence}`).to.equal(line.charge);
      const [first, second, third, inspection] = doc.lines;
      expect(first!.setupFee).to.equal(parseEuro("25"));
      expect(second!.setupFee + third!.setupFee + inspection!.setupFee).to.equal(0n);
      // 48 EUR/h by the second, rounded once over the order: floor(1070 s) - floor(480 s).
      expect(second!.machineTime).to.equal((1070n * parseEuro("48")) / 3600n - (480n * parseEuro("48")) / 3600n);
      // Units 61..130: 40 at 0.20 up to the threshold of 100, 30 above it at 0.15.
      expect(second!.production).to.equal(40n * parseEuro("0.20") + 30n * parseEuro("0.15"));
      expect(third!.production).to.equal(7n * parseEuro("0.15"));
      expect(first!.royalty).to.equal(60n * ROYALTY);
      expect(inspection!.inspectionsPrice).to.equal(2n * parseEuro("12"));
    });

    it("carries the on-chain totals and reconciles the lines with them", async function () {
      const { f, orderId, doc } = await loadSettled();
      const invoice = await f.meter.invoiceOf(orderId, 1);
      expect(doc.totals.onChain).to.deep.equal({
        charged: invoice.charged,
        royalties: invoice.royalties,
        platformFee: invoice.platformFee,
        providerNet: invoice.providerNet,
        heldBack: invoice.heldBack,
      });
      expect(doc.totals.lines.charged).to.equal(invoice.charged);
      expect(doc.totals.lines.royalties).to.equal(invoice.royalties);
      expect(doc.totals.machineSeconds).to.equal(invoice.machineSeconds);
      expect(doc.totals.units).to.equal(invoice.units);
      expectReconciled(doc);
      const rounding = doc.totals.adjustments.filter(
        (row) => row.item !== "platform fee on the invoice total (rounding, disputes)",
      );
      expect(rounding).to.deep.equal([]);
      const order = await f.meter.getOrder(orderId);
      expect(doc.header).to.include({
        orderId,
        invoiceNumber: 1,
        machineId: 1n,
        consumer: f.memberIds.consumer,
        provider: f.memberIds.provider,
        tariffVersion: 1,
        feeBps: FEE_BPS,
        status: "settled",
        reportsHash: invoice.reportsHash,
        previousReportsHash: ZERO_REPORTS_HASH,
      });
      expect(doc.header.issuedAt).to.equal(Number(invoice.issuedAt));
      expect(doc.header.settledAt).to.equal(Number(invoice.settledAt));
      expect(order.reportsHash).to.equal(invoice.reportsHash);
    });

    it("shows a pending invoice as not credited yet", async function () {
      const { pending } = await loadSettled();
      expect(pending.header.status).to.equal("pending");
      expect(pending.header.settledAt).to.equal(0);
      expect(pending.totals.adjustments.map((row) => row.item)).to.deep.equal([
        "not credited yet (dispute window running)",
      ]);
      expectReconciled(pending);
    });

    it("detects a wrong previous hash: the covered digests do not fold to the invoice's hash", async function () {
      const { doc } = await loadSettled();
      const digests = doc.lines.map((line) => line.digest);
      expect(verifyReportsHash(doc.header.previousReportsHash, digests, doc.header.reportsHash)).to.equal(
        doc.header.reportsHash,
      );
      const wrong = foldReportsHash(ZERO_REPORTS_HASH, [referenceHash("some other report")]);
      expect(() => verifyReportsHash(wrong, digests, doc.header.reportsHash)).to.throw(
        InvoiceVerificationError,
        doc.header.reportsHash,
      );
      expect(() =>
        verifyReportsHash(doc.header.previousReportsHash, digests.slice(1), doc.header.reportsHash),
      ).to.throw(InvoiceVerificationError);
    });

    it("round-trips through JSON with bigints as decimal strings and sorted keys", async function () {
      const { doc } = await loadSettled();
      const json = renderInvoiceJson(doc);
      expect(parseInvoiceJson(json)).to.deep.equal(doc);
      expect(renderInvoiceJson(parseInvoiceJson(json))).to.equal(json);
      const raw = JSON.parse(json) as { header: Record<string, unknown>; lines: Record<string, unknown>[] };
      expect(Object.keys(raw)).to.deep.equal(["header", "lines", "totals"]);
      expect(Object.keys(raw.header)).to.deep.equal([...Object.keys(raw.header)].sort());
      expect(raw.header.orderId).to.equal(`${doc.header.orderId}`);
      expect(raw.lines[0]!.charge).to.equal(`${doc.lines[0]!.charge}`);
    });

    it("renders a table with the header, one row per report and the on-chain totals in EUR", async function () {
      const { doc } = await loadSettled();
      const table = renderInvoiceTable(doc);
      const lines = table.split("\n");
      expect(lines[0]).to.equal(`Invoice 1 of order ${doc.header.orderId} (settled)`);
      expect(table).to.contain("tariff v1");
      expect(table).to.contain("device reports     1-3");
      expect(table).to.contain("inspector reports  1");
      expect(lines.filter((line) => /^device\s+\d/.test(line))).to.have.length(3);
      expect(lines.filter((line) => /^inspector\s+1/.test(line))).to.have.length(1);
      const total = lines.find((line) => line.startsWith("invoice total (on-chain)"));
      expect(total).to.contain(formatEuro(doc.totals.onChain.charged));
      expect(total).to.contain(formatEuro(doc.totals.onChain.providerNet));
      expect(lines.find((line) => line.startsWith("inspector"))).to.contain("24.00");
    });
  });

  describe("the second invoice of an order", function () {
    it("starts from the first invoice's reports hash and covers only the later reports", async function () {
      const { f, orderId, doc: first } = await loadSettled();
      await f.meter.submitReports(
        encodeReportBatch([
          await report(f, orderId, "device", { machineSeconds: 200n, units: 3n, licensedProducts: [3n] }),
          await report(f, orderId, "inspector", { inspections: 1 }),
        ]),
      );
      await f.meter.settle([orderId]);
      await time.increase(WINDOW);
      await f.meter.settle([orderId]);
      const second = await load(f, orderId, 2);
      expect(second.header.previousReportsHash).to.equal(first.header.reportsHash);
      expect(second.lines.map((l) => `${l.kind} ${l.sequence}`)).to.deep.equal(["device 4", "inspector 2"]);
      for (const line of second.lines) expect(line.price).to.equal(line.charge);
      expectReconciled(second);
    });
  });

  describe("when the order was closed below its minimum charge", function () {
    it("shows the top-up at closing as an adjustment", async function () {
      const f = await loadMarket();
      const orderId = await openOrder(f);
      await single(f, await report(f, orderId, "device", { machineSeconds: 60n, units: 1n }));
      await f.meter.connect(f.provider).closeOrder(orderId);
      await f.meter.settle([orderId]);
      await time.increase(WINDOW);
      await f.meter.settle([orderId]);
      const doc = await load(f, orderId, 1);
      const [line] = doc.lines;
      // 25 setup + 0.80 machine time + 0.20 for the unit, topped up to the 60 EUR minimum.
      expect(line!.charge).to.equal(parseEuro("26"));
      const topUp = doc.totals.adjustments.find((row) => row.item === "minimum charge top-up at closing");
      expect(topUp?.charged).to.equal(parseEuro("34"));
      expect(doc.totals.onChain.charged).to.equal(parseEuro("60"));
      expectReconciled(doc);
    });
  });

  describe("when the escrow runs out", function () {
    it("marks the line charged below its price", async function () {
      const f = await loadMarket();
      const orderId = await openOrder(f, parseEuro("30"));
      await single(f, await report(f, orderId, "device", { machineSeconds: 600n, units: 20n }));
      await f.meter.settle([orderId]);
      const doc = await load(f, orderId, 1);
      expect(doc.lines[0]!.charge).to.equal(parseEuro("30"));
      expect(doc.lines[0]!.price).to.be.greaterThan(parseEuro("30"));
      expect(renderInvoiceTable(doc)).to.contain("30.00*");
      expectReconciled(doc);
    });
  });

  describe("when a dispute refunds part of a report", function () {
    it("shows the refund between the lines and the credited totals", async function () {
      const f = await loadMarket();
      const orderId = await openOrder(f);
      await single(f, await report(f, orderId, "device", { machineSeconds: 600n, units: 20n }));
      await f.meter.settle([orderId]);
      await f.meter.connect(f.consumer).dispute(orderId, KeyKind.Device, 1, parseEuro("5"), referenceHash("scrap"));
      await f.meter.connect(f.auditor).resolveDispute(1n, parseEuro("2"), referenceHash("2 EUR refunded"));
      await time.increase(WINDOW);
      await f.meter.settle([orderId]);
      const doc = await load(f, orderId, 1);
      const refund = doc.totals.adjustments.find((row) => row.item === "refunded to the consumer (disputes)");
      expect(refund?.providerNet).to.equal(-parseEuro("2"));
      expectReconciled(doc);
    });
  });

  describe("usage records for the owner's insight (src/contracts/usage.ts)", function () {
    it("reads every recorded report with its machine, booked capability, counts and charge", async function () {
      const { f, orderId } = await loadSettled();
      const records = await usageRecords(f.chain.publicClient, f.meterAddress, { machineId: 1n });
      const logs = await f.meter.queryFilter(f.meter.filters.ReportRecorded());
      // Order 1: three device reports and one inspection; order 2: one device report.
      expect(records.map((r) => r.orderId)).to.deep.equal([orderId, orderId + 1n, orderId, orderId, orderId]);
      expect(records.map((r) => r.charged)).to.deep.equal(logs.map((log) => log.args.charge));
      expect(records.map((r) => [r.machineSeconds, r.units, r.inspections])).to.deep.equal([
        [480n, 60n, 0],
        [100n, 5n, 0],
        [590n, 70n, 0],
        [333n, 7n, 0],
        [0n, 0n, 2],
      ]);
      for (const record of records) {
        expect([record.machineId, record.capability]).to.deep.equal([1n, referenceHash("laser-cutting")]);
        expect(record.periodEnd - record.periodStart).to.equal(600);
      }
      const [laser] = usageInsight(records);
      expect([laser!.orders, laser!.reports, laser!.machineSeconds, laser!.units, laser!.inspections]).to.deep.equal([
        2,
        5,
        1503n,
        142n,
        2,
      ]);
      expect(await usageRecords(f.chain.publicClient, f.meterAddress, { machineId: 2n })).to.deep.equal([]);
    });
  });

  describe("errors a user can act on", function () {
    it("refuses an invoice number the order does not have", async function () {
      const { f, orderId } = await loadSettled();
      let message = "";
      await load(f, orderId, 2).catch((error: Error) => (message = error.message));
      expect(message).to.contain("has 1 invoice(s)");
    });
  });
});
