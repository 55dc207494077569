/**
 * The gateway's durable state, in SQLite (Node's built-in `node:sqlite`, WAL journal, as
 * src/services/channels/store.ts): every report it acknowledged, packed as the meter reads it, with where it is on
 * its way on-chain. A report is acknowledged only after the transaction that stores it committed.
 *
 *   stored ──submit──► submitted (tx) ──mined, `depth` blocks deep──► recorded | duplicate | rejected (reason)
 *      ▲                    │
 *      └── reorg, dropped, ─┘
 *          or a restart (retried blindly: the meter skips a report it recorded before as a duplicate)
 *
 * Beside them, every report it refused for good whose signer is a key of the order's machine (a refusal
 * record): the device may then re-issue that number over the same readings with a corrected period, and the
 * gateway refuses the refused report itself ever after, so that only the replacement can be stored.
 */
import type { DatabaseSync } from "node:sqlite";

import { bytesToHex, type Hex } from "viem";

import { openDatabase, transaction, type StoreOptions } from "../../store/sqlite.js";
import type { KeyKind } from "./chain.js";

export type { Synchronous } from "../../store/sqlite.js";
export type ReportStatus = "stored" | "submitted" | "recorded" | "duplicate" | "rejected";

export type GatewayStoreOptions = StoreOptions;

export interface NewReport {
  orderId: bigint;
  kind: KeyKind;
  sequence: number;
  digest: Hex;
  signer: Hex;
  periodEnd: number;
  /**
   * The report and signature packed (src/codec/batch.ts): bytes, as the gateway's ingest gives them (stored as
   * a BLOB, half the size of hex), or hex.
   */
  packed: Hex | Uint8Array;
}

export interface StoredReport extends Omit<NewReport, "packed"> {
  /** The packed report as hex, whichever form it was stored in. */
  packed: Hex;
  id: number;
  status: ReportStatus;
  reason: string | null;
  tx: Hex | null;
  blockNumber: number | null;
  blockHash: Hex | null;
  charge: bigint | null;
  attempts: number;
}

export interface Outcome {
  id: number;
  status: "recorded" | "duplicate" | "rejected";
  reason?: string;
  charge?: bigint;
  /** The transaction that recorded it, when not the one last sent (an earlier one, before a restart). */
  tx?: Hex;
}

