/**
 * How many signed usage reports the gateway checks and stores durably per second (`throughput.gateway.ingest`),
 * beside a baseline measured in the same run: the same checks with viem's `recoverTypedDataAddress` and one
 * SQLite transaction per report (what a gateway written without thinking about speed would do). Both store to
 * a file in WAL mode with `synchronous = NORMAL` (a commit survives a killed process). Reports arrive in
 * groups of `ARRIVING` at once, as many devices sending together do, so the gateway's group commit stores a
 * group in one transaction. The chain reads (key records, orders, last sequences) are served from memory, as
 * the gateway's cache serves them in steady state. Also through HTTP on loopback, 100 reports per request.
 *
 *   npx tsx bench/gateway-ingest.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

import { keccak256, toHex, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAddress } from "viem/accounts";

import { nativeSecp256k1 } from "../src/crypto/secp256k1.js";
import {
  KeyKind,
  type ChainView,
  type OrderInfo,
  type SignerInfo,
  type StreamInfo,
} from "../src/services/gateway/chain.js";
import { Ingest } from "../src/services/gateway/ingest.js";
import { MAX_REPORTS_PER_REQUEST, serveGateway } from "../src/services/gateway/server.js";
import { GatewayStore } from "../src/services/gateway/store.js";
import { ReportSigner } from "../src/crypto/report-digest.js";
import { reportToJson, type ReportJson } from "../src/codec/report-wire.js";
import { encodePackedReport } from "../src/codec/batch.js";
import { reportSigner, type MeterDomain, type SignedReport } from "../src/core/report.js";

const ROUNDS = 5;
const REPORTS = 5000;
const BASELINE_REPORTS = 500;
const ARRIVING = 250;
const MACHINES = 20;
const ORDERS_PER_MACHINE = 5;
const T0 = 1_795_000_000;

export interface GatewayIngestThroughput {
  "gateway.ingest": number;
  "gateway.ingest.http": number;
  "gateway.ingest.naiveBaseline": number;
}

const domain: MeterDomain = { chainId: 31337, meter: "0x5FbDB2315678afecb367f032d93F642f64180aa3" };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** A chain seen from memory: machine m has one device key and orders m*ORDERS+1 .. (m+1)*ORDERS. */
class MemoryChain implements ChainView {
  readonly keys = new Map<string, SignerInfo>();
  readonly orders = new Map<bigint, OrderInfo>();
  signerKey(signer: Address) {
    return this.keys.get(signer.toLowerCase());
  }
  order(orderId: bigint) {
    return this.orders.get(orderId);
  }
  stream(): StreamInfo {
    return { lastSequence: 0, periodEnd: T0 - 86400 };
  }
  /** Long after every period of the workload. */
  chainTime() {
    return T0 + 400 * 86400;
  }
}

interface Workload {
  chain: MemoryChain;
  /** Per round, reports with fresh sequence numbers: round r holds sequences r*perStream+1 ... */
  rounds: ReportJson[][];
}

function workload(rounds: number, reports: number): Workload {
  const chain = new MemoryChain();
  const signers: ReportSigner[] = [];
  for (let m = 0; m < MACHINES; m++) {
    const key = generatePrivateKey();
    chain.keys.set(privateKeyToAddress(key).toLowerCase(), {
      machineId: BigInt(m + 1),
      validFrom: T0 - 86400,
      validUntil: 0,
      kind: KeyKind.Device,
    });
    signers.push(new ReportSigner(domain, key));
    for (let o = 0; o < ORDERS_PER_MACHINE; o++) {
      chain.orders.set(BigInt(m * ORDERS_PER_MACHINE + o + 1), {
        machineId: BigInt(m + 1),
        expiresAt: T0 + 365 * 86400,
        open: true,
        licenseCount: 0,
        openedAt: T0 - 86400,
      });
    }
  }
  const orders = MACHINES * ORDERS_PER_MACHINE;
  const perStream = Math.ceil(reports / orders);
  const out: ReportJson[][] = [];
  for (let r = 0; r < rounds; r++) {
    const round: ReportJson[] = [];
    for (let s = 0; s < perStream; s++) {
      for (let o = 0; o < orders && round.length < reports; o++) {
        const sequence = r * perStream + s + 1;
        const start = T0 + sequence * 60;
        const signed = signers[Math.floor(o / ORDERS_PER_MACHINE)]!.sign({
          orderId: BigInt(o + 1),
          sequence,
          periodStart: start,
          periodEnd: start + 60,
          machineSeconds: 42n,
          units: 1n,
          inspections: 0,
          licensedProducts: [],
          readingsRoot: keccak256(toHex(`readings ${o} ${sequence}`)),
        });
        round.push(reportToJson(signed));
      }
    }
    out.push(round);
  }
  return { chain, rounds: out };
}

