/**
 * The device agent on a machine: records raw readings (spindle seconds, parts, licensed parts, and a worker's
 * inspections from the worker's smart device), keeps them durably (./store.ts), turns the open readings of a
 * stream into a usage report signed with the stream's key (the machine's device key, or the inspector key)
 * that commits to them with a Merkle root, sends unacknowledged reports to a gateway, and proves any single
 * reading later against the report that covers it.
 *
 * A report is committed before anyone sees it, so a sequence number always names the same readings: after a
 * restart the agent numbers on from its store and sends the very same reports again until acknowledged. When
 * the gateway refuses one for good for its period (it ends after the chain's time, starts before the stream's
 * previous report ended, ...), the agent re-issues that number over the same readings with a corrected period
 * instead of numbering on past it (`reissue`); and a store that is fresh or behind takes its position from the
 * gateway and the chain before it signs (`recover`).
 */
import type { Hex, LocalAccount } from "viem";

import { ReadingKind, readingsRoot, totals, type Reading } from "../../core/readings.js";
import { checkReport, signReport, type MeterDomain, type SignedReport, type UsageReport } from "../../core/report.js";
import {
  NUMBER_TAKEN_REFUSALS,
  PERIOD_REFUSALS,
  reportToJson,
  SEQUENCE_GAP,
  STREAM_NAMES,
  type StreamPositionJson,
} from "../../codec/report-wire.js";
import { DeviceStore, Stream, type Fate, type OrderConfig, type StoredReport } from "./store.js";
import { GatewayClient } from "./gateway.js";
import { Unreachable, type JsonAnswer } from "../../transport/client.js";

import { proveFromStore, type ReadingProof } from "./prove.js";

export { Stream } from "./store.js";
export { proveFromStore, type ReadingProof } from "./prove.js";
export {
  fitProfile,
  LASER_CUTTER,
  MachineSimulator,
  PRESS_BRAKE,
  PROFILES,
  type MachineProfile,
  type ProfileName,
} from "./simulator.js";

/** The stream a reading belongs to: inspections are the inspector's, the rest the machine's. */
export function streamOf(kind: ReadingKind): Stream {
  return kind === ReadingKind.Inspection ? Stream.Inspector : Stream.Device;
}

export interface DeviceAgentOptions {
  store: DeviceStore;
  domain: MeterDomain;
  /** The machine's device key (registered in the MachineRegistry as a Device key). */
  deviceKey: LocalAccount;
  /** The worker's inspector key (an Inspector key of the same machine), if inspections are reported. */
  inspectorKey?: LocalAccount;
  /** Plain-words progress and problems; default: nothing. */
  log?: (line: string) => void;
}

export interface SendResult {
  acknowledged: number;
  /**
   * Reports the gateway refused (a 4xx answer), with its words, and what becomes of them: "replace", "stuck",
   * "taken" (see Fate), or undefined when not for good (a gap: an earlier report had not reached it).
   */
  refused: {
    orderId: bigint;
    stream: Stream;
    sequence: number;
    status: number;
    reason: string;
    error: string;
    fate?: Fate;
  }[];
}

/** What `reissue` did with a report refused for good. */
export interface Reissue {
  orderId: bigint;
  stream: Stream;
  sequence: number;
  /**
   * "reissued": signed again over the same readings with the period given; "waiting": not possible yet (the
   * chain's time has to reach what the readings need, or an earlier report has to reach the gateway);
   * "stuck": no period can cure it; "taken": the number names another report now.
   */
  outcome: "reissued" | "waiting" | "stuck" | "taken";
  periodStart?: number;
  periodEnd?: number;
  version?: number;
  why?: string;
  /** The chain's time the gateway gave with the stream's position. */
  chainTime?: number;
}

/** What `recover` found: where the stream stands at the gateway, and whether the store moved to it. */
export interface Recovery {
  orderId: bigint;
  stream: Stream;
  position: StreamPositionJson;
  moved: boolean;
  /** Open readings left out: they lie at or before the period start the gateway gave. */
  leftOut: number;
}

/** What the agent did since it started. */
export interface DeviceCounters {
  readings: number;
  signed: number;
  sent: number;
  acknowledged: number;
  refused: Record<string, number>;
  reissued: number;
  sendFailures: number;
}

