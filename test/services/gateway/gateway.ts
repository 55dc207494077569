/*
gateway.tree: the gateway (src/services/gateway/) on the in-process network, fed by device agents over HTTP.

POST /reports
├── when a device and its inspector send reports ────────── each is checked, stored (201) and only then answered;
│   the very same report again is answered 200 "already stored" and stored once
├── when a report is wrong ──────────────────────────────── a 4xx naming what is wrong, nothing stored:
│   malformed field (400), bad signature (400), unknown key (403), unknown order (404), another machine's key
│   (403), period ends before it starts / in the future / device signs inspections / too many seconds (422),
│   another report under a stored number (409 SequenceTaken), a number skipped (409 SequenceGap), closed order (409)
├── when reports of a stream arrive out of order together ─ each waits for its predecessor (briefly), all are stored
├── when the gateway refuses a report for good ──────────── the agent keeps the refusal and does not send it again
└── GET /status ─────────────────────────────────────────── received, stored, refused by reason, submitted,
    confirmed, rejected by reason
submitter
├── when reports are stored ─────────────────────────────── batches sized to the gas budget; outcomes recorded once
│   the transaction is `depth` blocks deep (not before); the meter counts each report once
├── when the transaction's block leaves the chain (reorg) ─ its reports are queued again and recorded once
├── when the gateway restarts after sending ─────────────── it sends again blindly; the meter skips them as duplicates,
│   nothing counts twice; each is "recorded" by the earlier transaction (reason RecordedEarlier)
└── when the meter refuses a stored report (order closed since) ── rejected with the meter's reason
*/
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { network } from "hardhat";
import { parseEventLogs, type Hex } from "viem";
import { generatePrivateKey } from "viem/accounts";

import { KeyKind } from "../../../src/core/listing.js";
import { DeviceAgent, LASER_CUTTER, MachineSimulator, Stream } from "../../../src/services/device/agent.js";
import { DeviceStore } from "../../../src/services/device/store.js";
import { ContractChainView } from "../../../src/services/gateway/chain.js";
import { Ingest } from "../../../src/services/gateway/ingest.js";
import { serveGateway, type GatewayServer } from "../../../src/services/gateway/server.js";
import { GatewayStore } from "../../../src/services/gateway/store.js";
import { Submitter } from "../../../src/services/gateway/submitter.js";
import { ReportSigner } from "../../../src/crypto/report-digest.js";
import { reportToJson } from "../../../src/codec/report-wire.js";
import { usageMeterAbi } from "../../../src/generated/abis.js";
import type { SignedReport } from "../../../src/core/report.js";
import { bookedFixture, type Booked } from "../../helpers/gateway.js";

