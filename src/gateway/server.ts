/**
 * The gateway as a service: devices POST signed reports as JSON to /reports on loopback (one report, or
 * `{ "reports": [...] }`), and are answered only once each report is stored durably; GET /status shows the
 * counters (received, stored, submitted, confirmed, rejected by reason) as JSON. The submitter runs beside it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import type { Ingest } from "./ingest.js";
import { ReportRefused } from "./ingest.js";
import type { GatewayStore } from "./store.js";
import type { Submitter } from "./submitter.js";

/** Largest request body accepted. */
const MAX_BODY = 16 * 1024 * 1024;

export interface GatewayStatus {
  received: number;
  stored: number;
  alreadyStored: number;
  refused: Record<string, number>;
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
    refused: { ...ingest.counters.refused },
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

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req) {
    length += (chunk as Buffer).length;
    if (length > MAX_BODY)
      throw new ReportRefused(
        413,
        "TooLarge",
        `A request may carry at most ${MAX_BODY} bytes; send fewer reports at once.`,
      );
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
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
        if (req.url !== "/reports") {
          send(res, 404, { error: `No such endpoint: ${req.method} ${req.url}. POST /reports, GET /status.` });
          return;
        }
        if (req.method !== "POST") {
          send(res, 405, { error: "Send reports with POST /reports." });
          return;
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(await readBody(req));
        } catch (error) {
          if (error instanceof ReportRefused) throw error;
          send(res, 400, { reason: "MalformedJson", error: `The body is not JSON (${(error as Error).message}).` });
          return;
        }
        if (typeof parsed === "object" && parsed !== null && Array.isArray((parsed as { reports?: unknown }).reports)) {
          const results = await Promise.all((parsed as { reports: unknown[] }).reports.map((r) => answer(ingest, r)));
          send(res, 200, { results });
          return;
        }
        const one = await answer(ingest, parsed);
        send(res, one.status, one);
      } catch (error) {
        const refused = error instanceof ReportRefused ? error : undefined;
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
