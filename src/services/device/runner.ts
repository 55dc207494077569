/**
 * The device agent's working loop, as a long-running process runs it (scripts/device-agent.ts): every tick
 * the simulated machines make their readings up to now (the chain's time) and the agent records them; every so
 * many seconds (or as soon as a stream holds so many open readings) it cuts a report per stream; it sends
 * whatever is not acknowledged yet, and re-issues what the gateway refused for good for its period. Before it
 * signs a stream's first report in a run it asks the gateway where the stream stands, so that a store that is
 * fresh or behind goes on after what the meter recorded and the gateway holds. It stops after so many reports,
 * after so long, when told to, or when every order's stream is stuck on a refusal no period cures; then it
 * reports what is still open (unless it stopped on its report count) and keeps sending and re-issuing until the
 * gateway has answered every report, for a while at most. What it does is told as events (position, signed, sent,
 * refused, reissued) for the caller to print.
 */
import { poll, Reachability, sleep } from "../../chain/poll.js";
import { DeviceAgent, MachineSimulator, Stream } from "./agent.js";
import { GatewayUnknownOrder } from "./gateway.js";

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
  /** Unix seconds now: the chain's time (see ./clock.ts). */
  clock: () => Promise<number>;
  /** Told the chain's time whenever the gateway says it, so that the clock measures its offset again. */
  observeChainTime?: (chainTime: number) => void;
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
  /** What happened, for the caller to print: "position", "signed", "sent", "refused", "reissued". */
  event?: (name: string, fields: Record<string, unknown>) => void;
  /** Plain-words progress and problems. */
  log?: (text: string) => void;
}

export type StopReason = "reports" | "duration" | "stopped" | "stuck";

export interface RunSummary {
  reason: StopReason;
  /** Reports cut by this run. */
  signed: number;
  /** Reports the gateway acknowledged during this run (also ones cut before a restart). */
  acknowledged: number;
  /** Refusals for good the gateway answered during this run (also ones cured by a re-issue since). */
  refused: number;
  /** Reports re-issued over the same readings with a corrected period during this run. */
  reissued: number;
  /** Reports that stay refused: stuck (no period cures the refusal), or still to be re-issued. */
  stuck: number;
  /** Reports in the store that the gateway has not answered yet (they go out at the next start). */
  unacknowledged: number;
  /** Each order's last report numbers. */
  orders: { orderId: bigint; device: number; inspector: number }[];
}

const STREAM_NAME = ["device", "inspector"] as const;

export class DeviceRunner {
  readonly #options: DeviceRunnerOptions;
  readonly #stop = new AbortController();
  /** The clock's reads and the re-issues' reads of the gateway: a failure said once until they work again. */
  readonly #clockReads: Reachability;
  readonly #reissueReads: Reachability;
  #signed = 0;
  #acknowledged = 0;
  #refused = 0;
  #reissued = 0;
  /** Streams whose position the gateway confirmed in this run ("order:stream"): only they are cut. */
  readonly #positioned = new Set<string>();
  /** Orders the agent stopped working on: a stream stuck, or unknown to the gateway's meter. */
  readonly #out = new Set<bigint>();
  /** The gateway could not say where a stream stands at the last attempt (said once per outage). */
  #positionsUnavailable = false;

