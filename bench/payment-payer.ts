/**
 * The payer side of the payment latency benchmark, run as its own process (bench/payment-latency.ts starts
 * it): a PayerAgent with a durable store, served over HTTP on a free loopback port, which it prints as
 * `listening <port>` once ready. Configured by one JSON argument (see PayerProcessConfig). With `baseline`, the
 * same process answers with no protocol at all: a bare HTTP server that commits the request's digest to a
 * SQLite store (WAL, the same synchronous setting) and answers with its signature (see payment-latency.ts).
 * Sent SIGUSR2, it prints its CPU time so far as `cpu <microseconds>`.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import type { Address, Hex } from "viem";

import { createPayerServer, PayerAgent } from "../src/services/channels/payer.js";
import { PayerStore, type Synchronous } from "../src/services/channels/store.js";
import type { ChannelsDomain } from "../src/core/voucher.js";
import { signDigest } from "../src/crypto/secp256k1.js";
import { openDatabase } from "../src/store/sqlite.js";
import { LATENCY_TARIFF } from "./payment-tariff.js";

interface ProcessConfig {
  privateKey: Hex;
  path: string;
  synchronous: Synchronous;
}

/** The payer's setup; or, with `baseline`, the bare server's. */
export type PayerProcessConfig =
  | (ProcessConfig & {
      baseline?: false;
      domain: ChannelsDomain;
      channel: { channelId: Hex; payee: Address; nonce: string; deposit: string; machineId: string; openedAt: number };
      device: Address;
    })
  | (ProcessConfig & { baseline: true });

const [json] = process.argv.slice(2);
if (json === undefined) throw new Error("usage: payment-payer.ts '<PayerProcessConfig as JSON>'");
const config = JSON.parse(json) as PayerProcessConfig;

/**
 * The baseline: POST a 32-byte digest (hex, as the body), get its signature back once one row holding it is
 * committed. One loopback request and answer, one WAL commit, one signature: no parsing, no checks, no routing.
 */
function baselineServer(config: ProcessConfig): Server {
  const db = openDatabase(
    { path: config.path, synchronous: config.synchronous },
    "CREATE TABLE IF NOT EXISTS commits (n INTEGER PRIMARY KEY, digest TEXT NOT NULL);",
  );
  const insert = db.prepare("INSERT INTO commits (digest) VALUES (?)");
  const key = Buffer.from(config.privateKey.slice(2), "hex");
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const digest = Buffer.concat(chunks).toString("latin1");
      insert.run(digest);
      const signature = Buffer.from(signDigest(Buffer.from(digest.slice(2), "hex"), key)).toString("hex");
      res.writeHead(200, { "content-type": "text/plain", "content-length": 132 }).end(`0x${signature}`);
    });
  });
  server.on("close", () => db.close());
  return server;
}

function payerServer(config: Extract<PayerProcessConfig, { domain: ChannelsDomain }>): Server {
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
  server.on("close", () => store.close());
  return server;
}

const server = config.baseline === true ? baselineServer(config) : payerServer(config);
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
// The benchmark reads this process's CPU time before and after the rounds it measures.
process.on("SIGUSR2", () => {
  const { user, system } = process.cpuUsage();
  process.stdout.write(`cpu ${user + system}\n`);
});
process.on("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
});
