/**
 * A script of this project run as a real process for tests (`node --import tsx`, one process, so that a
 * SIGKILL hits the agent itself), whose stdout is its log, one JSON line per entry (see {eventOf}). Tests wait
 * for events instead of sleeping, and kill the process with SIGKILL at any moment. {runToEnd} runs a script that ends by itself
 * (a command, bad input, --help) the same way and returns its exit status and output.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface AgentEvent {
  /** The log line's `event`; "log" for a line in words alone (its `msg` is then also its `text`). */
  event: string;
  /** Which life of the process printed it: 0 for the first start, 1 after the first restart, ... */
  life: number;
  [field: string]: unknown;
}

/**
 * One line of a service's log (pino: `level`, `time`, `service`, and an `event` with its fields, or `msg` in
 * words) as an event; a line that is no JSON is a "text" event.
 */
export function eventOf(line: string): { event: string; [field: string]: unknown } {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { event: "text", text: line };
  }
  if (parsed.event === undefined) return { ...parsed, event: "log", text: parsed.msg };
  return { ...parsed, event: String(parsed.event) };
}

/** Every process started here, so that a test can kill them all in its after hook (or on exit). */
const everyProcess = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of everyProcess) child.kill("SIGKILL");
});

/** The environment a script runs in: the test's, with `env` over it, less the test runner's loader. */
function scriptEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete merged.NODE_OPTIONS;
  return merged;
}

const scriptArgs = (script: string, args: readonly string[]) => [
  "--disable-warning=ExperimentalWarning",
  "--import",
  "tsx",
  script,
  ...args,
];

export interface ScriptRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `script` (its path from the project root) to its end, with `env` over the test's environment (a
 * variable set to undefined is removed), and resolves with its exit status and output.
 */
export function runToEnd(
  script: string,
  args: readonly string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 30_000,
): Promise<ScriptRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      scriptArgs(script, args),
      { cwd: ROOT, env: scriptEnv(env), timeout: timeoutMs },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }),
    );
  });
}

export class AgentProcess {
  /** Every event of every life, in order. */
  readonly events: AgentEvent[] = [];
  #child: ChildProcess | undefined;
  /** Until its output is read to the end ("close"), not only until it exited. */
  #alive = false;
  #life = -1;
  #stderr: string[] = [];
  #exitCode: number | null = null;
  #listeners = new Set<() => void>();

  constructor(
    readonly name: string,
    /** The script's path from the project root. */
    readonly script: string,
    readonly args: () => string[],
    readonly env: Record<string, string>,
  ) {}

  get life(): number {
    return this.#life;
  }

  get running(): boolean {
    return this.#alive;
  }

  /** Starts the process (again) and resolves with its "ready" event. */
  async start(timeoutMs = 30_000): Promise<AgentEvent> {
    if (this.running) throw new Error(`${this.name} is running already.`);
    const child = spawn(process.execPath, scriptArgs(this.script, this.args()), {
      cwd: ROOT,
      env: scriptEnv(this.env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    everyProcess.add(child);
    this.#child = child;
    this.#alive = true;
    this.#life += 1;
    const life = this.#life;
    createInterface({ input: child.stdout! }).on("line", (line) => {
      this.events.push({ ...eventOf(line), life });
      this.#notify();
    });
    createInterface({ input: child.stderr! }).on("line", (line) => {
      this.#stderr.push(line);
      if (this.#stderr.length > 50) this.#stderr.shift();
    });
    this.#exitCode = null;
    child.once("exit", (code) => {
      everyProcess.delete(child);
      this.#exitCode = code;
    });
    child.once("close", () => {
      this.#alive = false;
      this.#notify();
    });
    return this.waitFor((e) => e.event === "ready" && e.life === life, `its "ready" line`, timeoutMs);
  }

  /** The exit status of the last life once it ended by itself (null while it runs, or when killed by a signal). */
  get exitCode(): number | null {
    return this.#exitCode;
  }

  /** Resolves with the exit status once the process has ended and its output is read; rejects when the time is up. */
  waitForExit(timeoutMs = 30_000): Promise<number | null> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.running) return;
        finish();
        resolve(this.#exitCode);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${this.name}: waited ${timeoutMs} ms for it to exit in vain.\n${this.diagnostics()}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      this.#listeners.add(check);
      check();
    });
  }

  /** SIGKILLs the process and resolves once it is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
    child.kill("SIGKILL");
    await exited;
  }

  /** Sends SIGTERM (the process stops cleanly) and resolves with its exit status once it is gone. */
  async terminate(timeoutMs = 60_000): Promise<number | null> {
    if (this.#child === undefined || !this.running) return this.#exitCode;
    this.#child.kill("SIGTERM");
    return this.waitForExit(timeoutMs);
  }

  /** The events of one life (default: the current one). */
  ofLife(life = this.#life): AgentEvent[] {
    return this.events.filter((e) => e.life === life);
  }

  /**
   * Resolves with the first event, printed from now on or before, that `matches`; rejects if the process
   * exits first or the time is up, with its last stderr lines.
   */
  waitFor(matches: (event: AgentEvent) => boolean, what: string, timeoutMs = 30_000): Promise<AgentEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.events.find(matches);
        if (found !== undefined) {
          finish();
          resolve(found);
        } else if (!this.running) {
          finish();
          reject(new Error(`${this.name} exited while waiting for ${what}.\n${this.diagnostics()}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${this.name}: waited ${timeoutMs} ms for ${what} in vain.\n${this.diagnostics()}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      this.#listeners.add(check);
      check();
    });
  }

  /** The last stderr lines (at most 50), joined. */
  stderr(): string {
    return this.#stderr.join("\n");
  }

  /** The last events and stderr lines, for failure messages. */
  diagnostics(): string {
    const events = this.events.slice(-15).map((e) => `  ${JSON.stringify(e)}`);
    return `last events of ${this.name}:\n${events.join("\n")}\nstderr:\n  ${this.#stderr.join("\n  ")}`;
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

/** Kills every process started here that still runs. */
export async function killEveryAgent(agents: readonly AgentProcess[]): Promise<void> {
  await Promise.all(agents.map((agent) => agent.kill()));
}