const connection = await network.create();
const { networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;
const booked = bookedFixture(connection);

describe("gateway", function () {
  this.timeout(120_000);
  let dir: string;
  let f: Booked;
  let store: GatewayStore;
  let ingest: Ingest;
  let served: GatewayServer;
  let agent: DeviceAgent;
  let machine: MachineSimulator;
  const lines: string[] = [];

  async function startGateway(path = join(dir, "gateway.sqlite")): Promise<void> {
    store = new GatewayStore({ path });
    const chainView = new ContractChainView({
      publicClient: f.chain.publicClient,
      machineRegistry: f.registryAddress,
      usageMeter: f.meterAddress,
      ttlMs: 0,
    });
    ingest = new Ingest({
      store,
      chain: chainView,
      domain: f.domain,
      gapWaitMs: 200,
    });
    served = await serveGateway({ ingest, store });
  }

  function submitter(options: Partial<ConstructorParameters<typeof Submitter>[0]> = {}): Submitter {
    return new Submitter({
      store,
      publicClient: f.chain.publicClient,
      wallet: f.chain.wallet(f.chain.accounts[9]!),
      usageMeter: f.meterAddress,
      log: (line) => lines.push(line),
      ...options,
    });
  }

  /** The machine works for `seconds` more; the agent cuts a report of each stream at the chain's time. */
  async function work(seconds: number): Promise<SignedReport[]> {
    await time.increase(seconds);
    const now = await time.latest();
    agent.record(f.orderId, machine.run(now));
    return agent.cutAll([f.orderId], now);
  }

  const post = async (body: unknown) => {
    const response = await fetch(`${served.url}/reports`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeEach(async function () {
    f = await loadFixture(booked);
    dir = mkdtempSync(join(tmpdir(), "gateway-"));
    lines.length = 0;
    await startGateway();
    agent = new DeviceAgent({
      store: new DeviceStore({ path: join(dir, "device.sqlite") }),
      domain: f.domain,
      deviceKey: f.device,
      inspectorKey: f.inspector,
    });
    agent.addOrder({ orderId: f.orderId, licenseIds: [], since: f.openedAt });
    machine = new MachineSimulator({ ...LASER_CUTTER, licensedShare: 0 }, f.openedAt, 11);
  });

  afterEach(async function () {
    await served.close();
    store.close();
    agent.store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe("POST /reports", function () {
    it("stores each report before it answers, and the same report again once only", async function () {
      await work(1800);
      const sent = await agent.send(served.url);
      expect(sent).to.deep.equal({ acknowledged: 2, refused: [] });
      const rows = store.all();
      expect(rows.map((r) => [r.kind, r.sequence, r.status])).to.deep.equal([
        [0, 1, "stored"],
        [1, 1, "stored"],
      ]);
      const again = await post(reportToJson(agent.store.report(f.orderId, Stream.Device, 1)!.signed));
      expect(again.status).to.equal(200);
      expect(again.body.outcome).to.equal("already stored");
      expect(store.all()).to.have.length(2);
      const status = (await (await fetch(`${served.url}/status`)).json()) as Record<string, unknown>;
      expect(status).to.include({ received: 3, stored: 2, alreadyStored: 1, queued: 2, confirmed: 0 });
    });

    it("refuses wrong reports with a 4xx that names what is wrong, and stores none of them", async function () {
      const [good] = await work(1200);
      const base = good!.report;
      // Signed without the agent's own checks, as a faulty or hostile device would.
      const sign = async (fields: Partial<typeof base>, key: Hex = f.deviceKey) =>
        new ReportSigner(f.domain, key).sign({ ...base, ...fields });
      const cases: [string, unknown, number, string, string][] = [
        ["malformed", { ...reportToJson(good!), orderId: "x" }, 400, "MalformedReport", "orderId"],
        [
          "bad signature",
          { ...reportToJson(good!), signature: `0x${"00".repeat(65)}` },
          400,
          "InvalidSignature",
          "not valid",
        ],
        ["unknown key", reportToJson(await sign({}, generatePrivateKey())), 403, "UnknownSigner", "no machine's key"],
        ["unknown order", reportToJson(await sign({ orderId: 99n })), 404, "UnknownOrder", "no order 99"],
        ["another machine", reportToJson(await sign({}, f.otherDeviceKey)), 403, "SignerOfAnotherMachine", "machine 2"],
        [
          "ends before start",
          reportToJson(await sign({ periodStart: base.periodEnd + 1 })),
          422,
          "PeriodEndsBeforeStart",
          "before it starts",
        ],
        [
          "future",
          reportToJson(await sign({ periodEnd: base.periodEnd + 86400 * 400 })),
          422,
          "PeriodInFuture",
          "after the chain's time",
        ],
        [
          "inspections by device",
          reportToJson(await sign({ inspections: 1 })),
          422,
          "CountsNotAllowedForSigner",
          "inspector key",
        ],
        [
          "too many seconds",
          reportToJson(await sign({ machineSeconds: 10n ** 6n })),
          422,
          "MoreSecondsThanThePeriod",
          "do not fit",
        ],
        ["gap", reportToJson(await sign({ sequence: 3 })), 409, "SequenceGap", "next number of this stream is 1"],
      ];
      for (const [what, body, status, reason, words] of cases) {
        const answer = await post(body);
        expect([what, answer.status, answer.body.reason], JSON.stringify(answer.body)).to.deep.equal([
          what,
          status,
          reason,
        ]);
        expect(String(answer.body.error), what).to.contain(words);
      }
      expect(store.all()).to.have.length(0);
      expect((await post(reportToJson(good!))).status).to.equal(201);
      const other = await post(reportToJson(await sign({ units: base.units + 1n })));
      expect([other.status, other.body.reason]).to.deep.equal([409, "SequenceTaken"]);
      await f.meter.connect(f.provider).closeOrder(f.orderId);
      const closed = await post(reportToJson(await sign({ sequence: 2 })));
      expect([closed.status, closed.body.reason]).to.deep.equal([409, "OrderNotOpen"]);
      expect(store.all()).to.have.length(1);
      expect(ingest.counters.refused).to.include({
        SequenceTaken: 1,
        OrderNotOpen: 1,
        SequenceGap: 1,
        UnknownSigner: 1,
      });
    });

    it("stores reports of a stream that arrive out of order together, each once its predecessor is stored", async function () {
      await work(600);
      await work(600);
      const device = agent.store.reports(f.orderId).filter((r) => r.stream === Stream.Device);
      const answer = await post({ reports: [device[1]!.signed, device[0]!.signed].map(reportToJson) });
      expect((answer.body.results as { status: number }[]).map((r) => r.status)).to.deep.equal([201, 201]);
      expect(store.all().map((r) => r.sequence)).to.deep.equal([1, 2]);
    });

    it("the agent keeps a refusal for good and stops sending that report; counters in both", async function () {
      await work(1200);
      await f.meter.connect(f.provider).closeOrder(f.orderId);
      const sent = await agent.send(served.url);
      expect(sent.acknowledged).to.equal(0);
      expect(sent.refused.map((r) => r.status)).to.deep.equal(sent.refused.map(() => 409));
      expect(agent.store.unacknowledged()).to.deep.equal([]);
      expect(agent.store.reports(f.orderId).every((r) => r.refusal?.includes("closed") === true)).to.equal(true);
      expect((await agent.send(served.url)).refused).to.deep.equal([]);
      expect(agent.counters).to.deep.include({ signed: sent.refused.length, acknowledged: 0 });
      expect(agent.counters.refused).to.deep.equal({ OrderNotOpen: sent.refused.length });
    });

    it("the agent keeps its reports while the gateway is down, says so once, and sends them when it answers", async function () {
      const said: string[] = [];
      const talking = new DeviceAgent({
        store: agent.store,
        domain: f.domain,
        deviceKey: f.device,
        inspectorKey: f.inspector,
        log: (line) => said.push(line),
      });
      await work(1200);
      const down = "http://127.0.0.1:9"; // the discard port: nothing listens
      for (let attempt = 0; attempt < 3; attempt++) {
        expect(await talking.send(down)).to.deep.equal({ acknowledged: 0, refused: [] });
      }
      expect(talking.counters.sendFailures).to.equal(3);
      expect(said.filter((line) => line.includes("cannot reach the gateway"))).to.have.length(1);
      expect(said[0]).to.include("2 report(s) wait in the store");
      expect(agent.store.unacknowledged()).to.have.length(2);
      expect(await talking.send(served.url)).to.deep.equal({ acknowledged: 2, refused: [] });
      expect(said.at(-1)).to.include("answers again (after 3 failed attempt(s)");
      expect(agent.store.unacknowledged()).to.deep.equal([]);
    });
  });

  describe("submitter", function () {
    it("sends batches within the gas budget and records outcomes once the transaction is deep enough", async function () {
      let device = 0;
      let inspector = 0;
      for (let i = 0; i < 6; i++) {
        for (const signed of await work(900)) {
          if (signed.report.inspections > 0) inspector += 1;
          else device += 1;
        }
      }
      await agent.send(served.url);
      const n = device + inspector;
      expect(device).to.equal(6);
      expect(store.all()).to.have.length(n);
      // A budget of about five reports per batch.
      const latest = await f.chain.publicClient.getBlock();
      const s = submitter({ depth: 4, blockShare: (60_000 + 5 * 35_000) / Number(latest.gasLimit) });
      expect(await s.submit()).to.equal(n);
      expect(s.counters.batches).to.be.within(Math.ceil(n / 6), Math.ceil(n / 4));
      await s.track();
      expect(store.counts().byStatus.submitted).to.equal(n);
      await networkHelpers.mine(2);
      await s.track();
      const { recorded, submitted } = store.counts().byStatus;
      expect(recorded).to.be.above(0);
      expect(submitted).to.be.above(0);
      await networkHelpers.mine(1);
      await s.track();
      const rows = store.all();
      expect(rows.every((r) => r.status === "recorded" && r.charge !== null && r.charge > 0n)).to.equal(true);
      const meter = await f.meter.meterOf(f.orderId);
      expect([meter.deviceSequence, meter.inspectorSequence]).to.deep.equal([6n, BigInt(inspector)]);
      const status = (await (await fetch(`${served.url}/status`)).json()) as Record<string, unknown>;
      expect(status).to.include({ stored: n, confirmed: n, recorded: n, queued: 0 });
    });

    it("re-submits the reports of a transaction whose block left the chain, and they count once", async function () {
      await work(900);
      await work(900);
      await agent.send(served.url);
      const n = store.all().length;
      const inspections = store.all().filter((r) => r.kind === KeyKind.Inspector).length;
      const snapshot = await networkHelpers.takeSnapshot();
      const s = submitter({ depth: 2 });
      await s.submit();
      await s.track();
      expect(store.counts().byStatus.submitted).to.equal(n);
      // A reorg: the chain goes back before the transaction and grows another way.
      await snapshot.restore();
      const [tx] = store.inFlight().keys();
      await connection.provider.request({ method: "hardhat_dropTransaction", params: [tx] });
      await networkHelpers.mine(3);
      await s.track();
      expect(store.counts().byStatus.stored).to.equal(n);
      expect(lines.join("\n")).to.match(/no longer (known|in the canonical chain)/);
      await s.tick();
      await networkHelpers.mine(1);
      await s.tick();
      expect(store.counts().byStatus.recorded).to.equal(n);
      const meter = await f.meter.meterOf(f.orderId);
      expect([meter.deviceSequence, meter.inspectorSequence]).to.deep.equal([2n, BigInt(inspections)]);
    });

    it("after a restart sends again blindly; the meter skips them as duplicates, they count once, as recorded earlier", async function () {
      await work(1200);
      await agent.send(served.url);
      await submitter().submit();
      const charged = (await f.meter.meterOf(f.orderId)).available;
      // The gateway dies before it saw the outcome; it starts again from its store.
      await served.close();
      store.close();
      await startGateway();
      const s = submitter();
      expect(s.recover()).to.equal(2);
      await s.tick();
      await s.tick();
      // The meter skipped them as duplicates; they were recorded by the transaction sent before the restart.
      const first = (
        await f.chain.publicClient.getContractEvents({
          address: f.meterAddress,
          abi: usageMeterAbi,
          eventName: "ReportRecorded",
          fromBlock: 0n,
        })
      )[0]!.transactionHash;
      expect(store.all().map((r) => [r.status, r.reason, r.tx])).to.deep.equal([
        ["recorded", "RecordedEarlier", first],
        ["recorded", "RecordedEarlier", first],
      ]);
      expect(s.counters.batches).to.equal(1);
      expect((await f.meter.meterOf(f.orderId)).available).to.equal(charged);
      const logs = await f.chain.publicClient.getContractEvents({
        address: f.meterAddress,
        abi: usageMeterAbi,
        eventName: "ReportRecorded",
        fromBlock: 0n,
      });
      expect(logs.map((l) => l.args.digest)).to.have.members(store.all().map((r) => r.digest));
    });

    it("records the meter's reason when it rejects a stored report", async function () {
      await work(1200);
      await agent.send(served.url);
      await f.meter.connect(f.provider).closeOrder(f.orderId);
      const s = submitter();
      await s.tick();
      await s.tick();
      expect(store.all().map((r) => [r.status, r.reason])).to.deep.equal([
        ["rejected", "OrderNotOpen"],
        ["rejected", "OrderNotOpen"],
      ]);
      expect(store.counts().rejectedByReason).to.deep.equal({ OrderNotOpen: 2 });
      const receipt = await f.chain.publicClient.getTransactionReceipt({ hash: store.all()[0]!.tx! });
      expect(parseEventLogs({ abi: usageMeterAbi, logs: receipt.logs, eventName: "ReportRejected" })).to.have.length(2);
    });
  });
});
