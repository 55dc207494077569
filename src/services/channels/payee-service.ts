/**
 * The payee's agent beside a machine as a long-running service: checks at start what it can (the node, the
 * PaymentChannels contract, the machine's tariff, that the device key is the machine's, its store alone, the
 * channel open for this payee, its status port); then the machine makes parts and gets each paid while the
 * agent watches the channel on chain and claims. It stops when the job is done, when the payer starts closing
 * (once what is unclaimed is claimed), on its stop signal, or on a refusal that asking again cannot change (a
 * wrong device key, numbers out of step with the payer): that one ends it with exit status 2, not a loop for
 * ever. The payer or the node unreachable shows in GET /status and /metrics, and once in the log when it
 * starts and once when it ends.
 */
import type { Address, Hex, LocalAccount } from "viem";

import { poll, Reachability, unreachable } from "../../chain/poll.js";
import { rpcChain } from "../../chain/rpc.js";
import { channelIdOf, type ChannelsDomain } from "../../core/voucher.js";
import { createHttpServer, json, listen, type Listening } from "../../transport/server.js";
import { ConfigRefused, ServiceRefused, type ServiceContext } from "../runtime/lifecycle.js";
import { logEvent, type Log } from "../runtime/log.js";
import { countFrom, countsFrom, gaugeFrom, metricsRoute, Registry } from "../runtime/metrics.js";
import { channelsAt, checkTariff, registryDevices, registryTariffs } from "./chain.js";
import { Machine, type MachineStop } from "./machine.js";
import { PayeeAgent, type ClaimPolicy } from "./payee.js";
import { nodeReachability } from "./payer-service.js";
import { PayeeStore, type Synchronous } from "./store.js";

export interface PayeeServiceOptions {
  rpcUrl: string;
  channels: Address;
  registry: Address;
  payer: Address;
  nonce: bigint;
  terms: { machineId: bigint; tariffVersion: number };
  payerUrl: string;
  store: string;
  synchronous?: Synchronous;
  /** Where GET /status and /metrics are served (port 0: any free one). */
  host?: string;
  port: number;
  tickMs: number;
  /** Stop once this many parts are paid on the channel in all. */
  parts?: number;
  policy: ClaimPolicy;
  watchMs: number;
  timeoutMs: number;
  /** The payee account's key: it claims. */
  payeeKey: Hex;
  /** The machine's device key, registered for it in the MachineRegistry. */
  device: LocalAccount;
}

/** The device key must be a device key of the channel's machine, or the payer refuses every part. */
async function checkDevice(keys: ReturnType<typeof registryDevices>, device: Address, machineId: bigint) {
  const key = await keys.keyOf(device);
  if (key === undefined || key.machineId !== machineId || key.kind !== 0) {
    throw new ConfigRefused(
      `The device key ${device} is ${key === undefined ? "no machine's key" : `a key of machine ${key.machineId}`}` +
        `${key !== undefined && key.kind !== 0 ? " (an inspector key)" : ""}, not a device key of machine ` +
        `${machineId}: the payer refuses every part it signs. Set CHANNEL_DEVICE_KEY to the machine's device key.`,
    );
  }
}

/** The payee's metrics, read at each scrape from its counters and its store. */
export function payeeMetrics(agent: PayeeAgent, store: PayeeStore, channelId: Hex, peers: Reachability[]): Registry {
  const registry = new Registry();
  const { counters } = agent;
  const unclaimed = () => (store.newestVoucher(channelId)?.amount ?? 0n) - (store.channel(channelId)?.claimed ?? 0n);
  countsFrom(registry, "payee_payments_total", "Parts paid, their vouchers stored", "outcome", () => ({
    acknowledged: counters.acknowledged,
    again: counters.again,
  }));
  countsFrom(registry, "payee_payments_refused_total", "Payments refused", "code", () => ({ ...counters.refused }));
  countFrom(registry, "payee_payments_failed_total", "Payments failed otherwise", () => counters.failed);
  countFrom(registry, "payee_claims_total", "Claims sent and mined", () => counters.claims);
  gaugeFrom(registry, "payee_vouchers_unclaimed", "Base units the newest voucher holds unclaimed", () =>
    Number(unclaimed()),
  );
  gaugeFrom(registry, "payee_backlog_increments", "Increments waiting for the payer's answer", () =>
    store.pending(channelId) === undefined ? 0 : 1,
  );
  for (const [name, peer] of [["node", peers[0]!] as const, ["payer", peers[1]!] as const]) {
    gaugeFrom(registry, `payee_${name}_reachable`, `1 while the ${name} answers, 0 in an outage`, () =>
      peer.reachable ? 1 : 0,
    );
  }
  return registry;
}

