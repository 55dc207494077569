/**
 * The payer's agent as a long-running service: checks at start what it can (the node, the PaymentChannels
 * contract, the machine's tariff in the registry, its store alone, the channel open on chain for this payer and
 * payee, its port), then pays increments over HTTP until its stop signal, after which it lets the payment in
 * progress finish, closes the server and the store, and logs that it stopped. Every voucher it answers with is
 * logged ("paid"); GET /status and /metrics show its counters and whether the node answers its reads.
 */
import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

import { Reachability } from "../../chain/poll.js";
import { rpcChain } from "../../chain/rpc.js";
import { channelIdOf } from "../../core/voucher.js";
import { listen } from "../../transport/server.js";
import { untilAborted, type ServiceContext } from "../runtime/lifecycle.js";
import { logEvent, type Log } from "../runtime/log.js";
import { channelsAt, checkTariff, registryDevices, registryTariffs, trackChannel } from "./chain.js";
import { createPayerServer, PayerAgent, type SpendingCaps } from "./payer.js";
import { PayerStore, type Synchronous } from "./store.js";

export interface PayerServiceOptions {
  rpcUrl: string;
  /** The PaymentChannels contract. */
  channels: Address;
  /** The MachineRegistry: device keys and tariffs. */
  registry: Address;
  payee: Address;
  nonce: bigint;
  terms: { machineId: bigint; tariffVersion: number };
  store: string;
  synchronous?: Synchronous;
  host?: string;
  port: number;
  caps: SpendingCaps;
  /** The payer account's key: it signs the vouchers. */
  privateKey: Hex;
}

/** The node as the payer's chain reads find it: an outage said once, and its end once. */
export function nodeReachability(url: string, log: Log, meanwhile: string): Reachability {
  return new Reachability(`the node at ${url}`, {
    down: (error) =>
      log.warn(
        { event: "node-down", node: url, reason: (error as Error).message.split("\n")[0] },
        `the node at ${url} does not answer; ${meanwhile}`,
      ),
    up: (failures, downMs) =>
      log.info(
        { event: "node-up", node: url, failures, downSeconds: Math.round(downMs / 1000) },
        `the node at ${url} answers again after ${Math.round(downMs / 1000)} s`,
      ),
  });
}

/** Runs the payer until `signal` aborts. */
export async function runPayer(options: PayerServiceOptions, { signal, log }: ServiceContext): Promise<void> {
  const chain = await rpcChain(options.rpcUrl);
  const client = await channelsAt(chain, options.channels);
  const node = nodeReachability(options.rpcUrl, log, "payments that need a read from it wait for it");
  const tariffs = registryTariffs(chain.publicClient, options.registry, node);
  await checkTariff(tariffs, options.registry, options.terms);
  const payer = privateKeyToAccount(options.privateKey).address;
  const key = { payer, payee: options.payee, nonce: options.nonce };
  const channelId = channelIdOf(key);
  const store = new PayerStore({ path: options.store, synchronous: options.synchronous });
  try {
    const channel = await trackChannel(store, client, key, options.terms);
    const agent = new PayerAgent({
      ...{ domain: { chainId: chain.chainId, channels: options.channels }, privateKey: options.privateKey },
      ...{ store, tariffs, caps: options.caps },
      devices: registryDevices(chain.publicClient, options.registry, undefined, node),
      onPaid: (paid) =>
        logEvent(log, "paid", {
          ...{ channelId: paid.channelId, sequence: paid.sequence, amount: paid.voucher.amount },
          ...{ usage: paid.voucher.usage, signature: paid.signature, again: paid.again },
        }),
    });
    const status = () => {
      const now = store.channel(channelId)!;
      return {
        channelId,
        payer,
        payee: options.payee,
        sequence: now.sequence,
        signed: now.signed,
        deposit: now.deposit,
      };
    };
    const served = await listen(createPayerServer(agent, { node, status }), options);
    logEvent(
      log,
      "ready",
      {
        ...{ url: served.url, port: served.port, channelId, payer },
        ...{ sequence: channel.sequence, signed: channel.signed, deposit: channel.deposit },
      },
      `paying channel ${channelId} on ${served.url}`,
    );
    await untilAborted(signal);
    await served.close();
  } finally {
    store.close();
  }
  logEvent(log, "stopped", { signal: String(signal.reason) }, "stopped");
}
