/*
kill.tree: the gateway as a real process (scripts/gateway.ts) against anvil on loopback with a block a second,
fed by a device agent in this process, SIGKILLed several times at random moments (some right after it sent a
batch, before the batch was final) and restarted from its SQLite store. GATEWAY_KILL_SEED=<seed> repeats a run.

gateway killed at random moments
├── after every kill ──────────── its store holds every report it acknowledged, with the digest acknowledged
└── once every report is final ── each of the device's reports is recorded exactly once on chain (one
    ReportRecorded per digest, none of another), the meter's sequence numbers and units are the device's,
    no report was rejected; what the restarts sent again was skipped as a duplicate
*/
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";

import { DeviceAgent, MachineSimulator, Stream } from "../../../src/services/device/agent.js";
import { DeviceStore } from "../../../src/services/device/store.js";
import { GatewayStore } from "../../../src/services/gateway/store.js";
import { usageMeterAbi } from "../../../src/generated/abis.js";
import { reportDigest } from "../../../src/core/report.js";
import { seededRandom } from "../../../src/core/random.js";
import { AgentProcess, killEveryAgent } from "../../helpers/agent-process.js";
import { freePort, type Anvil } from "../../helpers/anvil.js";
import { gatewayProcess, rpcOrderOnAnvil, type RpcOrder } from "../../helpers/rpc-meter.js";

const SEED = process.env.GATEWAY_KILL_SEED
  ? Number(process.env.GATEWAY_KILL_SEED)
  : Math.floor(Math.random() * 2 ** 31);
