/*
agent.tree: the device agent (src/services/device/agent.ts) and the report hot path (src/crypto/report-digest.ts).

device agent
├── when the machine runs ─────────────── readings are kept durably; a report per stream commits to its open
│   readings with a Merkle root; counts are their totals; machine seconds fit the period; periods chain
├── when inspections were made ────────── they go into the inspector's stream, signed with the inspector key
├── when nothing is open ──────────────── no report is cut (and an inspector stream needs no key)
├── when asked to prove a reading ─────── the proof verifies against the report's root; a forged reading fails;
│   a reading in no report yet, or unknown, is refused by name
├── when the agent restarts ───────────── it numbers on from its store; a sequence is never used twice
├── when a commit finds its number taken ─ nothing is committed
├── when a report is refused for good ──── nothing is committed after it; it is replaced only over the same
│   readings, only while it is to be re-issued, and its refused version is kept
├── when the gateway's position is ahead ─ the store moves to it, leaving out readings dated before it; never back
└── when the store is an earlier version's ─ its kept refusals are re-issued (before, they held the stream forever)
device clock
├── the chain's time: this host's plus the measured offset, measured again every so often and when told
├── it never goes back, also when a measurement finds the host ran ahead
└── when a measurement fails ──────────── the last offset goes on; without any, it says so
report hot path
├── the fast digest equals viem's reportDigest (with and without licensed products)
├── the verifier recovers the signer; the high-s twin and a malformed signature are refused
├── the synchronous signer signs what viem's signer signs
└── the fast packer packs what the batch encoder packs
*/
import { DatabaseSync } from "node:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { getAddress, type Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { SignatureError } from "../../../src/crypto/secp256k1.js";
import { DeviceAgent, LASER_CUTTER, MachineSimulator, Stream } from "../../../src/services/device/agent.js";
import { ChainClock } from "../../../src/services/device/clock.js";
import { DeviceStore } from "../../../src/services/device/store.js";
import { ReadingKind, readingsRoot, verifyReading } from "../../../src/core/readings.js";
import { reportDigest, reportSigner, signReport, type UsageReport } from "../../../src/core/report.js";
import { packReport, ReportHasher, ReportSigner, ReportVerifier } from "../../../src/crypto/report-digest.js";
import { encodePackedReport } from "../../../src/codec/batch.js";
import { highSTwinOf } from "../../helpers/permit.js";

const DOMAIN = { chainId: 31337, meter: getAddress("0x5fbdb2315678afecb367f032d93f642f64180aa3") as Address };
const T0 = 1_795_000_000;
const ORDER = { orderId: 7n, licenseIds: [3, 9], since: T0 };

