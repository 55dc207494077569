/**
 * The gateway as a service: devices POST signed reports as JSON (Content-Type: application/json) to /reports on
 * loopback (one report, or `{ "reports": [...] }` with at most MAX_REPORTS_PER_REQUEST), and are answered only
 * once each report is stored durably; GET /status shows the counters (received, stored, submitted, confirmed,
 * rejected by reason) as JSON; GET /clock the chain's time the gateway judges periods by, and its tolerance;
 * GET /streams/<orderId>/<device|inspector> where a stream stands (the next number, where its period must start),
 * for a device that recovers its position or re-issues a refused report. The submitter runs beside it.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setImmediate as nextTurn } from "node:timers/promises";

import { BodyRefused, readJsonBody } from "../../transport/http.js";
import { KeyKind } from "./chain.js";
import type { Ingest } from "./ingest.js";
import { ReportRefused } from "./ingest.js";
import type { GatewayStore } from "./store.js";
import type { Submitter } from "./submitter.js";

/**
 * Most reports one request may carry: ten times what a device agent sends at once (`DeviceAgent.send` sends
 * batches of 100, the end-to-end bench 250), enough for a device catching up after an outage in a few
 * requests, and few enough that checking a batch of junk costs a fraction of a second.
 */
export const MAX_REPORTS_PER_REQUEST = 1000;

/**
 * Largest request body accepted: a report on the wire takes at most 459 bytes, 550 with the most licensed-product
 * counts the meter takes (4), so a batch at the cap fits in about half of it.
 */
export const MAX_REPORTS_BODY_BYTES = 1024 * 1024;

/** GET /streams/<orderId>/<device|inspector>: an order id fits 64 bits (at most 20 digits). */
const STREAM_PATH = /^\/streams\/([1-9][0-9]{0,19})\/(device|inspector)$/;

/** How long checking one batch holds the event loop before it lets other requests (GET /status) in. */
const SLICE_MS = 5;

export interface GatewayStatus {
  received: number;
  stored: number;
  alreadyStored: number;
  /** Stored in place of a refused version of their number. */
  replaced: number;
  refused: Record<string, number>;
  /** Periods may end at most this many seconds after the chain's time. */
  clockToleranceSeconds: number;
  queued: number;
  submitted: number;
  inFlight: number;
  confirmed: number;
  recorded: number;
  duplicate: number;
  rejected: number;
  rejectedByReason: Record<string, number>;
  batches: number;
  requeued: number;
  depth: number;
}

/** The counters: ingest since this process started; the rest over everything the store holds. */
export function gatewayStatus(ingest: Ingest, store: GatewayStore, submitter?: Submitter): GatewayStatus {
  const { byStatus, rejectedByReason } = store.counts();
  const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
  const confirmed = byStatus.recorded + byStatus.duplicate + byStatus.rejected;
  return {
    received: ingest.counters.received,
    stored: total,
    alreadyStored: ingest.counters.alreadyStored,
    replaced: ingest.counters.replaced,
    refused: { ...ingest.counters.refused },
    clockToleranceSeconds: ingest.toleranceSeconds,
    queued: byStatus.stored,
    submitted: byStatus.submitted + confirmed,
    inFlight: byStatus.submitted,
    confirmed,
    recorded: byStatus.recorded,
    duplicate: byStatus.duplicate,
    rejected: byStatus.rejected,
    rejectedByReason,
    batches: submitter?.counters.batches ?? 0,
    requeued: submitter?.counters.requeued ?? 0,
    depth: submitter?.depth ?? 0,
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

type Answer = { status: number; outcome?: string; digest?: string; reason?: string; error?: string };

async function answer(ingest: Ingest, input: unknown): Promise<Answer> {
  try {
    const accepted = await ingest.accept(input);
    return { status: accepted.status, outcome: accepted.outcome, digest: accepted.digest };
  } catch (error) {
    const refused = error as ReportRefused;
    return { status: refused.status ?? 500, reason: refused.reason ?? "Error", error: refused.message };
  }
}

/**
 * Answers every report of a batch. Each is checked as far as it can be at once, in turn; after every
 * `SLICE_MS` of that the batch waits a turn of the event loop, so that a large batch (of junk, say) never
 * keeps other requests waiting longer than that.
 */
async function answerAll(ingest: Ingest, reports: readonly unknown[]): Promise<Answer[]> {
  const answers: Promise<Answer>[] = [];
  let slice = performance.now();
  for (const report of reports) {
    if (performance.now() - slice >= SLICE_MS) {
      await nextTurn();
      slice = performance.now();
    }
    answers.push(answer(ingest, report));
  }
  return Promise.all(answers);
}

/** A read that needs the chain; a node that does not answer is a 503 the caller may retry. */
async function fromChain<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw new ReportRefused(
      503,
      "Unavailable",
      `The gateway cannot read the chain now (${(error as Error).message}); ask again later.`,
    );
  }
}

