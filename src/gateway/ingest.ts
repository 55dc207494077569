/**
 * The gateway's front door: checks a signed usage report as the meter will (the signature recovers to a
 * key the MachineRegistry lists for the order's machine, valid at the period's end; the order exists and
 * is open; the period and counts are sane; its sequence number is the stream's next one or the very same
 * report again) and stores it durably before it answers. Reports that arrive together are stored in one
 * SQLite transaction (group commit); each caller is answered only after that transaction committed.
 */
import type { Hex } from "viem";

import { SignatureError } from "../channels/secp256k1.js";
import type { MeterDomain, SignedReport, UsageReport } from "../metering/report.js";
import { KeyKind, type ChainView } from "./chain.js";
import type { GatewayStore, NewReport } from "./store.js";
import { packReport, ReportVerifier } from "./verify.js";
import { reportFromJson, WireError } from "./wire.js";

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
}

export interface IngestOptions {
  store: GatewayStore;
  chain: ChainView;
  domain: MeterDomain;
  /** Unix seconds now (default: the wall clock). */
  now?: () => number;
  /** How far a period may end in the future of `now` (clock skew between device and gateway), default 60 s. */
  maxFutureSeconds?: number;
  /** How long a report whose predecessor is not stored yet waits for it before it is refused (default 2 s). */
  gapWaitMs?: number;
}

export interface IngestCounters {
  received: number;
  stored: number;
  alreadyStored: number;
  refused: Record<string, number>;
}

interface Queued {
  row: NewReport;
  done: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const KIND_NAME = ["device", "inspector"] as const;

export class Ingest {
  readonly counters: IngestCounters = { received: 0, stored: 0, alreadyStored: 0, refused: {} };
  readonly #options: IngestOptions;
  readonly #verifier: ReportVerifier;
  /** Highest sequence admitted per stream (stored or waiting for the next commit). */
  readonly #heads = new Map<string, number>();
  /** Reports whose predecessor in the stream is still being checked, by stream and sequence. */
  readonly #parked = new Map<string, Map<number, () => void>>();
  /** Admitted and not yet committed, by stream and sequence. */
  readonly #queued = new Map<string, Queued>();
  #flushing = false;

  constructor(options: IngestOptions) {
    this.#options = options;
    this.#verifier = new ReportVerifier(options.domain);
  }

