/**
 * The main job, end to end on one chain: deploy the system, admit six companies (two providers, two
 * consumers, a licensor, an auditor), mint against bank deposits, pay between members, list machines and a
 * service in the registry with their tariffs (and a licence), find machines by capability and quote a job,
 * book two laser cutters of two providers with escrowed orders, meter one with usage reports relayed in
 * packed batches and the other with its device agent feeding the gateway over HTTP, settle, dispute, run
 * the operators' invoice and payout jobs, prove raw readings, print an invoice, pay a press brake per part
 * through a payment channel, redeem for bank payouts, and print balances and the reconciliation with the
 * bank.
 *
 *   npm run demo                        # in-process Hardhat network
 *   npm run demo -- --network poaSim    # in process, shaped like a PoA chain (paris, gas price 0)
 *   npm run demo -- --network localhost # a node on 127.0.0.1:8545 (hardhat node, anvil)
 *
 * Dispute windows of a day and hours of machine work pass in seconds because the demo moves the chain's
 * clock (evm_increaseTime): it runs on nodes that offer it (Hardhat, anvil), and says so on others.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { network } from "hardhat";
import { keccak256, stringToHex, type Address } from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";

import { KeyKind } from "../src/core/listing.js";
import { MarketRegistry, profileOf } from "../src/contracts/registries.js";
import { renderQuote, renderSearchResults } from "../src/cli/render-listings.js";
import { jobUsage, quoteLines, type Job, type Tariff } from "../src/core/tariff.js";
import { capabilityTag } from "../src/core/vocabulary.js";
import { ChannelsClient } from "../src/contracts/channels.js";
import { PayeeAgent } from "../src/services/channels/payee.js";
import {
  createPayerServer,
  PayerAgent,
  registryDevices,
  registryTariffs,
  trackChannel,
} from "../src/services/channels/payer.js";
import { PaymentRefused } from "../src/services/channels/protocol.js";
import { PayeeStore, PayerStore } from "../src/services/channels/store.js";
import { signUsage } from "../src/core/increment.js";
import { closeData } from "../src/core/voucher.js";
import { DeviceAgent, LASER_CUTTER, MachineSimulator, Stream } from "../src/services/device/agent.js";
import { DeviceStore } from "../src/services/device/store.js";
import { GatewayClient } from "../src/services/device/gateway.js";
import { renderTable, short } from "../src/cli/table.js";
import { ContractChainView } from "../src/services/gateway/chain.js";
import { Ingest } from "../src/services/gateway/ingest.js";
import { gatewayStatus, serveGateway } from "../src/services/gateway/server.js";
import { GatewayStore } from "../src/services/gateway/store.js";
import { Submitter } from "../src/services/gateway/submitter.js";
import { reportToJson } from "../src/codec/report-wire.js";
import { consortiumAbi, paymentChannelsAbi, usageMeterAbi } from "../src/generated/abis.js";
import { renderInvoiceTable } from "../src/cli/render/invoice.js";
import { renderInvoiceRun } from "../src/cli/render/invoices.js";
import { renderPayout } from "../src/cli/render/payout.js";
import { renderBalances, renderReconciliation } from "../src/cli/render/reconciliation.js";
import { loadInvoice } from "../src/contracts/invoices.js";
import { UsageMeterClient, type BatchOutcome } from "../src/contracts/meter.js";
import { ReadingKind, proveReading, readingsRoot, totals, verifyReading, type Reading } from "../src/core/readings.js";
import { signReport, type SignedReport } from "../src/core/report.js";
import type { Ops } from "../src/ops/context.js";
import { runInvoices } from "../src/ops/invoices.js";
import { runPayout } from "../src/ops/payouts.js";
import { Role, roleMask } from "../src/core/membership.js";
import { formatEuro, parseEuro } from "../src/core/money.js";
import { memberBalances, reconcile } from "../src/ops/reconciliation.js";
import { referenceHash } from "../src/core/references.js";
import { SettlementLayer } from "../src/contracts/settlement.js";
import { eventOf, transact, TransactionRefusedError } from "../src/chain/transact.js";
import { accountAt, viemChain } from "../src/chain/hardhat.js";
import { deployCapacityMarket, renderAddresses } from "../deploy/deploy.js";

/** Posts reports to a gateway as a device does; the first answer. */
async function postReports(
  url: string,
  reports: SignedReport[],
): Promise<{ status: number; outcome?: string; reason?: string; error?: string }> {
  const answer = await new GatewayClient(url).sendReports(reports.map(reportToJson));
  const body = answer.body as { results: { status: number; outcome?: string; reason?: string; error?: string }[] };
  return body.results[0]!;
}

const connection = await network.create();
const chain = await viemChain(connection);
const step = (text: string): void => console.log(`\n> ${text}`);

console.log(`Settlement layer demo on "${chain.networkName}" (chain id ${chain.chainId})`);
try {
  await connection.provider.request({ method: "evm_increaseTime", params: [0] });
} catch (error) {
  throw new Error(
    `The demo passes dispute windows and hours of machine work by moving the chain's clock, but ` +
      `"${chain.networkName}" does not offer evm_increaseTime (${(error as Error).message.split("\n")[0]}). ` +
      "Run it in process (npm run demo) or against anvil or hardhat node; on a production chain use the " +
      "operator commands (npm run ops).",
  );
}