const KILLS = 6;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("gateway killed at random moments (a real process on anvil)", function () {
  this.timeout(180_000);
  const random = seededRandom(SEED);
  let anvil: Anvil | undefined;
  let o: RpcOrder;
  let dir: string | undefined;
  let gateway: AgentProcess;
  let agent: DeviceAgent;
  let storePath: string;
  let url: string;
  let producing = true;
  let producer: Promise<void> | undefined;

  before(async function () {
    this.timeout(90_000);
    console.log(`      kill seed ${SEED} (GATEWAY_KILL_SEED=${SEED} repeats this schedule)`);
    ({ anvil, o } = await rpcOrderOnAnvil(SEED));
    dir = mkdtempSync(join(tmpdir(), "gateway-kill-"));
    storePath = join(dir, "gateway.sqlite");
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    gateway = gatewayProcess(o, anvil.url, { store: storePath, port, depth: 2, intervalMs: 300 });
    agent = new DeviceAgent({
      store: new DeviceStore({ path: join(dir, "device.sqlite") }),
      domain: o.domain,
      deviceKey: o.device,
      inspectorKey: o.inspector,
    });
    agent.addOrder({ orderId: o.orderId, licenseIds: [], since: o.openedAt });
  });

  after(async function () {
    producing = false;
    await producer;
    await killEveryAgent([gateway].filter((g) => g !== undefined));
    agent?.store.close();
    await anvil?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") console.log(gateway.diagnostics());
  });

  /** The machine works in real time (a part a second); the agent reports at the chain's time and sends. */
  function produce(): Promise<void> {
    const machine = new MachineSimulator(
      { cycleSeconds: 1, handlingSeconds: 0, licensedShare: 0, licenseId: 0, inspectEvery: 4 },
      o.openedAt,
      SEED,
    );
    return (async () => {
      while (producing) {
        const now = Number((await o.chain.publicClient.getBlock({ blockTag: "latest" })).timestamp);
        agent.record(o.orderId, machine.run(now));
        await agent.cutAll([o.orderId], now);
        await agent.send(url);
        await sleep(150 + random() * 250);
      }
    })();
  }

  /** Every report the device has an acknowledgement for, with its digest. */
  function acknowledged(): { kind: number; sequence: number; digest: string }[] {
    return agent.store
      .reports(o.orderId)
      .filter((r) => r.acknowledged)
      .map((r) => ({
        kind: r.stream,
        sequence: r.signed.report.sequence,
        digest: reportDigest(o.domain, r.signed.report),
      }));
  }

  function expectStoreCoversAcks(when: string): void {
    const store = new GatewayStore({ path: storePath });
    try {
      for (const ack of acknowledged()) {
        const row = store.find(o.orderId, ack.kind as 0 | 1, ack.sequence);
        expect(
          row?.digest,
          `${when}: acknowledged report ${ack.kind}/${ack.sequence} is not in the gateway's store`,
        ).to.equal(ack.digest);
      }
    } finally {
      store.close();
    }
  }

  it("loses nothing it acknowledged and counts every report exactly once on chain", async function () {
    await gateway.start();
    producer = produce();
    for (let round = 0; round < KILLS; round++) {
      if (random() < 0.5) {
        // Mid-submission: a batch was just sent and is not final yet.
        const sentBefore = gateway.events.filter((e) => e.event === "sent").length;
        await gateway.waitFor(
          (e) => e.event === "sent" && gateway.events.filter((x) => x.event === "sent").indexOf(e) >= sentBefore,
          "a batch sent",
          30_000,
        );
      } else {
        await sleep(300 + random() * 2000);
      }
      await gateway.kill();
      expectStoreCoversAcks(`after kill ${round + 1}`);
      await sleep(random() * 1500);
      const ready = await gateway.start();
      expect(Number(ready.stored)).to.be.at.least(acknowledged().length);
    }
    producing = false;
    await producer;
    // Everything the device signed reaches the gateway and becomes final.
    for (let i = 0; agent.store.unacknowledged().length > 0; i++) {
      if (i > 50) throw new Error("The device could not deliver its reports.");
      await agent.send(url);
      await sleep(200);
    }
    const deadline = Date.now() + 60_000;
    for (;;) {
      const status = (await (await fetch(`${url}/status`)).json()) as Record<string, number>;
      if (status.queued === 0 && status.inFlight === 0) break;
      if (Date.now() > deadline) throw new Error(`Reports did not become final: ${JSON.stringify(status)}`);
      await sleep(500);
    }
    await gateway.kill();
    expectStoreCoversAcks("at the end");

    const reports = agent.store.reports(o.orderId);
    const digests = reports.map((r) => reportDigest(o.domain, r.signed.report));
    const store = new GatewayStore({ path: storePath });
    const rows = store.all();
    store.close();
    expect(rows.map((r) => r.digest)).to.have.members(digests);
    expect(rows.filter((r) => r.status === "rejected")).to.deep.equal([]);
    // Sent again after a restart, the meter skipped them; the gateway found the earlier transaction.
    expect(rows.filter((r) => r.status !== "recorded")).to.deep.equal([]);

    const logs = await o.chain.publicClient.getContractEvents({
      address: o.addresses.usageMeter,
      abi: usageMeterAbi,
      eventName: "ReportRecorded",
      args: { orderId: o.orderId },
      fromBlock: 0n,
    });
    const recorded = logs.map((l) => l.args.digest!);
    expect(recorded, "one ReportRecorded per report, none twice").to.have.members(digests);
    expect(recorded).to.have.length(digests.length);
    const meter = await o.meter.meterOf(o.orderId);
    const last = (stream: Stream) =>
      Math.max(0, ...reports.filter((r) => r.stream === stream).map((r) => r.signed.report.sequence));
    expect(meter.deviceSequence).to.equal(last(Stream.Device));
    expect(meter.inspectorSequence).to.equal(last(Stream.Inspector));
    const units = reports.reduce((sum, r) => sum + r.signed.report.units, 0n);
    expect(BigInt(meter.units)).to.equal(units);
    const duplicates = rows.filter((r) => r.reason === "RecordedEarlier").length;
    for (const row of rows)
      expect(recorded.indexOf(row.digest)).to.equal(
        logs.findIndex((l) => l.transactionHash === row.tx && l.args.digest === row.digest),
      );
    const sent = gateway.events.filter((e) => e.event === "sent").length;
    console.log(
      `      ${reports.length} reports, ${gateway.life} restarts, ${sent} batches sent, ` +
        `${duplicates} reports sent again after a restart and skipped as duplicates`,
    );
  });
});