describe("device agent", function () {
  let dir: string;
  const deviceKey = privateKeyToAccount(generatePrivateKey());
  const inspectorKey = privateKeyToAccount(generatePrivateKey());

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), "device-agent-"));
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  function agentAt(path: string): DeviceAgent {
    const agent = new DeviceAgent({ store: new DeviceStore({ path }), domain: DOMAIN, deviceKey, inspectorKey });
    agent.addOrder(ORDER);
    return agent;
  }

  it("cuts one report per stream over the open readings, signed by that stream's key, periods chained", async function () {
    const agent = agentAt(join(dir, "device.sqlite"));
    const machine = new MachineSimulator({ ...LASER_CUTTER, licenseId: 9 }, T0, 42);
    agent.record(ORDER.orderId, machine.run(T0 + 3600));
    expect(machine.parts).to.be.within(55, 65);
    const [device, inspection] = await agent.cutAll([ORDER.orderId], T0 + 3600);
    expect(device!.report).to.include({ sequence: 1, periodStart: T0, periodEnd: T0 + 3600, inspections: 0 });
    expect(device!.report.units).to.equal(BigInt(machine.parts));
    expect(device!.report.machineSeconds <= 3600n).to.equal(true);
    expect(device!.report.licensedProducts[0]).to.equal(0n);
    expect(device!.report.licensedProducts[1]! > 0n).to.equal(true);
    expect(await reportSigner(DOMAIN, device!)).to.equal(deviceKey.address);
    expect(inspection!.report).to.include({ sequence: 1, machineSeconds: 0n, units: 0n });
    expect(inspection!.report.inspections).to.equal(Math.floor(machine.parts / 10));
    expect(inspection!.report.licensedProducts).to.deep.equal([]);
    expect(await reportSigner(DOMAIN, inspection!)).to.equal(inspectorKey.address);
    expect(device!.report.readingsRoot).to.equal(readingsRoot(agent.store.readingsOf(7n, Stream.Device, 1)));

    expect(await agent.cutReport(ORDER.orderId, Stream.Device, T0 + 3600)).to.equal(undefined);
    agent.record(ORDER.orderId, machine.run(T0 + 7200));
    const second = await agent.cutReport(ORDER.orderId, Stream.Device, T0 + 7200);
    expect(second!.report).to.include({ sequence: 2, periodStart: T0 + 3600, periodEnd: T0 + 7200 });
    expect(agent.store.unacknowledged()).to.have.length(3);
  });

  it("proves any single reading against its report's root, and names what it cannot prove", async function () {
    const agent = agentAt(join(dir, "device.sqlite"));
    const machine = new MachineSimulator({ ...LASER_CUTTER, licenseId: 3 }, T0, 7);
    const readings = agent.record(ORDER.orderId, machine.run(T0 + 1800));
    await agent.cutAll([ORDER.orderId], T0 + 1800);
    for (const reading of readings) {
      const { signed, proof, reading: kept } = agent.prove(ORDER.orderId, reading.index);
      expect(kept).to.deep.equal(reading);
      expect(verifyReading(signed.report.readingsRoot, reading, proof)).to.equal(true);
      expect(verifyReading(signed.report.readingsRoot, { ...reading, amount: reading.amount + 1n }, proof)).to.equal(
        false,
      );
      const stream = reading.kind === ReadingKind.Inspection ? Stream.Inspector : Stream.Device;
      expect(await reportSigner(DOMAIN, signed)).to.equal(
        stream === Stream.Device ? deviceKey.address : inspectorKey.address,
      );
    }
    const [late] = agent.record(ORDER.orderId, [{ at: T0 + 1900, kind: ReadingKind.Units, amount: 1n, licenseId: 0 }]);
    expect(() => agent.prove(ORDER.orderId, late!.index)).to.throw("in no report yet");
    expect(() => agent.prove(ORDER.orderId, 10_000n)).to.throw("no reading with index 10000");
  });

  it("numbers on from its store after a restart and never uses a number for other content", async function () {
    const path = join(dir, "device.sqlite");
    let agent = agentAt(path);
    const machine = new MachineSimulator({ ...LASER_CUTTER, licensedShare: 0, inspectEvery: 0 }, T0, 3);
    agent.record(ORDER.orderId, machine.run(T0 + 600));
    const first = await agent.cutReport(ORDER.orderId, Stream.Device, T0 + 600);
    agent.record(ORDER.orderId, machine.run(T0 + 1200));
    agent.store.close();

    agent = agentAt(path);
    // The readings recorded before the restart are still open and go into report 2.
    const second = await agent.cutReport(ORDER.orderId, Stream.Device, T0 + 1200);
    expect(second!.report.sequence).to.equal(2);
    expect(second!.report.periodStart).to.equal(T0 + 600);
    expect(second!.report.units).to.equal(BigInt(machine.parts) - first!.report.units);
    expect(agent.store.report(7n, Stream.Device, 1)!.signed).to.deep.equal(first);
    // Committing another report under a number already used is refused, and changes nothing.
    const other = await signReport(deviceKey, DOMAIN, { ...first!.report, units: 99n });
    expect(() => agent.store.commitReport(Stream.Device, other, [])).to.throw("not the next one");
    expect(agent.store.report(7n, Stream.Device, 1)!.signed).to.deep.equal(first);
    agent.store.close();
  });

  it("refuses inspections without an inspector key, and readings of an unknown order", async function () {
    const agent = new DeviceAgent({ store: new DeviceStore({ path: ":memory:" }), domain: DOMAIN, deviceKey });
    agent.addOrder(ORDER);
    // Without inspections open, the inspector stream needs no key: cutting every stream signs the device's.
    agent.record(7n, [{ at: T0 + 1, kind: ReadingKind.Units, amount: 1n, licenseId: 0 }]);
    const cut = await agent.cutAll([7n], T0 + 5);
    expect(cut.map((r) => r.report.sequence)).to.deep.equal([1]);
    agent.record(7n, [{ at: T0 + 1, kind: ReadingKind.Inspection, amount: 1n, licenseId: 0 }]);
    let error: unknown;
    await agent.cutReport(7n, Stream.Inspector, T0 + 10).catch((e: unknown) => (error = e));
    expect(String(error)).to.contain("no inspector key");
    expect(() => agent.record(8n, [{ at: T0, kind: ReadingKind.Units, amount: 1n, licenseId: 0 }])).to.throw(
      "not known to this device",
    );
  });
});

