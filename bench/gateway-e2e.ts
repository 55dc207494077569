/**
 * The end-to-end rate from device to confirmed on-chain charge (`throughput.gateway.endToEnd`), on an
 * out-of-process node: anvil on loopback mining a block a second (as a QBFT chain does), the UsageMeter
 * deployed, `ORDERS` orders on one machine. A device agent signs `REPORTS` usage reports over raw readings
 * of the past hour and sends them to the gateway over HTTP; the gateway stores them, submits them in
 * batches sized to the block gas limit and follows them to one confirmation. The rate is the reports
 * confirmed (each with its charge recorded) per second of wall time from the first POST to the last outcome.
 *
 *   npx hardhat run bench/gateway-e2e.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { DeviceAgent, MachineSimulator, Stream } from "../src/services/device/agent.js";
import { DeviceStore } from "../src/services/device/store.js";
import { ContractChainView } from "../src/services/gateway/chain.js";
import { Ingest } from "../src/services/gateway/ingest.js";
import { serveGateway } from "../src/services/gateway/server.js";
import { GatewayStore } from "../src/services/gateway/store.js";
import { Submitter } from "../src/services/gateway/submitter.js";
import { startAnvil } from "../test/helpers/anvil.js";
import { rpcOrder } from "../test/helpers/rpc-meter.js";

const ORDERS = 20;
const REPORTS_PER_ORDER = 100;
/** Seconds of machine time per report. */
const SLICE = 30;

export interface GatewayEndToEnd {
  "gateway.endToEnd": number;
}

export async function measureGatewayEndToEnd(log: (line: string) => void = () => {}): Promise<GatewayEndToEnd> {
  const anvil = await startAnvil(["--hardfork", "prague"]);
  const dir = mkdtempSync(join(tmpdir(), "gateway-e2e-"));
  try {
    const o = await rpcOrder(anvil.url, 1, ORDERS);
    // The machine worked for the past REPORTS_PER_ORDER slices.
    await o.test.increaseTime({ seconds: REPORTS_PER_ORDER * SLICE + 60 });
    await o.test.mine({ blocks: 1 });
    const agent = new DeviceAgent({
      store: new DeviceStore({ path: join(dir, "device.sqlite") }),
      domain: o.domain,
      deviceKey: o.device,
    });
    for (const [i, orderId] of o.orderIds.entries()) {
      agent.addOrder({ orderId, licenseIds: [], since: o.openedAt });
      const machine = new MachineSimulator(
        { cycleSeconds: 12, handlingSeconds: 3, licensedShare: 0, licenseId: 0, inspectEvery: 0 },
        o.openedAt,
        i + 1,
      );
      for (let slice = 1; slice <= REPORTS_PER_ORDER; slice++) {
        const end = o.openedAt + slice * SLICE;
        agent.record(orderId, machine.run(end));
        await agent.cutReport(orderId, Stream.Device, end);
      }
    }
    const total = agent.store.unacknowledged().length;
    log(`${total} reports signed for ${ORDERS} orders; the node now mines a block a second`);
    await o.test.setAutomine(false);
    await o.test.setIntervalMining({ interval: 1 });

    const store = new GatewayStore({ path: join(dir, "gateway.sqlite") });
    const chainView = new ContractChainView({
      publicClient: o.chain.publicClient,
      machineRegistry: o.addresses.machineRegistry,
      usageMeter: o.addresses.usageMeter,
    });
    // The node's clock runs ahead of the wall clock by the hour skipped above; the gateway judges by the node's.
    const ingest = new Ingest({ store, chain: chainView, domain: o.domain });
    const submitter = new Submitter({
      store,
      publicClient: o.chain.publicClient,
      wallet: o.chain.wallet(o.relayerKey),
      usageMeter: o.addresses.usageMeter,
      depth: 1,
      log,
    });
    const served = await serveGateway({ ingest, store, submitter });
    const start = process.hrtime.bigint();
    submitter.start(200);
    let seconds: number;
    try {
      const sent = await agent.send(served.url, 250);
      if (sent.acknowledged !== total) {
        throw new Error(
          `The gateway acknowledged ${sent.acknowledged} of ${total} reports (refused: ${JSON.stringify(ingest.counters.refused)}).`,
        );
      }
      for (;;) {
        const { byStatus } = store.counts();
        if (byStatus.recorded + byStatus.duplicate + byStatus.rejected === total) {
          if (byStatus.recorded !== total)
            throw new Error(`Not every report was recorded: ${JSON.stringify(byStatus)}`);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      seconds = Number(process.hrtime.bigint() - start) / 1e9;
    } finally {
      await submitter.stop();
      await served.close();
      store.close();
      agent.store.close();
    }
    log(`${total} reports confirmed on chain in ${seconds.toFixed(1)} s (${submitter.counters.batches} batches)`);
    return { "gateway.endToEnd": Math.round(total / seconds) };
  } finally {
    await anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Run directly (`hardhat run bench/gateway-e2e.ts`), not when bench/run.ts imports it.
if (process.argv.some((arg) => arg.endsWith("bench/gateway-e2e.ts"))) {
  console.log(JSON.stringify({ throughput: await measureGatewayEndToEnd((line) => console.error(line)) }, null, 2));
}
