/**
 * The gateway's way out: sends stored reports to `UsageMeter.submitReports` in packed batches sized to the
 * block gas limit, follows each transaction until it is `depth` blocks deep in the canonical chain, and then
 * records every report's outcome (recorded with its charge, duplicate, or rejected with the meter's reason).
 * A transaction that leaves the canonical chain (a reorg) or disappears puts its reports back in the queue.
 * After a restart every report sent but not final is sent again blindly: the meter skips a report it
 * recorded before (ReportDuplicate), so nothing counts twice.
 */
import { concatHex, parseEventLogs, size, type Hex, type PublicClient } from "viem";

import { usageMeterAbi } from "../../generated/abis.js";
import { RejectReason } from "../../contracts/meter.js";
import { contractEvents } from "../../chain/events.js";
import { startPolling, unreachable, type Polling, type Reachability } from "../../chain/poll.js";
import type { Wallet } from "../../chain/transact.js";
import type { GatewayStore, Outcome, StoredReport } from "./store.js";

export interface SubmitterOptions {
  store: GatewayStore;
  publicClient: PublicClient;
  wallet: Wallet;
  usageMeter: Hex;
  /** Blocks a transaction must be deep (1: its own block) before its outcomes count (default 1). */
  depth?: number;
  /** Share of the block gas limit a batch may use (default 0.5: leave room for others). */
  blockShare?: number;
  /** Gas per report assumed before any was measured (default 30,000; refined from receipts). */
  gasPerReport?: number;
  /** Most reports per batch whatever the gas (default 1,000). */
  maxBatch?: number;
  /** The first block to look for earlier recordings of a report the meter calls a duplicate (default 0). */
  fromBlock?: bigint;
  /** Plain-words progress and problems. */
  log?: (line: string) => void;
  /** The same as structured events: "sent" {tx, count}, "final" {tx, count}, "requeued" {tx, count}. */
  event?: (name: string, fields: Record<string, unknown>) => void;
  /** Told whether the node answers at each round of `start` (an outage is said once, by it). */
  node?: Reachability;
}

export interface SubmitterCounters {
  batches: number;
  submitted: number;
  requeued: number;
  failures: number;
}

/** Gas of a transaction besides its reports, and per calldata byte (EIP-2028, non-zero). */
const BASE_GAS = 60_000;
const CALLDATA_GAS = 16;

export class Submitter {
  readonly counters: SubmitterCounters = { batches: 0, submitted: 0, requeued: 0, failures: 0 };
  readonly #options: SubmitterOptions;
  #gasPerReport: number;
  #polling: Polling | undefined;

  constructor(options: SubmitterOptions) {
    this.#options = options;
    this.#gasPerReport = options.gasPerReport ?? 30_000;
  }