/** GET /status and /metrics of the payee, on `host`:`port`. */
function serveStatus(
  options: PayeeServiceOptions,
  agent: PayeeAgent,
  store: PayeeStore,
  channelId: Hex,
  peers: [node: Reachability, payer: Reachability],
): Promise<Listening> {
  const status = () => {
    const channel = store.channel(channelId)!;
    return {
      ...{ channelId, sequence: channel.sequence, amount: store.newestVoucher(channelId)?.amount ?? 0n },
      ...{ claimed: channel.claimed, deposit: channel.deposit, deadline: channel.deadline, closing: channel.closing },
      pending: store.pending(channelId)?.sequence ?? null,
      ...agent.counters,
      node: peers[0].status(),
      payer: peers[1].status(),
    };
  };
  const server = createHttpServer({
    routes: [
      { method: "GET", path: "/status", handle: () => json(200, status()) },
      metricsRoute(payeeMetrics(agent, store, channelId, peers)),
    ],
  });
  return listen(server, options);
}

/** The payer as the machine's payments find it: an outage said once, and its end once. */
function payerReachability(url: string, log: Log): Reachability {
  return new Reachability(`the payer at ${url}`, {
    down: (error) =>
      log.warn(
        { event: "payer-down", payer: url, reason: (error as Error).message },
        `the payer at ${url} does not answer; the machine waits and asks again for the same part`,
      ),
    up: (failures, downMs) =>
      log.info(
        { event: "payer-up", payer: url, failures, downSeconds: Math.round(downMs / 1000) },
        `the payer at ${url} answers again after ${Math.round(downMs / 1000)} s`,
      ),
  });
}

/** The machine, its payments' outcomes logged: the payer unreachable once per outage, other failures once each. */
function machineOf(
  options: PayeeServiceOptions,
  parts: { agent: PayeeAgent; store: PayeeStore; channelId: Hex; domain: ChannelsDomain },
  log: Log,
) {
  const payer = payerReachability(options.payerUrl, log);
  let said: string | undefined;
  const machine = new Machine({
    ...parts,
    ...{ device: options.device, parts: options.parts, tickMs: options.tickMs },
    onAcknowledged: (ack) => {
      payer.ok();
      said = undefined;
      logEvent(log, "acknowledged", { ...ack });
    },
    onWaiting: (sequence, error, failures) => {
      if (unreachable(error)) payer.failed(error);
      else if (error.message !== said) logEvent(log, "waiting", { sequence, failures, reason: error.message });
      said = unreachable(error) ? said : error.message;
    },
  });
  return { machine, payer };
}

interface Ending {
  machine: Machine;
  agent: PayeeAgent;
  store: PayeeStore;
  channelId: Hex;
  watchMs: number;
  signal: AbortSignal;
  log: Log;
}

/**
 * The claims the end of the run calls for, once watching has stopped: for a closing channel, until what is
 * unclaimed is claimed (the node may be down: it is asked again, until the deadline); when the job is done, one
 * more look (the policy may call for a claim).
 */
async function claimAtEnd(why: MachineStop, { agent, store, channelId, watchMs, signal, log }: Ending) {
  const unclaimed = () => (store.newestVoucher(channelId)?.amount ?? 0n) - store.channel(channelId)!.claimed;
  const open = () => store.channel(channelId)!.deadline * 1000 > Date.now();
  const warn = (error: unknown) =>
    log.warn({ event: "watch-error", reason: (error as Error).message }, "cannot claim now; asking again");
  if (why === "closing") {
    const round = async () => {
      await agent.watchOnce();
      return unclaimed() > 0n && open();
    };
    await poll(round, { intervalMs: watchMs, backoff: { maxMs: 10 * watchMs }, signal, onError: warn });
  } else if (why === "done") {
    await agent.watchOnce().catch(warn);
  }
}

