/**
 * The device agent on a machine: records raw readings (spindle seconds, parts, licensed parts, and a worker's
 * inspections from the worker's smart device), keeps them durably (./store.ts), turns the open readings of a
 * stream into a usage report signed with the stream's key (the machine's device key, or the inspector key)
 * that commits to them with a Merkle root, sends unacknowledged reports to a gateway, and proves any single
 * reading later against the report that covers it.
 *
 * A report is committed before anyone sees it, so a sequence number is never used for two contents: after
 * a restart the agent numbers on from its store and sends the very same reports again until acknowledged.
 */
import type { Hex, LocalAccount } from "viem";

import { proveReading, ReadingKind, readingsRoot, totals, type Reading } from "../metering/readings.js";
import { checkReport, signReport, type MeterDomain, type SignedReport, type UsageReport } from "../metering/report.js";
import { reportToJson } from "../gateway/wire.js";
import { DeviceStore, Stream, type OrderConfig } from "./store.js";
import { seededRandom } from "../util/random.js";

export { Stream } from "./store.js";

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

/** A reading and what proves it: the signed report that commits to it and its Merkle proof. */
export interface ReadingProof {
  reading: Reading;
  signed: SignedReport;
  proof: Hex[];
}

export interface SendResult {
  acknowledged: number;
  /** Reports the gateway refused for good (a 4xx answer), with its words. */
  refused: { orderId: bigint; stream: Stream; sequence: number; status: number; error: string }[];
}

/** What the agent did since it started. */
export interface DeviceCounters {
  readings: number;
  signed: number;
  sent: number;
  acknowledged: number;
  refused: Record<string, number>;
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
    sendFailures: 0,
  };
  readonly #options: DeviceAgentOptions;
  /** The last attempt to reach the gateway failed (so the next failure is not logged again). */
  #unreachable = false;
  /** Serialises report cuts: each reads the stream's last number and commits the next. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: DeviceAgentOptions) {
    this.store = options.store;
    this.#options = options;
  }

  #log(line: string): void {
    this.#options.log?.(line);
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
   * Signs the next report of `stream` over its open readings up to `periodEnd` (the period starts where
   * the stream's last report ended) and commits it; undefined when no reading is open.
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

  async #cut(orderId: bigint, stream: Stream, periodEnd: number): Promise<SignedReport | undefined> {
    const order = this.store.order(orderId);
    if (order === undefined) throw new Error(`Order ${orderId} is not known to this device; add it first.`);
    const readings = this.store.openReadings(orderId, stream, periodEnd);
    if (readings.length === 0) return undefined;
    const key = stream === Stream.Device ? this.#options.deviceKey : this.#options.inspectorKey;
    if (key === undefined) {
      throw new Error(`Order ${orderId} has inspections to report, but this agent holds no inspector key.`);
    }
    const last = this.store.lastReport(orderId, stream);
    const periodStart = last?.periodEnd ?? order.since;
    const counts = totals(readings, stream === Stream.Device ? order.licenseIds : []);
    if (counts.machineSeconds > BigInt(Math.max(0, periodEnd - periodStart))) {
      throw new RangeError(
        `Order ${orderId}: ${counts.machineSeconds} spindle seconds do not fit the period ${periodStart}..${periodEnd}; ` +
          "the machine's clock or its readings are wrong.",
      );
    }
    const report: UsageReport = {
      orderId,
      sequence: (last?.sequence ?? 0) + 1,
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
    for (let i = 0; i < pending.length; i += batchSize) {
      const batch = pending.slice(i, i + batchSize);
      let response: Response;
      try {
        response = await fetch(`${url}/reports`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ reports: batch.map((r) => reportToJson(r.signed)) }),
        });
      } catch (error) {
        this.counters.sendFailures += 1;
        // Said once per outage, not at every attempt; the reports wait in the store meanwhile.
        if (!this.#unreachable) {
          this.#log(
            `cannot reach the gateway at ${url} (${(error as Error).message}); ${pending.length} report(s) wait ` +
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
      const body = (await response.json().catch(() => ({}))) as {
        results?: { status: number; reason?: string; error?: string }[];
        error?: string;
      };
      this.counters.sent += batch.length;
      if (!Array.isArray(body.results) || body.results.length !== batch.length) {
        this.counters.sendFailures += 1;
        this.#log(`the gateway answered ${response.status} ${body.error ?? ""}; will send again later`);
        return result;
      }
      body.results.forEach((answer, j) => {
        const { stream, signed } = batch[j]!;
        const { orderId, sequence } = signed.report;
        if (answer.status < 300) {
          this.store.acknowledge(orderId, stream, sequence);
          result.acknowledged += 1;
          this.counters.acknowledged += 1;
        } else if (answer.status < 500) {
          result.refused.push({ orderId, stream, sequence, status: answer.status, error: answer.error ?? "" });
          const reason = answer.reason ?? String(answer.status);
          this.counters.refused[reason] = (this.counters.refused[reason] ?? 0) + 1;
          // Refused for good, kept with the gateway's words; a gap only means an earlier report is missing there.
          if (reason !== "SequenceGap")
            this.store.refuse(orderId, stream, sequence, `${answer.status} ${answer.error ?? reason}`);
          this.#log(`the gateway refused report ${sequence} of order ${orderId}: ${answer.error ?? answer.status}`);
        }
      });
    }
    return result;
  }
}

/**
 * Proves the reading at `index` of the order's log against the signed report that covers it, from the store
 * alone (no key is needed: the report was signed when it was cut).
 */