const operator = accountAt(chain, 0, "founding operator");
const provider = accountAt(chain, 1, "provider");
const consumer = accountAt(chain, 2, "consumer");
const auditor = accountAt(chain, 3, "auditor");
const minter = accountAt(chain, 4, "bank integration (minter)");
const outsider = accountAt(chain, 5, "outsider");
const licensor = accountAt(chain, 6, "licensor");
const relayer = accountAt(chain, 7, "report relayer");
const providerB = accountAt(chain, 8, "second provider");
const consumerB = accountAt(chain, 9, "second consumer");

step("Deploying Consortium, SettlementToken, FiatGateway and the registries with Ignition");
const deployment = await deployCapacityMarket(connection, { deploymentId: `demo-${Date.now()}` });
const layer = new SettlementLayer(chain, deployment.addresses);
const market = new MarketRegistry(chain, deployment.addresses);
const meter = new UsageMeterClient(chain, deployment.addresses);
console.log(renderAddresses(deployment.addresses));

step("Admitting six companies; each accepts the framework agreement");
const companies: [Address, string, Role][] = [
  [provider, "Laserwerk Nord GmbH", Role.Provider],
  [consumer, "Feinteile Sued KG", Role.Consumer],
  [auditor, "Treuhand Revision AG", Role.Auditor],
  [licensor, "Halterungsdesign Lizenz GmbH", Role.Licensor],
  [providerB, "Blechbau Ost GmbH", Role.Provider],
  [consumerB, "Werkzeugbau Mitte GmbH", Role.Consumer],
];
const labels = new Map<bigint, string>([[1n, "Consortium operator eG"]]);
for (const [account, name, role] of companies) {
  const memberId = await layer.admit(chain.wallet(operator), [account], roleMask(role), referenceHash(name));
  await layer.acceptCurrentAgreement(chain.wallet(account));
  labels.set(memberId, name);
  console.log(`  member ${memberId}: ${name} (${short(account)})`);
}

step("The issuer configures its bank integration as minter; the auditor attests the euro reserve");
await layer.configureMinter(chain.wallet(operator), minter, parseEuro("100000"));
const now = Number((await chain.publicClient.getBlock()).timestamp);
await layer.attestReserve(chain.wallet(auditor), parseEuro("50000"), now, referenceHash("Reserve report 2026-11"));
console.log("  minter allowance 100,000.00 EUR; attested reserve 50,000.00 EUR");

step("Minting against bank deposits (each bank reference mints once)");
const deposits: [Address, string, string][] = [
  [consumer, "20000", "SEPA 2026-11-25 Feinteile Sued 0001"],
  [provider, "2500", "SEPA 2026-11-25 Laserwerk Nord 0001"],
  [consumerB, "8000", "SEPA 2026-11-26 Werkzeugbau Mitte 0001"],
];
for (const [to, amount, reference] of deposits) {
  const outcome = await layer.mintForDeposit(chain.wallet(minter), to, parseEuro(amount), referenceHash(reference));
  console.log(`  ${reference}: ${outcome.status}, ${formatEuro(parseEuro(amount))} EUR to ${short(to)}`);
}
const [retryTo, retryAmount, retryRef] = deposits[0]!;
const retry = await layer.mintForDeposit(
  chain.wallet(minter),
  retryTo,
  parseEuro(retryAmount),
  referenceHash(retryRef),
);
console.log(`  retrying ${retryRef}: ${retry.status} (nothing minted twice)`);

step("Paying between members: the consumer pays the provider for machine time");
await layer.transfer(chain.wallet(consumer), provider, parseEuro("1234.56"));
console.log("  Feinteile Sued KG -> Laserwerk Nord GmbH: 1,234.56 EUR");
try {
  await layer.transfer(chain.wallet(consumer), outsider, parseEuro("1"));
  throw new Error("a transfer to a non-member went through");
} catch (error) {
  if (!(error instanceof TransactionRefusedError)) throw error;
  console.log(`  a payment to a non-member is refused: ${error.errorName}(${short(outsider)})`);
}

step("The licensor registers a licence: 0.35 EUR royalty per licensed bracket");
const bracketLicence = await market.registerLicense(
  chain.wallet(licensor),
  parseEuro("0.35"),
  referenceHash("Licence terms: wall bracket design WB-7, rev. 3"),
);
console.log(`  licence ${bracketLicence}: wall bracket design WB-7`);

