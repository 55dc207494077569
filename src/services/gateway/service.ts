/**
 * The gateway as a long-running service: checks at start what it can (the node answers, the meter is a
 * UsageMeter and its registry the one named, the relayer can pay for gas, the store is this gateway's alone,
 * the port is free), then serves reports over HTTP and submits them in batches until its stop signal, after
 * which it finishes the round in progress, closes the server and the store, and logs that it stopped. A node
 * outage shows in GET /status and /metrics, and once in the log when it starts and once when it ends.
 */
import { formatEther, type Address, type Hex } from "viem";

import { Reachability } from "../../chain/poll.js";
import { rpcChain, type RpcChain } from "../../chain/rpc.js";
import { readMeterRegistry } from "../device/chain.js";
import { ServiceRefused, untilAborted, type ServiceContext } from "../runtime/lifecycle.js";
import { logEvent, type Log } from "../runtime/log.js";
import { ContractChainView } from "./chain.js";
import { Ingest } from "./ingest.js";
import { gatewayStatus, serveGateway } from "./server.js";
import { GatewayStore, type Synchronous } from "./store.js";
import { Submitter } from "./submitter.js";

export interface GatewayOptions {
  rpcUrl: string;
  usageMeter: Address;
  /** A MachineRegistry named by the configuration: it must be the meter's. */
  registry?: { address: Address; from: string };
  /** Where to look for a report recorded before a restart. */
  fromBlock: bigint;
  /** The SQLite file (created if missing). */
  store: string;
  synchronous?: Synchronous;
  host?: string;
  /** 0: any free port. */
  port: number;
  depth: number;
  intervalMs: number;
  clockToleranceSeconds: number;
  /** The account that pays for the batches' gas. */
  relayerKey: Hex;
}

/** The relayer must be able to pay for gas, unless the chain charges none. */
async function checkRelayer(chain: RpcChain, relayer: Address): Promise<void> {
  const [gasPrice, balance] = await Promise.all([
    chain.publicClient.getGasPrice(),
    chain.publicClient.getBalance({ address: relayer }),
  ]);
  if (gasPrice > 0n && balance === 0n) {
    throw new ServiceRefused(
      `The relayer ${relayer} holds no ether on chain ${chain.chainId}, where gas costs ${formatEther(gasPrice, "gwei")} ` +
        "gwei: fund it (it pays for every batch), or give GATEWAY_RELAYER_KEY of a funded account.",
    );
  }
}

function nodeOf(url: string, log: Log): Reachability {
  return new Reachability(`the node at ${url}`, {
    down: (error) =>
      log.warn(
        { event: "node-down", node: url, reason: (error as Error).message.split("\n")[0] },
        `the node at ${url} does not answer; reports are kept and sent when it answers again`,
      ),
    up: (failures, downMs) =>
      log.info(
        { event: "node-up", node: url, failures, downSeconds: Math.round(downMs / 1000) },
        `the node at ${url} answers again after ${Math.round(downMs / 1000)} s`,
      ),
  });
}

/** The host's clock against the chain's: said when it is off by more than the tolerance (periods use the chain's). */
async function checkClock(ingest: Ingest, tolerance: number, log: Log) {
  const clock = await ingest.clock();
  if (Math.abs(clock.hostAheadSeconds) > tolerance) {
    log.warn(
      `this host's clock is ${Math.abs(clock.hostAheadSeconds)} s ${clock.hostAheadSeconds > 0 ? "ahead of" : "behind"} ` +
        `the chain's (latest block ${clock.chainTime}); periods are judged by the chain's clock, ending at most ` +
        `${tolerance} s after it`,
    );
  }
  return clock;
}

/** Runs the gateway until `signal` aborts. */
export async function runGateway(options: GatewayOptions, { signal, log }: ServiceContext): Promise<void> {
  const chain = await rpcChain(options.rpcUrl, { pollingMs: 100 });
  const { usageMeter } = options;
  const machineRegistry = await readMeterRegistry(chain.publicClient, usageMeter, options.registry);
  const wallet = chain.wallet(options.relayerKey);
  await checkRelayer(chain, wallet.account.address);
  const store = new GatewayStore({ path: options.store, synchronous: options.synchronous });
  try {
    const chainView = new ContractChainView({ publicClient: chain.publicClient, machineRegistry, usageMeter });
    const tolerance = options.clockToleranceSeconds;
    const domain = { chainId: chain.chainId, meter: usageMeter };
    const ingest = new Ingest({ store, chain: chainView, domain, clockToleranceSeconds: tolerance });
    const clock = await checkClock(ingest, tolerance, log);
    const node = nodeOf(options.rpcUrl, log);
    const submitter = new Submitter({
      ...{ store, publicClient: chain.publicClient, wallet, usageMeter, node },
      ...{ depth: options.depth, fromBlock: options.fromBlock },
      log: (text) => log.info(text),
      event: (name, fields) => logEvent(log, name, fields),
    });
    const recovered = submitter.recover();
    const served = await serveGateway({ ingest, store, submitter, node, host: options.host, port: options.port });
    const status = gatewayStatus(ingest, store, submitter);
    const ready = {
      ...{ url: served.url, meter: usageMeter, registry: machineRegistry, fromBlock: Number(options.fromBlock) },
      ...{ recovered, stored: status.stored, confirmed: status.confirmed },
      clock: { chainTime: clock.chainTime, hostTime: clock.hostTime, toleranceSeconds: tolerance },
    };
    logEvent(log, "ready", ready, `listening on ${served.url} for the meter ${usageMeter}`);
    submitter.start(options.intervalMs);
    await untilAborted(signal);
    await submitter.stop();
    await served.close();
  } finally {
    store.close();
  }
  logEvent(log, "stopped", {}, "stopped");
}
