/*
device-cli.tree: the device agent as a real process (scripts/device-agent.ts) against the gateway as a real
process (scripts/gateway.ts), on anvil on loopback with a block a second.

device agent process
├── when it runs for N reports ─────── it cuts N reports (device and inspector streams), the gateway
│   acknowledges each, stores it and the meter records each exactly once; it exits 0 with "done"
├── when it is started again ───────── it numbers on from its store: each stream's next report is the one
│   after its last, and the meter's sequence numbers follow
├── when asked to prove a reading ──── by its index or by report and position: the proof verifies against
│   the root of a report the meter recorded, signed by the stream's key
├── when the gateway refuses for good what no period cures ─ the refusal is kept in the store with the
│   gateway's words, nothing is signed after it on that stream; the agent exits 1 and says so
└── when the input is bad ──────────── it exits 2 naming the flag or variable and what to do (also a gateway that
    serves another chain or meter than the agent signs for)
*/
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import type { Hex } from "viem";
import { generatePrivateKey } from "viem/accounts";

import { DeviceStore, Stream } from "../../../src/services/device/store.js";
import { reportFromJson } from "../../../src/codec/report-wire.js";
import { usageMeterAbi } from "../../../src/generated/abis.js";
import { ReadingKind, verifyReading, type Reading } from "../../../src/core/readings.js";
import { reportDigest, reportSigner } from "../../../src/core/report.js";
import { AgentProcess, killEveryAgent, runToEnd, type AgentEvent } from "../../helpers/agent-process.js";
import { freePort, type Anvil } from "../../helpers/anvil.js";
import { gatewayProcess, rpcOrderOnAnvil, type RpcOrder } from "../../helpers/rpc-meter.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the device agent (or `script`) to its end, for --prove and bad input, without the test's keys. */
const runAgent = (args: string[], env: Record<string, string | undefined>, script = "scripts/device-agent.ts") =>
  runToEnd(script, args, { DEVICE_KEY: undefined, DEVICE_INSPECTOR_KEY: undefined, ...env });

