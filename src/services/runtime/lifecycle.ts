/**
 * What every long-running service shares about its life: it is told to stop through an AbortSignal (aborted on
 * SIGINT or SIGTERM, and when the npm or npx that started it is gone: npm forwards a signal to its shell only,
 * which dies without passing it on, and would leave this process holding its port and store); it stops for
 * good on a refusal that waiting cannot change (exit status 2), and logs what it does.
 */
import { readFileSync } from "node:fs";

import type { Log } from "./log.js";

/** What a service is run with: its stop signal and its log. */
export interface ServiceContext {
  /** Aborted when the service is to stop (it then finishes what it is doing and returns). */
  signal: AbortSignal;
  log: Log;
}

/**
 * A refusal that waiting cannot change (a wrong key, a channel not open, a store of another deployment, a port
 * in use): the service stops, and the process exits with status 2 and these words.
 */
export class ServiceRefused extends Error {
  override name = "ServiceRefused";
}

/**
 * A configuration the chain (or the store) shows to be wrong at start: the wrong meter, registry, key, channel.
 * Refused as bad input is: exit status 2, the words and the usage.
 */
export class ConfigRefused extends ServiceRefused {
  override name = "ConfigRefused";
}

/** Resolves once `signal` aborts (at once if it has). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/** A process's start time (field 22 of /proc/<pid>/stat), undefined when it is gone or /proc is not there. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

function isNpm(pid: number): boolean {
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
    return /^(npm|npx)( |$)/.test(command) || /np[mx]-cli\.js/.test(command);
  } catch {
    return false;
  }
}

/**
 * The processes between this one and the npm (or npx) that started it, that npm included, each with its start
 * time (so that a reused pid is not taken for it); none when it was not started through npm or /proc is absent.
 */
export function launchers(env: NodeJS.ProcessEnv = process.env): { pid: number; start: string }[] {
  if (env.npm_command === undefined) return [];
  const chain: { pid: number; start: string }[] = [];
  for (let pid = process.ppid, depth = 0; pid > 1 && depth < 8; depth++) {
    const start = startTime(pid);
    if (start === undefined) return [];
    chain.push({ pid, start });
    if (isNpm(pid)) return chain;
    const parent = parentOf(pid);
    if (parent === undefined) return [];
    pid = parent;
  }
  return [];
}

/**
 * Calls `gone` once, when one of the processes that launched this one through npm ends (checked every
 * `everyMs`); returns what stops watching. Watches nothing when the process was not started through npm.
 */
export function watchLaunchers(gone: () => void, everyMs = 500): () => void {
  const chain = launchers();
  if (chain.length === 0) return () => undefined;
  const timer = setInterval(() => {
    if (chain.every(({ pid, start }) => startTime(pid) === start)) return;
    clearInterval(timer);
    gone();
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * The stop signal of a service run as a process: aborted at the first SIGINT or SIGTERM (and when npm, which
 * started it, is gone); a second signal ends the process at once (its stores are durable). Returns the signal
 * and what removes the handlers.
 */
export function processStop(
  log: Log,
  exitNow: (code: number) => void = process.exit,
): {
  signal: AbortSignal;
  release: () => void;
} {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (name: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      log.warn({ event: "killed", signal: name }, `a second ${name}: stopping at once`);
      exitNow(130);
      return;
    }
    log.info({ event: "stopping", signal: name }, `${name}: stopping`);
    controller.abort(name);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const unwatch = watchLaunchers(() => {
    log.info({ event: "stopping", signal: "launcher-gone" }, "the npm that started this process is gone: stopping");
    controller.abort("launcher-gone");
  });
  return {
    signal: controller.signal,
    release: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      unwatch();
    },
  };
}