step("Two providers list laser cutters, a press brake, a milling centre and an inspection service, with tariffs");
const euro = parseEuro;
const listings: {
  name: string;
  profile: ReturnType<typeof profileOf>;
  tariff: Tariff;
  signer: "device" | "inspector";
  owner: Address;
}[] = [
  {
    name: "Laser cutter TruLaser 3030 (6 kW)",
    profile: profileOf(
      "Machine",
      "DE-HH-01",
      ["laser-cutting", "laser-engraving", "sheet-metal"],
      "ipfs://laser-3030-spec",
      referenceHash("TruLaser 3030 specification sheet"),
    ),
    // 48 EUR/h, parts 0.20 EUR (0.15 above 100, 0.10 above 1,000), a worker's inspection 12 EUR, setup 25 EUR, minimum 60 EUR.
    tariff: {
      pricePerHour: euro("48"),
      pricePerUnit: euro("0.20"),
      pricePerInspection: euro("12"),
      setupFee: euro("25"),
      minimumCharge: euro("60"),
      tiers: [
        { threshold: 100n, pricePerUnit: euro("0.15") },
        { threshold: 1000n, pricePerUnit: euro("0.10") },
      ],
      licenseIds: [bracketLicence],
    },
    signer: "device",
    owner: provider,
  },
  {
    name: "Press brake TruBend 5130",
    profile: profileOf(
      "Machine",
      "DE-HH-01",
      ["press-brake-bending", "sheet-metal"],
      "ipfs://trubend-5130-spec",
      referenceHash("TruBend 5130 specification sheet"),
    ),
    tariff: {
      pricePerHour: euro("55"),
      pricePerUnit: euro("0.30"),
      pricePerInspection: euro("12"),
      setupFee: euro("40"),
      minimumCharge: euro("80"),
      tiers: [],
      licenseIds: [],
    },
    signer: "device",
    owner: provider,
  },
  {
    name: "Visual and dimensional inspection (worker with tablet)",
    profile: profileOf(
      "Service",
      "DE-HH-01",
      ["visual-inspection", "dimensional-inspection"],
      "ipfs://inspection-service",
      referenceHash("Inspection service description and certificates"),
    ),
    tariff: {
      pricePerHour: 0n,
      pricePerUnit: 0n,
      pricePerInspection: euro("18"),
      setupFee: 0n,
      minimumCharge: euro("18"),
      tiers: [],
      licenseIds: [],
    },
    signer: "inspector",
    owner: provider,
  },
  {
    name: "Laser cutter ByStar Fiber 3015 (10 kW)",
    profile: profileOf(
      "Machine",
      "DE-SN-03",
      ["laser-cutting", "sheet-metal"],
      "ipfs://bystar-3015-spec",
      referenceHash("ByStar Fiber 3015 specification sheet"),
    ),
    // Dearer per hour and part than the TruLaser for small jobs, cheaper above 500 parts.
    tariff: {
      pricePerHour: euro("56"),
      pricePerUnit: euro("0.22"),
      pricePerInspection: euro("14"),
      setupFee: euro("30"),
      minimumCharge: euro("60"),
      tiers: [{ threshold: 500n, pricePerUnit: euro("0.09") }],
      licenseIds: [bracketLicence],
    },
    signer: "device",
    owner: providerB,
  },
  {
    name: "5-axis milling centre DMU 50",
    profile: profileOf(
      "Machine",
      "DE-SN-03",
      ["cnc-milling"],
      "ipfs://dmu-50-spec",
      referenceHash("DMU 50 specification sheet"),
    ),
    tariff: {
      pricePerHour: euro("72"),
      pricePerUnit: 0n,
      pricePerInspection: euro("14"),
      setupFee: euro("60"),
      minimumCharge: euro("90"),
      tiers: [],
      licenseIds: [],
    },
    signer: "device",
    owner: providerB,
  },
];
const listingNames = new Map<bigint, string>();
const signerKeys = new Map<bigint, PrivateKeyAccount>();
for (const listing of listings) {
  // Each machine (or the worker's tablet) holds its own signing key; only its address goes on-chain.
  const key = privateKeyToAccount(generatePrivateKey());
  const machineId = await market.registerMachine(
    chain.wallet(listing.owner),
    listing.profile,
    [key.address],
    listing.tariff,
  );
  listingNames.set(machineId, listing.name);
  signerKeys.set(machineId, key);
  console.log(
    `  listing ${machineId}: ${listing.name} of ${listing.owner === provider ? "Laserwerk Nord" : "Blechbau Ost"}, ` +
      `${listing.signer} key ${short(key.address)}`,
  );
}

step("The consumer looks up laser cutting in the yellow pages and asks for a quote");
const job: Job = { parts: 120n, secondsPerPart: 40n, inspections: 3, licensedProducts: { [bracketLicence]: 120n } };
const found = await market.find({ capability: "laser-cutting", job, maxPrice: euro("500") });
console.log(renderSearchResults(found, (id) => labels.get(id) ?? `member ${id}`));
const best = found[0];
if (best === undefined || best.terms === undefined) throw new Error("The search found no bookable laser cutter.");
const { lines, charge } = quoteLines(
  best.terms.tariff,
  best.terms.royalties,
  jobUsage(job, best.terms.tariff),
  () => "bracket WB-7",
);
console.log("");
console.log(
  renderQuote(
    lines,
    `Quote: ${listingNames.get(best.listing.machineId)}, tariff v${best.terms.tariffVersion}: ` +
      "120 brackets at 40 s each, 3 inspections",
  ),
);
const onChain = await market.quoteOnChain(best.listing.machineId, jobUsage(job, best.terms.tariff));
if (onChain.charge.total !== charge.total) {
  throw new Error(`The broker's quote (${charge.total}) differs from the contract's (${onChain.charge.total}).`);
}
console.log(`  the contract prices the same job at ${formatEuro(onChain.charge.total)} EUR: identical`);

