/*
lifecycle.tree: the payer and payee agents as long-running processes (scripts/channel-payer.ts,
scripts/channel-payee.ts) on anvil: what they show, how they start and how they stop.

payer and payee processes
├── while parts are paid ────────────────────────── both serve GET /status and GET /metrics (Prometheus: vouchers,
│   payments by outcome, the node and the payer reachable)
├── once the job is done ───────────────────────── the payee says "done" and exits 0 (it does not run on)
├── when the device key is not the machine's ────── the payee does not start: exit 2 naming the key
├── when a second payer is given the same store ─── it does not start: exit 2 naming the holder
├── on a refusal that asking again cannot change ── (a payee store behind the payer's: out of sequence) the payee
│   says it once and exits 2; it does not ask again and again
└── on SIGTERM ─────────────────────────────────── the payer stops cleanly (exit 0, "stopped"): its port is free, its
    store opens
*/
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { generatePrivateKey } from "viem/accounts";

import { PayerStore } from "../../../src/services/channels/store.js";
import { AgentProcess, killEveryAgent, runToEnd } from "../../helpers/agent-process.js";
import { freePort, startAnvil, type Anvil } from "../../helpers/anvil.js";
import { scrape } from "../../helpers/metrics.js";
import { rpcChannel, type RpcChannel } from "../../helpers/rpc-channels.js";

describe("channel agents as long-running processes (on anvil)", function () {
  this.timeout(120_000);
  let anvil: Anvil | undefined;
  let c: RpcChannel;
  let dir: string | undefined;
  let payerPort: number;
  let common: string[];
  const agents: AgentProcess[] = [];

  before(async function () {
    this.timeout(60_000);
    anvil = await startAnvil(["--hardfork", "prague", "--disable-code-size-limit"]);
    c = await rpcChannel(anvil.url, 77);
    await c.test.setAutomine(false);
    await c.test.setIntervalMining({ interval: 1 });
    dir = mkdtempSync(join(tmpdir(), "channels-lifecycle-"));
    payerPort = await freePort();
    common = [
      ...["--rpc-url", anvil.url, "--channels", c.addresses.paymentChannels],
      ...["--registry", c.addresses.machineRegistry, "--nonce", c.key.nonce.toString()],
      ...["--machine", c.machineId.toString()],
    ];
  });

  after(async function () {
    await killEveryAgent(agents);
    await anvil?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") for (const agent of agents) console.log(agent.diagnostics());
  });

  const payerArgs = (store: string) => [
    ...common,
    ...["--payee", c.payee.account.address, "--store", join(dir!, store), "--port", String(payerPort)],
  ];
  const payeeArgs = (store: string, parts: number) => [
    ...common,
    ...["--payer", c.payer.account.address, "--payer-url", `http://127.0.0.1:${payerPort}`],
    ...["--store", join(dir!, store), "--port", "0", "--tick-ms", "200", "--parts", String(parts)],
    ...["--watch-ms", "500"],
  ];
  const payerEnv = () => ({ CHANNEL_PAYER_KEY: c.payer.key });
  const payeeEnv = (deviceKey = c.deviceKey) => ({ CHANNEL_PAYEE_KEY: c.payee.key, CHANNEL_DEVICE_KEY: deviceKey });
  let payer: AgentProcess;

  it("serve /status and /metrics while parts are paid; the payee exits 0 once the job is done", async function () {
    payer = new AgentProcess("payer", "scripts/channel-payer.ts", () => payerArgs("payer.sqlite"), payerEnv());
    const payee = new AgentProcess("payee", "scripts/channel-payee.ts", () => payeeArgs("payee.sqlite", 6), payeeEnv());
    agents.push(payer, payee);
    const payerReady = await payer.start();
    const payeeReady = await payee.start();
    await payee.waitFor((e) => e.event === "acknowledged" && Number(e.sequence) >= 3, "three parts paid");
    const paid = await scrape(String(payerReady.url));
    expect(paid.samples.get("payer_vouchers_total")).to.be.at.least(3);
    expect(paid.samples.get("payer_node_reachable")).to.equal(1);
    expect(paid.types.get("payer_vouchers_total")).to.equal("counter");
    const payerStatus = (await (await fetch(`${payerReady.url}/status`)).json()) as Record<string, unknown>;
    expect(payerStatus).to.include({ channelId: c.channelId });
    expect(payerStatus.sequence).to.be.at.least(3);
    const got = await scrape(String(payeeReady.url));
    expect(got.samples.get('payee_payments_total{outcome="acknowledged"}')).to.be.at.least(3);
    expect(got.samples.get("payee_payer_reachable")).to.equal(1);
    expect(got.samples.get("payee_node_reachable")).to.equal(1);
    expect(got.types.get("payee_vouchers_unclaimed")).to.equal("gauge");
    const payeeStatus = (await (await fetch(`${payeeReady.url}/status`)).json()) as Record<string, unknown>;
    expect(payeeStatus).to.include({ channelId: c.channelId, closing: false });
    expect(payeeStatus.payer).to.deep.include({ reachable: true });
    expect(await payee.waitForExit(60_000)).to.equal(0);
    const done = payee.events.find((e) => e.event === "done")!;
    expect(done).to.include({ sequence: 6 });
    expect(payee.events.at(-1)?.event).to.equal("stopped");
  });

  it("the payee does not start with a device key that is not the machine's: exit 2 naming the key", async function () {
    const run = await runToEnd(
      "scripts/channel-payee.ts",
      payeeArgs("other.sqlite", 1),
      payeeEnv(generatePrivateKey()),
    );
    expect(run.code, run.stderr).to.equal(2);
    expect(run.stderr).to.include("is no machine's key").and.include(`not a device key of machine ${c.machineId}`);
    expect(run.stderr).to.include("CHANNEL_DEVICE_KEY");
  });

  it("a second payer on the same store does not start: exit 2 naming the holder", async function () {
    const port = await freePort();
    const args = [...payerArgs("payer.sqlite").slice(0, -1), String(port)];
    const run = await runToEnd("scripts/channel-payer.ts", args, payerEnv());
    expect(run.code, run.stderr).to.equal(2);
    expect(run.stderr).to.include(`${join(dir!, "payer.sqlite")} is in use by channel-payer.ts (pid `);
  });

  it("the payee stops on a refusal asking again cannot change (out of sequence), saying it once: exit 2", async function () {
    // A payee store that lost what it was paid: its first increment is one the payer paid long ago.
    const behind = new AgentProcess(
      "payee (behind)",
      "scripts/channel-payee.ts",
      () => payeeArgs("lost.sqlite", 20),
      payeeEnv(),
    );
    agents.push(behind);
    await behind.start();
    expect(await behind.waitForExit(30_000)).to.equal(2);
    const refused = behind.events.filter((e) => e.event === "refused");
    expect(refused).to.have.length(1);
    expect(String(refused[0]!.reason)).to.include("out of sequence");
    expect(behind.events.filter((e) => e.event === "waiting" || e.event === "acknowledged")).to.deep.equal([]);
    expect(behind.stderr()).to.include("Asking again cannot change that");
  });

  it("the payer stops cleanly on SIGTERM: exit 0, its port free, its store opens", async function () {
    expect(await payer.terminate()).to.equal(0);
    expect(payer.events.at(-1)?.event).to.equal("stopped");
    const probe = createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once("error", reject);
      probe.listen(payerPort, "127.0.0.1", () => resolve());
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    new PayerStore({ path: join(dir!, "payer.sqlite") }).close();
  });
});