/** A report the gateway refused for good, kept so that it knows a replacement is allowed and what it must cover. */
export interface Refusal {
  orderId: bigint;
  kind: KeyKind;
  sequence: number;
  digest: Hex;
  reason: string;
  /** What a replacement must cover the same of: the readings' root and their counts. */
  readingsRoot: Hex;
  machineSeconds: bigint;
  units: bigint;
  inspections: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS reports (
  id INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT NOT NULL, kind INTEGER NOT NULL, sequence INTEGER NOT NULL,
  digest TEXT NOT NULL, signer TEXT NOT NULL, period_end INTEGER NOT NULL, packed TEXT NOT NULL,
  received_at INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'stored', reason TEXT, tx TEXT, block_number INTEGER,
  block_hash TEXT, charge TEXT, attempts INTEGER NOT NULL DEFAULT 0, UNIQUE (order_id, kind, sequence));
CREATE INDEX IF NOT EXISTS reports_status ON reports (status, id);
CREATE INDEX IF NOT EXISTS reports_tx ON reports (tx);
CREATE TABLE IF NOT EXISTS refusals (
  order_id TEXT NOT NULL, kind INTEGER NOT NULL, sequence INTEGER NOT NULL, digest TEXT NOT NULL, reason TEXT NOT NULL,
  readings_root TEXT NOT NULL, machine_seconds TEXT NOT NULL, units TEXT NOT NULL, inspections INTEGER NOT NULL,
  refused_at INTEGER NOT NULL, PRIMARY KEY (order_id, kind, sequence, digest));
`;

type Row = Record<string, unknown>;

function reportOf(row: Row): StoredReport {
  return {
    id: Number(row.id),
    orderId: BigInt(row.order_id as string),
    kind: Number(row.kind) as KeyKind,
    sequence: Number(row.sequence),
    digest: row.digest as Hex,
    signer: row.signer as Hex,
    periodEnd: Number(row.period_end),
    packed: typeof row.packed === "string" ? (row.packed as Hex) : bytesToHex(row.packed as Uint8Array),
    status: row.status as ReportStatus,
    reason: (row.reason as string | null) ?? null,
    tx: (row.tx as Hex | null) ?? null,
    blockNumber: row.block_number === null ? null : Number(row.block_number),
    blockHash: (row.block_hash as Hex | null) ?? null,
    charge: row.charge === null ? null : BigInt(row.charge as string),
    attempts: Number(row.attempts),
  };
}

export class GatewayStore {
  readonly #db: DatabaseSync;
  readonly #insert;
  readonly #find;
  readonly #head;
  readonly #refuse;
  readonly #refusals;

  constructor(options: GatewayStoreOptions) {
    this.#db = openDatabase(options, SCHEMA);
    this.#insert = this.#db.prepare(
      "INSERT INTO reports (order_id, kind, sequence, digest, signer, period_end, packed, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    this.#find = this.#db.prepare("SELECT * FROM reports WHERE order_id = ? AND kind = ? AND sequence = ?");
    this.#head = this.#db.prepare(
      "SELECT sequence, period_end FROM reports WHERE order_id = ? AND kind = ? ORDER BY sequence DESC LIMIT 1",
    );
    this.#refuse = this.#db.prepare(
      "INSERT OR IGNORE INTO refusals (order_id, kind, sequence, digest, reason, readings_root, machine_seconds, units, " +
        "inspections, refused_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    this.#refusals = this.#db.prepare(
      "SELECT * FROM refusals WHERE order_id = ? AND kind = ? AND sequence > ? ORDER BY sequence, refused_at, rowid",
    );
  }

  /** Runs `work` in one IMMEDIATE transaction: all of it is committed, or none. */
  transaction<T>(work: () => T): T {
    return transaction(this.#db, work);
  }

  /** Stores reports in one transaction; when it returns, all of them are durable. */
  insert(reports: readonly NewReport[]): void {
    const now = Math.floor(Date.now() / 1000);
    this.transaction(() => {
      for (const r of reports) {
        this.#insert.run(r.orderId.toString(), r.kind, r.sequence, r.digest, r.signer, r.periodEnd, r.packed, now);
      }
    });
  }

  find(orderId: bigint, kind: KeyKind, sequence: number): StoredReport | undefined {
    const row = this.#find.get(orderId.toString(), kind, sequence) as Row | undefined;
    return row === undefined ? undefined : reportOf(row);
  }

  /** The stream's stored report with the highest number: its number and period end (undefined: none). */
  head(orderId: bigint, kind: KeyKind): { sequence: number; periodEnd: number } | undefined {
    const row = this.#head.get(orderId.toString(), kind) as Row | undefined;
    return row === undefined ? undefined : { sequence: Number(row.sequence), periodEnd: Number(row.period_end) };
  }

  /** Keeps a refusal for good; durable when this returns (before the device is answered). */
  recordRefusal(refusal: Refusal): void {
    this.#refuse.run(
      refusal.orderId.toString(),
      refusal.kind,
      refusal.sequence,
      refusal.digest,
      refusal.reason,
      refusal.readingsRoot,
      refusal.machineSeconds.toString(),
      refusal.units.toString(),
      refusal.inspections,
      Math.floor(Date.now() / 1000),
    );
  }

  /** The stream's refusals of numbers above `sequence`, oldest first per number. */
  refusalsAbove(orderId: bigint, kind: KeyKind, sequence: number): Refusal[] {
    return (this.#refusals.all(orderId.toString(), kind, sequence) as Row[]).map((row) => ({
      orderId,
      kind,
      sequence: Number(row.sequence),
      digest: row.digest as Hex,
      reason: row.reason as string,
      readingsRoot: row.readings_root as Hex,
      machineSeconds: BigInt(row.machine_seconds as string),
      units: BigInt(row.units as string),
      inspections: Number(row.inspections),
    }));
  }

  /** Reports waiting to be submitted, in arrival order (which is sequence order within each stream). */
  waiting(limit: number): StoredReport[] {
    return (
      this.#db.prepare("SELECT * FROM reports WHERE status = 'stored' ORDER BY id LIMIT ?").all(limit) as Row[]
    ).map(reportOf);
  }

  /** Marks reports as sent in transaction `tx`. */
  markSubmitted(ids: readonly number[], tx: Hex): void {
    const mark = this.#db.prepare(
      "UPDATE reports SET status = 'submitted', tx = ?, block_number = NULL, block_hash = NULL, attempts = attempts + 1 WHERE id = ?",
    );
    this.transaction(() => {
      for (const id of ids) mark.run(tx, id);
    });
  }

  /** The transactions sent and not yet final, each with its reports in batch order. */
  inFlight(): Map<Hex, StoredReport[]> {
    const rows = (this.#db.prepare("SELECT * FROM reports WHERE status = 'submitted' ORDER BY id").all() as Row[]).map(
      reportOf,
    );
    const byTx = new Map<Hex, StoredReport[]>();
    for (const row of rows) {
      const list = byTx.get(row.tx!) ?? [];
      list.push(row);
      byTx.set(row.tx!, list);
    }
    return byTx;
  }

  /** Notes the block a transaction was seen in (again, after a reorg moved it). */
  markMined(tx: Hex, blockNumber: number, blockHash: Hex): void {
    this.#db
      .prepare("UPDATE reports SET block_number = ?, block_hash = ? WHERE tx = ? AND status = 'submitted'")
      .run(blockNumber, blockHash, tx);
  }

  /** Puts the reports of `tx` back in the queue (the transaction left the canonical chain or was dropped). */
  requeue(tx: Hex): number {
    return Number(
      this.#db
        .prepare(
          "UPDATE reports SET status = 'stored', tx = NULL, block_number = NULL, block_hash = NULL WHERE tx = ? AND status = 'submitted'",
        )
        .run(tx).changes,
    );
  }

  /** After a restart: every report sent but not final goes back in the queue, to be retried blindly. */
  requeueAllSubmitted(): number {
    return Number(
      this.#db
        .prepare(
          "UPDATE reports SET status = 'stored', tx = NULL, block_number = NULL, block_hash = NULL WHERE status = 'submitted'",
        )
        .run().changes,
    );
  }

  /** Records the final outcome of each report of a transaction `depth` blocks deep. */
  finalize(outcomes: readonly Outcome[]): void {
    const set = this.#db.prepare(
      "UPDATE reports SET status = ?, reason = ?, charge = ?, tx = COALESCE(?, tx) WHERE id = ? AND status = 'submitted'",
    );
    this.transaction(() => {
      for (const o of outcomes) set.run(o.status, o.reason ?? null, o.charge?.toString() ?? null, o.tx ?? null, o.id);
    });
  }

  /** Reports by status, and rejected ones by reason. */
  counts(): { byStatus: Record<ReportStatus, number>; rejectedByReason: Record<string, number> } {
    const byStatus: Record<ReportStatus, number> = { stored: 0, submitted: 0, recorded: 0, duplicate: 0, rejected: 0 };
    for (const row of this.#db.prepare("SELECT status, COUNT(*) AS n FROM reports GROUP BY status").all() as Row[]) {
      byStatus[row.status as ReportStatus] = Number(row.n);
    }
    const rejectedByReason: Record<string, number> = {};
    for (const row of this.#db
      .prepare("SELECT reason, COUNT(*) AS n FROM reports WHERE status = 'rejected' GROUP BY reason")
      .all() as Row[]) {
      rejectedByReason[row.reason as string] = Number(row.n);
    }
    return { byStatus, rejectedByReason };
  }

  all(): StoredReport[] {
    return (this.#db.prepare("SELECT * FROM reports ORDER BY id").all() as Row[]).map(reportOf);
  }

  close(): void {
    this.#db.close();
  }
}
