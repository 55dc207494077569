/**
 * What a device agent keeps, in SQLite (Node's built-in `node:sqlite`, WAL journal, as src/channels/store.ts):
 * every raw reading, and every report it signed with the readings it commits to. A report is committed before
 * it is sent, so a sequence number once used always names the same content, across restarts.
 */
import type { DatabaseSync } from "node:sqlite";

import type { Reading, ReadingKind } from "../metering/readings.js";
import type { SignedReport } from "../metering/report.js";
import { reportFromJson, reportToJson } from "../gateway/wire.js";
import { openDatabase, transaction, type StoreOptions } from "../util/sqlite.js";

export type { Synchronous } from "../util/sqlite.js";

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

export interface StoredReport {
  stream: Stream;
  signed: SignedReport;
  acknowledged: boolean;
  /** Why the gateway refused it for good (then it is not sent again). */
  refusal?: string;
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
  body TEXT NOT NULL, acknowledged INTEGER NOT NULL DEFAULT 0, refusal TEXT, PRIMARY KEY (order_id, stream, sequence));
`;

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
   * Commits a signed report and the readings it covers, if its number is the stream's next one and every
   * reading is still open; all or nothing.
   */
  commitReport(stream: Stream, signed: SignedReport, readings: readonly Reading[]): void {
    const { report } = signed;
    const id = report.orderId.toString();
    this.transaction(() => {
      const last = this.lastReport(report.orderId, stream)?.sequence ?? 0;
      if (report.sequence !== last + 1) {
        throw new Error(
          `Report ${report.sequence} of order ${id} is not the next one (${last + 1}); nothing committed.`,
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

  /** Reports the gateway has neither acknowledged nor refused for good, oldest first per stream. */
  unacknowledged(): StoredReport[] {
    return (
      this.#db
        .prepare("SELECT * FROM reports WHERE acknowledged = 0 AND refusal IS NULL ORDER BY order_id, stream, sequence")
        .all() as Row[]
    ).map((row) => this.#reportOf(row));
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

  /** Keeps the gateway's final refusal of a report; it is not sent again. */
  refuse(orderId: bigint, stream: Stream, sequence: number, refusal: string): void {
    this.#db
      .prepare("UPDATE reports SET refusal = ? WHERE order_id = ? AND stream = ? AND sequence = ?")
      .run(refusal, orderId.toString(), stream, sequence);
  }

  #reportOf(row: Row): StoredReport {
    return {
      stream: Number(row.stream) as Stream,
      signed: reportFromJson(JSON.parse(row.body as string)),
      acknowledged: Number(row.acknowledged) === 1,
      ...(row.refusal === null || row.refusal === undefined ? {} : { refusal: row.refusal as string }),
    };
  }

  close(): void {
    this.#db.close();
  }
}