describe("device store: refusals for good and recovered positions", function () {
  let dir: string;
  const deviceKey = privateKeyToAccount(generatePrivateKey());

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), "device-store-"));
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  async function withTwoReports(): Promise<DeviceAgent> {
    const agent = new DeviceAgent({
      store: new DeviceStore({ path: join(dir, "d.sqlite") }),
      domain: DOMAIN,
      deviceKey,
    });
    agent.addOrder(ORDER);
    const machine = new MachineSimulator({ ...LASER_CUTTER, licenseId: 3, inspectEvery: 0 }, T0, 4);
    agent.record(ORDER.orderId, machine.run(T0 + 600));
    await agent.cutReport(ORDER.orderId, Stream.Device, T0 + 600);
    agent.record(ORDER.orderId, machine.run(T0 + 1200));
    await agent.cutReport(ORDER.orderId, Stream.Device, T0 + 1200);
    return agent;
  }

  it("commits nothing after a report refused for good, and replaces it only over the same readings while it is to be re-issued", async function () {
    const agent = await withTwoReports();
    const { store } = agent;
    const first = store.report(7n, Stream.Device, 1)!.signed;
    const redated = await signReport(deviceKey, DOMAIN, { ...first.report, periodEnd: first.report.periodEnd - 5 });
    // Not refused: not replaceable.
    expect(() => store.commitReplacement(Stream.Device, redated)).to.throw("not one refused for good");
    store.refuse(7n, Stream.Device, 1, "422 in the future", "PeriodInFuture", "replace");
    expect(store.blocking(7n, Stream.Device)?.signed.report.sequence).to.equal(1);
    // Report 2 waits behind it; nothing new is committed.
    expect(store.unacknowledged()).to.deep.equal([]);
    expect(store.heldUp()).to.deep.include({ behind: 1 });
    const third = await signReport(deviceKey, DOMAIN, { ...first.report, sequence: 3 });
    expect(() => store.commitReport(Stream.Device, third, [])).to.throw("not re-issued yet");
    const otherReadings = await signReport(deviceKey, DOMAIN, { ...redated.report, units: redated.report.units + 1n });
    expect(() => store.commitReplacement(Stream.Device, otherReadings)).to.throw("covers the same readings");
    store.commitReplacement(Stream.Device, redated);
    const now = store.report(7n, Stream.Device, 1)!;
    expect(now).to.deep.include({ version: 2, acknowledged: false });
    expect(now.signed).to.deep.equal(redated);
    expect(now.refusal).to.equal(undefined);
    expect(store.versions(7n, Stream.Device, 1).map((v) => [v.version, v.reason, v.signed])).to.deep.equal([
      [1, "PeriodInFuture", first],
    ]);
    // Its readings are still its own; report 2 goes out again behind it.
    expect(store.readingsOf(7n, Stream.Device, 1).length).to.be.above(0);
    expect(store.unacknowledged().map((r) => r.signed.report.sequence)).to.deep.equal([1, 2]);
    // Replaced once, it is no longer to be re-issued.
    expect(() => store.commitReplacement(Stream.Device, first)).to.throw("not one refused for good");
    store.close();
  });

  it("moves a stream's position forward to the gateway's, leaving out readings dated before it, and never back", async function () {
    const agent = await withTwoReports();
    const { store } = agent;
    const [early] = store.appendReadings(7n, Stream.Device, [
      { at: T0 + 1300, kind: ReadingKind.Units, amount: 1n, licenseId: 0 },
      { at: T0 + 1900, kind: ReadingKind.Units, amount: 1n, licenseId: 0 },
    ]);
    expect(store.position(7n, Stream.Device)).to.deep.equal({ sequence: 3, periodStart: T0 + 1200 });
    expect(store.recover(7n, Stream.Device, { sequence: 2, periodStart: T0 + 600 })).to.deep.equal({
      moved: false,
      leftOut: 0,
    });
    expect(store.recover(7n, Stream.Device, { sequence: 5, periodStart: T0 + 1800 })).to.deep.equal({
      moved: true,
      leftOut: 1,
    });
    expect(store.position(7n, Stream.Device)).to.deep.equal({ sequence: 5, periodStart: T0 + 1800 });
    expect(store.openReadings(7n, Stream.Device, T0 + 2000).map((r) => r.at)).to.deep.equal([T0 + 1900]);
    const cut = await agent.cutReport(7n, Stream.Device, T0 + 2000);
    expect(cut!.report).to.include({ sequence: 5, periodStart: T0 + 1800, units: 1n });
    // A reading left out is in no report of this store, and says why it has no proof.
    expect(() => agent.prove(7n, early!.index)).to.throw("left out of every report");
    store.close();
  });

  it("cuts only the readings whose spindle seconds fit when a re-issue moved the period's start past their time", async function () {
    const agent = new DeviceAgent({
      store: new DeviceStore({ path: join(dir, "d.sqlite") }),
      domain: DOMAIN,
      deviceKey,
    });
    agent.addOrder(ORDER);
    const busy = new MachineSimulator(
      { ...LASER_CUTTER, handlingSeconds: 0, licensedShare: 0, inspectEvery: 0 },
      T0,
      3,
    );
    agent.record(7n, busy.run(T0 + 600));
    const first = (await agent.cutReport(7n, Stream.Device, T0 + 600))!;
    agent.store.refuse(7n, Stream.Device, 1, "422 in the future", "PeriodInFuture", "replace");
    // Re-issued ending 100 s later: the next period starts after 100 s of readings that are still open.
    agent.store.commitReplacement(
      Stream.Device,
      await signReport(deviceKey, DOMAIN, { ...first.report, periodEnd: T0 + 700 }),
    );
    agent.record(7n, busy.run(T0 + 1000));
    const second = (await agent.cutReport(7n, Stream.Device, T0 + 1000))!;
    expect(second.report).to.include({ sequence: 2, periodStart: T0 + 700, periodEnd: T0 + 1000 });
    expect(second.report.machineSeconds <= 300n).to.equal(true);
    const open = agent.store.openReadings(7n, Stream.Device, T0 + 1000);
    expect(open.length).to.be.above(0);
    const left = open.filter((r) => r.kind === ReadingKind.SpindleSeconds).reduce((sum, r) => sum + r.amount, 0n);
    expect(second.report.machineSeconds + left).to.equal(400n);
    agent.store.close();
  });

  it("re-issues the refusals a store of the earlier version kept (they held their stream forever)", async function () {
    const path = join(dir, "old.sqlite");
    const agent = await (async () => {
      const a = new DeviceAgent({ store: new DeviceStore({ path }), domain: DOMAIN, deviceKey });
      a.addOrder(ORDER);
      const machine = new MachineSimulator({ ...LASER_CUTTER, licenseId: 3, inspectEvery: 0 }, T0, 2);
      a.record(7n, machine.run(T0 + 600));
      await a.cutReport(7n, Stream.Device, T0 + 600);
      return a;
    })();
    agent.store.close();
    // What the earlier version's store looked like: no reason, fate or version, a refusal kept.
    const db = new DatabaseSync(path);
    db.exec(
      "CREATE TABLE r2 AS SELECT order_id, stream, sequence, period_end, body, acknowledged, refusal FROM reports; " +
        "DROP TABLE reports; ALTER TABLE r2 RENAME TO reports; " +
        "UPDATE reports SET refusal = '422 Report 1 of order 7: its period ends at 1795000600, 3699 s in the future'",
    );
    db.close();
    const reopened = new DeviceStore({ path });
    expect(reopened.blocking(7n, Stream.Device)).to.deep.include({ fate: "replace", version: 1 });
    reopened.close();
  });
});

