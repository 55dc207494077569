/*
server.tree: the one HTTP server (src/transport/server.ts) and the one JSON client (src/transport/client.ts).

createHttpServer
├── when a route takes the request ───────── its answer: JSON with bigints as decimal strings, or text
├── when the path has a pattern ──────────── the handler gets the match
├── when no route takes the path ─────────── 404 NotFound naming every route
├── when the path is known, not the method ─ 405 MethodNotAllowed naming what is served there
├── when the body is no JSON ─────────────── 400 MalformedJson
├── when a batch holds more entries than the route's limit ── 413 with the route's reason and words
└── when a handler throws ────────────────── the service's refusal words the answer; by default { reason, error }
JsonClient
├── when the peer answers ────────────────── the status, the text, and the body parsed (undefined when no JSON)
├── when nothing listens ─────────────────── Unreachable, naming the peer and the failure
└── when the peer does not answer in time ── Unreachable, timed out
*/
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { expect } from "chai";

import { JsonClient, Unreachable } from "../../src/transport/client.js";
import {
  createHttpServer,
  HttpError,
  json,
  listen,
  text,
  type Listening,
  type Route,
} from "../../src/transport/server.js";
import { freePort } from "../helpers/anvil.js";

const ROUTES: Route[] = [
  { method: "GET", path: "/status", handle: () => json(200, { amount: 2n ** 70n, ok: true }) },
  { method: "GET", path: "/metrics", handle: () => text(200, "up 1\n", "text/plain; version=0.0.4") },
  {
    method: "GET",
    path: /^\/items\/([0-9]+)$/,
    shows: "/items/<id>",
    handle: (request) => {
      if (request.match![1] === "0") throw new HttpError(404, "UnknownItem", "There is no item 0.", { id: 0 });
      return json(200, { id: Number(request.match![1]) });
    },
  },
  {
    method: "POST",
    path: "/batch",
    body: {
      maxBytes: 1024,
      tooLarge: "send less",
      entries: { field: "items", max: 3, reason: "TooManyItems", tooMany: (n) => `At most 3 items, not ${n}.` },
    },
    handle: async (request) => json(200, { got: await request.json() }),
  },
  {
    method: "POST",
    path: "/fail",
    body: { maxBytes: 64, tooLarge: "no" },
    handle: () => Promise.reject(new Error("boom")),
  },
];

describe("src/transport: the one HTTP server and the one JSON client", function () {
  let served: Listening;
  let client: JsonClient;

  before(async function () {
    served = await listen(createHttpServer({ routes: ROUTES }));
    client = new JsonClient(served.url, { what: "the test server" });
  });
  after(async function () {
    await served.close();
  });

  describe("createHttpServer", function () {
    it("answers a route with JSON, bigints as decimal strings, or with text", async function () {
      const status = await client.get("/status");
      expect(status.status).to.equal(200);
      expect(status.body).to.deep.equal({ amount: (2n ** 70n).toString(), ok: true });
      const metrics = await fetch(`${served.url}/metrics`);
      expect(metrics.headers.get("content-type")).to.equal("text/plain; version=0.0.4");
      expect(await metrics.text()).to.equal("up 1\n");
    });

    it("gives a pattern's handler the match, and words what it throws with its status and details", async function () {
      expect((await client.get("/items/42")).body).to.deep.equal({ id: 42 });
      const unknown = await client.get("/items/0");
      expect([unknown.status, unknown.body]).to.deep.equal([
        404,
        { reason: "UnknownItem", error: "There is no item 0.", id: 0 },
      ]);
    });

    it("answers 404 NotFound naming every route when none takes the path", async function () {
      const answer = await client.get("/nothing?x=1");
      expect(answer.status).to.equal(404);
      const body = answer.body as { reason: string; error: string };
      expect(body.reason).to.equal("NotFound");
      expect(body.error).to.include("GET /nothing").and.include("GET /items/<id>").and.include("POST /batch");
    });

    it("answers 405 naming what is served there when the method is not", async function () {
      const answer = await client.get("/batch");
      expect(answer.status).to.equal(405);
      expect(answer.body).to.deep.include({ reason: "MethodNotAllowed" });
      expect((answer.body as { error: string }).error).to.include("send POST /batch");
    });

    it("refuses a body that is no JSON with 400 MalformedJson", async function () {
      const answer = await client.post("/batch", "{not json");
      expect(answer.status).to.equal(400);
      expect(answer.body).to.deep.include({ reason: "MalformedJson" });
    });

    it("refuses a batch above the route's entry limit with its reason and words; takes one at the limit", async function () {
      const over = await client.post("/batch", { items: [1, 2, 3, 4] });
      expect([over.status, over.body]).to.deep.equal([
        413,
        { reason: "TooManyItems", error: "At most 3 items, not 4." },
      ]);
      expect((await client.post("/batch", { items: [1, 2, 3] })).body).to.deep.equal({ got: { items: [1, 2, 3] } });
      const large = await client.post("/batch", { items: ["x".repeat(2000)] });
      expect([large.status, (large.body as { reason: string }).reason]).to.deep.equal([413, "TooLarge"]);
    });

    it("answers what a handler throws with the service's refusal, by default { reason, error } and 500", async function () {
      const answer = await client.post("/fail", {});
      expect([answer.status, answer.body]).to.deep.equal([500, { reason: "Error", error: "boom" }]);
      const own = await listen(
        createHttpServer({
          routes: ROUTES,
          refusal: (error) => json(418, { code: "mine", words: (error as Error).message }),
        }),
      );
      try {
        const mine = await new JsonClient(own.url, { what: "it" }).post("/fail", {});
        expect([mine.status, mine.body]).to.deep.equal([418, { code: "mine", words: "boom" }]);
      } finally {
        await own.close();
      }
    });
  });

  describe("JsonClient", function () {
    it("gives the text and an undefined body for an answer that is no JSON", async function () {
      const answer = await client.get("/metrics");
      expect([answer.status, answer.text, answer.body]).to.deep.equal([200, "up 1\n", undefined]);
    });

    it("throws Unreachable, naming the peer, when nothing listens", async function () {
      const port = await freePort();
      const error = await new JsonClient(`http://127.0.0.1:${port}`, { what: "the payer" }).get("/x").catch((e) => e);
      expect(error).to.be.instanceOf(Unreachable);
      expect((error as Unreachable).message).to.include(`Cannot reach the payer at http://127.0.0.1:${port}`);
      expect((error as Unreachable).detail).to.include("ECONNREFUSED");
      expect((error as Unreachable).timedOut).to.equal(false);
    });

    it("throws Unreachable, timed out, when the peer does not answer in time", async function () {
      const silent: Server = createServer(() => undefined);
      await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
      try {
        const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
        const error = await new JsonClient(url, { what: "the gateway", timeoutMs: 100 }).get("/x").catch((e) => e);
        expect(error).to.be.instanceOf(Unreachable);
        expect((error as Unreachable).timedOut).to.equal(true);
        expect((error as Unreachable).message).to.include("did not answer in 100 ms");
      } finally {
        silent.closeAllConnections();
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      }
    });
  });
});
