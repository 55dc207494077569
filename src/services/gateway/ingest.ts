/**
 * The gateway's front door: checks a signed usage report as the meter will and stores it durably before it
 * answers. First what needs no chain (the period's ends in order, the signature), then the signer's key and only
 * for a known key the order: it exists, is open and books the key's machine. From there on the report is the
 * machine's own, and a refusal for good is recorded (the refusal record, ./store.ts) before it is answered. Then
 * its number: the very same report again is "already stored", another one under a stored or recorded number is
 * refused; a number refused before takes no report but a replacement over the same readings. Then the meter's
 * rules for the report itself: the period ends by the chain's time (its latest block) plus the stated clock
 * tolerance and by the expiry, the key is valid over the whole period, the counts are the signer's to report
 * and fit the period. Last the stream's order: the number is the stream's next one, and the period starts no
 * earlier than the order opened and the stream's previous report ended (the one the gateway stored, or the
 * meter's last recorded one, whichever ended later). Reports that arrive together are stored in one SQLite
 * transaction (group commit); each caller is answered only after that transaction committed.
 */
import type { Hex } from "viem";

import { SignatureError } from "../../crypto/secp256k1.js";
import type { MeterDomain, SignedReport, UsageReport } from "../../core/report.js";
import { KeyKind, type ChainView, type OrderInfo, type SignerInfo, type StreamInfo } from "./chain.js";
import type { GatewayStore, NewReport, Refusal } from "./store.js";
import { ReportVerifier } from "../../crypto/report-digest.js";
import {
  reportFromJson,
  STREAM_NAMES,
  WireError,
  type ClockJson,
  type StreamPositionJson,
} from "../../codec/report-wire.js";

/** Why the gateway refuses a report: an HTTP status, a reason name, and words that say what to do. */
export class ReportRefused extends Error {
  override name = "ReportRefused";
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Accepted {
  status: 200 | 201;
  /** "stored": stored now; "already stored": the very same report was stored before. */
  outcome: "stored" | "already stored";
  digest: Hex;
  /** Stored in place of this many refused versions of its number (0: none was refused). */
  replaced: number;
}

/**
 * How far a period may end after the chain's time by default, in seconds: more than the block interval of any
 * chain this runs on (a device dates its periods by the latest block it saw, which the gateway may not have
 * seen yet), and small enough that a device whose clock runs ahead learns it at once.
 */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 60;

export interface IngestOptions {
  store: GatewayStore;
  chain: ChainView;
  domain: MeterDomain;
  /** How far a period may end after the chain's time (its latest block), seconds; default 60. */
  clockToleranceSeconds?: number;
  /** How long a report whose predecessor is not stored yet waits for it before it is refused (default 2 s). */
  gapWaitMs?: number;
}

export interface IngestCounters {
  received: number;
  stored: number;
  alreadyStored: number;
  /** Stored in place of a refused version of their number. */
  replaced: number;
  refused: Record<string, number>;
}

interface Queued {
  row: NewReport;
  done: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** What the gateway knows of a stream: its highest number admitted (stored, queued) or recorded, and above it. */
interface StreamHead {
  sequence: number;
  /** That report's period end (0: none yet). */
  periodEnd: number;
  /** Refusal records of numbers above `sequence`, oldest first per number. */
  refused: Map<number, Refusal[]>;
}

/** A report whose signer is a key of its order's machine, with what the chain says about it. */
interface Candidate {
  signed: SignedReport;
  digest: Hex;
  signer: Hex;
  /** The report and signature packed as the meter reads them (src/codec/batch.ts). */
  packed: Uint8Array;
  key: SignerInfo;
  kind: KeyKind;
  order: OrderInfo;
  onChain: StreamInfo;
  chainTime: number;
  stream: string;
}

/** "Report 3 of order 1": words for a refusal, built only then (most reports are stored and never need them). */
const reportName = (report: UsageReport) => `Report ${report.sequence} of order ${report.orderId}`;

/** "Report 3 of order 1 (device stream)". */
const nameOf = (c: Candidate) => `${reportName(c.signed.report)} (${STREAM_NAMES[c.kind]} stream)`;

/** Whether `report` covers the readings a refused version of its number covered. */
function sameReadings(report: UsageReport, refused: Refusal): boolean {
  return (
    report.readingsRoot === refused.readingsRoot &&
    report.machineSeconds === refused.machineSeconds &&
    report.units === refused.units &&
    report.inspections === refused.inspections
  );
}

const streamsPath = (orderId: bigint, kind: KeyKind) => `GET /streams/${orderId}/${STREAM_NAMES[kind]}`;

export class Ingest {
  readonly counters: IngestCounters = { received: 0, stored: 0, alreadyStored: 0, replaced: 0, refused: {} };
  readonly toleranceSeconds: number;
  readonly #options: IngestOptions;
  readonly #verifier: ReportVerifier;
  /** What is known of each stream, read from the store and the chain when first needed. */
  readonly #heads = new Map<string, StreamHead>();
  /**
   * Reports whose predecessor in the stream is still being checked, by stream and sequence: `resume` once it is
   * admitted, `fail` once it is refused (then no successor can be stored now either).
   */
  readonly #parked = new Map<string, Map<number, { resume: () => void; fail: () => void }>>();
  /** Admitted and not yet committed, by stream and sequence. */
  readonly #queued = new Map<string, Queued>();
  #flushing = false;

