/**
 * What every durable store of the off-chain services shares: a SQLite file (Node's built-in
 * `node:sqlite`) in WAL mode, held by one process at a time, and work committed all at once or not at all.
 * `synchronous` says what a commit survives: "NORMAL" a killed process (the default), "FULL" also a power
 * cut, at the price of an fsync per commit.
 *
 * One holder: the store is opened with SQLite's exclusive locking mode and its lock is taken at once, so that
 * a second process (a second gateway on the same file, a command while the agent runs) is refused at open
 * with a StoreLocked naming the file and, when it is known, the holder, instead of two writers interleaving.
 * The lock is the operating system's: it goes with the process, also when it is killed. Beside the file,
 * `<path>.holder` says who took it last (pid, program, since when), for that message.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";

export type Synchronous = "NORMAL" | "FULL";

export interface StoreOptions {
  /** A file path, or ":memory:" for tests. */
  path: string;
  synchronous?: Synchronous;
}

/** Who holds a store, as its `.holder` file says. */
export interface StoreHolder {
  pid: number;
  program: string;
  since: string;
}

/** The store is held by another process (or another connection of this one): it cannot be shared. */
export class StoreLocked extends Error {
  override name = "StoreLocked";
  constructor(
    readonly path: string,
    readonly holder: StoreHolder | undefined,
  ) {
    super(
      `The store ${path} is in use by ${holder === undefined ? "another process" : describe(holder)}: a store has ` +
        "one user at a time. Stop that process first, or give this one a store of its own.",
    );
  }
}

function describe(holder: StoreHolder): string {
  const self = holder.pid === process.pid ? ", this very process" : "";
  return `${holder.program} (pid ${holder.pid}${self}, since ${holder.since})`;
}

const holderFile = (path: string) => `${path}.holder`;

/** The holder the `.holder` file names, if that process still runs. */
function readHolder(path: string): StoreHolder | undefined {
  try {
    const holder = JSON.parse(readFileSync(holderFile(path), "utf8")) as StoreHolder;
    if (!Number.isInteger(holder.pid)) return undefined;
    process.kill(holder.pid, 0);
    return holder;
  } catch {
    return undefined;
  }
}

/** Takes the store's lock at once (no waiting), or throws StoreLocked. */
function lock(db: DatabaseSync, path: string): void {
  try {
    // The locking mode first: WAL opened so keeps its index in this process's memory, with no shared file.
    db.exec("PRAGMA busy_timeout = 0; PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL;");
    db.exec("BEGIN EXCLUSIVE; COMMIT;");
  } catch (error) {
    db.close();
    if ((error as { errcode?: number }).errcode === 5) throw new StoreLocked(path, readHolder(path));
    throw error;
  }
  const holder: StoreHolder = {
    pid: process.pid,
    program: basename(process.argv[1] ?? process.argv0),
    since: new Date().toISOString(),
  };
  try {
    writeFileSync(holderFile(path), `${JSON.stringify(holder)}\n`);
  } catch {
    // Only the message another opener gets would be poorer.
  }
}

/** Opens (or creates) the database at `options.path`, takes its lock, and applies `schema` (idempotent DDL). */
export function openDatabase(options: StoreOptions, schema: string): DatabaseSync {
  const db = new DatabaseSync(options.path);
  if (options.path !== ":memory:") lock(db, options.path);
  db.exec(
    `PRAGMA journal_mode = WAL; PRAGMA synchronous = ${options.synchronous ?? "NORMAL"}; PRAGMA busy_timeout = 5000;`,
  );
  db.exec(schema);
  return db;
}

/** Each database's BEGIN, COMMIT and ROLLBACK, prepared once (a transaction is on every payment's path). */
const statements = new WeakMap<
  DatabaseSync,
  { begin: StatementSync; commit: StatementSync; rollback: StatementSync }
>();

/** Runs `work` in one IMMEDIATE transaction: all of it is committed, or none. */
export function transaction<T>(db: DatabaseSync, work: () => T): T {
  let prepared = statements.get(db);
  if (prepared === undefined) {
    prepared = {
      begin: db.prepare("BEGIN IMMEDIATE"),
      commit: db.prepare("COMMIT"),
      rollback: db.prepare("ROLLBACK"),
    };
    statements.set(db, prepared);
  }
  prepared.begin.run();
  try {
    const result = work();
    prepared.commit.run();
    return result;
  } catch (error) {
    prepared.rollback.run();
    throw error;
  }
}
