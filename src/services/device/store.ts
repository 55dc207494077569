/**
 * What a device agent keeps, in SQLite (Node's built-in `node:sqlite`, WAL journal, as src/services/channels/store.ts):
 * every raw reading, and every report it signed with the readings it commits to. A report is committed before
 * it is sent, so a sequence number once used always names the same readings, across restarts. Its content
 * changes only after the gateway refused it for good (the refused version was never stored there, so never
 * submitted): it is then re-issued over the same readings with a corrected period, and the refused version is
 * kept beside it. Each stream's position may also be moved forward to where the gateway and the chain say its
 * next report goes (a store that is fresh or restored from an old copy).
 */
import type { DatabaseSync } from "node:sqlite";

import type { Reading, ReadingKind } from "../../core/readings.js";
import type { SignedReport } from "../../core/report.js";
import { reportFromJson, reportToJson } from "../../codec/report-wire.js";
import { openDatabase, transaction, type StoreOptions } from "../../store/sqlite.js";

export type { Synchronous } from "../../store/sqlite.js";

/** Which key signs a stream of reports: the machine's device key or a worker's inspector key (KeyKind). */
export const Stream = { Device: 0, Inspector: 1 } as const;
export type Stream = (typeof Stream)[keyof typeof Stream];

export type DeviceStoreOptions = StoreOptions;

export interface OrderConfig {
  orderId: bigint;
  /** The licences of the order's tariff, in the tariff's order. */
  licenseIds: readonly number[];
  /** Unix seconds from which the first report of each stream counts. */
  since: number;
}

/**
 * What became of a report the gateway refused for good: "replace", it is re-issued over the same readings with a
 * corrected period (the stream waits for it); "stuck", no corrected period can cure the refusal (the stream stops
 * there); "taken", its number names another report at the gateway or on chain (it is not sent again, and its
 * readings are not billed by it).
 */
export type Fate = "replace" | "stuck" | "taken";

export interface StoredReport {
  stream: Stream;
  signed: SignedReport;
  acknowledged: boolean;
  /** The gateway's words when it refused it for good (then it is not sent again). */
  refusal?: string;
  /** The gateway's reason name for that refusal. */
  reason?: string;
  fate?: Fate;
  /** 1, then one more for each re-issue of its number. */
  version: number;
}