  constructor(options: DeviceRunnerOptions) {
    if (!(options.reportEverySeconds >= 1)) {
      throw new RangeError(`Reports are cut at most once a second; got every ${options.reportEverySeconds} s.`);
    }
    this.#options = options;
    this.#clockReads = new Reachability("the clock", {
      down: (error) => options.log?.(`cannot read the clock (${(error as Error).message}); trying again at every tick`),
    });
    this.#reissueReads = new Reachability("the gateway's positions", {
      down: (error) =>
        options.log?.(`cannot re-issue refused reports now (${(error as Error).message}); trying again at every tick`),
    });
  }

  /** Ends production at the next tick (the run then reports what is open and drains). */
  stop(): void {
    this.#stop.abort();
  }

  async run(): Promise<RunSummary> {
    const o = this.#options;
    const startedAt = Date.now();
    let reason: StopReason | undefined;
    let lastCut: number | undefined;
    const expired = new Set<bigint>();
    const round = async () => {
      if (o.durationMs !== undefined && Date.now() - startedAt >= o.durationMs) reason = "duration";
      else if (o.orders.every(({ orderId }) => this.#out.has(orderId))) reason = "stuck";
      if (reason !== undefined) return false;
      const now = await this.#now();
      if (now !== undefined) this.#record(now, expired);
      await this.#position();
      if (now !== undefined) {
        lastCut ??= now;
        if (now - lastCut >= o.reportEverySeconds || this.#full(now)) {
          lastCut = now;
          if (await this.#cut(now)) reason = "reports";
        }
      }
      await this.#send();
      await this.#reissue();
      return reason === undefined;
    };
    // A round that throws is no outage (those are said and waited out inside it): the run ends with it.
    await poll(round, { intervalMs: o.tickMs, signal: this.#stop.signal, onError: () => "stop" });
    reason ??= "stopped";
    // Stopped on time or when told: what is open is reported too, so that nothing waits for the next start.
    if (reason === "duration" || reason === "stopped") {
      const now = await this.#now();
      if (now !== undefined) {
        this.#record(now, expired);
        await this.#cut(now, true);
      }
    }
    const drainUntil = Date.now() + o.drainMs;
    await this.#send();
    await this.#reissue();
    while (this.#waiting() && Date.now() < drainUntil) {
      await this.#sleep(Math.min(o.tickMs, Math.max(0, drainUntil - Date.now())), false);
      await this.#send();
      await this.#reissue();
    }
    return {
      reason,
      signed: this.#signed,
      acknowledged: this.#acknowledged,
      refused: this.#refused,
      reissued: this.#reissued,
      stuck: o.agent.store.heldUp().refused.length,
      unacknowledged: o.agent.store.unacknowledged().length,
      orders: o.orders.map(({ orderId }) => ({
        orderId,
        device: o.agent.store.lastReport(orderId, Stream.Device)?.sequence ?? 0,
        inspector: o.agent.store.lastReport(orderId, Stream.Inspector)?.sequence ?? 0,
      })),
    };
  }

  /** Whether something still waits for the gateway: a report to send, or one to re-issue. */
  #waiting(): boolean {
    const store = this.#options.agent.store;
    return store.unacknowledged().length > 0 || store.heldUp().refused.some((r) => r.fate === "replace");
  }

  /**
   * Asks the gateway where each stream not confirmed yet in this run stands, and moves the store forward to it
   * when it is behind; until then that stream is not cut (its readings wait, recorded).
   */
  async #position(): Promise<void> {
    const o = this.#options;
    for (const { orderId } of o.orders) {
      if (this.#out.has(orderId)) continue;
      for (const stream of [Stream.Device, Stream.Inspector]) {
        const key = `${orderId}:${stream}`;
        if (this.#positioned.has(key)) continue;
        try {
          const found = await o.agent.recover(o.gateway, orderId, stream);
          this.#positioned.add(key);
          this.#positionsUnavailable = false;
          o.observeChainTime?.(found.position.chainTime);
          o.event?.("position", {
            orderId,
            stream: STREAM_NAME[stream],
            nextSequence: found.position.nextSequence,
            periodStart: found.position.periodStart,
            recorded: found.position.recorded.lastSequence,
            held: found.position.held.lastSequence,
            moved: found.moved,
            leftOut: found.leftOut,
          });
        } catch (error) {
          if (error instanceof GatewayUnknownOrder) {
            this.#out.add(orderId);
            o.log?.(`order ${orderId}: ${error.message}; the machine stops reporting on it`);
            break;
          }
          if (!this.#positionsUnavailable) {
            o.log?.(
              `cannot ask the gateway where the streams stand (${(error as Error).message}); readings are kept ` +
                "and reports are signed once it answers",
            );
          }
          this.#positionsUnavailable = true;
          return;
        }
      }
    }
  }

  /** Re-issues what the gateway refused for good for its period, and tells what became of each. */
  async #reissue(): Promise<void> {
    const o = this.#options;
    if (!o.agent.store.heldUp().refused.some((r) => r.fate === "replace")) return;
    let done;
    try {
      done = await o.agent.reissue(o.gateway);
      this.#reissueReads.ok();
    } catch (error) {
      this.#reissueReads.failed(error);
      return;
    }
    for (const r of done) {
      if (r.chainTime !== undefined) o.observeChainTime?.(r.chainTime);
      if (r.outcome === "waiting") continue;
      // The number names another report: the stream's position is asked for again before it is cut.
      if (r.outcome === "taken") this.#positioned.delete(`${r.orderId}:${r.stream}`);
      if (r.outcome === "reissued") this.#reissued += 1;
      o.event?.("reissued", {
        orderId: r.orderId,
        stream: STREAM_NAME[r.stream],
        sequence: r.sequence,
        outcome: r.outcome,
        ...(r.periodStart === undefined ? {} : { periodStart: r.periodStart, periodEnd: r.periodEnd }),
        ...(r.version === undefined ? {} : { version: r.version }),
        ...(r.why === undefined ? {} : { why: r.why }),
      });
    }
    this.#noteStuck();
  }

  /** An order with a stream stuck on a refusal no period cures is worked on no more. */
  #noteStuck(): void {
    for (const r of this.#options.agent.store.heldUp().refused) {
      const orderId = r.signed.report.orderId;
      if (r.fate === "stuck" && !this.#out.has(orderId)) {
        this.#out.add(orderId);
        this.#options.log?.(
          `order ${orderId}: ${STREAM_NAME[r.stream]} report ${r.signed.report.sequence} stays refused (${r.refusal}); ` +
            "the machine stops reporting on the order",
        );
      }
    }
  }

  async #now(): Promise<number | undefined> {
    try {
      const now = await this.#options.clock();
      this.#clockReads.ok();
      return now;
    } catch (error) {
      this.#clockReads.failed(error);
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
      if (this.#out.has(orderId)) continue;
      const periodEnd = expiresAt === undefined ? now : Math.min(now, expiresAt);
      for (const stream of [Stream.Device, Stream.Inspector]) {
        if (!ignoreLimit && o.maxReports !== undefined && this.#signed >= o.maxReports) return true;
        if (!this.#positioned.has(`${orderId}:${stream}`)) continue;
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
        version: o.agent.store.report(signed.report.orderId, stream, signed.report.sequence)?.version ?? 1,
        acknowledged: true,
      });
    }
    for (const r of result.refused) {
      // A gap only means an earlier report has not reached the gateway yet: it is sent again.
      const final = r.fate !== undefined;
      if (final) this.#refused += 1;
      if (r.fate === "taken") this.#positioned.delete(`${r.orderId}:${r.stream}`);
      o.event?.("refused", {
        orderId: r.orderId,
        stream: STREAM_NAME[r.stream],
        sequence: r.sequence,
        status: r.status,
        reason: r.reason,
        error: r.error,
        final,
        ...(r.fate === undefined ? {} : { fate: r.fate }),
      });
    }
    this.#noteStuck();
  }

  /** Waits `ms`, or less when stopped (unless `wakeable` is false). */
  async #sleep(ms: number, wakeable = true): Promise<void> {
    await sleep(ms, wakeable ? this.#stop.signal : undefined);
  }
}