describe("device clock (the chain's time)", function () {
  it("is this host's clock plus the measured offset, measured again every so often and when told", async function () {
    let host = 1_000_000;
    let chain = 5000;
    let reads = 0;
    const clock = new ChainClock({
      read: async () => {
        reads += 1;
        return chain;
      },
      resyncMs: 10_000,
      hostMs: () => host,
    });
    expect(await clock.now()).to.equal(5000);
    expect(clock.offsetSeconds).to.equal(4000);
    host += 3000;
    chain += 3;
    expect(await clock.now()).to.equal(5003);
    expect(reads).to.equal(1);
    // The chain jumped an hour ahead; the next measurement sees it.
    chain += 3600 + 8;
    host += 8000;
    expect(await clock.now()).to.equal(8611);
    expect(reads).to.equal(2);
    clock.observe(9000);
    expect(await clock.now()).to.equal(9000);
  });

  it("never goes back, also when a measurement finds the host ran ahead", async function () {
    let host = 1_000_000;
    const clock = new ChainClock({ read: async () => 5000, resyncMs: 0, hostMs: () => host });
    expect(await clock.now()).to.equal(5000);
    host += 5000;
    clock.observe(4000);
    expect(await clock.now()).to.equal(5000);
  });

  it("goes on with the last offset when a measurement fails, and says so without any", async function () {
    let host = 1_000_000;
    let up = true;
    const clock = new ChainClock({
      read: async () => {
        if (!up) throw new Error("node down");
        return 5000;
      },
      resyncMs: 0,
      hostMs: () => host,
    });
    expect(await clock.now()).to.equal(5000);
    up = false;
    host += 2000;
    expect(await clock.now()).to.equal(5002);
    const never = new ChainClock({ read: async () => Promise.reject(new Error("node down")) });
    let error: unknown;
    await never.now().catch((e: unknown) => (error = e));
    expect(String(error)).to.include("node down");
  });
});