/** Reports per second through Ingest, `ARRIVING` at a time. */
async function ingestRate(ingest: Ingest, reports: ReportJson[]): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < reports.length; i += ARRIVING) {
    const results = await Promise.all(reports.slice(i, i + ARRIVING).map((r) => ingest.accept(r)));
    if (results.some((r) => r.outcome !== "stored")) throw new Error("A benchmark report was not stored as new.");
  }
  return reports.length / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** The baseline: viem recovery, then the same checks by hand, one transaction per report. */
async function naiveRate(
  store: GatewayStore,
  chain: MemoryChain,
  reports: ReportJson[],
  parse: (r: ReportJson) => SignedReport,
): Promise<number> {
  const start = process.hrtime.bigint();
  for (const json of reports) {
    const signed = parse(json);
    const signer = await reportSigner(domain, signed);
    const key = await chain.signerKey(signer);
    const order = await chain.order(signed.report.orderId);
    if (key === undefined || order === undefined || key.machineId !== order.machineId) throw new Error("bad workload");
    const { report } = signed;
    const known = store.find(report.orderId, key.kind, report.sequence);
    if (known !== undefined) throw new Error("bad workload");
    store.insert([
      {
        orderId: report.orderId,
        kind: key.kind,
        sequence: report.sequence,
        digest: "0x00" as Hex,
        signer,
        periodEnd: report.periodEnd,
        packed: encodePackedReport(signed),
      },
    ]);
  }
  return reports.length / (Number(process.hrtime.bigint() - start) / 1e9);
}

/**
 * Reports per second through POST /reports, `ARRIVING` at a time in requests of 100. The bodies are serialized
 * before the clock starts: a device agent builds its body on its own machine, so the figure counts the gateway's
 * work (HTTP server, JSON parse, checks, store) and the loopback client's, not the devices' JSON.stringify.
 */
async function httpRate(url: string, reports: ReportJson[]): Promise<number> {
  const groups: string[][] = [];
  for (let i = 0; i < reports.length; i += ARRIVING) {
    const group = reports.slice(i, i + ARRIVING);
    const bodies: string[] = [];
    for (let j = 0; j < group.length; j += 100) bodies.push(JSON.stringify({ reports: group.slice(j, j + 100) }));
    groups.push(bodies);
  }
  const start = process.hrtime.bigint();
  for (const bodies of groups) {
    await Promise.all(
      bodies.map((body) =>
        fetch(`${url}/reports`, { method: "POST", headers: { "content-type": "application/json" }, body }).then(
          async (response) => {
            const answer = (await response.json()) as { results: { status: number }[] };
            if (answer.results.some((r) => r.status !== 201)) {
              throw new Error("A benchmark report was refused over HTTP.");
            }
          },
        ),
      ),
    );
  }
  return reports.length / (Number(process.hrtime.bigint() - start) / 1e9);
}

