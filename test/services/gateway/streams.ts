/*
streams.tree: a device stream never dies: refused reports are re-issued under their number, a store that is fresh
or behind goes on from where the gateway and the meter say the stream stands (src/services/gateway/ingest.ts,
src/services/device/agent.ts), on the in-process network.

gateway
├── when a report was refused for good
│   ├── the very same report again ──────────────── 409 RefusedBefore, also once its period became good, and
│   │   after a restart (the refusal is recorded in the store before the device is answered)
│   ├── a replacement over the same readings ────── stored (201), counted as replaced
│   └── a replacement over other readings ───────── 409 ReplacementChangesReadings
├── when a report is stored, or submitted ───────── another under its number is 409 SequenceTaken, refused
│   before or not
├── when reports wait behind one that is refused ── they are refused at once (SequenceGap), not after the wait
├── GET /clock ──────────────────────────────────── the chain's time, this host's, the tolerance, chain and meter
└── GET /streams/<order>/<kind> ────────────────── the next number, where its period must start (the later of
    the meter's last period and the gateway's stored one), a refused version awaiting its replacement; 404 for an
    unknown order
device agent
├── when a report is refused as ending after the chain's time ── no later report is cut; it is re-issued under
│   its number over the same readings, ending by the chain's time; stored, recorded once
├── when a later report is refused in turn ──────── re-issued in turn; a re-issue is never a refused version
├── when the gateway holds another report under its number ── given up (taken); the stream goes on after it
├── when a report is refused for what no period cures ── stuck: nothing is re-issued, nothing cut after it
├── when its store is fresh ──────────────────────── it goes on at the gateway's next number and period start;
│   before, its first report was refused as SequenceTaken
└── when its store is an old copy ───────────────── it goes on after what the gateway holds, leaving out the
    readings the lost reports covered: the meter bills every reading once
*/
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { network } from "hardhat";
import { keccak256, toHex, type Hex } from "viem";

import { DeviceAgent, MachineSimulator, Stream } from "../../../src/services/device/agent.js";
import { DeviceStore } from "../../../src/services/device/store.js";
import { ContractChainView } from "../../../src/services/gateway/chain.js";
import { Ingest } from "../../../src/services/gateway/ingest.js";
import { serveGateway, type GatewayServer } from "../../../src/services/gateway/server.js";
import { GatewayStore } from "../../../src/services/gateway/store.js";
import { ReportSigner } from "../../../src/crypto/report-digest.js";
import { positionFromJson, reportToJson } from "../../../src/codec/report-wire.js";
import { ReadingKind } from "../../../src/core/readings.js";
import { reportDigest, type SignedReport, type UsageReport } from "../../../src/core/report.js";
import { bookedFixture, recordAllStored, type Booked } from "../../helpers/gateway.js";

