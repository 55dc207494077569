/*
streams-kill.tree: the device agent (scripts/device-agent.ts) and the gateway (scripts/gateway.ts) as real
processes on anvil with a block a second, through a seeded schedule of SIGKILLs of either, jumps of the chain's
clock an hour ahead of every host's (evm_increaseTime), a pause of the chain's blocks while the agent's clock runs
on (its reports then end after the chain's time, beyond the gateway's tolerance of 2 s, and are refused), and the
loss of the agent's store (it starts again from an empty one). STREAMS_KILL_SEED=<seed> repeats a schedule.

through kills, clock jumps, a block pause and a lost store
├── every report the gateway stored is recorded exactly once, none rejected; each stream's numbers run 1..n with
│   none lost, and the meter's last numbers are the agent's
├── what the meter recorded is, report by report, a report the agent holds (its current version); no refused
│   version of any number was ever recorded
├── the meter's machine seconds and units are the sums of the readings of the recorded reports; every reading of
│   the store the agent ends with is in a recorded report: every second the machine worked is billed once (but
│   what the lost store had not handed over yet)
├── after each clock jump the agent's reports go on being stored and recorded
└── refused reports were re-issued under their numbers, and the store started empty went on after what the
    gateway and the meter held
*/
import { existsSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";

import { DeviceStore, Stream } from "../../../src/services/device/store.js";
import { GatewayStore } from "../../../src/services/gateway/store.js";
import { usageMeterAbi } from "../../../src/generated/abis.js";
import { ReadingKind } from "../../../src/core/readings.js";
import { reportDigest } from "../../../src/core/report.js";
import { seededRandom } from "../../../src/core/random.js";
import { AgentProcess, killEveryAgent } from "../../helpers/agent-process.js";
import { freePort, type Anvil } from "../../helpers/anvil.js";
import { gatewayProcess, rpcOrderOnAnvil, type RpcOrder } from "../../helpers/rpc-meter.js";

const SEED = process.env.STREAMS_KILL_SEED
  ? Number(process.env.STREAMS_KILL_SEED)
  : Math.floor(Math.random() * 2 ** 31);
const JUMP_SECONDS = 3600;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Step = "kill agent" | "kill gateway" | "jump clock" | "pause blocks" | "lose store";

describe("device streams through kills, clock jumps, a block pause and a lost store (real processes on anvil)", function () {
  this.timeout(400_000);
  const random = seededRandom(SEED);
  let anvil: Anvil | undefined;
  let o: RpcOrder;
  let dir: string | undefined;
  let gateway: AgentProcess;
  let agent: AgentProcess;
  let storePath: string;
  let gatewayStorePath: string;
  let url: string;

  before(async function () {
    this.timeout(90_000);
    console.log(`      kill seed ${SEED} (STREAMS_KILL_SEED=${SEED} repeats this schedule)`);
    ({ anvil, o } = await rpcOrderOnAnvil(SEED));
    dir = mkdtempSync(join(tmpdir(), "streams-kill-"));
    storePath = join(dir, "device.sqlite");
    gatewayStorePath = join(dir, "gateway.sqlite");
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    gateway = gatewayProcess(o, anvil.url, {
      store: gatewayStorePath,
      port,
      depth: 1,
      intervalMs: 300,
      clockTolerance: 2,
    });
    agent = new AgentProcess(
      "device agent",
      "scripts/device-agent.ts",
      () => [
        ...["--gateway", url, "--rpc-url", anvil!.url, "--meter", o.addresses.usageMeter],
        ...["--order", String(o.orderId), "--store", storePath, "--profile", "press-brake", "--speed", "6"],
        ...["--seed", String(agent.life + 2), "--report-every", "1", "--tick-ms", "200"],
        // Its clock measures the chain's at start, then every 20 s (and whenever the gateway says it), and runs on
        // with this host's in between: while blocks pause it runs ahead of the chain's.
        ...["--duration", "30m", "--drain", "60s", "--clock-sync", "20s"],
      ],
      { DEVICE_KEY: o.deviceKey, DEVICE_INSPECTOR_KEY: o.inspectorKey },
    );
  });

  after(async function () {
    await killEveryAgent([gateway, agent].filter((a) => a !== undefined));
    await anvil?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") {
      console.log(gateway.diagnostics());
      console.log(agent.diagnostics());
    }
  });

  const latest = async () => Number((await o.chain.publicClient.getBlock({ blockTag: "latest" })).timestamp);

  /** Moves a SQLite store with its WAL aside, as a lost disk takes it (kept here to count what it held). */
  function loseStore(to: string): void {
    for (const suffix of ["", "-wal", "-shm"]) {
      if (existsSync(storePath + suffix)) renameSync(storePath + suffix, to + suffix);
    }
  }

  it("bills every second the machine worked exactly once, loses no number and records no refused version", async function () {
    await gateway.start();
    await agent.start();
    // Each disturbance at least once, the kills twice, in a seeded order.
    const steps: Step[] = ["kill agent", "kill agent", "kill gateway", "kill gateway", "jump clock", "pause blocks"];
    for (let i = steps.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [steps[i], steps[j]] = [steps[j]!, steps[i]!];
    }
    steps.splice(2 + Math.floor(random() * (steps.length - 2)), 0, "lose store");
    steps.push("jump clock");
    console.log(`      schedule: ${steps.join(", ")}`);
    const jumps: number[] = [];
    const lost = join(dir!, "device.lost.sqlite");
    for (const step of steps) {
      await sleep(2000 + random() * 3000);
      switch (step) {
        case "kill agent":
          await agent.kill();
          await sleep(random() * 2000);
          await agent.start();
          break;
        case "kill gateway":
          await gateway.kill();
          await sleep(random() * 2000);
          await gateway.start();
          break;
        case "jump clock": {
          const before = await latest();
          await o.test.increaseTime({ seconds: JUMP_SECONDS });
          // The next block carries the jump.
          for (let t = 0; (await latest()) < before + JUMP_SECONDS; t++) {
            if (t > 100) throw new Error("No block carried the clock jump.");
            await sleep(100);
          }
          jumps.push(before + JUMP_SECONDS);
          // The agent's clock follows: a report ending after the jump is signed (and, below, recorded).
          await agent.waitFor(
            (e) => e.event === "signed" && Number(e.periodEnd) >= before + JUMP_SECONDS,
            "a report after the clock jump",
            45_000,
          );
          break;
        }
        case "pause blocks": {
          // The chain stops making blocks; the agent, restarted meanwhile, measured its clock on the last one and
          // runs on: its reports end after the chain's time, beyond the gateway's tolerance.
          await o.test.setIntervalMining({ interval: 0 });
          await agent.kill();
          await agent.start();
          const refused = agent.events.filter((e) => e.event === "refused").length;
          await agent.waitFor(
            (e) => e.event === "refused" && e.reason === "PeriodInFuture" && agent.events.indexOf(e) >= refused,
            "a report refused as ending after the chain's time",
            30_000,
          );
          await sleep(2000);
          await o.test.setIntervalMining({ interval: 1 });
          break;
        }
        case "lose store":
          // Once the gateway holds some of its reports, so that an empty store has somewhere to go on from.
          for (let t = 0; ; t++) {
            const position = (await (await fetch(`${url}/streams/${o.orderId}/device`)).json()) as {
              held: { lastSequence: number };
            };
            if (position.held.lastSequence >= 2) break;
            if (t > 300) throw new Error("The gateway holds no report of the device to lose the store after.");
            await sleep(100);
          }
          await agent.kill();
          loseStore(lost);
          await agent.start();
          break;
      }
    }
    // Let it work a little after the last jump, then stop it: it reports what is open and drains.
    await sleep(6000);
    expect(await agent.terminate(120_000), agent.diagnostics()).to.equal(0);
    const done = agent.events.filter((e) => e.event === "done").at(-1)!;
    expect(done).to.include({ unacknowledged: 0, stuck: 0 });
    const deadline = Date.now() + 90_000;
    for (;;) {
      const status = (await (await fetch(`${url}/status`)).json()) as Record<string, number>;
      if (status.queued === 0 && status.inFlight === 0) break;
      if (Date.now() > deadline) throw new Error(`Reports did not become final: ${JSON.stringify(status)}`);
      await sleep(500);
    }
    await gateway.kill();

    // What the gateway stored: every report recorded once, numbers 1..n per stream.
    const gatewayStore = new GatewayStore({ path: gatewayStorePath });
    const rows = gatewayStore.all();
    gatewayStore.close();
    expect(rows.filter((r) => r.status !== "recorded")).to.deep.equal([]);
    const numbers = (kind: number) =>
      rows
        .filter((r) => r.kind === kind)
        .map((r) => r.sequence)
        .sort((a, b) => a - b);
    for (const kind of [Stream.Device, Stream.Inspector]) {
      expect(numbers(kind), "each number once, none lost").to.deep.equal(numbers(kind).map((_, i) => i + 1));
    }
    const meter = await o.meter.meterOf(o.orderId);
    expect(meter.deviceSequence).to.equal(numbers(Stream.Device).length);
    expect(meter.inspectorSequence).to.equal(numbers(Stream.Inspector).length);
    const logs = await o.chain.publicClient.getContractEvents({
      address: o.addresses.usageMeter,
      abi: usageMeterAbi,
      eventName: "ReportRecorded",
      args: { orderId: o.orderId },
      fromBlock: 0n,
    });
    const recorded = logs.map((l) => l.args.digest!);
    expect(recorded).to.have.members(rows.map((r) => r.digest));
    expect(new Set(recorded).size).to.equal(recorded.length);

    // What the agent's stores hold: the one it lost, and the one it ends with.
    const stores = [new DeviceStore({ path: lost }), new DeviceStore({ path: storePath })];
    try {
      const current = new Map<string, { seconds: bigint; units: bigint; store: number; periodEnd: number }>();
      const refusedVersions = new Set<string>();
      let reissued = 0;
      for (const [i, store] of stores.entries()) {
        for (const r of store.reports(o.orderId)) {
          const readings = store.readingsOf(o.orderId, r.stream, r.signed.report.sequence);
          current.set(reportDigest(o.domain, r.signed.report), {
            seconds: readings.filter((x) => x.kind === ReadingKind.SpindleSeconds).reduce((s, x) => s + x.amount, 0n),
            units: r.signed.report.units,
            store: i,
            periodEnd: r.signed.report.periodEnd,
          });
          for (const v of store.versions(o.orderId, r.stream, r.signed.report.sequence)) {
            refusedVersions.add(reportDigest(o.domain, v.signed.report));
            reissued += 1;
          }
        }
      }
      for (const digest of recorded)
        expect(current.has(digest), `recorded ${digest} is a report the agent holds`).to.equal(true);
      for (const digest of refusedVersions) expect(recorded, "no refused version recorded").to.not.include(digest);
      const billed = recorded.map((d) => current.get(d)!);
      expect(BigInt(meter.machineSeconds)).to.equal(billed.reduce((s, b) => s + b.seconds, 0n));
      expect(BigInt(meter.units)).to.equal(billed.reduce((s, b) => s + b.units, 0n));
      // The store the agent ends with: every reading in a report, every report recorded.
      const last = stores[1]!;
      expect(last.unacknowledged()).to.deep.equal([]);
      expect(last.heldUp().refused).to.deep.equal([]);
      for (const stream of [Stream.Device, Stream.Inspector]) {
        expect(last.openReadings(o.orderId, stream, 2 ** 40), "no reading left unreported").to.deep.equal([]);
      }
      for (const r of last.reports(o.orderId)) {
        expect(recorded).to.include(reportDigest(o.domain, r.signed.report));
      }
      // The store started empty went on after what the gateway and the meter held.
      const fresh = agent.events.filter((e) => e.event === "position" && e.moved === true && e.stream === "device");
      const positions = agent.events.filter((e) => e.event === "position" || e.event === "ready");
      expect(
        fresh.length,
        `the empty store moved to the gateway's position: ${JSON.stringify(positions)}`,
      ).to.be.at.least(1);
      expect(Number(fresh[0]!.nextSequence)).to.be.above(1);
      // After each jump, reports went on being recorded.
      for (const jump of jumps) {
        expect(
          billed.some((b) => b.periodEnd >= jump),
          `a report recorded after the jump to ${jump}`,
        ).to.equal(true);
      }
      const refusedForGood = agent.events.filter((e) => e.event === "refused" && e.final === true);
      // What the lost store had not handed over: its open readings, and its reports the gateway never stored.
      const spindle = (readings: { kind: number; amount: bigint }[]) =>
        readings.filter((x) => x.kind === ReadingKind.SpindleSeconds).reduce((sum, x) => sum + x.amount, 0n);
      const gone = stores[0]!;
      const lostSeconds =
        spindle([Stream.Device, Stream.Inspector].flatMap((st) => gone.openReadings(o.orderId, st, 2 ** 40))) +
        gone
          .reports(o.orderId)
          .filter((r) => !recorded.includes(reportDigest(o.domain, r.signed.report)))
          .reduce((sum, r) => sum + spindle(gone.readingsOf(o.orderId, r.stream, r.signed.report.sequence)), 0n);
      expect(reissued, "refused reports were re-issued").to.be.at.least(1);
      console.log(
        `      ${rows.length} reports recorded (${numbers(Stream.Device).length} device, ${numbers(Stream.Inspector).length} ` +
          `inspector), ${meter.machineSeconds} machine seconds; ${refusedForGood.length} refused for good ` +
          `(${[...new Set(refusedForGood.map((e) => e.reason))].join(", ") || "none"}), ${reissued} re-issued; ` +
          `agent lives ${agent.life + 1}, gateway lives ${gateway.life + 1}; the lost store took ${lostSeconds} s ` +
          "it had not handed over",
      );
    } finally {
      for (const store of stores) store.close();
    }
  });
});
