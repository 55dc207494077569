/**
 * The one HTTP client of the off-chain services (the payee asking its payer, the device agent talking to its
 * gateway, the demo): JSON over node:http(s) on kept-alive connections, every request bounded by a timeout. A
 * peer that cannot be reached, does not answer in time or drops the connection is an `Unreachable` (worth
 * trying again later, and an outage to show); a peer that answers gets its answer back whatever the status, its
 * body parsed when it is JSON, for the caller to read as its protocol says.
 *
 * Not `fetch`: on the payment round trip (bench/payment-latency.ts) Node's fetch cost the payee about 1.2 ms
 * more CPU per payment than node:http, and the payer 0.3 ms more, which alone put the round trip at three
 * times its baseline instead of under two.
 */
import { Agent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

import { jsonText } from "./http.js";

class TimedOut extends Error {
  override name = "TimedOut";
}

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

type Exchanged = { status: number; text: string };

/** An answer: its status, its body as text, and parsed when it is JSON (else undefined). */
export interface JsonAnswer {
  status: number;
  text: string;
  body: unknown;
}

export interface JsonClientOptions {
  /** Who answers, for messages: "the payer", "the gateway". */
  what: string;
  /** Milliseconds a request may take in all, until its answer is read (default 10,000). */
  timeoutMs?: number;
}

/** Why a request failed to get an answer, in words; the underlying cause kept. */
function unreachable(what: string, origin: string, timeoutMs: number, error: unknown): Unreachable {
  const timedOut = error instanceof TimedOut;
  if (timedOut) {
    return new Unreachable(`${what} at ${origin} did not answer in ${timeoutMs} ms`, "timed out", true, {
      cause: error,
    });
  }
  const detail = (error as Error).message;
  return new Unreachable(`Cannot reach ${what} at ${origin} (${detail})`, detail, false, { cause: error });
}

/** JSON requests to one peer at `base` (e.g. http://127.0.0.1:8600). */
export class JsonClient {
  readonly origin: string;
  readonly #base: string;
  readonly #what: string;
  readonly #timeoutMs: number;
  readonly #agent: Agent;

  constructor(base: string, options: JsonClientOptions) {
    this.#base = base.replace(/\/+$/, "");
    this.origin = new URL(this.#base).origin;
    this.#what = options.what;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#agent = this.origin.startsWith("https:")
      ? new HttpsAgent({ keepAlive: true })
      : new Agent({ keepAlive: true });
  }

  /** Closes the kept-alive connections (the client may still be used: it opens new ones). */
  close(): void {
    this.#agent.destroy();
  }

  /** GET `path` (e.g. "/status"). */
  get(path: string): Promise<JsonAnswer> {
    return this.#request(path, { method: "GET" });
  }

  /** POST `body` (JSON text, or a value to send as JSON) to `path`. */
  post(path: string, body: unknown): Promise<JsonAnswer> {
    return this.#request(path, { method: "POST", body: typeof body === "string" ? body : jsonText(body) });
  }

  async #request(path: string, init: { method: string; body?: string }): Promise<JsonAnswer> {
    const { status, text } = await this.#exchange(new URL(`${this.#base}${path}`), init, true);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status, text, body };
  }

  /**
   * One request and its answer's text, within the timeout. A kept-alive connection the peer closed just as it
   * was reused is tried once more on a new one (every request here may be sent twice: the protocols answer a
   * repeated report or increment as the first).
   */
  #exchange(url: URL, init: { method: string; body?: string }, retry: boolean): Promise<Exchanged> {
    const timeoutMs = this.#timeoutMs;
    const headers: Record<string, string | number> = {};
    if (init.body !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = Buffer.byteLength(init.body);
    }
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const { what, origin } = { what: this.#what, origin: this.origin };
    const again = () => this.#exchange(url, init, false);
    return new Promise<Exchanged>((resolve, reject) => {
      const req = send(url, { method: init.method, agent: this.#agent, headers }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, text });
        });
        res.on("error", fail);
      });
      const timer = setTimeout(() => req.destroy(new TimedOut()), timeoutMs);
      function fail(error: Error): void {
        clearTimeout(timer);
        const code = (error as NodeJS.ErrnoException).code;
        if (retry && req.reusedSocket && (code === "ECONNRESET" || code === "EPIPE")) resolve(again());
        else reject(unreachable(what, origin, timeoutMs, error));
      }
      req.on("error", fail);
      req.end(init.body);
    });
  }
}
