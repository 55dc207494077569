/**
 * The one poll loop of the long-running services (the gateway's submitter, the payee's watch of its channels,
 * the device agent's working loop, the machine's parts): a round, then a pause, until told to stop through an
 * AbortSignal or the round says it is done. A round that fails is retried after a pause that grows with each
 * failure in a row (backoff) up to a bound, and back to the interval once a round succeeds; a failure the
 * caller calls permanent ends the loop with that error. Beside it, `Reachability` follows something the
 * service depends on (the node, the gateway, the payer) and says once when it stops answering and once when
 * it answers again, instead of at every attempt.
 */

/** Waits `ms`, or less if `signal` aborts first; resolves true when the time passed, false when aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted === true) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** How the pause after failed rounds grows: `factor` times the last, from the interval up to `maxMs`. */
export interface Backoff {
  maxMs: number;
  /** Default 2. */
  factor?: number;
}

/** The pause after `failures` failed rounds in a row (0: after a round that succeeded). */
export function pauseAfter(intervalMs: number, failures: number, backoff?: Backoff): number {
  if (failures === 0 || backoff === undefined) return intervalMs;
  const grown = Math.max(intervalMs, 1) * (backoff.factor ?? 2) ** Math.min(failures - 1, 30);
  return Math.min(Math.max(backoff.maxMs, intervalMs), grown);
}

export interface PollOptions {
  /** Milliseconds between rounds while they succeed. */
  intervalMs: number;
  /** How the pause grows after failed rounds (default: it stays `intervalMs`). */
  backoff?: Backoff;
  /** Ends the loop (after the round in progress, and at once during a pause). */
  signal?: AbortSignal;
  /**
   * A round failed: return "stop" for a failure that waiting does not cure (the loop then rejects with it),
   * anything else to try again after the pause. Default: try again.
   */
  onError?: (error: unknown, failures: number) => "stop" | void;
  /** A round succeeded after `failures` failed ones in a row. */
  onRecovered?: (failures: number) => void;
}

/**
 * Runs `round` until `signal` aborts or a round returns false (done); resolves then, or rejects with the error
 * `onError` stopped on. The first round runs at once.
 */
export async function poll(round: () => Promise<boolean | void>, options: PollOptions): Promise<void> {
  let failures = 0;
  while (options.signal?.aborted !== true) {
    try {
      const more = await round();
      if (failures > 0) options.onRecovered?.(failures);
      failures = 0;
      if (more === false) return;
    } catch (error) {
      failures += 1;
      if (options.onError?.(error, failures) === "stop") throw error;
    }
    await sleep(pauseAfter(options.intervalMs, failures, options.backoff), options.signal);
  }
}

/** A poll loop started in the background, with its own stop. */
export interface Polling {
  /** Stops the loop and resolves once the round in progress (if any) has ended. */
  stop(): Promise<void>;
  /** Settles when the loop ends (rejects with a permanent failure). */
  readonly done: Promise<void>;
}

/** Starts `poll(round, options)` in the background; stopped by `stop()` or by `options.signal`. */
export function startPolling(round: () => Promise<boolean | void>, options: PollOptions): Polling {
  const controller = new AbortController();
  const signal =
    options.signal === undefined ? controller.signal : AbortSignal.any([options.signal, controller.signal]);
  const done = poll(round, { ...options, signal });
  return {
    done,
    async stop() {
      controller.abort();
      await done.catch(() => undefined);
    },
  };
}

/** What a Reachability says when it changes. */
export interface ReachabilityEvents {
  /** It stopped answering (said once per outage). */
  down?: (error: unknown) => void;
  /** It answers again after `failures` failed attempts over `downMs` milliseconds. */
  up?: (failures: number, downMs: number) => void;
}

/** Where a dependency stands, for /status and the `node_reachable` gauges. */
export interface ReachabilityStatus {
  reachable: boolean;
  /** When it last changed (ISO time); undefined before anything was tried. */
  since?: string;
  /** Failed attempts since it went down (0 while it answers). */
  failures: number;
  /** The last failure's words, while it is down. */
  error?: string;
}

/**
 * Something the service depends on, told the outcome of every attempt to use it: says once when it stops
 * answering and once when it answers again.
 */
export class Reachability {
  #reachable = true;
  #since: number | undefined;
  #failures = 0;
  #error: string | undefined;

  constructor(
    /** What it is, in words ("the node at http://...") */
    readonly what: string,
    readonly events: ReachabilityEvents = {},
    readonly now: () => number = Date.now,
  ) {}

  get reachable(): boolean {
    return this.#reachable;
  }

  /** An attempt succeeded. */
  ok(): void {
    if (!this.#reachable) this.events.up?.(this.#failures, this.now() - (this.#since ?? this.now()));
    if (!this.#reachable || this.#since === undefined) this.#since = this.now();
    this.#reachable = true;
    this.#failures = 0;
    this.#error = undefined;
  }

  /** An attempt failed with `error`. */
  failed(error: unknown): void {
    this.#failures += 1;
    this.#error = error instanceof Error ? error.message : String(error);
    if (!this.#reachable) return;
    this.#reachable = false;
    this.#since = this.now();
    this.events.down?.(error);
  }

  /** `attempt`, with its outcome told; what it throws is thrown on. */
  async watch<T>(attempt: () => Promise<T>): Promise<T> {
    try {
      const result = await attempt();
      this.ok();
      return result;
    } catch (error) {
      if (unreachable(error)) this.failed(error);
      else this.ok();
      throw error;
    }
  }

  status(): ReachabilityStatus {
    return {
      reachable: this.#reachable,
      since: this.#since === undefined ? undefined : new Date(this.#since).toISOString(),
      failures: this.#failures,
      ...(this.#error === undefined ? {} : { error: this.#error }),
    };
  }
}

/** Names (viem's, Node's, the transport's) and codes of failures to reach a peer, rather than its refusal. */
const UNREACHABLE_NAMES = new Set(["HttpRequestError", "TimeoutError", "SocketClosedError", "Unreachable"]);
const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND", "EPIPE"]);

/**
 * Whether `error` says the peer could not be reached or did not answer in time (a node down, a network
 * fault), as opposed to an answer that refuses: only the first is an outage.
 */
export function unreachable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (UNREACHABLE_NAMES.has(e.name)) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (UNREACHABLE_CODES.has(code) || code.startsWith("UND_ERR_"))) return true;
    if (e.name === "TypeError" && e.message === "fetch failed") return true;
  }
  return false;
}