  constructor(options: IngestOptions) {
    this.#options = options;
    this.toleranceSeconds = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
    if (!(this.toleranceSeconds >= 0))
      throw new RangeError(`A clock tolerance is 0 s or more, not ${this.toleranceSeconds}.`);
    this.#verifier = new ReportVerifier(options.domain);
  }

  /** Checks and stores one report given as parsed JSON; resolves once it is durable, or rejects with ReportRefused. */
  async accept(input: unknown): Promise<Accepted> {
    this.counters.received += 1;
    try {
      const accepted = await this.#accept(input);
      if (accepted.outcome === "stored") this.counters.stored += 1;
      else this.counters.alreadyStored += 1;
      if (accepted.replaced > 0) this.counters.replaced += 1;
      return accepted;
    } catch (error) {
      const refused =
        error instanceof ReportRefused
          ? error
          : new ReportRefused(
              503,
              "Unavailable",
              `The gateway could not check or store the report now (${(error as Error).message}); send it again later.`,
            );
      this.counters.refused[refused.reason] = (this.counters.refused[refused.reason] ?? 0) + 1;
      throw refused;
    }
  }

  /** The chain's clock as the gateway judges periods by it (GET /clock). */
  async clock(): Promise<ClockJson> {
    const chainTime = await this.#options.chain.chainTime();
    const hostTime = Math.floor(Date.now() / 1000);
    return {
      chainId: this.#options.domain.chainId,
      meter: this.#options.domain.meter,
      chainTime,
      hostTime,
      hostAheadSeconds: hostTime - chainTime,
      toleranceSeconds: this.toleranceSeconds,
    };
  }