  /** Checks and stores one report given as parsed JSON; resolves once it is durable, or rejects with ReportRefused. */
  async accept(input: unknown): Promise<Accepted> {
    this.counters.received += 1;
    try {
      const accepted = await this.#accept(input);
      if (accepted.outcome === "stored") this.counters.stored += 1;
      else this.counters.alreadyStored += 1;
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

  async #accept(input: unknown): Promise<Accepted> {
    let signed: SignedReport;
    try {
      signed = reportFromJson(input);
    } catch (error) {
      if (error instanceof WireError) throw new ReportRefused(400, "MalformedReport", error.message);
      throw error;
    }
    const { report } = signed;
    const what = `Report ${report.sequence} of order ${report.orderId}`;
    // What needs no chain is checked first, and the order is read only for a known signer: a report that is
    // wrong costs at most one (cached, also when negative) read of its signer's key.
    this.#checkPeriod(report, what);
    let digest: Hex;
    let signer: Hex;
    try {
      ({ digest, signer } = this.#verifier.verify(signed));
    } catch (error) {
      if (error instanceof SignatureError) {
        throw new ReportRefused(400, "InvalidSignature", `${what}: the signature is not valid (${error.message}).`);
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
        `${what}: it was signed by ${signer}, which is no machine's key in the MachineRegistry (or it was signed for another chain or meter).`,
      );
    }
    let order = chain.order(report.orderId);
    if (order instanceof Promise) order = await order;
    if (order === undefined) {
      throw new ReportRefused(404, "UnknownOrder", `${what}: the meter has no order ${report.orderId}.`);
    }
    if (!order.open) {
      throw new ReportRefused(
        409,
        "OrderNotOpen",
        `${what}: order ${report.orderId} is closed; it takes no more reports.`,
      );
    }
    if (key.machineId !== order.machineId) {
      throw new ReportRefused(
        403,
        "SignerOfAnotherMachine",
        `${what}: signer ${signer} is a key of machine ${key.machineId}, but the order books machine ${order.machineId}.`,
      );
    }
    if (key.validFrom > report.periodEnd || (key.validUntil !== 0 && report.periodEnd >= key.validUntil)) {
      throw new ReportRefused(
        403,
        "SignerNotValidAtPeriodEnd",
        `${what}: key ${signer} is valid from ${key.validFrom}${key.validUntil === 0 ? "" : ` until ${key.validUntil}`}, not at the period's end ${report.periodEnd}.`,
      );
    }
    this.#checkOrderAndCounts(signed, key.kind, order, what);
    const stream = `${report.orderId}:${key.kind}`;
    let chainLast = chain.lastSequence(report.orderId, key.kind);
    if (chainLast instanceof Promise) chainLast = await chainLast;
    // From here on synchronous: the admission below sees every report admitted before it.
    return this.#admit(signed, key.kind, stream, chainLast, digest, signer, what);
  }

  /** What the period alone shows wrong: it ends before it starts, or in the future. */
  #checkPeriod(report: UsageReport, what: string): void {
    if (report.periodEnd < report.periodStart) {
      throw new ReportRefused(
        422,
        "PeriodEndsBeforeStart",
        `${what}: its period ends (${report.periodEnd}) before it starts (${report.periodStart}).`,
      );
    }
    const now = (this.#options.now ?? (() => Math.floor(Date.now() / 1000)))();
    const skew = this.#options.maxFutureSeconds ?? 60;
    if (report.periodEnd > now + skew) {
      throw new ReportRefused(
        422,
        "PeriodInFuture",
        `${what}: its period ends at ${report.periodEnd}, ${report.periodEnd - now} s in the future; check the device's clock.`,
      );
    }
  }

  #checkOrderAndCounts(
    signed: SignedReport,
    kind: KeyKind,
    order: { expiresAt: number; licenseCount: number },
    what: string,
  ): void {
    const { report } = signed;
    if (report.periodEnd > order.expiresAt) {
      throw new ReportRefused(
        422,
        "PeriodAfterExpiry",
        `${what}: its period ends at ${report.periodEnd}, after the order expired (${order.expiresAt}).`,
      );
    }
    const n = report.licensedProducts.length;
    if (n !== 0 && n !== order.licenseCount) {
      throw new ReportRefused(
        422,
        "LicensedProductsMismatch",
        `${what}: it counts ${n} licensed products; the order's tariff names ${order.licenseCount} licences.`,
      );
    }
    if (kind === KeyKind.Device) {
      if (report.inspections !== 0) {
        throw new ReportRefused(
          422,
          "CountsNotAllowedForSigner",
          `${what}: a device key signed ${report.inspections} inspections; only an inspector key may.`,
        );
      }
      if (report.machineSeconds > BigInt(report.periodEnd - report.periodStart)) {
        throw new ReportRefused(
          422,
          "MoreSecondsThanThePeriod",
          `${what}: ${report.machineSeconds} machine seconds do not fit its period of ${report.periodEnd - report.periodStart} s.`,
        );
      }
    } else if (report.machineSeconds !== 0n || report.units !== 0n || report.licensedProducts.some((c) => c !== 0n)) {
      throw new ReportRefused(
        422,
        "CountsNotAllowedForSigner",
        `${what}: an inspector key may sign inspections only, not machine time, units or licensed products.`,
      );
    }
  }

  #admit(
    signed: SignedReport,
    kind: KeyKind,
    stream: string,
    chainLast: number,
    digest: Hex,
    signer: Hex,
    what: string,
  ): Promise<Accepted> {
    const { report } = signed;
    const name = `${what} (${KIND_NAME[kind]} stream)`;
    const slot = `${stream}:${report.sequence}`;
    let head = this.#heads.get(stream);
    if (head === undefined) {
      head = Math.max(this.#options.store.head(report.orderId, kind), chainLast);
      this.#heads.set(stream, head);
    }
    // Everything stored or queued of the stream is at or below its head: a number above it is new.
    if (report.sequence <= head) {
      const queued = this.#queued.get(slot);
      const known = queued?.row.digest ?? this.#options.store.find(report.orderId, kind, report.sequence)?.digest;
      if (known !== undefined) {
        if (known !== digest) {
          throw new ReportRefused(
            409,
            "SequenceTaken",
            `${name}: the gateway holds another report with this number (digest ${known}); a number names one report only.`,
          );
        }
        const same: Accepted = { status: 200, outcome: "already stored", digest };
        return queued === undefined ? Promise.resolve(same) : queued.done.then(() => same);
      }
    }
    if (report.sequence <= chainLast) {
      throw new ReportRefused(
        409,
        "AlreadyRecorded",
        `${name}: the meter recorded ${chainLast} reports of this stream already; number ${report.sequence} cannot count again.`,
      );
    }
    if (report.sequence !== head + 1) {
      const gap = new ReportRefused(
        409,
        "SequenceGap",
        `${name}: the next number of this stream is ${head + 1}; send the reports in order.`,
      );
      // Reports checked side by side may reach this point out of order: wait a moment for the ones before.
      const parked = this.#parked.get(stream) ?? new Map<number, () => void>();
      if (report.sequence < head + 1 || parked.has(report.sequence)) throw gap;
      this.#parked.set(stream, parked);
      return new Promise<Accepted>((resolve, reject) => {
        const timer = setTimeout(() => {
          parked.delete(report.sequence);
          reject(gap);
        }, this.#options.gapWaitMs ?? 2000);
        parked.set(report.sequence, () => {
          clearTimeout(timer);
          parked.delete(report.sequence);
          try {
            resolve(this.#admit(signed, kind, stream, chainLast, digest, signer, what));
          } catch (error) {
            reject(error);
          }
        });
      });
    }
    this.#heads.set(stream, report.sequence);
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
      kind,
      sequence: report.sequence,
      digest,
      signer,
      periodEnd: report.periodEnd,
      packed: packReport(signed),
    };
    this.#queued.set(slot, { row, done, resolve, reject });
    this.#scheduleFlush();
    next?.();
    return done.then(() => ({ status: 201, outcome: "stored", digest }));
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