describe("report hot path (native keccak and libsecp256k1)", function () {
  const key = generatePrivateKey();
  const account = privateKeyToAccount(key);
  const report = (fields: Partial<UsageReport> = {}): UsageReport => ({
    orderId: 42n,
    sequence: 3,
    periodStart: T0,
    periodEnd: T0 + 100,
    machineSeconds: 80n,
    units: 2n,
    inspections: 0,
    licensedProducts: [1n, 0n],
    readingsRoot: `0x${"ab".repeat(32)}`,
    ...fields,
  });

  it("computes viem's reportDigest", function () {
    const hasher = new ReportHasher(DOMAIN);
    for (const r of [
      report(),
      report({ licensedProducts: [] }),
      report({ orderId: 2n ** 64n - 1n, units: 2n ** 64n - 1n }),
    ]) {
      expect(hasher.hex(r)).to.equal(reportDigest(DOMAIN, r));
    }
  });

  it("recovers the signer, refuses the high-s twin and malformed signatures; signs as viem does", async function () {
    const verifier = new ReportVerifier(DOMAIN);
    const signed = await signReport(account, DOMAIN, report());
    expect(verifier.verify(signed)).to.deep.equal({
      digest: reportDigest(DOMAIN, signed.report),
      signer: account.address.toLowerCase(),
    });
    expect(() => verifier.verify({ ...signed, signature: highSTwinOf(signed.signature) as `0x${string}` })).to.throw(
      SignatureError,
    );
    expect(() => verifier.verify({ ...signed, signature: "0x1234" })).to.throw(SignatureError);
    expect(new ReportSigner(DOMAIN, key).sign(report())).to.deep.equal(signed);
  });

  it("packs a report as the batch encoder does", async function () {
    for (const r of [
      report(),
      report({ licensedProducts: [] }),
      report({ orderId: 2n ** 64n - 1n, periodEnd: 2 ** 40 - 1 }),
    ]) {
      const signed = await signReport(account, DOMAIN, r);
      expect(packReport(signed)).to.equal(encodePackedReport(signed));
    }
  });
});
