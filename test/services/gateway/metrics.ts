/*
metrics.tree: what the gateway shows of itself (src/services/gateway/server.ts, submitter.ts), in process, against a
stand-in for the node.

GET /metrics
├── after reports stored and refused ───── Prometheus text: accepted by outcome, refused by reason, the backlog,
│   the node reachable; one registry per gateway (two in one process keep apart)
└── GET /status ───────────────────────── the same counters as JSON, and the node's state
when the node stops answering
├── the submitter's rounds ─────────────── fail, and are tried again at a growing pause
├── /status and /metrics ───────────────── show it unreachable, since when, how many attempts failed
└── the log ────────────────────────────── says it once when it starts, once when it ends
*/
import { expect } from "chai";
import { getAddress, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { Reachability, sleep } from "../../../src/chain/poll.js";
import type { Wallet } from "../../../src/chain/transact.js";
import { ContractChainView } from "../../../src/services/gateway/chain.js";
import { Ingest } from "../../../src/services/gateway/ingest.js";
import { serveGateway, type GatewayServer } from "../../../src/services/gateway/server.js";
import { GatewayStore } from "../../../src/services/gateway/store.js";
import { Submitter } from "../../../src/services/gateway/submitter.js";
import { oneDeviceNode } from "../../helpers/gateway-node.js";
import { scrape } from "../../helpers/metrics.js";

const { DOMAIN, countingNode, signed } = oneDeviceNode();

describe("gateway metrics and node outages", function () {
  this.timeout(30_000);
  let node: ReturnType<typeof countingNode>;
  let store: GatewayStore;
  let submitter: Submitter;
  let reachability: Reachability;
  let served: GatewayServer;
  const said: string[] = [];

  beforeEach(async function () {
    node = countingNode();
    said.length = 0;
    store = new GatewayStore({ path: ":memory:" });
    const chain = new ContractChainView({
      publicClient: node.client,
      machineRegistry: getAddress("0x0000000000000000000000000000000000000001"),
      usageMeter: DOMAIN.meter,
    });
    const ingest = new Ingest({ store, chain, domain: DOMAIN });
    reachability = new Reachability("the node", {
      down: () => said.push("down"),
      up: (failures) => said.push(`up after ${failures}`),
    });
    submitter = new Submitter({
      store,
      publicClient: node.client,
      wallet: { account: privateKeyToAccount(generatePrivateKey()) } as unknown as Wallet,
      usageMeter: DOMAIN.meter,
      node: reachability,
      log: (line) => said.push(line),
    });
    served = await serveGateway({ ingest, store, submitter, node: reachability });
  });

  afterEach(async function () {
    await submitter.stop();
    await served.close();
    store.close();
  });

  const post = (reports: unknown[]) =>
    fetch(`${served.url}/reports`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ reports }),
    });

  it("serves Prometheus text: accepted by outcome, refused by reason, the backlog, the node reachable", async function () {
    const good = signed();
    await post([good, good, signed({ sequence: 2, periodStart: 0 }), signed({}, generatePrivateKey() as Hex)]);
    const { samples, types } = await scrape(served.url);
    expect(samples.get('gateway_reports_accepted_total{outcome="stored"}')).to.equal(1);
    expect(samples.get('gateway_reports_accepted_total{outcome="already_stored"}')).to.equal(1);
    const refused = [...samples].filter(([name]) => name.startsWith("gateway_reports_refused_total{"));
    expect(refused.reduce((sum, [, n]) => sum + n, 0)).to.equal(2);
    expect(samples.get('gateway_reports_refused_total{reason="UnknownSigner"}')).to.equal(1);
    expect(samples.get("gateway_backlog_reports")).to.equal(1);
    expect(samples.get("gateway_in_flight_reports")).to.equal(0);
    expect(samples.get("gateway_node_reachable")).to.equal(1);
    expect(samples.get("gateway_batches_total")).to.equal(0);
    expect(types.get("gateway_reports_accepted_total")).to.equal("counter");
    expect(types.get("gateway_backlog_reports")).to.equal("gauge");
    const status = (await (await fetch(`${served.url}/status`)).json()) as Record<string, unknown>;
    expect(status).to.deep.include({ received: 4, stored: 1, alreadyStored: 1, queued: 1 });
    expect(status.node).to.deep.include({ reachable: true, failures: 0 });
  });

  it("keeps two gateways' metrics apart in one process (a registry each)", async function () {
    const other = new GatewayStore({ path: ":memory:" });
    const ingest = new Ingest({
      store: other,
      chain: new ContractChainView({
        publicClient: node.client,
        machineRegistry: DOMAIN.meter,
        usageMeter: DOMAIN.meter,
      }),
      domain: DOMAIN,
    });
    const second = await serveGateway({ ingest, store: other });
    try {
      await post([signed()]);
      expect((await scrape(served.url)).samples.get('gateway_reports_accepted_total{outcome="stored"}')).to.equal(1);
      expect((await scrape(second.url)).samples.get('gateway_reports_accepted_total{outcome="stored"}')).to.equal(0);
    } finally {
      await second.close();
      other.close();
    }
  });

  it("shows an outage of the node in /status and /metrics, and says it once in the log and its end once", async function () {
    submitter.start(20);
    await sleep(100);
    expect(said).to.deep.equal([]);
    node.down.now = true;
    await sleep(600);
    const during = (await (await fetch(`${served.url}/status`)).json()) as { node: Record<string, unknown> };
    expect(during.node).to.deep.include({ reachable: false });
    expect(during.node.failures).to.be.within(2, 10, "tried again, at a growing pause (20, 40, 80, ... ms)");
    expect(String(during.node.error)).to.include("HTTP request failed");
    expect((await scrape(served.url)).samples.get("gateway_node_reachable")).to.equal(0);
    node.down.now = false;
    const deadline = Date.now() + 5000;
    while (!reachability.reachable && Date.now() < deadline) await sleep(20);
    await sleep(100);
    expect(said).to.have.length(2);
    expect(said[0]).to.equal("down");
    expect(said[1]).to.match(/^up after \d+$/);
    expect((await scrape(served.url)).samples.get("gateway_node_reachable")).to.equal(1);
  });
});
