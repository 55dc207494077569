/**
 * What the off-chain services' HTTP endpoints (the gateway's POST /reports, the payer's POST /payments) share:
 * errors as answers, bigints in JSON as decimal strings, and reading a JSON request body, declared as JSON and
 * of bounded size. A body that is not declared as JSON is refused before it is read (a web page can send
 * `text/plain` anywhere without a CORS preflight; it cannot send `application/json` so), and one above the
 * limit as soon as its declared length or the bytes read show it, without reading the rest: the refusal closes
 * the connection instead.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * A request the server answers with an HTTP error: its status, a reason name for programs, and words for
 * people that say what to send instead. Each service words the answer's body its own way (see server.ts).
 */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    /** More fields for the answer's body. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Why a request's body was not read: the HTTP status, a reason name, and words that say what to send instead. */
export class BodyRefused extends HttpError {
  override name = "BodyRefused";
  declare readonly status: 413 | 415;
  declare readonly reason: "TooLarge" | "UnsupportedMediaType";
  constructor(status: 413 | 415, reason: "TooLarge" | "UnsupportedMediaType", message: string) {
    super(status, reason, message);
  }
}

/** JSON text of `value`, bigints as decimal strings (the wire form of every amount and id). */
export function jsonText(value: unknown, space?: number): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v), space);
}

/** Whether the request declares a JSON body: `application/json`, with or without parameters such as a charset. */
function declaresJson(req: IncomingMessage): boolean {
  const type = req.headers["content-type"];
  return type !== undefined && type.split(";", 1)[0]!.trim().toLowerCase() === "application/json";
}

/**
 * The request's body as text, if it is declared as JSON and holds at most `maxBytes` bytes; else rejects with
 * a BodyRefused and marks the response to close the connection, so that the rest of the body is never read.
 * `tooLarge` says what a client whose body is too large should do instead.
 */
export function readJsonBody(
  req: IncomingMessage,
  res: ServerResponse,
  limits: { maxBytes: number; tooLarge: string },
): Promise<string> {
  const { maxBytes } = limits;
  const refuse = (error: BodyRefused): Promise<string> => {
    // Node would otherwise read the rest of the body to keep the connection alive.
    res.setHeader("connection", "close");
    req.pause();
    return Promise.reject(error);
  };
  if (!declaresJson(req)) {
    const got = req.headers["content-type"];
    return refuse(
      new BodyRefused(
        415,
        "UnsupportedMediaType",
        `The body must be JSON, sent with the header Content-Type: application/json (this request ` +
          `${got === undefined ? "had no Content-Type" : `said ${JSON.stringify(got)}`}); send it again so.`,
      ),
    );
  }
  const tooLarge = () =>
    new BodyRefused(413, "TooLarge", `A request may carry at most ${maxBytes} bytes; ${limits.tooLarge}.`);
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > maxBytes) return refuse(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const stop = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      if (length > maxBytes) {
        stop();
        refuse(tooLarge()).catch(reject);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(Buffer.concat(chunks, length).toString("utf8"));
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}