  #log(line: string): void {
    this.#options.log?.(line);
  }

  get depth(): number {
    return this.#options.depth ?? 1;
  }

  /** After a restart: whatever was sent and not final is sent again (blind retry). */
  recover(): number {
    const n = this.#options.store.requeueAllSubmitted();
    if (n > 0) this.#log(`after the restart, ${n} reports sent before but not final are queued to be sent again`);
    return n;
  }

  /** One round: follow transactions in flight, then send what waits. Returns the reports sent. */
  async tick(): Promise<number> {
    await this.track();
    return this.submit();
  }

  /** Sends the waiting reports, in batches that fit the block gas limit. */
  async submit(): Promise<number> {
    const { store, publicClient } = this.#options;
    const latest = await publicClient.getBlock({ blockTag: "latest" });
    const budget = Math.floor(Number(latest.gasLimit) * (this.#options.blockShare ?? 0.5));
    let sent = 0;
    for (;;) {
      const perReport = this.#gasPerReport + 160 * CALLDATA_GAS;
      const fit = Math.max(1, Math.min(this.#options.maxBatch ?? 1000, Math.floor((budget - BASE_GAS) / perReport)));
      // The meter refuses a period that ends after the block's time: such reports wait for a later block.
      // A stream's later reports wait with it, or the meter would see a gap.
      const held = new Set<string>();
      const waiting = store.waiting(fit * 2).filter((r) => {
        const stream = `${r.orderId}:${r.kind}`;
        if (!held.has(stream) && r.periodEnd <= Number(latest.timestamp) + 1) return true;
        held.add(stream);
        return false;
      });
      if (waiting.length === 0) return sent;
      const batch = waiting.slice(0, fit);
      await this.#send(batch, budget);
      sent += batch.length;
      if (batch.length < fit) return sent;
    }
  }

  async #send(batch: StoredReport[], budget: number): Promise<void> {
    const { publicClient, wallet, usageMeter, store } = this.#options;
    const data = concatHex(batch.map((r) => r.packed));
    let gas: bigint;
    try {
      gas = await publicClient.estimateContractGas({
        address: usageMeter,
        abi: usageMeterAbi,
        functionName: "submitReports",
        args: [data],
        account: wallet.account,
      });
    } catch (error) {
      this.counters.failures += 1;
      throw new Error(
        `The meter would refuse a batch of ${batch.length} reports (${(error as Error).message.split("\n")[0]}); they stay queued.`,
        { cause: error },
      );
    }
    if (Number(gas) > budget && batch.length > 1) {
      // The estimate per report was too low: send halves.
      this.#gasPerReport = Math.ceil((Number(gas) - BASE_GAS) / batch.length);
      const half = Math.ceil(batch.length / 2);
      await this.#send(batch.slice(0, half), budget);
      await this.#send(batch.slice(half), budget);
      return;
    }
    const hash = await wallet.writeContract({
      address: usageMeter,
      abi: usageMeterAbi,
      functionName: "submitReports",
      args: [data],
      gas: (gas * 12n) / 10n,
      chain: wallet.chain,
    });
    store.markSubmitted(
      batch.map((r) => r.id),
      hash,
    );
    this.counters.batches += 1;
    this.counters.submitted += batch.length;
    this.#options.event?.("sent", { tx: hash, count: batch.length });
    this.#log(`sent ${batch.length} reports in transaction ${hash} (${size(data)} bytes, gas estimate ${gas})`);
  }

  /** Follows every transaction in flight: notes its block, requeues it after a reorg, finalises it when deep. */
  async track(): Promise<void> {
    const { store, publicClient } = this.#options;
    const inFlight = store.inFlight();
    if (inFlight.size === 0) return;
    // Not getBlockNumber: viem caches it for a polling interval.
    const head = (await publicClient.getBlock({ blockTag: "latest" })).number;
    for (const [tx, reports] of inFlight) {
      const receipt = await publicClient.getTransactionReceipt({ hash: tx }).catch(() => undefined);
      if (receipt === undefined) {
        const pending = await publicClient.getTransaction({ hash: tx }).catch(() => undefined);
        if (pending === undefined) {
          this.#requeue(tx, reports.length, "is no longer known to the node (dropped, or its block left the chain)");
        }
        continue;
      }
      // The receipt's block must still be the canonical block at its height.
      const canonical = await publicClient.getBlock({ blockNumber: receipt.blockNumber }).catch(() => undefined);
      if (canonical === undefined || canonical.hash !== receipt.blockHash) {
        this.#requeue(
          tx,
          reports.length,
          `was in block ${receipt.blockNumber}, which is no longer in the canonical chain`,
        );
        continue;
      }
      const first = reports[0]!;
      if (first.blockHash !== receipt.blockHash) store.markMined(tx, Number(receipt.blockNumber), receipt.blockHash);
      if (head - receipt.blockNumber + 1n < BigInt(this.depth)) continue;
      if (receipt.status !== "success") {
        this.#requeue(tx, reports.length, "reverted");
        this.counters.failures += 1;
        continue;
      }
      store.finalize(await this.#earlier(this.#outcomes(reports, receipt.logs), reports));
      this.#options.event?.("final", { tx, count: reports.length });
      const gasPer = Math.ceil((Number(receipt.gasUsed) - BASE_GAS) / reports.length);
      if (gasPer > 0) this.#gasPerReport = Math.max(gasPer, Math.floor(this.#gasPerReport * 0.9));
      this.#log(
        `transaction ${tx} is ${head - receipt.blockNumber + 1n} blocks deep: outcomes of ${reports.length} reports recorded`,
      );
    }
  }

  #requeue(tx: Hex, count: number, why: string): void {
    const n = this.#options.store.requeue(tx);
    this.counters.requeued += n;
    this.#options.event?.("requeued", { tx, count: n });
    this.#log(`transaction ${tx} ${why}: its ${count} reports are queued to be sent again`);
  }

  /** Each report's outcome, from the meter's events in batch order (one of three events per report). */
  #outcomes(reports: StoredReport[], logs: Parameters<typeof parseEventLogs>[0]["logs"]): Outcome[] {
    const events = parseEventLogs({ abi: usageMeterAbi, logs }).filter(
      (log) =>
        log.eventName === "ReportRecorded" || log.eventName === "ReportDuplicate" || log.eventName === "ReportRejected",
    );
    if (events.length !== reports.length) {
      throw new Error(
        `Transaction ${reports[0]!.tx} has ${events.length} report events for ${reports.length} reports; the batch was not the one stored.`,
      );
    }
    return reports.map((report, i) => {
      const event = events[i]!;
      switch (event.eventName) {
        case "ReportRecorded":
          return { id: report.id, status: "recorded", charge: event.args.charge };
        case "ReportDuplicate":
          return { id: report.id, status: "duplicate" };
        case "ReportRejected":
          return {
            id: report.id,
            status: "rejected",
            reason: RejectReason[event.args.reason] ?? `reason ${event.args.reason}`,
          };
        default:
          throw new Error("unreachable");
      }
    });
  }

  /**
   * A duplicate whose digest the meter recorded before (in a transaction sent before a restart or a reorg)
   * was recorded: it becomes "recorded" with that transaction and charge, reason "RecordedEarlier". A
   * duplicate whose number the meter holds for another digest stays "duplicate", reason "OtherReportRecorded".
   */
  async #earlier(outcomes: Outcome[], reports: StoredReport[]): Promise<Outcome[]> {
    const byId = new Map(reports.map((r) => [r.id, r]));
    const duplicates = outcomes.filter((o) => o.status === "duplicate");
    if (duplicates.length === 0) return outcomes;
    const orderIds = [...new Set(duplicates.map((o) => byId.get(o.id)!.orderId))];
    const logs = await contractEvents(this.#options.publicClient, {
      address: this.#options.usageMeter,
      abi: usageMeterAbi,
      eventName: "ReportRecorded",
      args: { orderId: orderIds },
      fromBlock: this.#options.fromBlock ?? 0n,
    });
    const recorded = new Map(logs.map((log) => [log.args.digest, log]));
    return outcomes.map((o) => {
      if (o.status !== "duplicate") return o;
      const log = recorded.get(byId.get(o.id)!.digest);
      if (log === undefined) return { ...o, reason: "OtherReportRecorded" };
      return {
        id: o.id,
        status: "recorded",
        reason: "RecordedEarlier",
        charge: log.args.charge,
        tx: log.transactionHash,
      };
    });
  }

  /**
   * Runs `tick` every `intervalMs` until stopped. A round the node did not answer is told to `node` (which says
   * the outage once); other failures are logged in plain words, each once until another comes. Failed rounds
   * are tried again after a pause that doubles, up to ten intervals (at most 30 s).
   */
  start(intervalMs = 500): void {
    if (this.#polling !== undefined) return;
    let said: string | undefined;
    const { node } = this.#options;
    this.#polling = startPolling(
      async () => {
        await this.tick();
        node?.ok();
        said = undefined;
      },
      {
        intervalMs,
        backoff: { maxMs: Math.min(30_000, 10 * intervalMs) },
        onError: (error) => {
          if (node !== undefined && unreachable(error)) {
            node.failed(error);
            return;
          }
          node?.ok();
          const words = (error as Error).message;
          if (words !== said) this.#log(`submitting failed, will try again: ${words}`);
          said = words;
        },
      },
    );
  }

  async stop(): Promise<void> {
    const polling = this.#polling;
    this.#polling = undefined;
    await polling?.stop();
  }
}