export class DeviceAgent {
  readonly store: DeviceStore;
  readonly counters: DeviceCounters = {
    readings: 0,
    signed: 0,
    sent: 0,
    acknowledged: 0,
    refused: {},
    reissued: 0,
    sendFailures: 0,
  };
  readonly #options: DeviceAgentOptions;
  /** The last attempt to reach the gateway failed (so the next failure is not logged again). */
  #unreachable = false;
  readonly #gateways = new Map<string, GatewayClient>();
  /** Serialises report cuts: each reads the stream's last number and commits the next. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: DeviceAgentOptions) {
    this.store = options.store;
    this.#options = options;
  }

  #log(line: string): void {
    this.#options.log?.(line);
  }

  /** The client of the gateway at `url` (one per gateway, so that its connections are kept alive). */
  #gateway(url: string): GatewayClient {
    let client = this.#gateways.get(url);
    if (client === undefined) this.#gateways.set(url, (client = new GatewayClient(url)));
    return client;
  }

  addOrder(order: OrderConfig): void {
    this.store.addOrder(order);
  }

  /** Records readings durably (they are committed when this returns); returns them with their log index. */
  record(orderId: bigint, readings: readonly Omit<Reading, "index">[]): Reading[] {
    const out: Reading[] = [];
    for (const stream of [Stream.Device, Stream.Inspector]) {
      const mine = readings.filter((r) => streamOf(r.kind) === stream);
      if (mine.length > 0) out.push(...this.store.appendReadings(orderId, stream, mine));
    }
    this.counters.readings += out.length;
    return out.sort((a, b) => (a.index < b.index ? -1 : 1));
  }

  /**
   * Signs the next report of `stream` over its open readings up to `periodEnd` (the period starts where the
   * stream's position is: the end of its last report, or where a recovery put it) and commits it; undefined when
   * no reading is open, when `periodEnd` lies before that start, or when an earlier report of the stream was
   * refused for good and is not re-issued yet (the stream never skips ahead of it).
   */
  cutReport(orderId: bigint, stream: Stream, periodEnd: number): Promise<SignedReport | undefined> {
    const next = this.#queue.then(() => this.#cut(orderId, stream, periodEnd));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Cuts a report of every stream of every order given that has open readings. */
  async cutAll(orderIds: readonly bigint[], periodEnd: number): Promise<SignedReport[]> {
    const out: SignedReport[] = [];
    for (const orderId of orderIds) {
      for (const stream of [Stream.Device, Stream.Inspector]) {
        const signed = await this.cutReport(orderId, stream, periodEnd);
        if (signed !== undefined) out.push(signed);
      }
    }
    return out;
  }

  #key(orderId: bigint, stream: Stream): LocalAccount {
    const key = stream === Stream.Device ? this.#options.deviceKey : this.#options.inspectorKey;
    if (key === undefined) {
      throw new Error(`Order ${orderId} has inspections to report, but this agent holds no inspector key.`);
    }
    return key;
  }

  async #cut(orderId: bigint, stream: Stream, periodEnd: number): Promise<SignedReport | undefined> {
    const order = this.store.order(orderId);
    if (order === undefined) throw new Error(`Order ${orderId} is not known to this device; add it first.`);
    if (this.store.blocking(orderId, stream) !== undefined) return undefined;
    const { sequence, periodStart } = this.store.position(orderId, stream);
    if (periodEnd < periodStart) return undefined;
    const open = this.store.openReadings(orderId, stream, periodEnd);
    if (open.length === 0) return undefined;
    const key = this.#key(orderId, stream);
    // The readings, in log order, whose spindle seconds fit the period: a period that starts later than the
    // readings' own time (after a re-issue moved the previous period's end) leaves the rest for a later cut.
    const length = BigInt(periodEnd - periodStart);
    let seconds = 0n;
    let fit = open.length;
    for (const [i, r] of open.entries()) {
      if (r.kind !== ReadingKind.SpindleSeconds) continue;
      if (seconds + r.amount > length) {
        fit = i;
        break;
      }
      seconds += r.amount;
    }
    const readings = open.slice(0, fit);
    if (readings.length === 0) return undefined;
    const counts = totals(readings, stream === Stream.Device ? order.licenseIds : []);
    const report: UsageReport = {
      orderId,
      sequence,
      periodStart,
      periodEnd,
      ...counts,
      licensedProducts: stream === Stream.Device ? counts.licensedProducts : [],
      readingsRoot: readingsRoot(readings),
    };
    checkReport(report);
    const signed = await signReport(key, this.#options.domain, report);
    // Nothing was sent yet: should this commit fail (or the process die before it), the number is still free.
    this.store.commitReport(stream, signed, readings);
    this.counters.signed += 1;
    this.#log(
      `order ${orderId}: signed ${stream === Stream.Device ? "device" : "inspection"} report ${report.sequence} ` +
        `over ${readings.length} readings (${report.machineSeconds} s, ${report.units} parts, ${report.inspections} inspections)`,
    );
    return signed;
  }

  /**
   * Asks the gateway at `url` where the stream stands (GET /streams) and moves the store's position forward to
   * it when the store is behind (fresh, or restored from an old copy): its next report then takes the number
   * after what the meter recorded and the gateway holds, and starts where the last of those ended. Throws when
   * the gateway cannot be asked (GatewayUnavailable) or does not know the order (GatewayUnknownOrder).
   */
  async recover(url: string, orderId: bigint, stream: Stream): Promise<Recovery> {
    const position = await this.#gateway(url).position(orderId, stream);
    const { moved, leftOut } = this.store.recover(orderId, stream, {
      sequence: position.nextSequence,
      periodStart: position.periodStart,
    });
    if (moved) {
      this.#log(
        `order ${orderId}: the ${STREAM_NAMES[stream]} stream goes on at report ${position.nextSequence} from ` +
          `${position.periodStart}, after what the meter recorded (${position.recorded.lastSequence}) and the ` +
          `gateway holds (${position.held.lastSequence}); this store was behind` +
          (leftOut > 0 ? `, and leaves out ${leftOut} readings dated before that` : ""),
      );
    }
    return { orderId, stream, position, moved, leftOut };
  }

  /**
   * Re-issues each stream's first report refused for good for its period: the same number over the same readings
   * (root and counts), signed again with a corrected period: from where the gateway says the stream's next
   * period starts to no later than the chain's time and the order's expiry, long enough for its machine seconds,
   * and unlike every refused version. The refused versions were never stored by the gateway, so never submitted,
   * and it refuses them ever after; the re-issue goes out with the next `send`.
   */
  async reissue(url: string): Promise<Reissue[]> {
    const out: Reissue[] = [];
    for (const orderId of this.store.orderIds()) {
      for (const stream of [Stream.Device, Stream.Inspector]) {
        const refused = this.store.blocking(orderId, stream);
        if (refused === undefined || refused.fate !== "replace") continue;
        const position = await this.#gateway(url).position(orderId, stream);
        const done = { ...(await this.#reissue(refused, position)), chainTime: position.chainTime };
        out.push(done);
        if (done.outcome === "reissued") this.counters.reissued += 1;
        if (done.outcome !== "waiting" || done.why !== undefined) {
          this.#log(
            `order ${orderId}: ${STREAM_NAMES[stream]} report ${done.sequence} ` +
              (done.outcome === "reissued"
                ? `re-issued over the same readings for ${done.periodStart}..${done.periodEnd} (version ${done.version})`
                : `${done.outcome}: ${done.why}`),
          );
        }
      }
    }
    return out;
  }

  async #reissue(refused: StoredReport, position: StreamPositionJson): Promise<Reissue> {
    const was = refused.signed.report;
    const base = { orderId: was.orderId, stream: refused.stream, sequence: was.sequence };
    const settle = (fate: "stuck" | "taken", why: string): Reissue => {
      this.store.settleFate(was.orderId, refused.stream, was.sequence, fate, why);
      return { ...base, outcome: fate, why };
    };
    if (position.nextSequence > was.sequence) {
      return settle("taken", `the gateway and the meter hold another report with number ${was.sequence}`);
    }
    if (position.nextSequence < was.sequence) {
      return { ...base, outcome: "waiting" };
    }
    if (!position.open) return settle("stuck", "the order is closed");
    const start = position.periodStart;
    const latest = Math.min(position.chainTime, position.expiresAt);
    const needs = start + Number(was.machineSeconds);
    if (needs > position.expiresAt) {
      return settle(
        "stuck",
        `its ${was.machineSeconds} machine seconds do not fit between ${start} and the order's expiry ${position.expiresAt}`,
      );
    }
    if (needs > latest) {
      return { ...base, outcome: "waiting", why: `the chain's time has to reach ${needs} for its machine seconds` };
    }
    // The latest end up to the refused period's own (so that the reports after it still start after it) that the
    // chain's time allows and the machine seconds fit, and that no refused version had; else a later one.
    const refusedVersions = [refused, ...this.store.versions(was.orderId, refused.stream, was.sequence)].map(
      (r) => r.signed.report,
    );
    const taken = (end: number) => refusedVersions.some((r) => r.periodStart === start && r.periodEnd === end);
    let end = Math.max(Math.min(was.periodEnd, latest), needs);
    while (taken(end) && end > needs) end -= 1;
    if (taken(end)) {
      end = Math.max(Math.min(was.periodEnd, latest), needs) + 1;
      while (taken(end) && end <= latest) end += 1;
      if (end > latest) return { ...base, outcome: "waiting" };
    }
    const report: UsageReport = { ...was, periodStart: start, periodEnd: end };
    checkReport(report);
    const signed = await signReport(this.#key(was.orderId, refused.stream), this.#options.domain, report);
    this.store.commitReplacement(refused.stream, signed);
    return { ...base, outcome: "reissued", periodStart: start, periodEnd: end, version: refused.version + 1 };
  }

  /** Proves the reading at `index` of the order's log against the signed report that covers it. */
  prove(orderId: bigint, index: bigint): ReadingProof {
    return proveFromStore(this.store, orderId, index);
  }

  /**
   * Sends every unacknowledged report to the gateway at `url` (POST /reports, in batches, oldest first),
   * and marks what it acknowledged. Network failures and 5xx answers leave reports for the next call.
   */
  async send(url: string, batchSize = 100): Promise<SendResult> {
    const result: SendResult = { acknowledged: 0, refused: [] };
    const pending = this.store.unacknowledged();
    const gateway = this.#gateway(url);
    for (let i = 0; i < pending.length; i += batchSize) {
      const batch = pending.slice(i, i + batchSize);
      let reply: JsonAnswer;
      try {
        reply = await gateway.sendReports(batch.map((r) => reportToJson(r.signed)));
      } catch (error) {
        if (!(error instanceof Unreachable)) throw error;
        this.counters.sendFailures += 1;
        // Said once per outage, not at every attempt; the reports wait in the store meanwhile.
        if (!this.#unreachable) {
          this.#log(
            `cannot reach the gateway at ${url} (${error.detail}); ${pending.length} report(s) wait ` +
              "in the store and go out when it answers again",
          );
        }
        this.#unreachable = true;
        return result;
      }
      if (this.#unreachable) {
        this.#unreachable = false;
        this.#log(`the gateway at ${url} answers again (after ${this.counters.sendFailures} failed attempt(s) in all)`);
      }
      const body = (reply.body ?? {}) as {
        results?: { status: number; reason?: string; error?: string }[];
        error?: string;
      };
      this.counters.sent += batch.length;
      if (!Array.isArray(body.results) || body.results.length !== batch.length) {
        this.counters.sendFailures += 1;
        this.#log(`the gateway answered ${reply.status} ${body.error ?? ""}; will send again later`);
        return result;
      }
      body.results.forEach((answer, j) => this.#answered(batch[j]!, answer, result));
    }
    return result;
  }

  /** Marks what the gateway answered for one report: acknowledged, or refused (for good, or a gap). */
  #answered(
    { stream, signed }: StoredReport,
    answer: { status: number; reason?: string; error?: string },
    result: SendResult,
  ): void {
    const { orderId, sequence } = signed.report;
    if (answer.status < 300) {
      this.store.acknowledge(orderId, stream, sequence);
      result.acknowledged += 1;
      this.counters.acknowledged += 1;
      return;
    }
    if (answer.status >= 500) return;
    const reason = answer.reason ?? String(answer.status);
    const error = answer.error ?? "";
    this.counters.refused[reason] = (this.counters.refused[reason] ?? 0) + 1;
    // A gap only means an earlier report is missing there: it is sent again. Anything else is for good:
    // kept with the gateway's words, and either re-issued, its number given up, or the stream stuck.
    const fate: Fate | undefined =
      reason === SEQUENCE_GAP
        ? undefined
        : PERIOD_REFUSALS.has(reason)
          ? "replace"
          : NUMBER_TAKEN_REFUSALS.has(reason)
            ? "taken"
            : "stuck";
    if (fate !== undefined)
      this.store.refuse(orderId, stream, sequence, `${answer.status} ${error || reason}`, reason, fate);
    result.refused.push({ orderId, stream, sequence, status: answer.status, reason, error, fate });
    this.#log(
      `the gateway refused report ${sequence} of order ${orderId}: ${error || answer.status}` +
        (fate === "replace"
          ? "; it is re-issued over the same readings with a corrected period"
          : fate === "taken"
            ? "; its number names another report there, so it is not sent again"
            : fate === "stuck"
              ? "; no corrected period cures that, so the stream stops here"
              : ""),
    );
  }
}
