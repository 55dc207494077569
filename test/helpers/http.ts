/** Plain HTTP for tests of what a server refuses before it reads a request's body. */
import { request as httpRequest } from "node:http";

export interface RawAnswer {
  status: number;
  body: Record<string, unknown>;
  /** Bytes of the body the client had written when the answer came. */
  sent: number;
}

/**
 * POSTs `total` bytes of `chunk`s to `url` over plain HTTP, with `headers`, stopping as soon as the server
 * answers; resolves with the answer (its body parsed as JSON) and how much was sent by then.
 */
export function rawPost(
  url: string,
  headers: Record<string, string>,
  total: number,
  chunk = 64 * 1024,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = httpRequest(url, { method: "POST", headers }, (res) => {
      answered = true;
      const at = sent;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown>, sent: at });
      });
    });
    // Once the server answered and closed, writes may fail: that is the server not reading the rest.
    req.on("error", (error) => {
      if (!answered) reject(error);
    });
    const piece = Buffer.alloc(chunk, "x");
    const write = () => {
      while (!answered && sent < total) {
        const n = Math.min(chunk, total - sent);
        sent += n;
        if (!req.write(n === chunk ? piece : piece.subarray(0, n))) {
          req.once("drain", write);
          return;
        }
      }
      if (!answered) req.end();
    };
    write();
  });
}
