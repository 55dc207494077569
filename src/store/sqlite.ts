/**
 * What every durable store of the off-chain services shares: a SQLite file (Node's built-in
 * `node:sqlite`) in WAL mode, and work committed all at once or not at all. `synchronous` says what a
 * commit survives: "NORMAL" a killed process (the default), "FULL" also a power cut, at the price of an
 * fsync per commit.
 */
import { DatabaseSync } from "node:sqlite";

export type Synchronous = "NORMAL" | "FULL";

export interface StoreOptions {
  /** A file path, or ":memory:" for tests. */
  path: string;
  synchronous?: Synchronous;
}

/** Opens (or creates) the database at `options.path` and applies `schema` (idempotent DDL). */
export function openDatabase(options: StoreOptions, schema: string): DatabaseSync {
  const db = new DatabaseSync(options.path);
  db.exec(
    `PRAGMA journal_mode = WAL; PRAGMA synchronous = ${options.synchronous ?? "NORMAL"}; PRAGMA busy_timeout = 5000;`,
  );
  db.exec(schema);
  return db;
}

/** Runs `work` in one IMMEDIATE transaction: all of it is committed, or none. */
export function transaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = work();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}