export interface GatewayServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** Serves the gateway on `host` (default 127.0.0.1) and `port` (0: any free one). */
export async function serveGateway(options: {
  ingest: Ingest;
  store: GatewayStore;
  submitter?: Submitter;
  host?: string;
  port?: number;
}): Promise<GatewayServer> {
  const { ingest, store, submitter } = options;
  const server = createServer((req, res) => {
    void (async () => {
      try {
        if (req.method === "GET" && (req.url === "/status" || req.url === "/metrics")) {
          send(res, 200, gatewayStatus(ingest, store, submitter));
          return;
        }
        if (req.method === "GET" && req.url === "/clock") {
          send(res, 200, await fromChain(() => ingest.clock()));
          return;
        }
        const stream = STREAM_PATH.exec(req.url ?? "");
        if (req.method === "GET" && stream !== null) {
          const orderId = BigInt(stream[1]!);
          const kind = stream[2] === "device" ? KeyKind.Device : KeyKind.Inspector;
          const position = orderId < 2n ** 64n ? await fromChain(() => ingest.position(orderId, kind)) : undefined;
          if (position === undefined) {
            send(res, 404, { reason: "UnknownOrder", error: `The meter has no order ${orderId}.` });
          } else send(res, 200, position);
          return;
        }
        if (req.url !== "/reports") {
          send(res, 404, {
            error:
              `No such endpoint: ${req.method} ${req.url}. POST /reports, GET /status, GET /clock, ` +
              "GET /streams/<orderId>/<device|inspector>.",
          });
          return;
        }
        if (req.method !== "POST") {
          send(res, 405, { error: "Send reports with POST /reports." });
          return;
        }
        const body = await readJsonBody(req, res, {
          maxBytes: MAX_REPORTS_BODY_BYTES,
          tooLarge: `send at most ${MAX_REPORTS_PER_REQUEST} reports at once`,
        });
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch (error) {
          send(res, 400, { reason: "MalformedJson", error: `The body is not JSON (${(error as Error).message}).` });
          return;
        }
        const batch = (parsed as { reports?: unknown } | null)?.reports;
        if (Array.isArray(batch)) {
          if (batch.length > MAX_REPORTS_PER_REQUEST) {
            throw new ReportRefused(
              413,
              "TooManyReports",
              `A request may carry at most ${MAX_REPORTS_PER_REQUEST} reports; this one has ${batch.length}: ` +
                `send them in batches of at most ${MAX_REPORTS_PER_REQUEST}.`,
            );
          }
          send(res, 200, { results: await answerAll(ingest, batch) });
          return;
        }
        const one = await answer(ingest, parsed);
        send(res, one.status, one);
      } catch (error) {
        const refused = error instanceof ReportRefused || error instanceof BodyRefused ? error : undefined;
        send(res, refused?.status ?? 500, { reason: refused?.reason ?? "Error", error: (error as Error).message });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${address}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
