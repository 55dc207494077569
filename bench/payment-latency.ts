/**
 * Payment round trip as the machine waits for it: the payee asks the payer (its own process, HTTP on
 * loopback) to pay a device-signed usage increment, verifies the voucher and commits it to its store; the
 * payer checks the increment, signs and commits before it answers. Both stores are durable: the headline
 * figures with the stores' default, SQLite WAL with synchronous=NORMAL (a commit survives the process being
 * killed at any moment, which is what the protocol promises), and `.fsync` figures with synchronous=FULL
 * (a commit also survives a power cut, at an fsync per payment on each side). Percentiles over sequential
 * payments after a warm-up.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import { keccak256, toHex, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

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
  "payment.roundTrip.fsync.p50": number;
  "payment.roundTrip.fsync.p99": number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Starts the payer process and resolves with it and its port once it listens. */
async function startPayer(config: PayerProcessConfig): Promise<{ child: ChildProcess; port: number }> {
  const script = fileURLToPath(new URL("payment-payer.ts", import.meta.url));
  const child = spawn(
    process.execPath,
    ["--disable-warning=ExperimentalWarning", "--import", "tsx", script, JSON.stringify(config)],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the payer process exited (${code}) before it listened`)));
    lines.on("line", (line) => {
      const match = /^listening (\d+)$/.exec(line);
      if (match) resolve(Number(match[1]));
    });
  });
  return { child, port };
}

async function measure(synchronous: Synchronous): Promise<{ p50: number; p99: number }> {
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
  const { child, port } = await startPayer({
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
    payerUrl: `http://127.0.0.1:${port}`,
  });
  try {
    const times: number[] = [];
    for (const [i, signed] of increments.entries()) {
      const t0 = process.hrtime.bigint();
      await agent.pay(signed);
      if (i >= WARM_UP) times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((a, b) => a - b);
    return { p50: percentile(times, 50), p99: percentile(times, 99) };
  } finally {
    agent.close();
    store.close();
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

export async function measurePaymentLatency(): Promise<PaymentLatency> {
  const normal = await measure("NORMAL");
  const full = await measure("FULL");
  return {
    "payment.roundTrip.p50": round(normal.p50),
    "payment.roundTrip.p99": round(normal.p99),
    "payment.roundTrip.fsync.p50": round(full.p50),
    "payment.roundTrip.fsync.p99": round(full.p99),
  };
}