const connection = await network.create();
const { networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;
const booked = bookedFixture(connection);

/** A press making a part every 20 s: 12 s under the ram, 8 s of handling; no inspections, no licences. */
const PRESS = { cycleSeconds: 12, handlingSeconds: 8, licensedShare: 0, licenseId: 0, inspectEvery: 0 };

describe("streams that never die", function () {
  this.timeout(120_000);
  let dir: string;
  let f: Booked;
  let store: GatewayStore;
  let ingest: Ingest;
  let served: GatewayServer;
  const agents: DeviceAgent[] = [];

  async function startGateway(gapWaitMs = 200): Promise<void> {
    store = new GatewayStore({ path: join(dir, "gateway.sqlite") });
    const chain = new ContractChainView({
      publicClient: f.chain.publicClient,
      machineRegistry: f.registryAddress,
      usageMeter: f.meterAddress,
      // The tests move the chain's clock in jumps: the gateway reads it afresh each time.
      ttlMs: 0,
      clockTtlMs: 0,
    });
    ingest = new Ingest({ store, chain, domain: f.domain, gapWaitMs });
    served = await serveGateway({ ingest, store });
  }

  async function stopGateway(): Promise<void> {
    await served.close();
    store.close();
  }

  function agentAt(name: string): DeviceAgent {
    const agent = new DeviceAgent({
      store: new DeviceStore({ path: join(dir, name) }),
      domain: f.domain,
      deviceKey: f.device,
    });
    agent.addOrder({ orderId: f.orderId, licenseIds: [], since: f.openedAt });
    agents.push(agent);
    return agent;
  }

  beforeEach(async function () {
    f = await loadFixture(booked);
    dir = mkdtempSync(join(tmpdir(), "streams-"));
    await startGateway();
  });

  afterEach(async function () {
    await stopGateway();
    for (const agent of agents.splice(0)) agent.store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function post(body: unknown) {
    const response = await fetch(`${served.url}/reports`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function get(path: string) {
    const response = await fetch(`${served.url}${path}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** A device report of order 1 over a fixed set of readings (root and counts), with the period given. */
  function report(fields: Partial<UsageReport> & Pick<UsageReport, "periodStart" | "periodEnd">): SignedReport {
    return new ReportSigner(f.domain, f.deviceKey).sign({
      orderId: f.orderId,
      sequence: 1,
      machineSeconds: 100n,
      units: 5n,
      inspections: 0,
      licensedProducts: [],
      readingsRoot: keccak256(toHex("the readings of report 1")),
      ...fields,
    });
  }

  /** The spindle seconds of every reading the agent's store holds that is in a report. */
  function reportedSeconds(agent: DeviceAgent): bigint {
    return agent.store
      .reports(f.orderId)
      .flatMap((r) => agent.store.readingsOf(f.orderId, r.stream, r.signed.report.sequence))
      .filter((r) => r.kind === ReadingKind.SpindleSeconds)
      .reduce((sum, r) => sum + r.amount, 0n);
  }

  describe("the gateway, when a report was refused for good", function () {
    it("refuses the very same report again (409 RefusedBefore), also once its period became good and after a restart", async function () {
      await time.increase(600);
      const now = await time.latest();
      const ahead = report({ periodStart: f.openedAt, periodEnd: now + 600 });
      const first = await post(reportToJson(ahead));
      expect([first.status, first.body.reason]).to.deep.equal([422, "PeriodInFuture"]);
      await time.increase(700);
      const again = await post(reportToJson(ahead));
      expect([again.status, again.body.reason]).to.deep.equal([409, "RefusedBefore"]);
      expect(again.body.error).to.include("(PeriodInFuture)").and.include("re-issue the number over the same readings");
      await stopGateway();
      await startGateway();
      const restarted = await post(reportToJson(ahead));
      expect([restarted.status, restarted.body.reason]).to.deep.equal([409, "RefusedBefore"]);
      expect(store.all()).to.deep.equal([]);
    });

    it("stores a replacement over the same readings with a corrected period, and counts it as replaced", async function () {
      await time.increase(600);
      const now = await time.latest();
      expect((await post(reportToJson(report({ periodStart: f.openedAt, periodEnd: now + 600 })))).status).to.equal(
        422,
      );
      const replacement = report({ periodStart: f.openedAt, periodEnd: now });
      const answer = await post(reportToJson(replacement));
      expect(answer.status, JSON.stringify(answer.body)).to.equal(201);
      expect(store.all().map((r) => [r.sequence, r.periodEnd])).to.deep.equal([[1, now]]);
      const status = (await get("/status")).body;
      expect(status).to.include({ stored: 1, replaced: 1 });
      expect(status.refused).to.deep.equal({ PeriodInFuture: 1 });
    });

    it("refuses a replacement over other readings (409 ReplacementChangesReadings)", async function () {
      await time.increase(600);
      const now = await time.latest();
      await post(reportToJson(report({ periodStart: f.openedAt, periodEnd: now + 600 })));
      for (const other of [
        { readingsRoot: keccak256(toHex("other readings")) as Hex },
        { units: 6n },
        { machineSeconds: 99n },
      ]) {
        const answer = await post(reportToJson(report({ periodStart: f.openedAt, periodEnd: now, ...other })));
        expect([answer.status, answer.body.reason]).to.deep.equal([409, "ReplacementChangesReadings"]);
        expect(answer.body.error).to.include("a replacement covers the same readings");
      }
      expect(store.all()).to.deep.equal([]);
    });

    it("never replaces a stored report, nor a submitted one (409 SequenceTaken)", async function () {
      await time.increase(600);
      const now = await time.latest();
      expect((await post(reportToJson(report({ periodStart: f.openedAt, periodEnd: now })))).status).to.equal(201);
      const other = report({ periodStart: f.openedAt, periodEnd: now - 1 });
      const stored = await post(reportToJson(other));
      expect([stored.status, stored.body.reason]).to.deep.equal([409, "SequenceTaken"]);
      await recordAllStored(f, store);
      const submitted = await post(reportToJson(other));
      expect([submitted.status, submitted.body.reason]).to.deep.equal([409, "SequenceTaken"]);
      expect(submitted.body.error).to.include("a stored one is never replaced");
    });

    it("refuses the reports waiting behind a refused one at once, not after the wait for a gap", async function () {
      await stopGateway();
      await startGateway(10_000);
      await time.increase(600);
      const now = await time.latest();
      const started = performance.now();
      const answer = await post({
        reports: [
          report({ sequence: 2, periodStart: now - 100, periodEnd: now - 50, machineSeconds: 5n }),
          report({ periodStart: f.openedAt, periodEnd: now + 600 }),
          report({ sequence: 3, periodStart: now - 50, periodEnd: now, machineSeconds: 5n }),
        ].map(reportToJson),
      });
      expect(performance.now() - started).to.be.below(5000);
      const results = answer.body.results as { reason: string }[];
      expect(results.map((r) => r.reason)).to.deep.equal(["SequenceGap", "PeriodInFuture", "SequenceGap"]);
    });
  });

  describe("GET /clock and GET /streams", function () {
    it("GET /clock says the chain's time, this host's, the tolerance, and the chain and meter", async function () {
      // The chain an hour and a bit ahead of this host, whenever its last block was mined.
      await time.increaseTo(Math.max(Math.floor(Date.now() / 1000), await time.latest()) + 3699);
      const { status, body } = await get("/clock");
      expect(status).to.equal(200);
      const chainTime = await time.latest();
      expect(body).to.include({ chainId: f.domain.chainId, meter: f.domain.meter, toleranceSeconds: 60, chainTime });
      expect(body.hostAheadSeconds).to.equal((body.hostTime as number) - chainTime);
      expect(body.hostAheadSeconds).to.be.below(-3600);
    });

    it("GET /streams says the next number and where its period starts (the later of the meter's and the gateway's), and a refused version", async function () {
      const fresh = positionFromJson((await get(`/streams/${f.orderId}/device`)).body);
      expect(fresh).to.deep.include({
        nextSequence: 1,
        periodStart: f.openedAt,
        recorded: { lastSequence: 0, periodEnd: f.openedAt },
        refused: null,
        open: true,
        expiresAt: f.expiresAt,
      });
      await time.increase(600);
      const end1 = await time.latest();
      expect((await post(reportToJson(report({ periodStart: f.openedAt, periodEnd: end1 })))).status).to.equal(201);
      await recordAllStored(f, store);
      await time.increase(600);
      const end2 = await time.latest();
      const second = { sequence: 2, periodStart: end1, periodEnd: end2, readingsRoot: keccak256(toHex("2")) as Hex };
      expect((await post(reportToJson(report(second)))).status).to.equal(201);
      const refused = report({ ...second, sequence: 3, periodStart: end2, periodEnd: end2 + 900 });
      expect((await post(reportToJson(refused))).status).to.equal(422);
      const position = positionFromJson((await get(`/streams/${f.orderId}/device`)).body);
      expect(position).to.deep.include({
        nextSequence: 3,
        periodStart: end2,
        recorded: { lastSequence: 1, periodEnd: end1 },
        held: { lastSequence: 2, periodEnd: end2 },
      });
      expect(position.refused).to.deep.include({ sequence: 3, reasons: ["PeriodInFuture"], units: "5" });
      const inspector = positionFromJson((await get(`/streams/${f.orderId}/inspector`)).body);
      expect(inspector).to.deep.include({ nextSequence: 1, periodStart: f.openedAt });
      expect((await get("/streams/99/device")).status).to.equal(404);
    });
  });

  describe("the device agent", function () {
    it("re-issues a report refused as ending after the chain's time under its number, over the same readings, instead of numbering on", async function () {
      const agent = agentAt("device.sqlite");
      const machine = new MachineSimulator(PRESS, f.openedAt, 5);
      await time.increase(1200);
      const now = await time.latest();
      agent.record(f.orderId, machine.run(now));
      // The device's clock ran ten minutes ahead of the chain's when it cut the report.
      const ahead = (await agent.cutReport(f.orderId, Stream.Device, now + 600))!;
      const sent = await agent.send(served.url);
      expect(sent.refused.map((r) => [r.reason, r.fate])).to.deep.equal([["PeriodInFuture", "replace"]]);
      // No later report is cut while it waits to be re-issued: the readings stay open.
      agent.record(f.orderId, machine.run(now + 60));
      expect(await agent.cutReport(f.orderId, Stream.Device, now + 60)).to.equal(undefined);
      const [done] = await agent.reissue(served.url);
      expect(done).to.deep.include({ sequence: 1, outcome: "reissued", periodStart: f.openedAt, version: 2 });
      expect(done!.periodEnd).to.be.at.most(await time.latest());
      const current = agent.store.report(f.orderId, Stream.Device, 1)!;
      expect(current.signed.report).to.deep.include({
        readingsRoot: ahead.report.readingsRoot,
        machineSeconds: ahead.report.machineSeconds,
        units: ahead.report.units,
      });
      expect(agent.store.versions(f.orderId, Stream.Device, 1).map((v) => v.signed)).to.deep.equal([ahead]);
      expect(await agent.send(served.url)).to.deep.equal({ acknowledged: 1, refused: [] });
      // The stream goes on after it.
      await time.increase(120);
      const later = await time.latest();
      agent.record(f.orderId, machine.run(later));
      expect((await agent.cutReport(f.orderId, Stream.Device, later))!.report).to.include({
        sequence: 2,
        periodStart: done!.periodEnd,
      });
      expect((await agent.send(served.url)).acknowledged).to.equal(1);
      await recordAllStored(f, store);
      const meter = await f.meter.meterOf(f.orderId);
      expect(meter.deviceSequence).to.equal(2n);
      expect(meter.machineSeconds).to.equal(reportedSeconds(agent));
      expect(agent.counters).to.include({ reissued: 1 });
    });

    it("waits until the chain's time lets the readings fit, re-issues a later report refused in turn, and never signs a refused version again", async function () {
      const agent = agentAt("device.sqlite");
      // A machine busy all the time: its spindle seconds fill every period.
      const busy = new MachineSimulator({ ...PRESS, handlingSeconds: 0 }, f.openedAt, 6);
      await time.increase(1200);
      const now = await time.latest();
      // Two reports cut by a clock ten minutes ahead of the chain's, its readings dated by it too.
      const e = now + 600;
      agent.record(f.orderId, busy.run(e));
      const first = (await agent.cutReport(f.orderId, Stream.Device, e))!;
      expect(first.report.machineSeconds).to.equal(BigInt(e - f.openedAt));
      agent.record(f.orderId, busy.run(e + 100));
      const second = (await agent.cutReport(f.orderId, Stream.Device, e + 100))!;
      const sent = await agent.send(served.url);
      expect(sent.refused.map((r) => [r.sequence, r.reason, r.fate])).to.deep.equal([
        [1, "PeriodInFuture", "replace"],
        [2, "PeriodInFuture", "replace"],
      ]);
      // Its machine seconds need the chain's time to reach its end: it waits.
      const [wait] = await agent.reissue(served.url);
      expect(wait).to.deep.include({ sequence: 1, outcome: "waiting" });
      expect(wait!.why).to.include(`the chain's time has to reach ${e}`);
      await time.increase(610);
      // Re-issued as it was, it would be that very report: it ends a second later.
      const [one] = await agent.reissue(served.url);
      expect(one).to.deep.include({ sequence: 1, outcome: "reissued", periodStart: f.openedAt, periodEnd: e + 1 });
      // One at a time: the second one waits for the first one's re-issue to be stored.
      expect(await agent.send(served.url)).to.deep.equal({ acknowledged: 1, refused: [] });
      // It starts after the first one's new end, and its 100 machine seconds need the chain's time to reach e + 101.
      const [wait2] = await agent.reissue(served.url);
      expect(wait2).to.deep.include({ sequence: 2, outcome: "waiting" });
      await time.increase(100);
      const [two] = await agent.reissue(served.url);
      expect(two).to.deep.include({ sequence: 2, outcome: "reissued", periodStart: e + 1, periodEnd: e + 101 });
      expect(agent.store.report(f.orderId, Stream.Device, 2)!.signed.report.readingsRoot).to.equal(
        second.report.readingsRoot,
      );
      expect(await agent.send(served.url)).to.deep.equal({ acknowledged: 1, refused: [] });
      await recordAllStored(f, store);
      const meter = await f.meter.meterOf(f.orderId);
      expect(meter.deviceSequence).to.equal(2n);
      expect(meter.machineSeconds).to.equal(reportedSeconds(agent));
      expect(ingest.counters).to.include({ replaced: 2 });
      // No refused version was ever stored.
      const refusedDigests = [1, 2].flatMap((n) => agent.store.versions(f.orderId, Stream.Device, n));
      expect(refusedDigests).to.have.length(2);
      const stored = new Set(store.all().map((r) => r.digest));
      for (const v of refusedDigests) expect(stored.has(reportDigest(f.domain, v.signed.report))).to.equal(false);
    });

    it("gives up a number the gateway holds another report under, and goes on after it", async function () {
      const first = agentAt("first.sqlite");
      const machine = new MachineSimulator(PRESS, f.openedAt, 11);
      await time.increase(600);
      const now = await time.latest();
      first.record(f.orderId, machine.run(now));
      await first.cutReport(f.orderId, Stream.Device, now);
      expect((await first.send(served.url)).acknowledged).to.equal(1);
      // A store that did not ask where the stream stands numbers from 1 again.
      const fresh = agentAt("fresh.sqlite");
      await time.increase(60);
      const later = await time.latest();
      fresh.record(f.orderId, new MachineSimulator(PRESS, now, 12).run(later));
      await fresh.cutReport(f.orderId, Stream.Device, later);
      const sent = await fresh.send(served.url);
      expect(sent.refused.map((r) => [r.sequence, r.reason, r.fate])).to.deep.equal([[1, "SequenceTaken", "taken"]]);
      expect(fresh.store.unacknowledged()).to.deep.equal([]);
      expect(fresh.store.blocking(f.orderId, Stream.Device)).to.equal(undefined);
      // Its own report 1 stays unbilled (its readings may be the ones the other report covers); 2 comes next.
      const recovered = await fresh.recover(served.url, f.orderId, Stream.Device);
      expect(recovered.position).to.deep.include({ nextSequence: 2, periodStart: now });
      expect(fresh.store.position(f.orderId, Stream.Device)).to.deep.equal({ sequence: 2, periodStart: later });
      await time.increase(60);
      const end = await time.latest();
      fresh.record(f.orderId, new MachineSimulator(PRESS, later, 13).run(end));
      expect((await fresh.cutReport(f.orderId, Stream.Device, end))!.report.sequence).to.equal(2);
      expect(await fresh.send(served.url)).to.deep.equal({ acknowledged: 1, refused: [] });
      await recordAllStored(f, store);
      const meter = await f.meter.meterOf(f.orderId);
      expect(meter.deviceSequence).to.equal(2n);
      const taken = fresh.store
        .readingsOf(f.orderId, Stream.Device, 1)
        .filter((r) => r.kind === ReadingKind.SpindleSeconds)
        .reduce((sum, r) => sum + r.amount, 0n);
      expect(meter.machineSeconds).to.equal(reportedSeconds(first) + reportedSeconds(fresh) - taken);
    });

    it("keeps a report refused for what no period cures as stuck, and cuts nothing after it", async function () {
      const agent = agentAt("device.sqlite");
      const machine = new MachineSimulator(PRESS, f.openedAt, 7);
      await time.increase(1200);
      const now = await time.latest();
      await f.machines.connect(f.provider).revokeKey(1n, f.device.address);
      // Cut as if the revocation had not reached the device: the period runs past it.
      agent.record(f.orderId, machine.run(now + 1));
      await agent.cutReport(f.orderId, Stream.Device, now + 1);
      const sent = await agent.send(served.url);
      expect(sent.refused.map((r) => [r.reason, r.fate])).to.deep.equal([["SignerNotValidForPeriod", "stuck"]]);
      expect(await agent.reissue(served.url)).to.deep.equal([]);
      agent.record(f.orderId, machine.run(now + 600));
      expect(await agent.cutReport(f.orderId, Stream.Device, now + 600)).to.equal(undefined);
      expect(agent.store.heldUp().refused.map((r) => r.fate)).to.deep.equal(["stuck"]);
    });

    it("goes on from the gateway's next number and period start when its store is fresh (before: refused as SequenceTaken)", async function () {
      const first = agentAt("first.sqlite");
      const machine = new MachineSimulator(PRESS, f.openedAt, 8);
      for (let i = 0; i < 2; i++) {
        await time.increase(600);
        const now = await time.latest();
        first.record(f.orderId, machine.run(now));
        await first.cutReport(f.orderId, Stream.Device, now);
      }
      expect((await first.send(served.url)).acknowledged).to.equal(2);
      const lastEnd = first.store.lastReport(f.orderId, Stream.Device)!.periodEnd;
      // Its disk is lost; a new store starts where the machine is now.
      await time.increase(600);
      const restart = await time.latest();
      const fresh = new DeviceAgent({
        store: new DeviceStore({ path: join(dir, "fresh.sqlite") }),
        domain: f.domain,
        deviceKey: f.device,
      });
      agents.push(fresh);
      fresh.addOrder({ orderId: f.orderId, licenseIds: [], since: restart });
      const recovered = await fresh.recover(served.url, f.orderId, Stream.Device);
      expect(recovered).to.deep.include({ moved: true, leftOut: 0 });
      expect(recovered.position).to.deep.include({ nextSequence: 3, periodStart: lastEnd });
      const fromRestart = new MachineSimulator(PRESS, restart, 9);
      await time.increase(600);
      const now = await time.latest();
      fresh.record(f.orderId, fromRestart.run(now));
      const third = (await fresh.cutReport(f.orderId, Stream.Device, now))!;
      expect(third.report).to.include({ sequence: 3, periodStart: restart });
      expect(await fresh.send(served.url)).to.deep.equal({ acknowledged: 1, refused: [] });
      await recordAllStored(f, store);
      const meter = await f.meter.meterOf(f.orderId);
      expect(meter.deviceSequence).to.equal(3n);
      expect(meter.machineSeconds).to.equal(reportedSeconds(first) + reportedSeconds(fresh));
    });

    it("goes on after what the gateway holds when its store is an old copy, leaving out the readings the lost reports covered", async function () {
      const agent = agentAt("device.sqlite");
      const machine = new MachineSimulator(PRESS, f.openedAt, 10);
      await time.increase(600);
      let now = await time.latest();
      agent.record(f.orderId, machine.run(now));
      await agent.cutReport(f.orderId, Stream.Device, now);
      await agent.send(served.url);
      await time.increase(600);
      now = await time.latest();
      agent.record(f.orderId, machine.run(now));
      // The copy is taken here: report 1 sent, the readings of report 2 recorded but not reported yet.
      agent.store.close();
      copyFileSync(join(dir, "device.sqlite"), join(dir, "copy.sqlite"));
      agents.splice(agents.indexOf(agent), 1);
      const original = agentAt("device.sqlite");
      const second = (await original.cutReport(f.orderId, Stream.Device, now))!;
      expect((await original.send(served.url)).acknowledged).to.equal(1);
      const billedBefore = reportedSeconds(original);
      // The disk is lost; the old copy comes back.
      const restored = agentAt("copy.sqlite");
      const recovered = await restored.recover(served.url, f.orderId, Stream.Device);
      expect(recovered.position).to.deep.include({ nextSequence: 3, periodStart: second.report.periodEnd });
      expect(recovered.moved).to.equal(true);
      expect(recovered.leftOut).to.equal(original.store.readingsOf(f.orderId, Stream.Device, 2).length);
      await time.increase(600);
      now = await time.latest();
      restored.record(f.orderId, machine.run(now));
      const third = (await restored.cutReport(f.orderId, Stream.Device, now))!;
      expect(third.report).to.include({ sequence: 3, periodStart: second.report.periodEnd });
      expect((await restored.send(served.url)).acknowledged).to.equal(1);
      await recordAllStored(f, store);
      const meter = await f.meter.meterOf(f.orderId);
      expect(meter.deviceSequence).to.equal(3n);
      const thirdSeconds = restored.store
        .readingsOf(f.orderId, Stream.Device, 3)
        .filter((r) => r.kind === ReadingKind.SpindleSeconds)
        .reduce((sum, r) => sum + r.amount, 0n);
      // Every spindle second the machine read is billed once: reports 1 and 2 from the lost store, 3 from the copy.
      expect(meter.machineSeconds).to.equal(billedBefore + thirdSeconds);
    });
  });
});