/** Where a stream's next report goes: its number and where its period starts. */
export interface StreamPosition {
  sequence: number;
  periodStart: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS orders (
  order_id TEXT PRIMARY KEY, license_ids TEXT NOT NULL, since INTEGER NOT NULL, next_index INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS readings (
  order_id TEXT NOT NULL, idx INTEGER NOT NULL, at INTEGER NOT NULL, kind INTEGER NOT NULL, amount TEXT NOT NULL,
  license_id INTEGER NOT NULL, stream INTEGER NOT NULL, sequence INTEGER, PRIMARY KEY (order_id, idx));
CREATE INDEX IF NOT EXISTS readings_open ON readings (order_id, stream, sequence);
CREATE TABLE IF NOT EXISTS reports (
  order_id TEXT NOT NULL, stream INTEGER NOT NULL, sequence INTEGER NOT NULL, period_end INTEGER NOT NULL,
  body TEXT NOT NULL, acknowledged INTEGER NOT NULL DEFAULT 0, refusal TEXT, reason TEXT, fate TEXT,
  version INTEGER NOT NULL DEFAULT 1, PRIMARY KEY (order_id, stream, sequence));
CREATE TABLE IF NOT EXISTS report_versions (
  order_id TEXT NOT NULL, stream INTEGER NOT NULL, sequence INTEGER NOT NULL, version INTEGER NOT NULL,
  body TEXT NOT NULL, refusal TEXT, reason TEXT, PRIMARY KEY (order_id, stream, sequence, version));
CREATE TABLE IF NOT EXISTS stream_floors (
  order_id TEXT NOT NULL, stream INTEGER NOT NULL, sequence INTEGER NOT NULL, period_start INTEGER NOT NULL,
  PRIMARY KEY (order_id, stream));
`;

/** Columns a store made by an earlier version lacks, added in place. */
const ADDED_COLUMNS = [
  ["reason", "TEXT"],
  ["fate", "TEXT"],
  ["version", "INTEGER NOT NULL DEFAULT 1"],
] as const;

/** A reading left out of every report of this store: it lies before a position recovered from the gateway. */
const LEFT_OUT = 0;

type Row = Record<string, unknown>;

function readingOf(row: Row): Reading {
  return {
    index: BigInt(row.idx as number),
    at: Number(row.at),
    kind: Number(row.kind) as ReadingKind,
    amount: BigInt(row.amount as string),
    licenseId: Number(row.license_id),
  };
}

export class DeviceStore {
  readonly #db: DatabaseSync;

  constructor(options: DeviceStoreOptions) {
    this.#db = openDatabase(options, SCHEMA);
    const columns = new Set((this.#db.prepare("PRAGMA table_info(reports)").all() as Row[]).map((c) => c.name));
    for (const [name, type] of ADDED_COLUMNS) {
      if (!columns.has(name)) this.#db.exec(`ALTER TABLE reports ADD COLUMN ${name} ${type}`);
    }
    // A store of an agent that kept refusals without a fate: each is re-issued, or found taken or stuck then.
    if (!columns.has("fate")) {
      this.#db.exec("UPDATE reports SET fate = 'replace' WHERE refusal IS NOT NULL AND acknowledged = 0");
    }
  }

  /** Runs `work` in one IMMEDIATE transaction: all of it is committed, or none. */
  transaction<T>(work: () => T): T {
    return transaction(this.#db, work);
  }

  /** Registers an order; keeps what is stored if it is known already. */
  addOrder(order: OrderConfig): void {
    this.#db
      .prepare(
        "INSERT INTO orders (order_id, license_ids, since, next_index) VALUES (?, ?, ?, 0) ON CONFLICT DO NOTHING",
      )
      .run(order.orderId.toString(), JSON.stringify(order.licenseIds), order.since);
  }

  order(orderId: bigint): OrderConfig | undefined {
    const row = this.#db.prepare("SELECT * FROM orders WHERE order_id = ?").get(orderId.toString()) as Row | undefined;
    if (row === undefined) return undefined;
    return { orderId, licenseIds: JSON.parse(row.license_ids as string) as number[], since: Number(row.since) };
  }

  /** Every order the store knows, in id order. */
  orderIds(): bigint[] {
    return (this.#db.prepare("SELECT order_id FROM orders").all() as Row[])
      .map((row) => BigInt(row.order_id as string))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Appends readings of one stream to the order's log, numbering them; returns them with their index. */
  appendReadings(orderId: bigint, stream: Stream, readings: readonly Omit<Reading, "index">[]): Reading[] {
    return this.transaction(() => {
      const id = orderId.toString();
      const row = this.#db.prepare("SELECT next_index FROM orders WHERE order_id = ?").get(id) as Row | undefined;
      if (row === undefined) throw new Error(`Order ${orderId} is not known to this device; add it first.`);
      let next = Number(row.next_index);
      const insert = this.#db.prepare(
        "INSERT INTO readings (order_id, idx, at, kind, amount, license_id, stream) VALUES (?, ?, ?, ?, ?, ?, ?)",
      );
      const out: Reading[] = [];
      for (const r of readings) {
        insert.run(id, next, r.at, r.kind, r.amount.toString(), r.licenseId, stream);
        out.push({ ...r, index: BigInt(next) });
        next += 1;
      }
      this.#db.prepare("UPDATE orders SET next_index = ? WHERE order_id = ?").run(next, id);
      return out;
    });
  }

  /** Readings of the stream not yet committed to by a report, up to time `until`, in log order. */
  openReadings(orderId: bigint, stream: Stream, until: number): Reading[] {
    return (
      this.#db
        .prepare(
          "SELECT * FROM readings WHERE order_id = ? AND stream = ? AND sequence IS NULL AND at <= ? ORDER BY idx",
        )
        .all(orderId.toString(), stream, until) as Row[]
    ).map(readingOf);
  }

  /** The stream's last report (sequence and period end), if any. */
  lastReport(orderId: bigint, stream: Stream): { sequence: number; periodEnd: number } | undefined {
    const row = this.#db
      .prepare(
        "SELECT sequence, period_end FROM reports WHERE order_id = ? AND stream = ? ORDER BY sequence DESC LIMIT 1",
      )
      .get(orderId.toString(), stream) as Row | undefined;
    return row === undefined ? undefined : { sequence: Number(row.sequence), periodEnd: Number(row.period_end) };
  }

  /**
   * Where the stream's next report goes: after its last report (from the order's `since` before the first), or
   * later, where a recovered position puts it.
   */
  position(orderId: bigint, stream: Stream): StreamPosition {
    const last = this.lastReport(orderId, stream);
    const floor = this.#db
      .prepare("SELECT sequence, period_start FROM stream_floors WHERE order_id = ? AND stream = ?")
      .get(orderId.toString(), stream) as Row | undefined;
    const since = this.order(orderId)?.since ?? 0;
    return {
      sequence: Math.max(last?.sequence ?? 0, floor === undefined ? 0 : Number(floor.sequence) - 1) + 1,
      periodStart: Math.max(last?.periodEnd ?? since, floor === undefined ? 0 : Number(floor.period_start)),
    };
  }

  /**
   * Moves the stream's position forward to `position` (from the gateway: the number after what the meter
   * recorded and the gateway holds, and where that period starts) when the store is behind it: its next report
   * then takes that number, and open readings at or before that start are left out (they lie in periods the
   * stream reported already, from a store that was lost). A store level with it or ahead is left as it is.
   * Returns whether it moved and how many readings it left out.
   */
  recover(orderId: bigint, stream: Stream, position: StreamPosition): { moved: boolean; leftOut: number } {
    return this.transaction(() => {
      const local = this.position(orderId, stream);
      if (position.sequence <= local.sequence) return { moved: false, leftOut: 0 };
      const id = orderId.toString();
      this.#db
        .prepare(
          "INSERT INTO stream_floors (order_id, stream, sequence, period_start) VALUES (?, ?, ?, ?) " +
            "ON CONFLICT (order_id, stream) DO UPDATE SET sequence = excluded.sequence, period_start = excluded.period_start",
        )
        .run(id, stream, position.sequence, position.periodStart);
      const leftOut = this.#db
        .prepare("UPDATE readings SET sequence = ? WHERE order_id = ? AND stream = ? AND sequence IS NULL AND at <= ?")
        .run(LEFT_OUT, id, stream, position.periodStart).changes;
      return { moved: true, leftOut: Number(leftOut) };
    });
  }

  /** The stream's first report refused for good that holds it up (to be re-issued, or stuck), if any. */
  blocking(orderId: bigint, stream: Stream): StoredReport | undefined {
    const row = this.#db
      .prepare(
        "SELECT * FROM reports WHERE order_id = ? AND stream = ? AND fate IN ('replace', 'stuck') ORDER BY sequence LIMIT 1",
      )
      .get(orderId.toString(), stream) as Row | undefined;
    return row === undefined ? undefined : this.#reportOf(row);
  }

  /**
   * Commits a signed report and the readings it covers, if its number is the stream's next one, no earlier
   * report of the stream waits to be re-issued (a stream never skips ahead of a refused report), and every
   * reading is still open; all or nothing.
   */
  commitReport(stream: Stream, signed: SignedReport, readings: readonly Reading[]): void {
    const { report } = signed;
    const id = report.orderId.toString();
    this.transaction(() => {
      const next = this.position(report.orderId, stream).sequence;
      if (report.sequence !== next) {
        throw new Error(`Report ${report.sequence} of order ${id} is not the next one (${next}); nothing committed.`);
      }
      const blocking = this.blocking(report.orderId, stream);
      if (blocking !== undefined) {
        throw new Error(
          `Report ${blocking.signed.report.sequence} of order ${id} was refused for good and is not re-issued yet; ` +
            "no later report is committed before it.",
        );
      }
      this.#db
        .prepare("INSERT INTO reports (order_id, stream, sequence, period_end, body) VALUES (?, ?, ?, ?, ?)")
        .run(id, stream, report.sequence, report.periodEnd, JSON.stringify(reportToJson(signed)));
      const mark = this.#db.prepare(
        "UPDATE readings SET sequence = ? WHERE order_id = ? AND idx = ? AND stream = ? AND sequence IS NULL",
      );
      for (const r of readings) {
        if (mark.run(report.sequence, id, Number(r.index), stream).changes !== 1) {
          throw new Error(`Reading ${r.index} of order ${id} is not open any more; nothing committed.`);
        }
      }
    });
  }

  /**
   * Commits `signed` in place of the stream's report with its number, which the gateway refused for good and
   * which is to be re-issued: only over the same readings (root and counts), and the refused version is kept
   * (`versions`). All or nothing.
   */
  commitReplacement(stream: Stream, signed: SignedReport): void {
    const { report } = signed;
    const what = `Report ${report.sequence} of order ${report.orderId}`;
    this.transaction(() => {
      const current = this.report(report.orderId, stream, report.sequence);
      if (current === undefined || current.fate !== "replace" || current.acknowledged) {
        throw new Error(`${what} is not one refused for good to be re-issued; nothing committed.`);
      }
      const was = current.signed.report;
      if (
        was.readingsRoot !== report.readingsRoot ||
        was.machineSeconds !== report.machineSeconds ||
        was.units !== report.units ||
        was.inspections !== report.inspections
      ) {
        throw new Error(`${what}: a re-issue covers the same readings as the refused report; nothing committed.`);
      }
      const key = [report.orderId.toString(), stream, report.sequence] as const;
      this.#db
        .prepare(
          "INSERT INTO report_versions (order_id, stream, sequence, version, body, refusal, reason) " +
            "SELECT order_id, stream, sequence, version, body, refusal, reason FROM reports " +
            "WHERE order_id = ? AND stream = ? AND sequence = ?",
        )
        .run(...key);
      this.#db
        .prepare(
          "UPDATE reports SET body = ?, period_end = ?, refusal = NULL, reason = NULL, fate = NULL, " +
            "version = version + 1 WHERE order_id = ? AND stream = ? AND sequence = ?",
        )
        .run(JSON.stringify(reportToJson(signed)), report.periodEnd, ...key);
    });
  }

  /** The earlier, refused versions of a report, oldest first. */
  versions(orderId: bigint, stream: Stream, sequence: number): StoredReport[] {
    return (
      this.#db
        .prepare(
          "SELECT *, 0 AS acknowledged, NULL AS fate FROM report_versions WHERE order_id = ? AND stream = ? AND " +
            "sequence = ? ORDER BY version",
        )
        .all(orderId.toString(), stream, sequence) as Row[]
    ).map((row) => this.#reportOf(row));
  }

  /** Every reading report `sequence` of the stream commits to. */
  readingsOf(orderId: bigint, stream: Stream, sequence: number): Reading[] {
    return (
      this.#db
        .prepare("SELECT * FROM readings WHERE order_id = ? AND stream = ? AND sequence = ? ORDER BY idx")
        .all(orderId.toString(), stream, sequence) as Row[]
    ).map(readingOf);
  }

  /** The reading at `index` of the order's log and the stream and report that cover it (none yet: undefined). */
  reading(
    orderId: bigint,
    index: bigint,
  ): { reading: Reading; stream: Stream; sequence: number | undefined } | undefined {
    const row = this.#db
      .prepare("SELECT * FROM readings WHERE order_id = ? AND idx = ?")
      .get(orderId.toString(), Number(index)) as Row | undefined;
    if (row === undefined) return undefined;
    return {
      reading: readingOf(row),
      stream: Number(row.stream) as Stream,
      sequence: row.sequence === null ? undefined : Number(row.sequence),
    };
  }

  report(orderId: bigint, stream: Stream, sequence: number): StoredReport | undefined {
    const row = this.#db
      .prepare("SELECT * FROM reports WHERE order_id = ? AND stream = ? AND sequence = ?")
      .get(orderId.toString(), stream, sequence) as Row | undefined;
    return row === undefined ? undefined : this.#reportOf(row);
  }

  /**
   * Reports to send: neither acknowledged nor refused for good, oldest first per stream, and none behind a
   * report of its stream that waits to be re-issued (the gateway would take none of them before it).
   */
  unacknowledged(): StoredReport[] {
    return (
      this.#db
        .prepare(
          "SELECT * FROM reports r WHERE acknowledged = 0 AND refusal IS NULL AND NOT EXISTS (SELECT 1 FROM reports b " +
            "WHERE b.order_id = r.order_id AND b.stream = r.stream AND b.sequence < r.sequence AND " +
            "b.fate IN ('replace', 'stuck')) ORDER BY order_id, stream, sequence",
        )
        .all() as Row[]
    ).map((row) => this.#reportOf(row));
  }

  /** Reports refused for good and still to be re-issued, or stuck, with the reports held up behind them. */
  heldUp(): { refused: StoredReport[]; behind: number } {
    const refused = (
      this.#db
        .prepare("SELECT * FROM reports WHERE fate IN ('replace', 'stuck') ORDER BY order_id, stream, sequence")
        .all() as Row[]
    ).map((row) => this.#reportOf(row));
    const total = Number(
      (this.#db.prepare("SELECT COUNT(*) AS n FROM reports WHERE acknowledged = 0 AND refusal IS NULL").get() as Row).n,
    );
    return { refused, behind: total - this.unacknowledged().length };
  }

  reports(orderId: bigint): StoredReport[] {
    return (
      this.#db
        .prepare("SELECT * FROM reports WHERE order_id = ? ORDER BY stream, sequence")
        .all(orderId.toString()) as Row[]
    ).map((row) => this.#reportOf(row));
  }

  acknowledge(orderId: bigint, stream: Stream, sequence: number): void {
    this.#db
      .prepare("UPDATE reports SET acknowledged = 1 WHERE order_id = ? AND stream = ? AND sequence = ?")
      .run(orderId.toString(), stream, sequence);
  }

  /**
   * Keeps the gateway's final refusal of a report (its words and reason) and what becomes of it; it is not sent
   * again as it is.
   */
  refuse(orderId: bigint, stream: Stream, sequence: number, refusal: string, reason = "", fate: Fate = "stuck"): void {
    this.#db
      .prepare(
        "UPDATE reports SET refusal = ?, reason = ?, fate = ? WHERE order_id = ? AND stream = ? AND sequence = ?",
      )
      .run(refusal, reason, fate, orderId.toString(), stream, sequence);
  }

  /** Changes what becomes of a report refused for good (a re-issue found impossible, or its number taken). */
  settleFate(orderId: bigint, stream: Stream, sequence: number, fate: Fate, why: string): void {
    this.#db
      .prepare(
        "UPDATE reports SET fate = ?, refusal = refusal || ' / ' || ? WHERE order_id = ? AND stream = ? AND sequence = ?",
      )
      .run(fate, why, orderId.toString(), stream, sequence);
  }

  #reportOf(row: Row): StoredReport {
    const optional = (name: string) => (row[name] === null || row[name] === undefined ? undefined : row[name]);
    const refusal = optional("refusal") as string | undefined;
    const reason = optional("reason") as string | undefined;
    const fate = optional("fate") as Fate | undefined;
    return {
      stream: Number(row.stream) as Stream,
      signed: reportFromJson(JSON.parse(row.body as string)),
      acknowledged: Number(row.acknowledged) === 1,
      ...(refusal === undefined ? {} : { refusal }),
      ...(reason === undefined || reason === "" ? {} : { reason }),
      ...(fate === undefined ? {} : { fate }),
      version: Number(row.version ?? 1),
    };
  }

  close(): void {
    this.#db.close();
  }
}
