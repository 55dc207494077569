/**
 * The one HTTP client of the off-chain services (the payee asking its payer, the device agent talking to its
 * gateway, the demo): JSON over `fetch` (keep-alive connections), every request bounded by a timeout. A peer
 * that cannot be reached, does not answer in time or drops the connection is an `Unreachable` (worth trying
 * again later, and an outage to show); a peer that answers gets its answer back whatever the status, its
 * body parsed when it is JSON, for the caller to read as its protocol says.
 */
import { jsonText } from "./http.js";

/** The peer could not be reached, did not answer in time, or dropped the connection: try again later. */
export class Unreachable extends Error {
  override name = "Unreachable";
  constructor(
    message: string,
    /** The failure underneath, in its own words ("connect ECONNREFUSED 127.0.0.1:8600"). */
    readonly detail: string,
    readonly timedOut: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** An answer: its status, its body as text, and parsed when it is JSON (else undefined). */
export interface JsonAnswer {
  status: number;
  text: string;
  body: unknown;
}

export interface JsonClientOptions {
  /** Who answers, for messages: "the payer", "the gateway". */
  what: string;
  /** Milliseconds a request may take in all (default 10,000). */
  timeoutMs?: number;
}

/** Why a request failed to get an answer, in words; the underlying cause kept. */
function unreachable(what: string, origin: string, timeoutMs: number, error: unknown): Unreachable {
  const timedOut = error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError");
  if (timedOut) {
    return new Unreachable(`${what} at ${origin} did not answer in ${timeoutMs} ms`, "timed out", true, {
      cause: error,
    });
  }
  const cause = (error as Error).cause;
  const detail = cause instanceof Error ? cause.message : (error as Error).message;
  return new Unreachable(`Cannot reach ${what} at ${origin} (${detail})`, detail, false, { cause: error });
}

/** JSON requests to one peer at `base` (e.g. http://127.0.0.1:8600). */
export class JsonClient {
  readonly origin: string;
  readonly #base: string;
  readonly #what: string;
  readonly #timeoutMs: number;

  constructor(base: string, options: JsonClientOptions) {
    this.#base = base.replace(/\/+$/, "");
    this.origin = new URL(this.#base).origin;
    this.#what = options.what;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** GET `path` (e.g. "/status"). */
  get(path: string): Promise<JsonAnswer> {
    return this.#request(path, { method: "GET" });
  }

  /** POST `body` (JSON text, or a value to send as JSON) to `path`. */
  post(path: string, body: unknown): Promise<JsonAnswer> {
    return this.#request(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : jsonText(body),
    });
  }

  async #request(path: string, init: RequestInit): Promise<JsonAnswer> {
    const timeoutMs = this.#timeoutMs;
    let status: number;
    let text: string;
    try {
      const response = await fetch(`${this.#base}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) });
      status = response.status;
      text = await response.text();
    } catch (error) {
      throw unreachable(this.#what, this.origin, timeoutMs, error);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status, text, body };
  }
}