export async function measureGatewayIngest(log: (line: string) => void = () => {}): Promise<GatewayIngestThroughput> {
  if (!nativeSecp256k1) {
    throw new Error("libsecp256k1's prebuilt binary did not load: the gateway's ingest would measure the fallback.");
  }
  const { reportFromJson } = await import("../src/codec/report-wire.js");
  const dir = mkdtempSync(join(tmpdir(), "gateway-ingest-"));
  try {
    // Rounds of the fast path (direct and HTTP) and of the baseline interleave, each on fresh numbers.
    const fast = workload(ROUNDS, REPORTS);
    const overHttp = workload(ROUNDS, REPORTS);
    const slow = workload(ROUNDS, BASELINE_REPORTS);
    const store = new GatewayStore({ path: join(dir, "fast.sqlite") });
    const ingest = new Ingest({ store, chain: fast.chain, domain, clockToleranceSeconds: 0 });
    const httpStore = new GatewayStore({ path: join(dir, "http.sqlite") });
    const httpIngest = new Ingest({ store: httpStore, chain: overHttp.chain, domain });
    const server = await serveGateway({ ingest: httpIngest, store: httpStore });
    const naiveStore = new GatewayStore({ path: join(dir, "naive.sqlite") });
    const rates = { direct: [] as number[], http: [] as number[], naive: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      rates.direct.push(await ingestRate(ingest, fast.rounds[round]!));
      rates.http.push(await httpRate(server.url, overHttp.rounds[round]!));
      rates.naive.push(await naiveRate(naiveStore, slow.chain, slow.rounds[round]!, reportFromJson));
      log(
        `round ${round + 1}/${ROUNDS}: ${rates.direct.at(-1)!.toFixed(0)} reports/s, ` +
          `${rates.http.at(-1)!.toFixed(0)} over HTTP, baseline ${rates.naive.at(-1)!.toFixed(0)}`,
      );
    }
    await server.close();
    for (const s of [store, httpStore, naiveStore]) s.close();
    return {
      "gateway.ingest": Math.round(median(rates.direct)),
      "gateway.ingest.http": Math.round(median(rates.http)),
      "gateway.ingest.naiveBaseline": Math.round(median(rates.naive)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * How long `GET /status` waits while the gateway checks a junk batch at the cap (`latencyMs.gateway.statusDuringJunk`,
 * the worst of every answer over `ROUNDS` batches): well-formed reports, each signed by another unknown key for
 * another order, so that each costs a signature recovery and finds nothing cached. The goal is 100 ms.
 */
export async function measureStatusDuringJunk(): Promise<{ "gateway.statusDuringJunk": number }> {
  const dir = mkdtempSync(join(tmpdir(), "gateway-junk-"));
  const store = new GatewayStore({ path: join(dir, "junk.sqlite") });
  const { chain } = workload(1, 1);
  const server = await serveGateway({ ingest: new Ingest({ store, chain, domain }), store });
  try {
    let worst = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const junk = Array.from({ length: MAX_REPORTS_PER_REQUEST }, (_, i) =>
        reportToJson(
          new ReportSigner(domain, generatePrivateKey()).sign({
            orderId: BigInt(10_000 + round * MAX_REPORTS_PER_REQUEST + i),
            sequence: 1,
            periodStart: T0,
            periodEnd: T0 + 60,
            machineSeconds: 42n,
            units: 1n,
            inspections: 0,
            licensedProducts: [],
            readingsRoot: keccak256(toHex(`junk ${round} ${i}`)),
          }),
        ),
      );
      let done = false;
      const batch = fetch(`${server.url}/reports`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ reports: junk }),
      }).finally(() => {
        done = true;
      });
      let answers = 0;
      while (!done) {
        const start = process.hrtime.bigint();
        await (await fetch(`${server.url}/status`)).json();
        worst = Math.max(worst, Number(process.hrtime.bigint() - start) / 1e6);
        answers += 1;
      }
      const answer = (await (await batch).json()) as { results: { reason?: string }[] };
      if (answer.results.some((r) => r.reason !== "UnknownSigner")) throw new Error("A junk report was not refused.");
      if (answers < 2) throw new Error("GET /status was not answered while the junk batch was checked.");
    }
    return { "gateway.statusDuringJunk": Math.round(worst * 1000) / 1000 };
  } finally {
    await server.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const figures = await measureGatewayIngest((line) => console.error(line));
  console.log(JSON.stringify({ throughput: figures, latencyMs: await measureStatusDuringJunk() }, null, 2));
}
