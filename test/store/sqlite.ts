/*
sqlite.tree: every store's SQLite file (src/store/sqlite.ts) has one holder at a time.

openDatabase
├── when the store is open in this process ────────── a second open is refused at once with StoreLocked, naming
│   the file and this process as its holder; the first goes on reading and writing
├── when another process holds the store ─────────── the open is refused, naming that process (program, pid)
├── when the holder closed it, or was killed ──────── it opens again, with what was committed
└── with ":memory:" ────────────────────────────────── nothing is locked
*/
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

import { expect } from "chai";

import { openDatabase, StoreLocked } from "../../src/store/sqlite.js";

const SCHEMA = "CREATE TABLE IF NOT EXISTS t (x INTEGER);";

/** A child process holding the store at `path` open (it prints "open" once it holds it) until it is killed. */
function holder(path: string): Promise<{ pid: number; kill: () => Promise<void> }> {
  const code =
    `const { DatabaseSync } = require("node:sqlite"); const db = new DatabaseSync(${JSON.stringify(path)});` +
    `db.exec("PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; BEGIN EXCLUSIVE; COMMIT;");` +
    `require("node:fs").writeFileSync(${JSON.stringify(`${path}.holder`)}, JSON.stringify({ pid: process.pid,` +
    ` program: "holder.js", since: new Date().toISOString() }));` +
    `console.log("open"); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", "-e", code], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    child.once("exit", (status) => reject(new Error(`the holder exited (${status}) before it held the store`)));
    createInterface({ input: child.stdout! }).once("line", () =>
      resolve({
        pid: child.pid!,
        kill: () =>
          new Promise((done) => {
            child.removeAllListeners("exit");
            child.once("exit", () => done());
            child.kill("SIGKILL");
          }),
      }),
    );
  });
}

describe("src/store/sqlite: one holder per store", function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), "store-lock-"));
  });
  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  describe("when the store is open in this process", function () {
    it("refuses a second open at once, naming the file and this process; the first goes on", function () {
      const path = join(dir, "a.sqlite");
      const first = openDatabase({ path }, SCHEMA);
      const started = Date.now();
      let refused: unknown;
      try {
        openDatabase({ path }, SCHEMA);
      } catch (error) {
        refused = error;
      }
      expect(Date.now() - started, "refused at once, not after the busy timeout").to.be.below(2000);
      expect(refused).to.be.instanceOf(StoreLocked);
      const locked = refused as StoreLocked;
      expect(locked.path).to.equal(path);
      expect(locked.holder?.pid).to.equal(process.pid);
      expect(locked.message).to.include(path).and.include(`pid ${process.pid}, this very process`);
      expect(locked.message).to.include("one user at a time");
      first.exec("INSERT INTO t VALUES (1)");
      expect(first.prepare("SELECT COUNT(*) AS n FROM t").get()).to.deep.include({ n: 1 });
      first.close();
    });
  });

  describe("when another process holds the store", function () {
    it("refuses the open, naming that process", async function () {
      const path = join(dir, "b.sqlite");
      openDatabase({ path }, SCHEMA).close();
      const other = await holder(path);
      try {
        expect(() => openDatabase({ path }, SCHEMA))
          .to.throw(StoreLocked)
          .with.property("message")
          .that.includes(`holder.js (pid ${other.pid}`);
      } finally {
        await other.kill();
      }
    });
  });

  describe("when the holder closed it, or was killed", function () {
    it("opens again with what was committed", async function () {
      const path = join(dir, "c.sqlite");
      const db = openDatabase({ path }, SCHEMA);
      db.exec("INSERT INTO t VALUES (7)");
      db.close();
      const other = await holder(path);
      expect(() => openDatabase({ path }, SCHEMA)).to.throw(StoreLocked);
      await other.kill();
      const again = openDatabase({ path }, SCHEMA);
      expect(again.prepare("SELECT x FROM t").all()).to.deep.equal([{ x: 7 }]);
      again.close();
    });
  });

  describe('with ":memory:"', function () {
    it("locks nothing: each open is a database of its own", function () {
      const a = openDatabase({ path: ":memory:" }, SCHEMA);
      const b = openDatabase({ path: ":memory:" }, SCHEMA);
      a.exec("INSERT INTO t VALUES (1)");
      expect(b.prepare("SELECT COUNT(*) AS n FROM t").get()).to.deep.include({ n: 0 });
      a.close();
      b.close();
    });
  });
});
