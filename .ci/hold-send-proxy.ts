/**
 * A JSON-RPC proxy for CI that widens the narrowest moment to kill a deployment at: it passes every
 * request on to the node, but from the Nth transaction sent through it on it withholds the node's answer.
 * The transaction is then in the node, while the sender (Ignition) never learns its hash and so cannot
 * journal it. The node's answer is written to the marker file, for the test to compare with what the
 * resumed deployment records.
 *
 *   npx tsx .ci/hold-send-proxy.ts <port> <node url> <N> <marker file>
 */
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";

const [port, upstream, holdFrom, marker] = process.argv.slice(2);
if (port === undefined || upstream === undefined || holdFrom === undefined || marker === undefined) {
  console.error("usage: hold-send-proxy.ts <port> <node url> <N> <marker file>");
  process.exit(2);
}
const SENDS = new Set(["eth_sendTransaction", "eth_sendRawTransaction"]);
let sends = 0;

createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    const calls = [JSON.parse(body) as { method?: string } | { method?: string }[]].flat();
    const sending = calls.filter((call) => call.method !== undefined && SENDS.has(call.method)).length;
    sends += sending;
    const hold = sending > 0 && sends >= Number(holdFrom);
    fetch(upstream, { method: "POST", headers: { "content-type": "application/json" }, body })
      .then(async (answer) => {
        const text = await answer.text();
        if (hold) {
          writeFileSync(marker, text);
          return; // never answered: the sender waits until it is killed
        }
        response.writeHead(answer.status, { "content-type": "application/json" }).end(text);
      })
      .catch((error: unknown) => {
        response.writeHead(502).end(String(error));
      });
  });
}).listen(Number(port), "127.0.0.1", () => console.log(`passing 127.0.0.1:${port} on to ${upstream}`));
