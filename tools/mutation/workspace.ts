/**
 * The scratch copy a mutation run works in (.mutants/project): the project's files as git sees them, a link
 * to its node_modules, and a snapshot of the unmutated build to go back to after each mutant. Mutants are
 * written only there, so contracts/ never holds one, whatever stops the run.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export interface CommandResult {
  ok: boolean;
  timedOut: boolean;
  output: string;
  seconds: number;
}

const BUILD_DIRS = ["artifacts", "cache"] as const;

export class Workspace {
  readonly project: string;
  readonly #pristine: string;
  readonly #hardhat: string;
  #dirty = false;
  #running: ChildProcess | undefined;

  constructor(
    readonly root: string,
    readonly scratch: string,
  ) {
    this.project = join(scratch, "project");
    this.#pristine = join(scratch, "pristine");
    this.#hardhat = realpathSync(resolve(root, "node_modules/.bin/hardhat"));
  }

  /** Claims the scratch directory for this run; refuses while another live run holds it. */
  lock(): void {
    mkdirSync(this.scratch, { recursive: true });
    const lock = join(this.scratch, "lock");
    if (existsSync(lock)) {
      const pid = Number(readFileSync(lock, "utf8"));
      let alive = false;
      try {
        process.kill(pid, 0);
        alive = pid !== process.pid;
      } catch {
        alive = false;
      }
      if (alive) throw new Error(`Another mutation run (pid ${pid}) is using ${this.scratch}; wait for it or stop it.`);
    }
    writeFileSync(lock, String(process.pid));
  }

  unlock(): void {
    rmSync(join(this.scratch, "lock"), { force: true });
  }

  /** A fresh copy of the project's tracked and unignored files (the build output of an earlier run kept). */
  prepare(): void {
    const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
      cwd: this.root,
      encoding: "utf8",
    })
      .split("\0")
      .filter((file) => file !== "" && existsSync(join(this.root, file)));
    for (const dir of ["contracts", "test", "scripts", "src", "config"])
      rmSync(join(this.project, dir), { recursive: true, force: true });
    for (const file of files) {
      mkdirSync(dirname(join(this.project, file)), { recursive: true });
      cpSync(join(this.root, file), join(this.project, file));
    }
    const modules = join(this.project, "node_modules");
    if (!existsSync(modules)) symlinkSync(resolve(this.root, "node_modules"), modules);
  }

  read(file: string): string {
    return readFileSync(join(this.project, file), "utf8");
  }

  write(file: string, text: string): void {
    writeFileSync(join(this.project, file), text);
  }

  /** Keeps the current build as the one each mutant starts from. */
  snapshot(): void {
    rmSync(this.#pristine, { recursive: true, force: true });
    for (const dir of BUILD_DIRS) cpSync(join(this.project, dir), join(this.#pristine, dir), { recursive: true });
    this.#dirty = false;
  }

  /** Puts the unmutated build back if a mutant's build replaced any of it. */
  resetBuild(): void {
    if (!this.#dirty) return;
    for (const dir of BUILD_DIRS) {
      rmSync(join(this.project, dir), { recursive: true, force: true });
      cpSync(join(this.#pristine, dir), join(this.project, dir), { recursive: true });
    }
    this.#dirty = false;
  }

  /** The whole build, with typechain's types (the tests import them). */
  buildAll(timeoutSeconds: number): Promise<CommandResult> {
    return this.hardhat(["build", "--quiet"], timeoutSeconds);
  }

  /** Builds only these files (and what they import); other artifacts stay as they are. */
  buildFiles(files: readonly string[], timeoutSeconds: number): Promise<CommandResult> {
    this.#dirty = true;
    return this.hardhat(["build", "--quiet", "--no-typechain", ...files], timeoutSeconds);
  }

  mocha(files: readonly string[], timeoutSeconds: number, bail = true): Promise<CommandResult> {
    return this.hardhat(["test", "mocha", "--no-compile", ...(bail ? ["--bail"] : []), ...files], timeoutSeconds);
  }

  solidity(files: readonly string[], timeoutSeconds: number): Promise<CommandResult> {
    return this.hardhat(["test", "solidity", "--no-compile", ...files], timeoutSeconds);
  }

  /** Stops the command that is running, with everything it started. */
  stop(): void {
    const child = this.#running;
    if (child?.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }

  /** Runs hardhat in the scratch project, in its own process group so a timeout stops all of it. */
  hardhat(args: readonly string[], timeoutSeconds: number): Promise<CommandResult> {
    const started = Date.now();
    return new Promise((done) => {
      const child = spawn(process.execPath, [this.#hardhat, ...args], {
        cwd: this.project,
        detached: true,
        env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      this.#running = child;
      const chunks: Buffer[] = [];
      child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
      child.stderr.on("data", (chunk: Buffer) => chunks.push(chunk));
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        this.stop();
      }, timeoutSeconds * 1000);
      child.on("close", (code) => {
        clearTimeout(timer);
        this.#running = undefined;
        done({
          ok: code === 0 && !timedOut,
          timedOut,
          output: Buffer.concat(chunks).toString("utf8"),
          seconds: (Date.now() - started) / 1000,
        });
      });
    });
  }
}