step("Booking the laser cutter: an escrowed order of 500 EUR under the tariff just quoted, 1 day to dispute");
const laser = best.listing.machineId;
const laserTariff = best.terms.tariff;
const device = signerKeys.get(laser)!;
const inspector = privateKeyToAccount(generatePrivateKey());
await market.addKey(chain.wallet(provider), laser, inspector.address, KeyKind.Inspector);
console.log(`  the provider adds the shift worker's inspector key ${short(inspector.address)} to the laser`);
await meter.setPlatformFee(chain.wallet(operator), 250);
console.log("  operators set the platform fee for new orders to 2.5 % of the provider's part");
const time = connection.networkHelpers.time;
const DAY = 86_400;
const booked = await meter.openOrder(chain.wallet(consumer), {
  machineId: laser,
  tariffVersion: best.terms.tariffVersion,
  budget: euro("500"),
  expiresAt: (await time.latest()) + 30 * DAY,
  disputeWindow: DAY,
  capability: capabilityTag("laser-cutting"),
  licenseVersions: best.terms.licenseVersions,
});
const orderId = booked.orderId;
console.log(`  order ${orderId}: 500.00 EUR escrowed, tariff v${best.terms.tariffVersion}, dispute window 1 day`);
const byStar = [...listingNames].find(([, name]) => name.startsWith("Laser cutter ByStar"))![0];
const byStarInspector = privateKeyToAccount(generatePrivateKey());
await market.addKey(chain.wallet(providerB), byStar, byStarInspector.address, KeyKind.Inspector);
const bookedB = await meter.openOrder(chain.wallet(consumerB), {
  machineId: byStar,
  tariffVersion: 1,
  budget: euro("2000"),
  expiresAt: (await time.latest()) + 30 * DAY,
  disputeWindow: DAY,
  capability: capabilityTag("laser-cutting"),
  licenseVersions: (await market.bookingTerms(byStar)).licenseVersions,
});
const orderB = bookedB.orderId;
const orderBOpenedAt = await time.latest();
console.log(
  `  order ${orderB}: Werkzeugbau Mitte books the ByStar of Blechbau Ost for a shift, 2,000.00 EUR escrowed ` +
    `(its worker's inspector key ${short(byStarInspector.address)})`,
);

step("The laser cuts brackets in four periods; it keeps every raw reading and signs one report per period");
const domain = await meter.domain();
const deviceLog: { readings: Reading[]; signed: SignedReport }[] = [];
let readingIndex = 0n;
for (let period = 1; period <= 4; period++) {
  await time.increase(1800);
  const periodEnd = (await time.latest()) - 1;
  const periodStart = periodEnd - 1500;
  const readings: Reading[] = [];
  for (let part = 0; part < 30; part++) {
    const at = periodStart + 40 * (part + 1);
    readings.push({ index: readingIndex++, at, kind: ReadingKind.SpindleSeconds, amount: 40n, licenseId: 0 });
    readings.push({
      index: readingIndex++,
      at,
      kind: ReadingKind.LicensedUnits,
      amount: 1n,
      licenseId: bracketLicence,
    });
  }
  const counts = totals(readings, laserTariff.licenseIds);
  const signed = await signReport(device, domain, {
    orderId,
    sequence: period,
    periodStart,
    periodEnd,
    ...counts,
    readingsRoot: readingsRoot(readings),
  });
  deviceLog.push({ readings, signed });
  console.log(
    `  report ${period}: ${counts.machineSeconds} s, ${counts.units} brackets (licensed), ${readings.length} readings, root ${short(signed.report.readingsRoot)}`,
  );
}

step("A relayer submits the reports in packed batches (anyone may relay; duplicates count once)");
const showBatch = (label: string, outcome: BatchOutcome): void =>
  console.log(
    `  ${label}: ${outcome.recorded} recorded, ${outcome.duplicates} duplicate(s), ${outcome.rejected.length} rejected; ` +
      `${outcome.receipt.gasUsed.toLocaleString("en-US")} gas, ${Math.round(outcome.gasPerReport).toLocaleString("en-US")} per report`,
  );
const firstBatch = deviceLog.slice(0, 2).map((entry) => entry.signed);
showBatch("batch 1 (reports 1-2)", await meter.submitReports(chain.wallet(relayer), firstBatch));
showBatch("batch 1 again", await meter.submitReports(chain.wallet(relayer), firstBatch));
showBatch(
  "batch 2 (reports 2-4, 2 again)",
  await meter.submitReports(
    chain.wallet(relayer),
    deviceLog.slice(1).map((entry) => entry.signed),
  ),
);

step("The shift worker inspects a sample and the inspector key bills the inspection");
await time.increase(600);
const inspectedAt = (await time.latest()) - 1;
const inspectionReadings: Reading[] = [
  { index: 0n, at: inspectedAt, kind: ReadingKind.Inspection, amount: 1n, licenseId: 0 },
];
const inspection = await signReport(inspector, domain, {
  orderId,
  sequence: 1,
  periodStart: inspectedAt - 300,
  periodEnd: inspectedAt,
  ...totals(inspectionReadings, []),
  licensedProducts: [],
  readingsRoot: readingsRoot(inspectionReadings),
});
showBatch("inspection report", await meter.submitReports(chain.wallet(relayer), [inspection]));
const running = await meter.meterOf(orderId);
console.log(
  `  meter: ${running.machineSeconds} s, ${running.units} units, ${formatEuro(running.available)} EUR of the escrow left`,
);