  /**
   * Where a stream stands (GET /streams/<order>/<kind>): the number its next report takes and where that
   * report's period must start (the later end of the meter's last recorded period and of the last report the
   * gateway holds), with a refused version of that number if one awaits its replacement; undefined for an
   * order the meter does not have. A device whose store is fresh or behind numbers on from here.
   */
  async position(orderId: bigint, kind: KeyKind): Promise<StreamPositionJson | undefined> {
    const { chain } = this.#options;
    const order = await chain.order(orderId);
    if (order === undefined) return undefined;
    const onChain = await chain.stream(orderId, kind);
    const chainTime = await chain.chainTime();
    const head = this.#headOf(`${orderId}:${kind}`, orderId, kind, onChain);
    const next = head.sequence + 1;
    const refused = head.refused.get(next);
    return {
      orderId: orderId.toString(),
      stream: STREAM_NAMES[kind],
      nextSequence: next,
      periodStart: Math.max(order.openedAt, onChain.periodEnd, head.periodEnd),
      recorded: { lastSequence: onChain.lastSequence, periodEnd: onChain.periodEnd },
      held: { lastSequence: head.sequence, periodEnd: head.periodEnd },
      refused:
        refused === undefined
          ? null
          : {
              sequence: next,
              reasons: refused.map((r) => r.reason),
              digests: refused.map((r) => r.digest),
              readingsRoot: refused[0]!.readingsRoot,
              machineSeconds: refused[0]!.machineSeconds.toString(),
              units: refused[0]!.units.toString(),
              inspections: refused[0]!.inspections,
            },
      open: order.open,
      openedAt: order.openedAt,
      expiresAt: order.expiresAt,
      chainTime,
      toleranceSeconds: this.toleranceSeconds,
    };
  }

  async #accept(input: unknown): Promise<Accepted> {
    let signed: SignedReport;
    try {
      signed = reportFromJson(input);
    } catch (error) {
      if (error instanceof WireError) throw new ReportRefused(400, "MalformedReport", error.message);
      throw error;
    }
    const { report } = signed;
    // What needs no chain is checked first, and the order is read only for a known signer: a report that is
    // wrong costs at most one (cached, also when negative) read of its signer's key.
    if (report.periodEnd < report.periodStart) {
      throw new ReportRefused(
        422,
        "PeriodEndsBeforeStart",
        `${reportName(report)}: its period ends (${report.periodEnd}) before it starts (${report.periodStart}).`,
      );
    }
    let digest: Hex;
    let signer: Hex;
    let packed: Uint8Array;
    try {
      ({ digest, signer } = this.#verifier.verify(signed));
      packed = this.#verifier.packedBytes();
    } catch (error) {
      if (error instanceof SignatureError) {
        throw new ReportRefused(
          400,
          "InvalidSignature",
          `${reportName(report)}: the signature is not valid (${error.message}).`,
        );
      }
      throw error;
    }
    const { chain } = this.#options;
    // Cached reads answer at once; only a read that goes to the node is waited for.
    let key = chain.signerKey(signer);
    if (key instanceof Promise) key = await key;
    if (key === undefined) {
      throw new ReportRefused(
        403,
        "UnknownSigner",
        `${reportName(report)}: it was signed by ${signer}, which is no machine's key in the MachineRegistry (or it was signed for another chain or meter).`,
      );
    }
    let order = chain.order(report.orderId);
    if (order instanceof Promise) order = await order;
    if (order === undefined) {
      throw new ReportRefused(404, "UnknownOrder", `${reportName(report)}: the meter has no order ${report.orderId}.`);
    }
    if (!order.open) {
      throw new ReportRefused(
        409,
        "OrderNotOpen",
        `${reportName(report)}: order ${report.orderId} is closed; it takes no more reports.`,
      );
    }
    if (key.machineId !== order.machineId) {
      throw new ReportRefused(
        403,
        "SignerOfAnotherMachine",
        `${reportName(report)}: signer ${signer} is a key of machine ${key.machineId}, but the order books machine ${order.machineId}.`,
      );
    }
    let onChain = chain.stream(report.orderId, key.kind);
    if (onChain instanceof Promise) onChain = await onChain;
    let chainTime = chain.chainTime();
    if (chainTime instanceof Promise) chainTime = await chainTime;
    // A refusal for good is final: before one rests on the cached clock, the latest block is read again.
    if (report.periodEnd > chainTime + this.toleranceSeconds) chainTime = await chain.chainTime(true);
    const kind = key.kind;
    // From here on synchronous: the admission below sees every report admitted before it.
    return this.#admitOrFail({
      signed,
      digest,
      signer,
      packed,
      key,
      kind,
      order,
      onChain,
      chainTime,
      stream: `${report.orderId}:${kind}`,
    });
  }

