/**
 * The gateway as a service: devices POST signed reports as JSON (Content-Type: application/json) to /reports on
 * loopback (one report, or `{ "reports": [...] }` with at most MAX_REPORTS_PER_REQUEST), and are answered only
 * once each report is stored durably; GET /status shows the counters (received, stored, submitted, confirmed,
 * rejected by reason) as JSON; GET /clock the chain's time the gateway judges periods by, and its tolerance;
 * GET /streams/<orderId>/<device|inspector> where a stream stands (the next number, where its period must start),
 * for a device that recovers its position or re-issues a refused report; GET /metrics the same counters (and the
 * backlog, and whether the node answers) for Prometheus. The submitter runs beside it.
 */
import type { Server } from "node:http";
import { setImmediate as nextTurn } from "node:timers/promises";

import type { Reachability, ReachabilityStatus } from "../../chain/poll.js";
import {
  createHttpServer,
  defaultRefusal,
  HttpError,
  json,
  listen,
  type Request,
  type Route,
} from "../../transport/server.js";
import { countFrom, countsFrom, gaugeFrom, metricsRoute, Registry } from "../runtime/metrics.js";
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
  /** Whether the node answers (from the submitter's rounds), and since when. */
  node?: ReachabilityStatus;
}

/** The counters: ingest since this process started; the rest over everything the store holds. */
export function gatewayStatus(
  ingest: Ingest,
  store: GatewayStore,
  submitter?: Submitter,
  node?: Reachability,
): GatewayStatus {
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
    ...(node === undefined ? {} : { node: node.status() }),
  };
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
async function fromChain<T>(read: () => Promise<T>, node?: Reachability): Promise<T> {
  try {
    return await (node === undefined ? read() : node.watch(read));
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
  /** The metrics GET /metrics serves (this gateway's own registry). */
  metrics: Registry;
  close(): Promise<void>;
}

export interface GatewayServerOptions {
  ingest: Ingest;
  store: GatewayStore;
  submitter?: Submitter;
  /** The node, as the submitter finds it: shown in /status and /metrics. */
  node?: Reachability;
  host?: string;
  port?: number;
}

/** The gateway's metrics, read at each scrape from its counters and its store. */
export function gatewayMetrics(options: GatewayServerOptions): Registry {
  const { ingest, store, submitter, node } = options;
  const registry = new Registry();
  const counts = () => store.counts().byStatus;
  const accepted = () => ({ stored: ingest.counters.stored, already_stored: ingest.counters.alreadyStored });
  countsFrom(registry, "gateway_reports_accepted_total", "Reports accepted since start", "outcome", accepted);
  countsFrom(registry, "gateway_reports_refused_total", "Reports refused since start", "reason", () => ({
    ...ingest.counters.refused,
  }));
  countFrom(
    registry,
    "gateway_reports_submitted_total",
    "Reports sent to the meter",
    () => submitter?.counters.submitted ?? 0,
  );
  countFrom(registry, "gateway_batches_total", "Batches sent to the meter", () => submitter?.counters.batches ?? 0);
  countFrom(
    registry,
    "gateway_reports_requeued_total",
    "Reports queued again",
    () => submitter?.counters.requeued ?? 0,
  );
  countsFrom(registry, "gateway_reports_final_total", "Reports final on chain", "outcome", () => {
    const { recorded, duplicate, rejected } = counts();
    return { recorded, duplicate, rejected };
  });
  gaugeFrom(registry, "gateway_backlog_reports", "Reports stored, not sent yet", () => counts().stored);
  gaugeFrom(registry, "gateway_in_flight_reports", "Reports sent, not final yet", () => counts().submitted);
  gaugeFrom(registry, "gateway_node_reachable", "1 while the node answers, 0 in an outage", () =>
    node?.reachable === false ? 0 : 1,
  );
  return registry;
}

/** POST /reports: one report, or a batch of at most MAX_REPORTS_PER_REQUEST. */
async function reports(ingest: Ingest, request: Request) {
  const parsed = await request.json();
  const batch = (parsed as { reports?: unknown } | null)?.reports;
  if (Array.isArray(batch)) return json(200, { results: await answerAll(ingest, batch) });
  const one = await answer(ingest, parsed);
  return json(one.status, one);
}

function routes(options: GatewayServerOptions, metrics: Registry): Route[] {
  const { ingest, store, submitter, node } = options;
  return [
    {
      method: "POST",
      path: "/reports",
      body: {
        maxBytes: MAX_REPORTS_BODY_BYTES,
        tooLarge: `send at most ${MAX_REPORTS_PER_REQUEST} reports at once`,
        entries: {
          field: "reports",
          max: MAX_REPORTS_PER_REQUEST,
          reason: "TooManyReports",
          tooMany: (n) =>
            `A request may carry at most ${MAX_REPORTS_PER_REQUEST} reports; this one has ${n}: ` +
            `send them in batches of at most ${MAX_REPORTS_PER_REQUEST}.`,
        },
      },
      handle: (request) => reports(ingest, request),
    },
    { method: "GET", path: "/status", handle: () => json(200, gatewayStatus(ingest, store, submitter, node)) },
    metricsRoute(metrics),
    { method: "GET", path: "/clock", handle: async () => json(200, await fromChain(() => ingest.clock(), node)) },
    {
      method: "GET",
      path: STREAM_PATH,
      shows: "/streams/<orderId>/<device|inspector>",
      async handle(request) {
        const orderId = BigInt(request.match![1]!);
        const kind = request.match![2] === "device" ? KeyKind.Device : KeyKind.Inspector;
        const position = orderId < 2n ** 64n ? await fromChain(() => ingest.position(orderId, kind), node) : undefined;
        if (position === undefined) throw new HttpError(404, "UnknownOrder", `The meter has no order ${orderId}.`);
        return json(200, position);
      },
    },
  ];
}

/** Serves the gateway on `host` (default 127.0.0.1) and `port` (0: any free one). */
export async function serveGateway(options: GatewayServerOptions): Promise<GatewayServer> {
  const metrics = gatewayMetrics(options);
  const server = createHttpServer({
    routes: routes(options, metrics),
    refusal: (error) =>
      error instanceof ReportRefused
        ? json(error.status, { reason: error.reason, error: error.message })
        : defaultRefusal(error),
  });
  const listening = await listen(server, { host: options.host, port: options.port });
  return { server, url: listening.url, metrics, close: listening.close };
}