export function proveFromStore(store: DeviceStore, orderId: bigint, index: bigint): ReadingProof {
  const found = store.reading(orderId, index);
  if (found === undefined) throw new RangeError(`Order ${orderId} has no reading with index ${index}.`);
  if (found.sequence === undefined) {
    throw new RangeError(`Reading ${index} of order ${orderId} is in no report yet; cut a report first.`);
  }
  const stored = store.report(orderId, found.stream, found.sequence)!;
  const readings = store.readingsOf(orderId, found.stream, found.sequence);
  return { reading: found.reading, signed: stored.signed, proof: proveReading(readings, found.reading) };
}

/** How a simulated machine works: a laser cutter or press brake making parts in cycles. */
export interface MachineProfile {
  /** Spindle (beam, ram) seconds per part. */
  cycleSeconds: number;
  /** Seconds between parts besides the cycle (loading, unloading). */
  handlingSeconds: number;
  /** Share of parts made under a licence (0..1), and the licence. */
  licensedShare: number;
  licenseId: number;
  /** A worker inspects every this many parts (0: never). */
  inspectEvery: number;
}

export const LASER_CUTTER: MachineProfile = {
  cycleSeconds: 42,
  handlingSeconds: 18,
  licensedShare: 0.25,
  licenseId: 0,
  inspectEvery: 10,
};

/** A press brake bending parts: short strokes, longer handling, no licensed designs, an inspection every 25 parts. */
export const PRESS_BRAKE: MachineProfile = {
  cycleSeconds: 8,
  handlingSeconds: 22,
  licensedShare: 0,
  licenseId: 0,
  inspectEvery: 25,
};

/** The simulated machines by name, as the device agent's command line takes them. */
export const PROFILES = { "laser-cutter": LASER_CUTTER, "press-brake": PRESS_BRAKE } as const;
export type ProfileName = keyof typeof PROFILES;

/**
 * `profile` fitted to an order and sped up: `speed` times as many parts per hour (cycle and handling divided,
 * whole seconds, a cycle at least 1 s); licensed parts are made under the order's first licence, or not at all
 * when its tariff names none (they could not be reported); no inspections without an inspector key.
 */
export function fitProfile(
  profile: MachineProfile,
  options: { speed?: number; licenseIds: readonly number[]; inspections: boolean },
): MachineProfile {
  const speed = options.speed ?? 1;
  if (!(speed > 0)) throw new RangeError(`A machine's speed must be more than 0; got ${speed}.`);
  const licensed = options.licenseIds.length > 0;
  return {
    cycleSeconds: Math.max(1, Math.round(profile.cycleSeconds / speed)),
    handlingSeconds: Math.round(profile.handlingSeconds / speed),
    licensedShare: licensed ? profile.licensedShare : 0,
    licenseId: licensed
      ? options.licenseIds.includes(profile.licenseId)
        ? profile.licenseId
        : options.licenseIds[0]!
      : 0,
    inspectEvery: options.inspections ? profile.inspectEvery : 0,
  };
}

/**
 * Simulates a machine at a realistic rate: each part takes some handling, then its cycle of spindle time
 * (±10 %); spindle seconds are read as they accrue (at each part's end, and for the part in progress at
 * every `run`), so a period never holds more spindle time than it lasted; one reading per part, and an
 * inspection every so many parts. Deterministic for a seed; time is whatever clock the caller advances.
 */
export class MachineSimulator {
  readonly #random: () => number;
  #clock: number;
  /** Spindle time is read up to here. */
  #accrued: number;
  #current: { spinFrom: number; done: number } | undefined;
  #parts = 0;

  constructor(
    readonly profile: MachineProfile,
    start: number,
    seed = 1,
  ) {
    this.#random = seededRandom(seed);
    this.#clock = start;
    this.#accrued = start;
  }

  get parts(): number {
    return this.#parts;
  }

  /** The readings from the last run up to `until` (Unix seconds). */
  run(until: number): Omit<Reading, "index">[] {
    const p = this.profile;
    const out: Omit<Reading, "index">[] = [];
    for (;;) {
      if (this.#current === undefined) {
        const cycle = Math.max(1, Math.round(p.cycleSeconds * (0.9 + 0.2 * this.#random())));
        const spinFrom = this.#clock + p.handlingSeconds;
        this.#current = { spinFrom, done: spinFrom + cycle };
      }
      const { spinFrom, done } = this.#current;
      const from = Math.max(spinFrom, this.#accrued);
      if (done > until) {
        if (until > from) {
          out.push({ at: until, kind: ReadingKind.SpindleSeconds, amount: BigInt(until - from), licenseId: 0 });
          this.#accrued = until;
        }
        return out;
      }
      if (done > from) {
        out.push({ at: done, kind: ReadingKind.SpindleSeconds, amount: BigInt(done - from), licenseId: 0 });
      }
      this.#accrued = done;
      this.#clock = done;
      this.#current = undefined;
      this.#parts += 1;
      const licensed = p.licensedShare > 0 && this.#random() < p.licensedShare;
      out.push({
        at: done,
        kind: licensed ? ReadingKind.LicensedUnits : ReadingKind.Units,
        amount: 1n,
        licenseId: licensed ? p.licenseId : 0,
      });
      if (p.inspectEvery > 0 && this.#parts % p.inspectEvery === 0) {
        out.push({ at: done, kind: ReadingKind.Inspection, amount: 1n, licenseId: 0 });
      }
    }
  }
}