/** How the machine's run ends: the claims it calls for, then its words; a refusal for good is thrown on. */
async function finish(why: MachineStop, ending: Ending): Promise<void> {
  const { machine, agent, store, channelId, log } = ending;
  await agent.stopWatching();
  await claimAtEnd(why, ending);
  const channel = store.channel(channelId)!;
  const amount = store.newestVoucher(channelId)?.amount ?? 0n;
  const unclaimed = amount - channel.claimed;
  if (why === "closing") {
    logEvent(
      log,
      why,
      { sequence: channel.sequence, amount, unclaimed },
      "the payer is closing the channel: no more parts",
    );
  } else if (why === "done") {
    const left = unclaimed > 0n ? `; ${unclaimed} stays unclaimed in the store, for the next start or a payout` : "";
    logEvent(log, why, { sequence: channel.sequence, amount, unclaimed }, `all ${channel.sequence} parts paid${left}`);
  } else if (why === "refused") {
    const refusal = machine.refusal!;
    logEvent(log, "refused", { sequence: channel.sequence + 1, reason: refusal.message }, "stopping: refused for good");
    throw new ServiceRefused(
      `${refusal.message} Asking again cannot change that: the machine stops (its store keeps everything paid).`,
    );
  }
}

/** Runs the payee until the job is done, the payer closes, `signal` aborts, or a payment is refused for good. */
export async function runPayee(options: PayeeServiceOptions, { signal, log }: ServiceContext): Promise<void> {
  const chain = await rpcChain(options.rpcUrl);
  const client = await channelsAt(chain, options.channels);
  const node = nodeReachability(options.rpcUrl, log, "claims wait for it");
  const tariffs = registryTariffs(chain.publicClient, options.registry, node);
  await checkTariff(tariffs, options.registry, options.terms);
  await checkDevice(
    registryDevices(chain.publicClient, options.registry),
    options.device.address,
    options.terms.machineId,
  );
  const wallet = chain.wallet(options.payeeKey);
  const key = { payer: options.payer, payee: wallet.account.address, nonce: options.nonce };
  const channelId = channelIdOf(key);
  const domain = { chainId: chain.chainId, channels: options.channels };
  const store = new PayeeStore({ path: options.store, synchronous: options.synchronous });
  const agent = new PayeeAgent({
    ...{ domain, payee: wallet.account.address, store, tariffs },
    ...{ payerUrl: options.payerUrl, timeoutMs: options.timeoutMs },
    chain: { client, wallet, policy: options.policy },
    onClaim: (claim) => logEvent(log, "claimed", claim),
  });
  try {
    const channel = await agent.track(key, options.terms);
    const { machine, payer } = machineOf(options, { agent, store, channelId, domain }, log);
    const served = await serveStatus(options, agent, store, channelId, [node, payer]);
    logEvent(log, "ready", {
      ...{ url: served.url, channelId, payee: wallet.account.address, sequence: channel.sequence },
      ...{ amount: store.newestVoucher(channelId)?.amount ?? 0n, claimed: channel.claimed, closing: channel.closing },
      pending: agent.pending(channelId)?.increment.sequence ?? null,
    });
    // Watching starts at once: a channel the payer began closing while this process was down is claimed first.
    agent.startWatching(
      options.watchMs,
      (error) => log.warn({ event: "watch-error", reason: (error as Error).message }),
      node,
    );
    signal.addEventListener("abort", () => machine.stop(), { once: true });
    try {
      const why = await machine.run();
      await finish(why, { machine, agent, store, channelId, watchMs: options.watchMs, signal, log });
    } finally {
      await agent.stopWatching();
      await served.close();
    }
  } finally {
    agent.close();
    store.close();
  }
  logEvent(log, "stopped", signal.aborted ? { signal: String(signal.reason) } : {}, "stopped");
}