describe("device agent as a process (scripts/device-agent.ts, against the gateway process on anvil)", function () {
  this.timeout(120_000);
  let anvil: Anvil | undefined;
  let o: RpcOrder;
  let dir: string | undefined;
  let gateway: AgentProcess;
  let url: string;
  let storePath: string;
  const agents: AgentProcess[] = [];

  before(async function () {
    this.timeout(90_000);
    ({ anvil, o } = await rpcOrderOnAnvil(4242, 2));
    dir = mkdtempSync(join(tmpdir(), "device-cli-"));
    storePath = join(dir, "device.sqlite");
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    gateway = gatewayProcess(o, anvil.url, { store: join(dir, "gateway.sqlite"), port, depth: 1, intervalMs: 200 });
    await gateway.start();
  });

  after(async function () {
    await killEveryAgent([gateway, ...agents].filter((a) => a !== undefined));
    await anvil?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") {
      for (const a of [gateway, ...agents]) console.log(a.diagnostics());
    }
  });

  /**
   * The device agent on an order (default the first, with both keys), a part a second, a report a second;
   * `offline`: without a node (--chain-id), so that it checks nothing before it sends.
   */
  function deviceAgent(
    reports: number,
    options: { orderId?: bigint; deviceKey?: Hex; inspectorKey?: Hex; offline?: boolean } = {},
  ): AgentProcess {
    const env: Record<string, string> = { DEVICE_KEY: options.deviceKey ?? o.deviceKey };
    const inspectorKey = "deviceKey" in options ? options.inspectorKey : o.inspectorKey;
    if (inspectorKey !== undefined) env.DEVICE_INSPECTOR_KEY = inspectorKey;
    const agent = new AgentProcess(
      "device agent",
      "scripts/device-agent.ts",
      () => [
        ...["--gateway", url, "--meter", o.addresses.usageMeter],
        ...(options.offline === true ? ["--chain-id", String(o.domain.chainId)] : ["--rpc-url", anvil!.url]),
        ...["--order", String(options.orderId ?? o.orderId), "--store", storePath, "--speed", "60"],
        ...["--report-every", "1", "--tick-ms", "200", "--reports", String(reports), "--drain", "20s"],
      ],
      env,
    );
    agents.push(agent);
    return agent;
  }

  /** Waits until the gateway has every stored report final. */
  async function gatewaySettled(): Promise<Record<string, number>> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const status = (await (await fetch(`${url}/status`)).json()) as Record<string, number>;
      if (status.queued === 0 && status.inFlight === 0) return status;
      if (Date.now() > deadline)
        throw new Error(`The gateway's reports did not become final: ${JSON.stringify(status)}`);
      await sleep(250);
    }
  }

  async function recordedDigests(orderId: bigint): Promise<Hex[]> {
    const logs = await o.chain.publicClient.getContractEvents({
      address: o.addresses.usageMeter,
      abi: usageMeterAbi,
      eventName: "ReportRecorded",
      args: { orderId },
      fromBlock: 0n,
    });
    return logs.map((l) => l.args.digest!);
  }

  function storedReports(orderId: bigint) {
    const store = new DeviceStore({ path: storePath });
    try {
      return store.reports(orderId);
    } finally {
      store.close();
    }
  }

  const signedOf = (events: AgentEvent[]) => events.filter((e) => e.event === "signed");

  it("sends N reports that the gateway stores and the meter records exactly once, then exits 0", async function () {
    const agent = deviceAgent(5);
    const ready = await agent.start();
    expect(ready).to.include({
      chainId: o.chain.chainId,
      meter: o.addresses.usageMeter,
      registry: o.addresses.machineRegistry,
    });
    // The chain's clock, from the node, checked against the gateway's reading of it.
    const clock = ready.clock as { source: string; chainTime: number; gateway: { chainTime: number } | null };
    expect(clock.source).to.equal("node");
    expect(clock.gateway).to.deep.include({ toleranceSeconds: 60 });
    expect(Math.abs(clock.gateway!.chainTime - clock.chainTime)).to.be.at.most(2);
    // The gateway, given the meter alone, read the registry from it.
    expect(gateway.events.find((e) => e.event === "ready")).to.include({ registry: o.addresses.machineRegistry });
    const orders = ready.orders as { orderId: string; licenseIds: number[]; since: number }[];
    expect(orders).to.have.length(1);
    expect(orders[0]).to.deep.include({
      orderId: o.orderId.toString(),
      licenseIds: [],
      nextDevice: 1,
      nextInspector: 1,
    });
    // The first period starts at the chain's time when the agent first ran, not before the order was opened.
    expect(orders[0]!.since).to.be.at.least(o.openedAt);
    expect(await agent.waitForExit(60_000)).to.equal(0);
    const done = agent.events.find((e) => e.event === "done")!;
    expect(done).to.include({ reason: "reports", signed: 5, acknowledged: 5, refused: 0, unacknowledged: 0 });
    expect(signedOf(agent.events)).to.have.length(5);
    expect(agent.events.filter((e) => e.event === "sent")).to.have.length(5);

    const status = await gatewaySettled();
    expect(status.rejected).to.equal(0);
    const reports = storedReports(o.orderId);
    expect(reports).to.have.length(5);
    expect(reports.every((r) => r.acknowledged)).to.equal(true);
    const digests = reports.map((r) => reportDigest(o.domain, r.signed.report));
    const recorded = await recordedDigests(o.orderId);
    expect(recorded).to.have.members(digests);
    expect(recorded).to.have.length(digests.length);
    const meter = await o.meter.meterOf(o.orderId);
    const last = (stream: Stream) =>
      Math.max(0, ...reports.filter((r) => r.stream === stream).map((r) => r.signed.report.sequence));
    expect(meter.deviceSequence).to.equal(last(Stream.Device));
    expect(meter.inspectorSequence).to.equal(last(Stream.Inspector));
    expect(BigInt(meter.units)).to.equal(reports.reduce((sum, r) => sum + r.signed.report.units, 0n));
  });

  it("numbers on from its store when started again", async function () {
    const before = storedReports(o.orderId);
    const lastOf = (stream: Stream) =>
      Math.max(0, ...before.filter((r) => r.stream === stream).map((r) => r.signed.report.sequence));
    const agent = deviceAgent(3);
    const ready = await agent.start();
    const [order] = ready.orders as { nextDevice: number; nextInspector: number }[];
    expect(order).to.include({ nextDevice: lastOf(Stream.Device) + 1, nextInspector: lastOf(Stream.Inspector) + 1 });
    expect(await agent.waitForExit(60_000)).to.equal(0);
    for (const signed of signedOf(agent.events)) {
      const stream = signed.stream === "device" ? Stream.Device : Stream.Inspector;
      expect(signed.sequence).to.be.greaterThan(lastOf(stream));
    }
    const device = signedOf(agent.events).filter((e) => e.stream === "device");
    expect(device[0]?.sequence).to.equal(lastOf(Stream.Device) + 1);

    await gatewaySettled();
    const reports = storedReports(o.orderId);
    expect(reports).to.have.length(before.length + 3);
    const recorded = await recordedDigests(o.orderId);
    expect(recorded).to.have.members(reports.map((r) => reportDigest(o.domain, r.signed.report)));
    const meter = await o.meter.meterOf(o.orderId);
    expect(meter.deviceSequence).to.equal(
      Math.max(...reports.filter((r) => r.stream === Stream.Device).map((r) => r.signed.report.sequence)),
    );
  });

  it("proves a reading, by index or by report and position, against a report the meter recorded", async function () {
    const recorded = await recordedDigests(o.orderId);
    const device = storedReports(o.orderId).find((r) => r.stream === Stream.Device)!;
    const inspection = storedReports(o.orderId).find((r) => r.stream === Stream.Inspector);
    const specs: [string[], Stream][] = [
      [["--prove", "0"], Stream.Device],
      [["--prove", `${device.signed.report.sequence}:1`], Stream.Device],
    ];
    if (inspection !== undefined) {
      specs.push([["--prove", `${inspection.signed.report.sequence}:0`, "--stream", "inspector"], Stream.Inspector]);
    }
    // One after another: a store has one holder at a time (its exclusive lock), a proof's process too.
    const runs = [];
    for (const [args] of specs)
      runs.push(await runAgent(["--store", storePath, "--order", String(o.orderId), ...args], {}));
    for (const [i, run] of runs.entries()) {
      expect(run.code, run.stderr).to.equal(0);
      const out = JSON.parse(run.stdout) as {
        event: string;
        stream: string;
        reading: { index: string; at: number; kind: number; amount: string; licenseId: number };
        proof: Hex[];
        root: Hex;
        report: unknown;
      };
      expect(out.event).to.equal("proof");
      const reading: Reading = {
        index: BigInt(out.reading.index),
        at: out.reading.at,
        kind: out.reading.kind as Reading["kind"],
        amount: BigInt(out.reading.amount),
        licenseId: out.reading.licenseId,
      };
      expect(verifyReading(out.root, reading, out.proof)).to.equal(true);
      expect(verifyReading(out.root, { ...reading, amount: reading.amount + 1n }, out.proof)).to.equal(false);
      const signed = reportFromJson(out.report);
      expect(signed.report.readingsRoot).to.equal(out.root);
      expect(recorded).to.include(reportDigest(o.domain, signed.report));
      const stream = specs[i]![1];
      expect(out.stream).to.equal(stream === Stream.Device ? "device" : "inspector");
      expect(reading.kind === ReadingKind.Inspection).to.equal(stream === Stream.Inspector);
      expect(await reportSigner(o.domain, signed)).to.equal(
        stream === Stream.Device ? o.device.address : o.inspector.address,
      );
    }
    expect(JSON.parse(runs[0]!.stdout).reading.index).to.equal("0");
  });

  it("keeps a refusal no period cures, signs nothing after it, and exits 1 saying so", async function () {
    // A key no registry knows, on the second order; without a node the agent cannot tell before it sends (its
    // clock then comes from the gateway's GET /clock). No inspector key either: it cuts device reports only.
    const agent = deviceAgent(2, { orderId: o.orderIds[1]!, deviceKey: generatePrivateKey(), offline: true });
    const ready = await agent.start();
    expect(ready.clock).to.deep.include({ source: "gateway" });
    expect(await agent.waitForExit(60_000)).to.equal(1);
    const refused = agent.events.find((e) => e.event === "refused")!;
    expect(refused).to.include({
      orderId: o.orderIds[1]!.toString(),
      stream: "device",
      sequence: 1,
      status: 403,
      reason: "UnknownSigner",
      final: true,
      fate: "stuck",
    });
    expect(String(refused.error)).to.include("no machine's key in the MachineRegistry");
    // The stream does not number on past a report it cannot cure: the agent stops working on the order.
    expect(agent.events.find((e) => e.event === "done")).to.include({
      reason: "stuck",
      signed: 1,
      refused: 1,
      stuck: 1,
      acknowledged: 0,
      unacknowledged: 0,
    });
    expect(signedOf(agent.events).map((e) => e.sequence)).to.deep.equal([1]);
    expect(agent.stderr()).to.include("1 reports stay refused");
    const kept = storedReports(o.orderIds[1]!);
    expect(kept).to.have.length(1);
    expect(kept[0]).to.deep.include({ fate: "stuck", reason: "UnknownSigner" });
    expect(kept[0]!.refusal).to.include("403").and.include("no machine's key");
  });

  describe("when the input is bad", function () {
    const base = () => [
      ...["--gateway", url, "--rpc-url", anvil!.url, "--meter", o.addresses.usageMeter],
      ...["--order", String(o.orderId), "--store", join(dir!, "bad.sqlite")],
    ];
    /** What is wrong, the flags, the environment (a function: the keys exist only once `before` ran), the words. */
    type Env = Record<string, string> | (() => Record<string, string>) | undefined;
    const cases: [string, () => string[], Env, string[]][] = [
      ["no --gateway", () => base().slice(2), undefined, ["--gateway is required"]],
      [
        "a --meter that is no address",
        () => [...base(), "--meter", "0x1234"],
        undefined,
        ["--meter must be an address"],
      ],
      ["an order id of 0", () => [...base(), "--order", "0"], undefined, ["--order takes ids"]],
      ["an unknown flag", () => [...base(), "--speeed", "2"], undefined, ["speeed"]],
      ["no DEVICE_KEY", base, {}, ["Set DEVICE_KEY"]],
      ["an order the meter does not have", () => [...base(), "--order", "999"], undefined, ["no order 999", "--order"]],
      [
        "a --meter that is another contract",
        () => [...base(), "--meter", o.addresses.machineRegistry],
        undefined,
        ["does not answer as a UsageMeter", "check --meter"],
      ],
      [
        "a --registry that is not the meter's",
        () => [...base(), "--registry", o.addresses.token],
        undefined,
        ["--registry names the MachineRegistry", "leave the registry out"],
      ],
      [
        "--licenses other than the tariff's",
        () => [...base(), "--licenses", "7"],
        undefined,
        ["--licenses 7", "names licences none", "leave --licenses out"],
      ],
      [
        "a device key no machine has",
        base,
        () => ({ DEVICE_KEY: generatePrivateKey() }),
        ["no machine's key in the MachineRegistry", "register-machine --keys"],
      ],
      [
        "the machine's inspector key as its device key",
        base,
        () => ({ DEVICE_KEY: o.inspectorKey }),
        ["The device key", "is registered as an inspector key"],
      ],
      [
        "the machine's device key as the inspector key",
        base,
        () => ({ DEVICE_KEY: o.deviceKey, DEVICE_INSPECTOR_KEY: o.deviceKey }),
        ["The inspector key", "is registered as a device key"],
      ],
      [
        "a --report-every below a second",
        () => [...base(), "--report-every", "0"],
        undefined,
        ["--report-every must be at least 1 s"],
      ],
      [
        "a --profile it does not know",
        () => [...base(), "--profile", "lathe"],
        undefined,
        ["--profile must be one of laser-cutter, press-brake"],
      ],
      [
        "a gateway that serves another chain than the one signed for",
        () => [
          ...["--gateway", url, "--chain-id", "999", "--meter", o.addresses.usageMeter],
          ...["--order", String(o.orderId), "--store", join(dir!, "bad.sqlite")],
        ],
        undefined,
        ["serves the meter", "on chain 31337", "on chain 999", "check --gateway and --meter"],
      ],
      [
        "--prove on a store that does not exist",
        () => ["--store", join(dir!, "none.sqlite"), "--order", "1", "--prove", "0"],
        undefined,
        ["there is no device store"],
      ],
    ];
    it("the gateway, too, exits 2 saying where the deployment must come from", async function () {
      const store = ["--store", join(dir!, "bad-gateway.sqlite"), "--port", "0"];
      const wrongRegistryFile = join(dir!, "wrong-registry.json");
      const other = o.addresses.token;
      writeFileSync(
        wrongRegistryFile,
        JSON.stringify({
          ...{ consortium: other, token: other, gateway: other, licenseRegistry: other, machineRegistry: other },
          ...{ usageMeter: o.addresses.usageMeter, readingVerifier: other, paymentChannels: other },
        }),
      );
      const env = { GATEWAY_RELAYER_KEY: o.relayerKey };
      const gatewayCases: [string, string[], string[]][] = [
        [
          "neither --addresses nor --meter",
          [...store, "--registry", o.addresses.machineRegistry],
          ["--addresses FILE"],
        ],
        [
          "an --addresses file that is not there",
          [...store, "--addresses", join(dir!, "none.json")],
          ["Cannot read the addresses file", "none.json"],
        ],
        [
          "a --registry that is not the meter's",
          [...store, "--meter", o.addresses.usageMeter, "--registry", o.addresses.token],
          ["--registry names the MachineRegistry", o.addresses.token, "leave the registry out"],
        ],
        [
          "an --addresses file whose registry is not the meter's",
          [...store, "--addresses", wrongRegistryFile],
          ["the addresses file's machineRegistry names the MachineRegistry", o.addresses.token],
        ],
      ];
      for (const [what, args, words] of gatewayCases) {
        const run = await runAgent(["--rpc-url", anvil!.url, ...args], env, "scripts/gateway.ts");
        expect(run.code, `${what}: ${run.stderr}`).to.equal(2);
        for (const word of words) expect(run.stderr, what).to.include(word);
        expect(run.stderr, what).to.include("Usage:");
      }
    });

    it("exits 2 with a message naming the flag and what to do, and the usage", async function () {
      // Four at a time: each is a Node process loading TypeScript, on a machine of two cores.
      const runs: Awaited<ReturnType<typeof runAgent>>[] = [];
      for (let i = 0; i < cases.length; i += 4) {
        runs.push(
          ...(await Promise.all(
            cases
              .slice(i, i + 4)
              .map(([, args, env]) =>
                runAgent(args(), typeof env === "function" ? env() : (env ?? { DEVICE_KEY: o.deviceKey })),
              ),
          )),
        );
      }
      for (const [i, run] of runs.entries()) {
        const [what, , , words] = cases[i]!;
        expect(run.code, `${what}: ${run.stderr}`).to.equal(2);
        for (const word of words) expect(run.stderr, what).to.include(word);
        expect(run.stderr, what).to.include("Usage:");
        expect(run.stdout, what).to.equal("");
      }
    });
  });
});
