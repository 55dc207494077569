import { network } from "hardhat";
import { profile } from "./profile.js";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { getAddress } from "viem";
import { marketFixture } from "../test/helpers/fixtures.js";
import { sampleProfile, sampleTariff, profileArg, tariffArg } from "../test/helpers/registry.js";
import { signReport } from "../src/metering/report.js";
import { encodeReportBatch } from "../src/metering/batch.js";
import { readingsRoot, ReadingKind } from "../src/metering/readings.js";
import { parseEuro } from "../src/sdk/money.js";
import { referenceHash } from "../src/sdk/references.js";

const connection = await network.create();
const { ethers } = connection;
const f = await marketFixture(connection)();
const meterAddr = await (
  await ethers.getContractAt("Consortium", await f.consortium.getAddress())
).registeredContracts();
const meter = await ethers.getContractAt("UsageMeter", meterAddr[3]!);
const device = privateKeyToAccount(generatePrivateKey());
await f.machines
  .connect(f.provider)
  .registerMachine(profileArg(sampleProfile()), [device.address], tariffArg(sampleTariff()));
await f.gateway.connect(f.minter).mint(f.consumer.address, parseEuro("100000"), referenceHash("dep"));
await f.token.connect(f.consumer).approve(await meter.getAddress(), parseEuro("100000"));
const now = (await ethers.provider.getBlock("latest"))!.timestamp;
const N = Number(process.env.N ?? 100);
for (let i = 0; i < N + 1; i++) {
  await meter.connect(f.consumer).openOrder({
    machineId: 1n,
    tariffVersion: 1,
    budget: parseEuro("500"),
    expiresAt: now + 86400,
    disputeWindow: 3600,
    capPerPeriod: 0,
    capPeriod: 0,
    capability: referenceHash("laser-cutting"),
  });
}
const { chainId } = await ethers.provider.getNetwork();
const later = (await ethers.provider.getBlock("latest"))!.timestamp;
const domain = { chainId: Number(chainId), meter: getAddress(await meter.getAddress()) };
const root = readingsRoot([{ index: 0n, at: now, kind: ReadingKind.SpindleSeconds, amount: 40n, licenseId: 0 }]);
const mk = async (orderId: bigint) =>
  signReport(device, domain, {
    orderId,
    sequence: 1,
    periodStart: later - 501,
    periodEnd: later - 1,
    machineSeconds: 400n,
    units: BigInt(process.env.UNITS ?? 10),
    inspections: 0,
    licensedProducts: [],
    readingsRoot: root,
  });
const single = await mk(BigInt(N + 1));
const r1 = await (await meter.submitReport({ ...single.report, licensedProducts: [] }, single.signature)).wait();
console.log("single", r1!.gasUsed);
const batch = await Promise.all(Array.from({ length: N }, (_, i) => mk(BigInt(i + 1))));
const r = await (
  await meter.submitReports(encodeReportBatch(batch))
).wait();
console.log("batch", N, r!.gasUsed, Number(r!.gasUsed) / N);
const dup = await (
  await meter.submitReports(encodeReportBatch(batch))
).wait();
console.log("duplicates", Number(dup!.gasUsed) / N);
const bogus = batch.map((b) => ({ ...b.report, orderId: 999999n, licensedProducts: [] }));
const rej = await (
  await meter.submitReports(encodeReportBatch(bogus.map((report, i) => ({ report, signature: batch[i]!.signature }))))
).wait();
console.log("order-not-open (decode + loop + event)", Number(rej!.gasUsed) / N);
if (process.env.TRACE) {
  // Opcode profile of one more batch of N fresh reports (sequence 2 on every order).
  const later2 = (await ethers.provider.getBlock("latest"))!.timestamp;
  const next = await Promise.all(
    Array.from({ length: N }, (_, i) =>
      signReport(device, domain, {
        orderId: BigInt(i + 1),
        sequence: 2,
        periodStart: later2 - 501,
        periodEnd: later2 - 1,
        machineSeconds: 400n,
        units: BigInt(process.env.UNITS ?? 10),
        inspections: 0,
        licensedProducts: [],
        readingsRoot: root,
      }),
    ),
  );
  const tx = await meter.submitReports(encodeReportBatch(next));
  const trace = (await connection.provider.request({
    method: "debug_traceTransaction",
    params: [tx.hash, { disableStorage: true, disableMemory: true, disableStack: true }],
  })) as { gas: number; structLogs: { op: string; gasCost: number; depth: number; pc: number }[] };
  profile(trace.structLogs);
  const byOp = new Map<string, number>();
  let count = 0, plain = 0;
  for (const log of trace.structLogs) {
    if (log.depth !== 1) continue;
    count++;
    if (!["SSTORE", "SLOAD", "STATICCALL", "LOG2", "LOG3", "KECCAK256"].includes(log.op)) plain += log.gasCost;
    byOp.set(log.op, (byOp.get(log.op) ?? 0) + log.gasCost);
  }
  console.log("depth-1 instructions per report", count / N, "plain gas per report", plain / N);
  const top = [...byOp.entries()].sort((a, b) => b[1] - a[1]).slice(0, 18);
  console.log("total", trace.gas, "per report", trace.gas / N);
  for (const [op, gas] of top) console.log(op.padEnd(14), (gas / N).toFixed(0));
}
{
  const data = meter.interface.encodeFunctionData("submitReports", [encodeReportBatch(batch)]);
  const bytes = Buffer.from(data.slice(2), "hex");
  let cost = 0;
  for (const b of bytes) cost += b === 0 ? 4 : 16;
  console.log("calldata gas per report", cost / N, "bytes", bytes.length / N);
}