  /** The stream's head, read from the store (and its refusal records) and the chain when first needed. */
  #headOf(stream: string, orderId: bigint, kind: KeyKind, onChain: StreamInfo): StreamHead {
    let head = this.#heads.get(stream);
    if (head === undefined) {
      const stored = this.#options.store.head(orderId, kind);
      const [sequence, periodEnd] =
        stored !== undefined && stored.sequence >= onChain.lastSequence
          ? [stored.sequence, stored.periodEnd]
          : [onChain.lastSequence, onChain.periodEnd];
      const refused = new Map<number, Refusal[]>();
      for (const r of this.#options.store.refusalsAbove(orderId, kind, sequence)) {
        refused.set(r.sequence, [...(refused.get(r.sequence) ?? []), r]);
      }
      head = { sequence, periodEnd, refused };
      this.#heads.set(stream, head);
    } else if (onChain.lastSequence > head.sequence) {
      // The meter recorded reports this gateway does not hold (another gateway's, or ones of a lost store).
      head.sequence = onChain.lastSequence;
      head.periodEnd = onChain.periodEnd;
      for (const n of head.refused.keys()) if (n <= head.sequence) head.refused.delete(n);
    }
    return head;
  }

  /**
   * Refuses `c` for good: the refusal is recorded first (durably, in the store) when it is the first of its
   * number or covers the same readings as the first, so that the gateway never stores this very report later
   * and accepts only a replacement over those readings.
   */
  #refuse(c: Candidate, head: StreamHead, status: number, reason: string, message: string): never {
    const { report } = c.signed;
    const earlier = head.refused.get(report.sequence);
    if (earlier === undefined || sameReadings(report, earlier[0]!)) {
      const refusal: Refusal = {
        orderId: report.orderId,
        kind: c.kind,
        sequence: report.sequence,
        digest: c.digest,
        reason,
        readingsRoot: report.readingsRoot,
        machineSeconds: report.machineSeconds,
        units: report.units,
        inspections: report.inspections,
      };
      this.#options.store.recordRefusal(refusal);
      head.refused.set(report.sequence, [...(earlier ?? []), refusal]);
    }
    throw new ReportRefused(status, reason, message);
  }

  /** The meter's rules for the report itself: its period's end, its key's validity, its counts. */
  #checkReport(c: Candidate, head: StreamHead): void {
    const { report } = c.signed;
    const { order, key, kind } = c;
    const tolerance = this.toleranceSeconds;
    if (report.periodEnd > c.chainTime + tolerance) {
      this.#refuse(
        c,
        head,
        422,
        "PeriodInFuture",
        `${nameOf(c)}: its period ends at ${report.periodEnd}, ${report.periodEnd - c.chainTime} s after the chain's time ` +
          `(${c.chainTime}, its latest block); the gateway takes periods ending at most ${tolerance} s after it. ` +
          "Date periods by the chain's clock (GET /clock) and re-issue the report over the same readings.",
      );
    }
    if (report.periodEnd > order.expiresAt) {
      this.#refuse(
        c,
        head,
        422,
        "PeriodAfterExpiry",
        `${nameOf(c)}: its period ends at ${report.periodEnd}, after the order expired (${order.expiresAt}).`,
      );
    }
    if (key.validFrom > report.periodStart || (key.validUntil !== 0 && report.periodEnd >= key.validUntil)) {
      this.#refuse(
        c,
        head,
        403,
        "SignerNotValidForPeriod",
        `${nameOf(c)}: key ${c.signer} is valid from ${key.validFrom}${key.validUntil === 0 ? "" : ` until ${key.validUntil}`}, ` +
          `not over the whole period ${report.periodStart}..${report.periodEnd}: a key signs periods that start at ` +
          "or after it became valid and end before it was revoked.",
      );
    }
    const n = report.licensedProducts.length;
    if (n !== 0 && n !== order.licenseCount) {
      this.#refuse(
        c,
        head,
        422,
        "LicensedProductsMismatch",
        `${nameOf(c)}: it counts ${n} licensed products; the order's tariff names ${order.licenseCount} licences.`,
      );
    }
    if (kind === KeyKind.Device) {
      if (report.inspections !== 0) {
        this.#refuse(
          c,
          head,
          422,
          "CountsNotAllowedForSigner",
          `${nameOf(c)}: a device key signed ${report.inspections} inspections; only an inspector key may.`,
        );
      }
      if (report.machineSeconds > BigInt(report.periodEnd - report.periodStart)) {
        this.#refuse(
          c,
          head,
          422,
          "MoreSecondsThanThePeriod",
          `${nameOf(c)}: ${report.machineSeconds} machine seconds do not fit its period of ${report.periodEnd - report.periodStart} s.`,
        );
      }
    } else if (report.machineSeconds !== 0n || report.units !== 0n || report.licensedProducts.some((x) => x !== 0n)) {
      this.#refuse(
        c,
        head,
        422,
        "CountsNotAllowedForSigner",
        `${nameOf(c)}: an inspector key may sign inspections only, not machine time, units or licensed products.`,
      );
    }
  }

  /** `#admit`, and when it refuses the report, the stream's reports parked behind it are refused at once. */
  #admitOrFail(c: Candidate): Promise<Accepted> {
    try {
      return this.#admit(c);
    } catch (error) {
      this.#failParked(c.stream, c.signed.report.sequence + 1);
      throw error;
    }
  }

  #failParked(stream: string, sequence: number): void {
    this.#parked.get(stream)?.get(sequence)?.fail();
  }

  #admit(c: Candidate): Promise<Accepted> {
    const { report } = c.signed;
    const { stream, digest } = c;
    const slot = `${stream}:${report.sequence}`;
    const head = this.#headOf(stream, report.orderId, c.kind, c.onChain);
    // Everything stored or queued of the stream is at or below its head: a number above it is new.
    if (report.sequence <= head.sequence) {
      const queued = this.#queued.get(slot);
      const known = queued?.row.digest ?? this.#options.store.find(report.orderId, c.kind, report.sequence)?.digest;
      if (known !== undefined) {
        if (known !== digest) {
          throw new ReportRefused(
            409,
            "SequenceTaken",
            `${nameOf(c)}: the gateway holds another report with this number (digest ${known}); a number names one ` +
              `report only, and a stored one is never replaced. The stream's next number: ${streamsPath(report.orderId, c.kind)}.`,
          );
        }
        const same: Accepted = { status: 200, outcome: "already stored", digest, replaced: 0 };
        return queued === undefined ? Promise.resolve(same) : queued.done.then(() => same);
      }
    }
    if (report.sequence <= c.onChain.lastSequence) {
      throw new ReportRefused(
        409,
        "AlreadyRecorded",
        `${nameOf(c)}: the meter recorded ${c.onChain.lastSequence} reports of this stream already; number ` +
          `${report.sequence} cannot count again. The stream's next number: ${streamsPath(report.orderId, c.kind)}.`,
      );
    }
    const refused = head.refused.get(report.sequence);
    const before = refused?.find((r) => r.digest === digest);
    if (before !== undefined) {
      throw new ReportRefused(
        409,
        "RefusedBefore",
        `${nameOf(c)}: the gateway refused this very report for good before (${before.reason}) and never stores it; ` +
          "re-issue the number over the same readings with a corrected period " +
          `(${streamsPath(report.orderId, c.kind)} says where it must start).`,
      );
    }
    this.#checkReport(c, head);
    if (refused !== undefined && !sameReadings(report, refused[0]!)) {
      const first = refused[0]!;
      throw new ReportRefused(
        409,
        "ReplacementChangesReadings",
        `${nameOf(c)}: it would replace the refused report with this number (${first.reason}, digest ${first.digest}), ` +
          `but a replacement covers the same readings (root ${first.readingsRoot}, ${first.machineSeconds} machine ` +
          `seconds, ${first.units} units, ${first.inspections} inspections); only its period may be corrected.`,
      );
    }
    if (report.sequence !== head.sequence + 1) {
      const gap = new ReportRefused(
        409,
        "SequenceGap",
        `${nameOf(c)}: the next number of this stream is ${head.sequence + 1}; send the reports in order.`,
      );
      // Reports checked side by side may reach this point out of order: wait a moment for the ones before, unless
      // the next one was refused for good (its replacement comes in a later request).
      const parked = this.#parked.get(stream) ?? new Map<number, { resume: () => void; fail: () => void }>();
      if (report.sequence < head.sequence + 1 || parked.has(report.sequence) || head.refused.has(head.sequence + 1)) {
        throw gap;
      }
      this.#parked.set(stream, parked);
      return new Promise<Accepted>((resolve, reject) => {
        const fail = () => {
          clearTimeout(timer);
          parked.delete(report.sequence);
          reject(gap);
          this.#failParked(stream, report.sequence + 1);
        };
        const timer = setTimeout(fail, this.#options.gapWaitMs ?? 2000);
        parked.set(report.sequence, {
          resume: () => {
            clearTimeout(timer);
            parked.delete(report.sequence);
            try {
              resolve(this.#admitOrFail(c));
            } catch (error) {
              reject(error);
            }
          },
          fail,
        });
      });
    }
    const mark = Math.max(c.order.openedAt, c.onChain.periodEnd, head.periodEnd);
    if (report.periodStart < mark) {
      if (head.sequence === 0) {
        this.#refuse(
          c,
          head,
          422,
          "PeriodStartsBeforeOrder",
          `${nameOf(c)}: its period starts at ${report.periodStart}, before the order opened (${c.order.openedAt}); ` +
            `the stream's first period starts at ${mark} or later.`,
        );
      }
      this.#refuse(
        c,
        head,
        422,
        "PeriodOverlapsPrevious",
        `${nameOf(c)}: its period starts at ${report.periodStart}, before the stream's previous report ended (the later ` +
          `of the meter's last recorded period and the gateway's last stored one); it must start at ${mark} or later ` +
          `(${streamsPath(report.orderId, c.kind)}). Re-issue it over the same readings from there.`,
      );
    }
    head.sequence = report.sequence;
    head.periodEnd = report.periodEnd;
    head.refused.delete(report.sequence);
    // The next report of the stream may be waiting for this one.
    const next = this.#parked.get(stream)?.get(report.sequence + 1);
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const row: NewReport = {
      orderId: report.orderId,
      kind: c.kind,
      sequence: report.sequence,
      digest,
      signer: c.signer,
      periodEnd: report.periodEnd,
      packed: c.packed,
    };
    this.#queued.set(slot, { row, done, resolve, reject });
    this.#scheduleFlush();
    next?.resume();
    const replaced = refused?.length ?? 0;
    return done.then(() => ({ status: 201, outcome: "stored", digest, replaced }));
  }

  #scheduleFlush(): void {
    if (this.#flushing) return;
    this.#flushing = true;
    setImmediate(() => this.#flush());
  }

  /** Commits every admitted report in one transaction, then answers their callers. */
  #flush(): void {
    this.#flushing = false;
    const batch = [...this.#queued.values()];
    this.#queued.clear();
    if (batch.length === 0) return;
    try {
      this.#options.store.insert(batch.map((q) => q.row));
    } catch (error) {
      // Nothing of the batch was stored: forget the heads (they are read again) and refuse every report.
      this.#heads.clear();
      for (const q of batch) q.reject(error);
      return;
    }
    for (const q of batch) q.resolve();
  }
}
