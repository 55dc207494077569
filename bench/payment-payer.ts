/**
 * The payer side of the payment latency benchmark, run as its own process (bench/payment-latency.ts starts
 * it): a PayerAgent with a durable store, served over HTTP on a free loopback port, which it prints as
 * `listening <port>` once ready. Configured by one JSON argument (see PayerProcessConfig).
 */
import type { AddressInfo } from "node:net";

import type { Address, Hex } from "viem";

import { createPayerServer, PayerAgent } from "../src/services/channels/payer.js";
import { PayerStore, type Synchronous } from "../src/services/channels/store.js";
import type { ChannelsDomain } from "../src/core/voucher.js";
import { LATENCY_TARIFF } from "./payment-tariff.js";

export interface PayerProcessConfig {
  domain: ChannelsDomain;
  privateKey: Hex;
  path: string;
  synchronous: Synchronous;
  channel: { channelId: Hex; payee: Address; nonce: string; deposit: string; machineId: string; openedAt: number };
  device: Address;
}

const [json] = process.argv.slice(2);
if (json === undefined) throw new Error("usage: payment-payer.ts '<PayerProcessConfig as JSON>'");
const config = JSON.parse(json) as PayerProcessConfig;
const machineId = BigInt(config.channel.machineId);
const store = new PayerStore({ path: config.path, synchronous: config.synchronous });
store.addChannel({
  channelId: config.channel.channelId,
  payee: config.channel.payee,
  nonce: BigInt(config.channel.nonce),
  deposit: BigInt(config.channel.deposit),
  machineId,
  tariffVersion: 1,
  openedAt: config.channel.openedAt,
});
const device = config.device.toLowerCase();
const agent = new PayerAgent({
  domain: config.domain,
  privateKey: config.privateKey,
  store,
  // The machine's one device key and tariff, as the registry would give them (cached by a real payer too).
  devices: {
    keyOf: async (address) =>
      address.toLowerCase() === device ? { machineId, validFrom: 0, validUntil: 0, kind: 0 } : undefined,
  },
  tariffs: { tariffOf: async () => LATENCY_TARIFF },
  caps: { periodSeconds: 86_400, perDevice: BigInt(config.channel.deposit) },
});
const server = createPayerServer(agent);
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.on("SIGTERM", () => server.close(() => store.close()));
