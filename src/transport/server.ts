/**
 * The one HTTP server of the off-chain services (the gateway, the payer, the payee's status): routes by method
 * and path, a request body read only when declared as JSON and within the route's byte limit (and, for a batch,
 * its entry limit), answers as JSON (bigints as decimal strings) or text (Prometheus metrics). An error a
 * handler throws becomes the answer `refusal` words for it: each service keeps its own wire form of a refusal.
 * A request no route takes is a 404 naming the routes, one on a known path with another method a 405.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import { HttpError, jsonText, readJsonBody } from "./http.js";

export { BodyRefused, HttpError, jsonText } from "./http.js";

/** An answer: status, body text and its content type. */
export interface Reply {
  status: number;
  body: string;
  type: string;
}

const JSON_TYPE = "application/json";

/** A JSON answer of `value`. */
export function json(status: number, value: unknown): Reply {
  return { status, body: jsonText(value), type: JSON_TYPE };
}

/** A JSON answer whose text is made already (a wire form of its own). */
export function jsonBody(status: number, body: string): Reply {
  return { status, body, type: JSON_TYPE };
}

/** A text answer (e.g. Prometheus metrics, with their content type). */
export function text(status: number, body: string, type = "text/plain; charset=utf-8"): Reply {
  return { status, body, type };
}

/** What a route reads from a request body: at most `maxBytes`, and for a batch at most `entries.max` entries. */
export interface BodyLimits {
  maxBytes: number;
  /** What a client whose body is too large should do instead (e.g. "send at most 1000 reports at once"). */
  tooLarge: string;
  /** A batch: the array under `field` holds at most `max` entries, else 413 with `reason` and `tooMany`'s words. */
  entries?: { field: string; max: number; reason: string; tooMany: (count: number) => string };
}

export interface Request {
  method: string;
  /** The path, without a query. */
  path: string;
  /** The path pattern's match (for a route with a RegExp path). */
  match: RegExpExecArray | undefined;
  /** The body as text, read within the route's limits. */
  text(): Promise<string>;
  /** The body parsed as JSON (400 MalformedJson if it is not), within the route's limits. */
  json(): Promise<unknown>;
}

export interface Route {
  method: "GET" | "POST";
  path: string | RegExp;
  /** How the route shows in a 404's list of routes (default: its path). */
  shows?: string;
  body?: BodyLimits;
  handle(request: Request): Reply | Promise<Reply>;
}

export interface HttpServerOptions {
  routes: readonly Route[];
  /** Words an error as an answer (default: `{ reason, error }` with the HttpError's status, else 500). */
  refusal?: (error: unknown) => Reply;
}

/** The default answer to an error: `{ reason, error }` (and its details) with its status; 500 for the unforeseen. */
export function defaultRefusal(error: unknown): Reply {
  if (error instanceof HttpError)
    return json(error.status, { reason: error.reason, error: error.message, ...error.details });
  return json(500, { reason: "Error", error: (error as Error).message });
}

function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, { "content-type": reply.type, "content-length": Buffer.byteLength(reply.body) });
  res.end(reply.body);
}

function requestOf(req: IncomingMessage, res: ServerResponse, route: Route, path: string): Request {
  const noBody: BodyLimits = { maxBytes: 0, tooLarge: "this endpoint takes no body" };
  const limits = route.body ?? noBody;
  let body: Promise<string> | undefined;
  const text = () => (body ??= readJsonBody(req, res, limits));
  return {
    method: req.method ?? "GET",
    path,
    match: typeof route.path === "string" ? undefined : (route.path.exec(path) ?? undefined),
    text,
    async json() {
      let parsed: unknown;
      try {
        parsed = JSON.parse(await text());
      } catch (error) {
        if (error instanceof HttpError) throw error;
        throw new HttpError(400, "MalformedJson", `The body is not JSON (${(error as Error).message}).`);
      }
      const entries = limits.entries;
      const batch = entries && (parsed as Record<string, unknown> | null)?.[entries.field];
      if (entries !== undefined && Array.isArray(batch) && batch.length > entries.max) {
        throw new HttpError(413, entries.reason, entries.tooMany(batch.length));
      }
      return parsed;
    },
  };
}

/** The route for `method` and `path`, or the HttpError (404, 405) that says why there is none. */
function routeOf(routes: readonly Route[], method: string, path: string): Route {
  const onPath = routes.filter((r) => (typeof r.path === "string" ? r.path === path : r.path.test(path)));
  const route = onPath.find((r) => r.method === method);
  if (route !== undefined) return route;
  if (onPath.length > 0) {
    const allowed = onPath.map((r) => `${r.method} ${r.shows ?? r.path}`).join(", ");
    throw new HttpError(405, "MethodNotAllowed", `${method} ${path} is not served; send ${allowed}.`);
  }
  const all = routes.map((r) => `${r.method} ${r.shows ?? r.path}`).join(", ");
  throw new HttpError(404, "NotFound", `No such endpoint: ${method} ${path}. This server answers ${all}.`);
}

/**
 * An HTTP server over `routes` (not listening yet: see {listen}). Exact paths are looked up at once, patterns
 * in turn; every request is answered, with the refusal's words when a handler throws.
 */
export function createHttpServer(options: HttpServerOptions): Server {
  const refusal = options.refusal ?? defaultRefusal;
  const exact = new Map<string, Route>();
  for (const route of options.routes) {
    if (typeof route.path === "string") exact.set(`${route.method} ${route.path}`, route);
  }
  return createServer((req, res) => {
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const query = url.indexOf("?");
    const path = query < 0 ? url : url.slice(0, query);
    void (async () => {
      try {
        const route = exact.get(`${method} ${path}`) ?? routeOf(options.routes, method, path);
        send(res, await route.handle(requestOf(req, res, route, path)));
      } catch (error) {
        send(res, refusal(error));
      }
    })();
  });
}

/** The port is taken, or the address is not this host's: the operator must choose another. */
export class ListenError extends Error {
  override name = "ListenError";
}

export interface Listening {
  url: string;
  port: number;
  /** Stops taking requests, lets those in progress finish (a second at most), then closes every connection. */
  close(): Promise<void>;
}

/** Listens on `host` (default 127.0.0.1) and `port` (0: any free one). */
export async function listen(server: Server, options: { host?: string; port?: number } = {}): Promise<Listening> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 0;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const why =
        error.code === "EADDRINUSE"
          ? "the port is in use (by another process, or another instance of this one)"
          : error.code === "EADDRNOTAVAIL"
            ? "that address is not this host's"
            : error.message;
      reject(new ListenError(`Cannot listen on ${host}:${port}: ${why}; stop that process or choose another port.`));
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      }),
  };
}