step("Settling starts invoice 1; the consumer disputes report 3 within the window");
await meter.settle(chain.wallet(relayer), [orderId]);
const issued = await meter.invoice(orderId, 1);
console.log(`  invoice 1 issued: ${formatEuro(issued.charged)} EUR, reports hash ${short(issued.reportsHash)}`);
const disputeId = await meter.dispute(
  chain.wallet(consumer),
  orderId,
  KeyKind.Device,
  3,
  euro("6"),
  referenceHash("Report 3: 4 brackets with burrs, unusable"),
);
console.log(`  dispute ${disputeId}: 6.00 EUR of report 3 frozen`);
await meter.resolveDispute(
  chain.wallet(auditor),
  disputeId,
  euro("2.40"),
  referenceHash("Audit: 4 brackets rejected at 0.60 EUR each, the rest stands"),
);
console.log("  the auditor resolves it: 2.40 EUR refunded to the consumer, 3.60 EUR released");

step("The ByStar works a shift: its device agent signs a report per half hour and sends it to the gateway");
const ops: Ops = { chain, addresses: deployment.addresses, fromBlock: deployment.fromBlock };
const gatewayDir = mkdtempSync(join(tmpdir(), "demo-gateway-"));
const deviceAgent = new DeviceAgent({
  store: new DeviceStore({ path: join(gatewayDir, "device.sqlite") }),
  domain,
  deviceKey: signerKeys.get(byStar)!,
  inspectorKey: byStarInspector,
});
deviceAgent.addOrder({ orderId: orderB, licenseIds: [bracketLicence], since: orderBOpenedAt });
// A quarter of its parts are WB-7 brackets made under the licence; the worker inspects every 40th part.
const byStarMachine = new MachineSimulator(
  { ...LASER_CUTTER, licenseId: bracketLicence, inspectEvery: 40 },
  orderBOpenedAt,
  7,
);
let chainClock = await time.latest();
const gatewayStore = new GatewayStore({ path: join(gatewayDir, "gateway.sqlite") });
const ingest = new Ingest({
  store: gatewayStore,
  chain: new ContractChainView({
    publicClient: chain.publicClient,
    machineRegistry: deployment.addresses.machineRegistry,
    usageMeter: deployment.addresses.usageMeter,
  }),
  // The gateway judges "in the future" by the chain's clock (its latest block), which this demo moves forward.
  domain,
});
const submitter = new Submitter({
  store: gatewayStore,
  publicClient: chain.publicClient,
  wallet: chain.wallet(relayer),
  usageMeter: deployment.addresses.usageMeter,
  depth: chain.confirmations,
  fromBlock: deployment.fromBlock,
});
const gateway = await serveGateway({ ingest, store: gatewayStore, submitter, port: 0 });
console.log(`  the gateway listens on ${gateway.url}; it checks each report before it stores it, then answers`);
const signedB: SignedReport[] = [];
try {
  for (let halfHour = 1; halfHour <= 16; halfHour++) {
    await time.increase(1800);
    chainClock = await time.latest();
    deviceAgent.record(orderB, byStarMachine.run(chainClock));
    signedB.push(...(await deviceAgent.cutAll([orderB], chainClock)));
    await deviceAgent.send(gateway.url);
    if (halfHour % 4 === 0) {
      await submitter.tick();
      const c = deviceAgent.counters;
      console.log(
        `  hour ${halfHour / 2}: ${byStarMachine.parts} parts, ${c.readings} raw readings, ${c.signed} reports signed, ` +
          `${c.acknowledged} acknowledged by the gateway`,
      );
    }
  }
  // Sent again (a device that missed the answer), and one signed by the milling centre's key for this order.
  const again = await postReports(gateway.url, [signedB[0]!]);
  const mill = [...listingNames].find(([, name]) => name.startsWith("5-axis"))![0];
  const lastDevice = deviceAgent.store.lastReport(orderB, Stream.Device)!;
  const wrongKey = await signReport(signerKeys.get(mill)!, domain, {
    ...signedB.at(-2)!.report,
    sequence: lastDevice.sequence + 1,
    periodStart: lastDevice.periodEnd,
  });
  const refusedReport = await postReports(gateway.url, [wrongKey]);
  console.log(`  report 1 sent again: ${again.status} ${again.outcome}, stored once`);
  console.log(
    `  a report signed by the milling centre's key: ${refusedReport.status} ${refusedReport.reason}: ${refusedReport.error}`,
  );
  for (let round = 0; ; round++) {
    await submitter.tick();
    const status = gatewayStatus(ingest, gatewayStore, submitter);
    if (status.queued === 0 && status.inFlight === 0) break;
    if (round > 600) throw new Error(`The gateway did not get its reports confirmed: ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const status = gatewayStatus(ingest, gatewayStore, submitter);
  console.log(
    renderTable(
      [
        { header: "gateway counter", value: (row: [string, number | string]) => row[0] },
        { header: "", value: (row: [string, number | string]) => String(row[1]), align: "right" },
      ],
      [
        ["received", status.received],
        ["stored", status.stored],
        ["already stored", status.alreadyStored],
        [
          "refused",
          Object.entries(status.refused)
            .map(([reason, n]) => `${n} ${reason}`)
            .join(", ") || 0,
        ],
        ["batches sent", status.batches],
        [`confirmed (${status.depth} deep)`, status.confirmed],
        ["recorded by the meter", status.recorded],
        ["duplicates", status.duplicate],
        ["rejected by the meter", status.rejected],
      ],
    ),
  );
} finally {
  await gateway.close();
  gatewayStore.close();
}
const meteredB = await meter.meterOf(orderB);
const signedTotal = (pick: (r: SignedReport["report"]) => bigint | number) =>
  signedB.reduce((total, r) => total + BigInt(pick(r.report)), 0n);
const signedBy = (stream: Stream) => deviceAgent.store.lastReport(orderB, stream)?.sequence ?? 0;
const onMeter = [meteredB.machineSeconds, meteredB.units, meteredB.deviceSequence, meteredB.inspectorSequence];
const fromDevice = [
  signedTotal((r) => r.machineSeconds),
  signedTotal((r) => r.units),
  signedBy(Stream.Device),
  signedBy(Stream.Inspector),
];
if (onMeter.some((value, i) => BigInt(value) !== BigInt(fromDevice[i]!))) {
  throw new Error(
    `The meter of order ${orderB} (${onMeter.join(", ")}) differs from what the device signed (${fromDevice.join(", ")}).`,
  );
}
console.log(
  `  the meter of order ${orderB} holds exactly what the device signed, each report once: ${meteredB.machineSeconds} s, ` +
    `${meteredB.units} parts, ${meteredB.deviceSequence} device and ${meteredB.inspectorSequence} inspection reports; ` +
    `${formatEuro(meteredB.available)} EUR of the escrow left`,
);
console.log(renderInvoiceRun(await runInvoices(ops, chain.wallet(operator), { orderIds: [orderB] })));

step("A day later both windows have passed: one invoice run settles both orders, then the payout runs");
await time.increase(DAY);
const invoiceRun = await runInvoices(ops, chain.wallet(operator));
console.log(renderInvoiceRun(invoiceRun));
const settled = await meter.invoice(orderId, 1);
console.log(
  `  invoice 1 of order ${orderId}: provider net ${formatEuro(settled.providerNet)}, platform fee ` +
    `${formatEuro(settled.platformFee)}, royalties ${formatEuro(settled.royalties)} EUR`,
);
for (const [who, wallet] of [
  ["Laserwerk Nord", chain.wallet(provider)],
  ["Blechbau Ost", chain.wallet(providerB)],
] as const) {
  const payout = await runPayout(ops, wallet);
  const sent = payout.transactions.map((t) => `${t.call}, ${t.gasUsed?.toLocaleString("en-US")} gas`).join("; ");
  console.log(`  ${who}'s scheduled payout withdraws ${formatEuro(payout.withdrawn)} EUR (${sent})`);
}
const rerun = await runPayout(ops, chain.wallet(providerB));
console.log(`  the scheduler runs Blechbau Ost's payout again: ${renderPayout(rerun)}`);
console.log(`  the licensor withdraws its royalties: ${formatEuro(await meter.withdraw(chain.wallet(licensor)))} EUR`);
const fees = await runPayout(ops, chain.wallet(operator), { platformFees: true });
console.log(`  an operator's payout run withdraws the platform fees: ${formatEuro(fees.platformFees)} EUR`);
const closedB = eventOf(
  "closeOrder",
  await meter.closeOrder(chain.wallet(providerB), orderB),
  usageMeterAbi,
  "OrderClosed",
);
console.log(
  `  the shift is over: Blechbau Ost closes order ${orderB}; Werkzeugbau Mitte paid ${formatEuro(closedB.args.charged)} EUR ` +
    `for what it used and gets the unused ${formatEuro(closedB.args.returned)} EUR of its escrow back`,
);

step("Proving one raw reading of report 2 against the recorded report, on-chain and off-chain");
const proven = deviceLog[1]!;
const reading = proven.readings[7]!;
const proof = proveReading(proven.readings, reading);
const onChainProof = await meter.verifyReading(proven.signed, reading, proof);
const offChainProof = verifyReading(proven.signed.report.readingsRoot, reading, proof);
const forged = { ...reading, amount: reading.amount + 1n };
console.log(
  `  reading ${reading.index} (${reading.amount} licensed unit at ${reading.at}), proof of ${proof.length} hashes: ` +
    `ReadingVerifier ${onChainProof}, readings.ts ${offChainProof}`,
);
console.log(
  `  the same reading with amount ${forged.amount}: ReadingVerifier ${await meter.verifyReading(proven.signed, forged, proof)}, ` +
    `readings.ts ${verifyReading(proven.signed.report.readingsRoot, forged, proof)}`,
);
if (!onChainProof || !offChainProof) throw new Error("A reading the device recorded did not verify.");
try {
  const agentProof = deviceAgent.prove(orderB, 5n);
  const verified = await meter.verifyReading(agentProof.signed, agentProof.reading, agentProof.proof);
  console.log(
    `  the ByStar's agent proves its reading 5 (kind ${agentProof.reading.kind}, ${agentProof.reading.amount} at ` +
      `${agentProof.reading.at}) from its store against report ${agentProof.signed.report.sequence}: ReadingVerifier ${verified}`,
  );
  if (!verified) throw new Error("A reading the device agent kept did not verify.");
} finally {
  deviceAgent.store.close();
  rmSync(gatewayDir, { recursive: true, force: true });
}

step("The invoice, rebuilt from the chain: reports recovered from the relayers' transactions and checked");
const invoiceDoc = await loadInvoice(chain.publicClient, deployment.addresses.usageMeter, orderId, 1, {
  registry: deployment.addresses.machineRegistry,
  fromBlock: deployment.fromBlock,
});
console.log(renderInvoiceTable(invoiceDoc));

step("Pay as you bend: the consumer pays the press brake per part through a payment channel");
const pressBrake = [...listingNames].find(([, name]) => name.startsWith("Press brake"))![0];
const pressBrakeDevice = signerKeys.get(pressBrake)!;
// The consumer's payment agent holds its own key with a working balance: a voucher is a signature, so the
// key that signs them must be at hand, and only what the channels hold is at stake.
const payerKey = generatePrivateKey();
const payerAccount = privateKeyToAccount(payerKey);
await transact(chain, chain.wallet(consumer), {
  address: deployment.addresses.consortium,
  abi: consortiumAbi,
  functionName: "addAccount",
  args: [payerAccount.address],
});
await layer.transfer(chain.wallet(consumer), payerAccount.address, euro("200"));
// Gas money for the agent's key (on a chain with gas price 0 it needs none, and gets it anyway).
const funding = await chain
  .wallet(operator)
  .sendTransaction({ to: payerAccount.address, value: 10n ** 18n, chain: null });
await chain.publicClient.waitForTransactionReceipt({ hash: funding, confirmations: chain.confirmations });
const payerWallet = chain.wallet(payerAccount);
const providerWallet = chain.wallet(provider);
console.log(
  `  the consumer adds its payment agent's account ${short(payerAccount.address)} and moves 200.00 EUR to it`,
);
const channels = new ChannelsClient(chain, deployment.addresses);
const channelGas: [string, bigint][] = [];
const challengePeriod = await channels.minChallengePeriod();
const opened = await channels.openWithPermit(
  payerWallet,
  {
    payee: provider,
    salt: 1,
    deposit: euro("150"),
    expiresAt: (await time.latest()) + 7 * DAY,
    challengePeriod,
  },
  BigInt((await time.latest()) + 3600),
);
channelGas.push(["open with permit", opened.receipt.gasUsed]);
const channelDomain = { chainId: chain.chainId, channels: deployment.addresses.paymentChannels };
const channelState = await channels.state(opened.channelId);
console.log(
  `  channel ${short(opened.channelId)} to ${labels.get(2n)}: 150.00 EUR deposit, challenge period ` +
    `${challengePeriod / 3600} h, one transaction (permit)`,
);
const storeDir = mkdtempSync(join(tmpdir(), "demo-channel-"));
const payerStore = new PayerStore({ path: join(storeDir, "payer.sqlite") });
const payeeStore = new PayeeStore({ path: join(storeDir, "payee.sqlite") });
const payerChannel = await trackChannel(payerStore, channels, opened.key, { machineId: pressBrake, tariffVersion: 1 });
payeeStore.addChannel({
  channelId: opened.channelId,
  payer: payerAccount.address,
  payee: provider,
  nonce: opened.key.nonce,
  machineId: pressBrake,
  tariffVersion: 1,
  deposit: channelState.deposit,
  deadline: channelState.deadline,
});
// Both agents judge increments by the chain's clock, which this demo moves forward: the press brake bends the
// parts below after the channel opened, and they are paid once they are done.
const PARTS = 200;
const partSeconds = 12;
await time.increase(PARTS * partSeconds);
let chainNow = await time.latest();
const clock = () => chainNow;
const registryTariff = registryTariffs(chain.publicClient, deployment.addresses.machineRegistry);
const payerAgent = new PayerAgent({
  domain: channelDomain,
  privateKey: payerKey,
  store: payerStore,
  devices: registryDevices(chain.publicClient, deployment.addresses.machineRegistry),
  tariffs: registryTariff,
  caps: { periodSeconds: DAY, perDevice: euro("150") },
  now: clock,
});
const payerServer = createPayerServer(payerAgent);
await new Promise<void>((resolve) => payerServer.listen(0, "127.0.0.1", resolve));
const payerUrl = `http://127.0.0.1:${(payerServer.address() as AddressInfo).port}`;
const payeeAgent = new PayeeAgent({
  domain: channelDomain,
  payee: provider,
  store: payeeStore,
  tariffs: registryTariff,
  payerUrl,
  chain: { client: channels, wallet: providerWallet, policy: { threshold: euro("20"), margin: 3600 } },
  now: clock,
});
console.log(`  the payer agent answers on ${payerUrl}; the payee agent beside the press brake asks it per part`);

let acknowledged = 0;
try {
  const bendStart = payerChannel.openedAt;
  const bend = (sequence: number, signer = pressBrakeDevice) =>
    signUsage(signer, channelDomain, {
      channelId: opened.channelId,
      sequence,
      periodStart: bendStart + (sequence - 1) * partSeconds,
      periodEnd: bendStart + sequence * partSeconds,
      machineSeconds: 9n,
      units: 1n,
      readingsRoot: keccak256(stringToHex(`press brake readings of part ${sequence}`)),
    });
  let paid = 0n;
  let claimedMidway = 0n;
  const roundTrips: number[] = [];
  for (let sequence = 1; sequence <= PARTS; sequence++) {
    const signed = await bend(sequence);
    const started = performance.now();
    const ack = await payeeAgent.pay(signed);
    roundTrips.push(performance.now() - started);
    acknowledged++;
    paid = ack.amount;
    if (sequence === 1)
      console.log(
        `  part 1: ${formatEuro(ack.price)} EUR, the tariff's minimum charge (it covers the setup and the first parts)`,
      );
    if (sequence === PARTS / 2) {
      claimedMidway = await payeeAgent.claim(opened.channelId);
      const claimReceipt = await chain.publicClient.getTransactionReceipt({
        hash: payeeStore.claims(opened.channelId).at(-1)!.tx,
      });
      channelGas.push(["claim mid-way", claimReceipt.gasUsed]);
      console.log(
        `  after ${sequence} parts the payee claims ${formatEuro(claimedMidway)} EUR without closing the channel`,
      );
    }
  }
  roundTrips.sort((a, b) => a - b);
  console.log(
    `  ${acknowledged} parts paid with ${acknowledged} vouchers, ${formatEuro(paid)} EUR in all; each voucher verified ` +
      `and stored before the press brake went on (median round trip ${roundTrips[roundTrips.length >> 1]!.toFixed(2)} ms)`,
  );
  // The laser's device key signs an increment for the press brake's channel: the payer refuses to pay it.
  try {
    await payeeAgent.pay(await bend(PARTS + 1, device));
    throw new Error("The payer paid an increment signed by another machine's device.");
  } catch (error) {
    if (!(error instanceof PaymentRefused)) throw error;
    console.log(`  an increment signed by the laser's key is refused (${error.code}): ${error.message}`);
  }
  chainNow = await time.latest();
  const newest = payeeStore.newestVoucher(opened.channelId)!;
  const authorization = await providerWallet.signTypedData(closeData(channelDomain, opened.channelId, newest.amount));
  const closed = await channels.closeCooperatively(payerWallet, opened.key, newest.amount, authorization);
  channelGas.push(["cooperative close", closed.gasUsed]);
  const closedEvent = eventOf("closeCooperatively", closed, paymentChannelsAbi, "ChannelClosed");
  console.log(
    `  the payee signs a close authorisation for ${formatEuro(newest.amount)} EUR; the payer closes at once: the payee ` +
      `receives the unclaimed ${formatEuro(newest.amount - claimedMidway)} EUR, the payer ${formatEuro(closedEvent.args.refunded)} EUR back`,
  );
} finally {
  payeeAgent.close();
  await new Promise<void>((resolve) => payerServer.close(() => resolve()));
  payerStore.close();
  payeeStore.close();
  rmSync(storeDir, { recursive: true, force: true });
}
const channelGasTotal = channelGas.reduce((sum, [, gas]) => sum + gas, 0n);
console.log(
  renderTable(
    [
      { header: "channel transaction", value: (row: [string, bigint]) => row[0] },
      { header: "gas", value: (row: [string, bigint]) => row[1].toLocaleString("en-US"), align: "right" },
    ],
    [...channelGas, ["all", channelGasTotal]],
  ),
);
console.log(
  `  ${acknowledged} payments in ${channelGas.length} transactions: ` +
    `${Math.round(Number(channelGasTotal) / acknowledged).toLocaleString("en-US")} gas per payment`,
);

step("Another consumer question: who bends and cuts sheet metal, for 50 plain parts at 30 s each?");
const plainJob: Job = { parts: 50n, secondsPerPart: 30n, inspections: 0 };
console.log(
  renderSearchResults(
    await market.find({ capability: "sheet-metal", job: plainJob }),
    (id) => labels.get(id) ?? `member ${id}`,
  ),
);

step("Redeeming: the provider is paid out, a consumer request is rejected and refunded");
const paidOut = await layer.requestRedemption(
  chain.wallet(provider),
  parseEuro("3000"),
  referenceHash("Payout to DE89 3704 0044 0532 0130 00, Laserwerk Nord GmbH"),
);
await layer.markRedemptionPaid(chain.wallet(operator), paidOut, referenceHash("Bank tx 2026-11-25 OUT-0001"));
console.log(`  redemption ${paidOut}: 3,000.00 EUR paid out, tokens burned`);
const refused = await layer.requestRedemption(
  chain.wallet(consumer),
  parseEuro("500"),
  referenceHash("Payout to an account in another name"),
);
await layer.rejectRedemption(chain.wallet(operator), refused, referenceHash("Payee name does not match the member"));
console.log(`  redemption ${refused}: 500.00 EUR rejected, tokens returned`);

console.log("");
console.log(renderBalances(await memberBalances(layer, labels)));

step("Reconciliation with the bank");
const report = await reconcile(layer, deployment.fromBlock);
console.log(renderReconciliation(report));

const failed = report.checks.filter((check) => !check.ok);
if (failed.length > 0) {
  console.error(`\n${failed.length} reconciliation check(s) failed: ${failed.map((c) => c.name).join("; ")}`);
  process.exitCode = 1;
} else {
  console.log("\nAll reconciliation checks hold.");
}
