/**
 * The device agent's working loop, as a long-running process runs it (scripts/device-agent.ts): every tick
 * the simulated machines make their readings up to now and the agent records them; every so many seconds
 * (or as soon as a stream holds so many open readings) it cuts a report per stream; and it sends whatever is
 * not acknowledged yet. It stops after so many reports, after so long, or when told to; then it reports what
 * is still open (when it stops on time) and keeps sending until the gateway has answered every report, for a
 * while at most. What it does is told as events (signed, sent, refused) for the caller to print.
 */
import { DeviceAgent, MachineSimulator, Stream } from "./agent.js";

export interface RunnerOrder {
  orderId: bigint;
  machine: MachineSimulator;
  /** Unix seconds; the machine stops reporting on the order then (the meter refuses later periods). */
  expiresAt?: number;
}

export interface DeviceRunnerOptions {
  agent: DeviceAgent;
  /** The gateway's base URL (reports go to POST <gateway>/reports). */
  gateway: string;
  orders: readonly RunnerOrder[];
  /** Unix seconds now: the chain's latest block time, or this host's clock. */
  clock: () => Promise<number>;
  /** Seconds (by `clock`) between report cuts; at least 1. */
  reportEverySeconds: number;
  /** Also cut as soon as a stream holds this many open readings. */
  reportReadings?: number;
  /** Stop after cutting this many reports (all orders and streams together). */
  maxReports?: number;
  /** Stop after this many milliseconds. */
  durationMs?: number;
  /** Milliseconds between ticks. */
  tickMs: number;
  /** After stopping, how long to keep sending what the gateway has not answered yet. */
  drainMs: number;
  /** What happened, for the caller to print: "signed", "sent", "refused". */
  event?: (name: string, fields: Record<string, unknown>) => void;
  /** Plain-words progress and problems. */
  log?: (text: string) => void;
}

export type StopReason = "reports" | "duration" | "stopped";

export interface RunSummary {
  reason: StopReason;
  /** Reports cut by this run. */
  signed: number;
  /** Reports the gateway acknowledged during this run (also ones cut before a restart). */
  acknowledged: number;
  /** Reports the gateway refused for good during this run. */
  refused: number;
  /** Reports in the store that the gateway has not answered yet (they go out at the next start). */
  unacknowledged: number;
  /** Each order's last report numbers. */
  orders: { orderId: bigint; device: number; inspector: number }[];
}

const STREAM_NAME = ["device", "inspector"] as const;

export class DeviceRunner {
  readonly #options: DeviceRunnerOptions;
  #stopping = false;
  #wake: (() => void) | undefined;
  #signed = 0;
  #acknowledged = 0;
  #refused = 0;

  constructor(options: DeviceRunnerOptions) {
    if (!(options.reportEverySeconds >= 1)) {
      throw new RangeError(`Reports are cut at most once a second; got every ${options.reportEverySeconds} s.`);
    }
    this.#options = options;
  }

  /** Ends production at the next tick (the run then reports what is open and drains). */
  stop(): void {
    this.#stopping = true;
    this.#wake?.();
  }

  async run(): Promise<RunSummary> {
    const o = this.#options;
    const startedAt = Date.now();
    let reason: StopReason | undefined;
    let lastCut: number | undefined;
    const expired = new Set<bigint>();
    while (reason === undefined) {
      if (this.#stopping) reason = "stopped";
      else if (o.durationMs !== undefined && Date.now() - startedAt >= o.durationMs) reason = "duration";
      if (reason !== undefined) break;
      const now = await this.#now();
      if (now !== undefined) {
        this.#record(now, expired);
        lastCut ??= now;
        if (now - lastCut >= o.reportEverySeconds || this.#full(now)) {
          lastCut = now;
          if (await this.#cut(now)) reason = "reports";
        }
      }
      await this.#send();
      if (reason === undefined) await this.#sleep(o.tickMs);
    }
    // Stopped on time or when told: what is open is reported too, so that nothing waits for the next start.
    if (reason !== "reports") {
      const now = await this.#now();
      if (now !== undefined) {
        this.#record(now, expired);
        await this.#cut(now, true);
      }
    }
    const drainUntil = Date.now() + o.drainMs;
    await this.#send();
    while (o.agent.store.unacknowledged().length > 0 && Date.now() < drainUntil) {
      await this.#sleep(Math.min(o.tickMs, Math.max(0, drainUntil - Date.now())), false);
      await this.#send();
    }
    return {
      reason,
      signed: this.#signed,
      acknowledged: this.#acknowledged,
      refused: this.#refused,
      unacknowledged: o.agent.store.unacknowledged().length,
      orders: o.orders.map(({ orderId }) => ({
        orderId,
        device: o.agent.store.lastReport(orderId, Stream.Device)?.sequence ?? 0,
        inspector: o.agent.store.lastReport(orderId, Stream.Inspector)?.sequence ?? 0,
      })),
    };
  }

  async #now(): Promise<number | undefined> {
    try {
      return await this.#options.clock();
    } catch (error) {
      this.#options.log?.(`cannot read the clock (${(error as Error).message}); trying again at the next tick`);
      return undefined;
    }
  }

  /** Records every machine's readings up to `now` (or its order's expiry). */
  #record(now: number, expired: Set<bigint>): void {
    for (const { orderId, machine, expiresAt } of this.#options.orders) {
      if (expired.has(orderId)) continue;
      let until = now;
      if (expiresAt !== undefined && now >= expiresAt) {
        until = expiresAt;
        expired.add(orderId);
        this.#options.log?.(`order ${orderId} expired at ${expiresAt}; its machine stops reporting on it`);
      }
      const readings = machine.run(until);
      if (readings.length > 0) this.#options.agent.record(orderId, readings);
    }
  }

