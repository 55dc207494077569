/**
 * Payment round trip as the machine waits for it: the payee asks the payer (its own process, HTTP on
 * loopback) to pay a device-signed usage increment, verifies the voucher and commits it to its store; the
 * payer checks the increment, signs and commits before it answers. Both stores are durable: the headline
 * figures with the stores' default, SQLite WAL with synchronous=NORMAL (a commit survives the process being
 * killed at any moment, which is what the protocol promises), and `.fsync` figures with synchronous=FULL
 * (a commit also survives a power cut, at an fsync per payment on each side). Percentiles over sequential
 * payments after a warm-up.
 *
 * Beside it, in the same run, the `.baseline` figures: what any such round trip costs with no protocol at
 * all, one bare loopback HTTP request and answer (node:http, a kept-alive connection) to a process that commits
 * one row to a SQLite WAL store (synchronous=NORMAL) and signs a digest, and one recovery of the signer on the
 * way back. The goal: the payment round trip at most twice its baseline. The `.cpu` figures are the CPU time
 * per round trip of both processes together: on a machine shared with other work the wall times mostly measure
 * the waits for a core, which these leave out.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { Agent, request } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import { keccak256, toHex, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { recoverAddress } from "../src/crypto/secp256k1.js";
import { PayeeAgent } from "../src/services/channels/payee.js";
import { PayeeStore, type Synchronous } from "../src/services/channels/store.js";
import { signUsage, type SignedUsage } from "../src/core/increment.js";
import type { ChannelsDomain } from "../src/core/voucher.js";
import { parseEuro } from "../src/core/money.js";
import type { PayerProcessConfig } from "./payment-payer.js";
import { LATENCY_TARIFF } from "./payment-tariff.js";

const WARM_UP = 200;
const MEASURED = 2000;

export interface PaymentLatency {
  "payment.roundTrip.p50": number;
  "payment.roundTrip.p99": number;
  "payment.roundTrip.baseline.p50": number;
  "payment.roundTrip.baseline.p99": number;
  /** CPU milliseconds per round trip, both processes together: what a loaded machine's wall times hide. */
  "payment.roundTrip.cpu": number;
  "payment.roundTrip.baseline.cpu": number;
  "payment.roundTrip.fsync.p50": number;
  "payment.roundTrip.fsync.p99": number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** A server process of the benchmark: the payer, or the baseline's bare server. */