  /** Whether some stream holds enough open readings for a report of its own. */
  #full(now: number): boolean {
    const limit = this.#options.reportReadings;
    if (limit === undefined) return false;
    return this.#options.orders.some(({ orderId }) =>
      [Stream.Device, Stream.Inspector].some(
        (stream) => this.#options.agent.store.openReadings(orderId, stream, now).length >= limit,
      ),
    );
  }

  /** Cuts a report of every stream with open readings; true once `maxReports` are cut (unless `ignoreLimit`). */
  async #cut(now: number, ignoreLimit = false): Promise<boolean> {
    const o = this.#options;
    for (const { orderId, expiresAt } of o.orders) {
      const periodEnd = expiresAt === undefined ? now : Math.min(now, expiresAt);
      for (const stream of [Stream.Device, Stream.Inspector]) {
        if (!ignoreLimit && o.maxReports !== undefined && this.#signed >= o.maxReports) return true;
        const signed = await o.agent.cutReport(orderId, stream, periodEnd);
        if (signed === undefined) continue;
        this.#signed += 1;
        const r = signed.report;
        o.event?.("signed", {
          orderId: r.orderId,
          stream: STREAM_NAME[stream],
          sequence: r.sequence,
          periodStart: r.periodStart,
          periodEnd: r.periodEnd,
          readings: o.agent.store.readingsOf(orderId, stream, r.sequence).length,
          machineSeconds: r.machineSeconds,
          units: r.units,
          inspections: r.inspections,
          licensedProducts: r.licensedProducts,
        });
      }
    }
    return !ignoreLimit && o.maxReports !== undefined && this.#signed >= o.maxReports;
  }

  /** Sends what is unacknowledged and tells, report by report, what the gateway answered. */
  async #send(): Promise<void> {
    const o = this.#options;
    const pending = o.agent.store.unacknowledged();
    if (pending.length === 0) return;
    const result = await o.agent.send(o.gateway);
    const refused = new Set(result.refused.map((r) => `${r.orderId}:${r.stream}:${r.sequence}`));
    const left = new Set(
      o.agent.store.unacknowledged().map((r) => `${r.signed.report.orderId}:${r.stream}:${r.signed.report.sequence}`),
    );
    for (const { stream, signed } of pending) {
      const key = `${signed.report.orderId}:${stream}:${signed.report.sequence}`;
      if (left.has(key) || refused.has(key)) continue;
      this.#acknowledged += 1;
      o.event?.("sent", {
        orderId: signed.report.orderId,
        stream: STREAM_NAME[stream],
        sequence: signed.report.sequence,
        acknowledged: true,
      });
    }
    for (const r of result.refused) {
      // A gap only means an earlier report has not reached the gateway yet: it is sent again.
      const final = !left.has(`${r.orderId}:${r.stream}:${r.sequence}`);
      if (final) this.#refused += 1;
      o.event?.("refused", {
        orderId: r.orderId,
        stream: STREAM_NAME[r.stream],
        sequence: r.sequence,
        status: r.status,
        error: r.error,
        final,
      });
    }
  }

  /** Waits `ms`, or less when stopped (unless `wakeable` is false). */
  #sleep(ms: number, wakeable = true): Promise<void> {
    if (wakeable && this.#stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      if (wakeable) this.#wake = done;
    });
  }
}