interface ServerProcess {
  child: ChildProcess;
  port: number;
  /** Its CPU time so far, in microseconds (it prints it when sent SIGUSR2). */
  cpu(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts the payer process (or the baseline's) and resolves with it once it listens. */
async function startPayer(config: PayerProcessConfig): Promise<ServerProcess> {
  const script = fileURLToPath(new URL("payment-payer.ts", import.meta.url));
  const child = spawn(
    process.execPath,
    ["--disable-warning=ExperimentalWarning", "--import", "tsx", script, JSON.stringify(config)],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: child.stdout! });
  const cpuLines: ((micros: number) => void)[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the payer process exited (${code}) before it listened`)));
    lines.on("line", (line) => {
      const listening = /^listening (\d+)$/.exec(line);
      if (listening) resolve(Number(listening[1]));
      const cpu = /^cpu (\d+)$/.exec(line);
      if (cpu) cpuLines.shift()?.(Number(cpu[1]));
    });
  });
  return {
    child,
    port,
    cpu: () =>
      new Promise((resolve) => {
        cpuLines.push(resolve);
        child.kill("SIGUSR2");
      }),
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    },
  };
}

interface Timed {
  p50: number;
  p99: number;
  /** CPU milliseconds per round, this process and the server's together. */
  cpu: number;
}

/** Runs `count` rounds after WARM_UP ones; their wall-time percentiles, and the CPU per round of both processes. */
async function timeRounds(round: (i: number) => Promise<void>, server: ServerProcess): Promise<Timed> {
  for (let i = 0; i < WARM_UP; i++) await round(i);
  const serverBefore = await server.cpu();
  const before = process.cpuUsage();
  const times: number[] = [];
  for (let i = WARM_UP; i < WARM_UP + MEASURED; i++) {
    const t0 = process.hrtime.bigint();
    await round(i);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const here = process.cpuUsage(before);
  const there = (await server.cpu()) - serverBefore;
  times.sort((a, b) => a - b);
  const cpu = (here.user + here.system + there) / 1000 / MEASURED;
  return { p50: percentile(times, 50), p99: percentile(times, 99), cpu };
}

/** POSTs `body` over the kept-alive connection of `agent`; the answer's text. */
function post(agent: Agent, port: number, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, method: "POST", path: "/", agent, headers: { "content-length": body.length } },
      (res) => {
        let text = "";
        res.setEncoding("latin1");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve(text));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** The baseline: one bare request and answer, one WAL commit and one signature there, one recovery here. */
async function measureBaseline(): Promise<Timed> {
  const dir = mkdtempSync(join(tmpdir(), "payment-baseline-"));
  const key = generatePrivateKey();
  const signer = Buffer.from(privateKeyToAccount(key).address.slice(2), "hex");
  const server = await startPayer({
    baseline: true,
    privateKey: key,
    path: join(dir, "base.sqlite"),
    synchronous: "NORMAL",
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const digests = Array.from({ length: WARM_UP + MEASURED }, (_, i) => keccak256(toHex(`baseline ${i}`)));
  try {
    return await timeRounds(async (i) => {
      const signature = await post(agent, server.port, digests[i]!);
      const recovered = recoverAddress(
        Buffer.from(digests[i]!.slice(2), "hex"),
        Buffer.from(signature.slice(2), "hex"),
      );
      if (Buffer.compare(recovered, signer) !== 0) throw new Error("The baseline's signature recovers another signer.");
    }, server);
  } finally {
    agent.destroy();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(synchronous: Synchronous): Promise<Timed> {
  const dir = mkdtempSync(join(tmpdir(), "payment-latency-"));
  const domain: ChannelsDomain = { chainId: 31337, channels: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };
  const payerKey = generatePrivateKey();
  const payer = privateKeyToAccount(payerKey).address;
  const payee: Address = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
  const device = privateKeyToAccount(generatePrivateKey());
  const channelId: Hex = keccak256(toHex(`latency channel ${synchronous}`));
  const nonce = (1234n << 32n) | 1n;
  const deposit = parseEuro("1000000");
  const machineId = 1n;
  // One part every 10 seconds, yesterday: increments signed by the device before the clock starts.
  const start = Math.floor(Date.now() / 1000) - 86_400;
  const increments: SignedUsage[] = [];
  for (let sequence = 1; sequence <= WARM_UP + MEASURED; sequence++) {
    increments.push(
      await signUsage(device, domain, {
        channelId,
        sequence,
        periodStart: start + (sequence - 1) * 10,
        periodEnd: start + sequence * 10,
        machineSeconds: 8n,
        units: 1n,
        readingsRoot: keccak256(toHex(`readings of part ${sequence}`)),
      }),
    );
  }
  const server = await startPayer({
    domain,
    privateKey: payerKey,
    path: join(dir, "payer.sqlite"),
    synchronous,
    channel: {
      channelId,
      payee,
      nonce: nonce.toString(),
      deposit: deposit.toString(),
      machineId: machineId.toString(),
      openedAt: start,
    },
    device: device.address,
  });
  const store = new PayeeStore({ path: join(dir, "payee.sqlite"), synchronous });
  store.addChannel({
    channelId,
    payer,
    payee,
    nonce,
    machineId,
    tariffVersion: 1,
    deposit,
    deadline: start + 365 * 86_400,
  });
  const agent = new PayeeAgent({
    domain,
    payee,
    store,
    tariffs: { tariffOf: async () => LATENCY_TARIFF },
    payerUrl: `http://127.0.0.1:${server.port}`,
  });
  try {
    return await timeRounds(async (i) => void (await agent.pay(increments[i]!)), server);
  } finally {
    agent.close();
    store.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

export async function measurePaymentLatency(): Promise<PaymentLatency> {
  const baseline = await measureBaseline();
  const normal = await measure("NORMAL");
  const full = await measure("FULL");
  return {
    "payment.roundTrip.p50": round(normal.p50),
    "payment.roundTrip.p99": round(normal.p99),
    "payment.roundTrip.baseline.p50": round(baseline.p50),
    "payment.roundTrip.baseline.p99": round(baseline.p99),
    "payment.roundTrip.cpu": round(normal.cpu),
    "payment.roundTrip.baseline.cpu": round(baseline.cpu),
    "payment.roundTrip.fsync.p50": round(full.p50),
    "payment.roundTrip.fsync.p99": round(full.p99),
  };
}

// Run directly (`npx tsx bench/payment-latency.ts`), not when bench/run.ts imports it.
if (process.argv.some((arg) => arg.endsWith("bench/payment-latency.ts"))) {
  console.log(JSON.stringify({ latencyMs: await measurePaymentLatency() }, null, 2));
}
