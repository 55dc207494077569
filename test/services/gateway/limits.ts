/*
limits.tree: what the gateway's front door (src/services/gateway/server.ts, ingest.ts, chain.ts) refuses, and what that
costs it, against a chain view over a counting stand-in for the node.

POST /reports
├── G-01 when the body is not declared as JSON ──────────── 415 UnsupportedMediaType naming the header to send;
│   no report is read; `application/json; charset=utf-8` is JSON
├── G-04 when a batch holds more reports than the cap ───── 413 TooManyReports; no report is checked
├── G-04 when the body is larger than the limit ─────────── 413 TooLarge as soon as that is known (from the declared
│   length, or once the bytes read pass the limit), without reading the rest
├── G-04 while a junk batch at the cap is checked ───────── GET /status answers within 100 ms each time
├── G-05 when junk reports name one unknown signer ──────── one registry read for all of them, no meter read
├── G-05 when a report is wrong in a way the chain need not judge ── refused without any chain read
└── G-05 when a period ends beyond the chain's clock ──────── a stranger's: refused by its key, no clock read; the
    machine's own: PeriodInFuture after the latest block is read again (the cached one may be older than the device's)
*/
import { expect } from "chai";
import { getAddress } from "viem";
import { generatePrivateKey } from "viem/accounts";

import { ContractChainView } from "../../../src/services/gateway/chain.js";
import { Ingest } from "../../../src/services/gateway/ingest.js";
import {
  MAX_REPORTS_BODY_BYTES,
  MAX_REPORTS_PER_REQUEST,
  serveGateway,
  type GatewayServer,
} from "../../../src/services/gateway/server.js";
import { GatewayStore } from "../../../src/services/gateway/store.js";
import { oneDeviceNode } from "../../helpers/gateway-node.js";
import { rawPost } from "../../helpers/http.js";

const { DOMAIN, NOW, countingNode, signed } = oneDeviceNode();

describe("gateway limits", function () {
  this.timeout(60_000);
  let store: GatewayStore;
  let ingest: Ingest;
  let served: GatewayServer;
  let reads: Record<string, number>;

  beforeEach(async function () {
    const node = countingNode();
    reads = node.reads;
    store = new GatewayStore({ path: ":memory:" });
    const chain = new ContractChainView({
      publicClient: node.client,
      machineRegistry: getAddress("0x0000000000000000000000000000000000000001"),
      usageMeter: DOMAIN.meter,
    });
    ingest = new Ingest({ store, chain, domain: DOMAIN });
    served = await serveGateway({ ingest, store });
  });

  afterEach(async function () {
    await served.close();
    store.close();
  });

  const post = async (body: string, contentType?: string) => {
    const response = await fetch(`${served.url}/reports`, {
      method: "POST",
      headers: contentType === undefined ? {} : { "content-type": contentType },
      body,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  describe("when the body is not declared as JSON", function () {
    it("G-01 refuses a text/plain POST with 415, naming the header to send, and reads no report", async function () {
      const body = JSON.stringify(signed());
      for (const contentType of [
        "text/plain",
        "text/plain;charset=UTF-8",
        undefined,
        "application/x-www-form-urlencoded",
      ]) {
        const answer = await post(body, contentType);
        expect([contentType, answer.status, answer.body.reason]).to.deep.equal([
          contentType,
          415,
          "UnsupportedMediaType",
        ]);
        expect(String(answer.body.error)).to.contain("Content-Type: application/json");
      }
      expect(ingest.counters.received).to.equal(0);
      expect(store.all()).to.have.length(0);
      const json = await post(body, "application/json; charset=utf-8");
      expect(json.status, JSON.stringify(json.body)).to.equal(201);
    });
  });

  describe("when a batch holds more reports than the cap", function () {
    it("G-04 refuses it with 413 and checks none of its reports", async function () {
      const body = JSON.stringify({ reports: Array.from({ length: MAX_REPORTS_PER_REQUEST + 1 }, () => ({})) });
      const answer = await post(body, "application/json");
      expect([answer.status, answer.body.reason]).to.deep.equal([413, "TooManyReports"]);
      expect(String(answer.body.error)).to.contain(`at most ${MAX_REPORTS_PER_REQUEST} reports`);
      expect(ingest.counters.received).to.equal(0);
    });
  });

  describe("when the body is larger than the limit", function () {
    it("G-04 refuses a declared length above the limit with 413 before reading the body", async function () {
      const total = 64 * 1024 * 1024;
      const answer = await rawPost(
        `${served.url}/reports`,
        { "content-type": "application/json", "content-length": String(total) },
        total,
      );
      expect([answer.status, answer.body.reason]).to.deep.equal([413, "TooLarge"]);
      expect(String(answer.body.error)).to.contain(`at most ${MAX_REPORTS_BODY_BYTES} bytes`);
      expect(answer.sent).to.be.below(total / 4);
    });

    it("G-04 refuses a streamed body with 413 once it passes the limit, without reading the rest", async function () {
      const total = 64 * 1024 * 1024;
      const answer = await rawPost(`${served.url}/reports`, { "content-type": "application/json" }, total);
      expect([answer.status, answer.body.reason]).to.deep.equal([413, "TooLarge"]);
      expect(answer.sent).to.be.above(MAX_REPORTS_BODY_BYTES);
      expect(answer.sent).to.be.below(total / 4);
    });
  });

  describe("while a junk batch at the cap is checked", function () {
    it("G-04 answers GET /status again and again while the batch is checked", async function () {
      // The costliest junk: well-formed reports, each signed by another unknown key and naming another
      // order, so that each costs a signature recovery and finds nothing cached.
      const junk = Array.from({ length: MAX_REPORTS_PER_REQUEST }, (_, i) =>
        signed({ orderId: BigInt(1000 + i) }, generatePrivateKey()),
      );
      const body = JSON.stringify({ reports: junk });
      expect(Buffer.byteLength(body)).to.be.below(MAX_REPORTS_BODY_BYTES);
      let done = false;
      const started = performance.now();
      let took = 0;
      const batch = post(body, "application/json").finally(() => {
        done = true;
        took = performance.now() - started;
      });
      const latencies: number[] = [];
      while (!done) {
        const t0 = performance.now();
        const status = await fetch(`${served.url}/status`);
        await status.json();
        latencies.push(performance.now() - t0);
      }
      const answer = await batch;
      expect(answer.status).to.equal(200);
      const results = answer.body.results as { status: number; reason: string }[];
      expect(results).to.have.length(MAX_REPORTS_PER_REQUEST);
      expect(results.every((r) => r.status === 403 && r.reason === "UnknownSigner")).to.equal(true);
      const worst = Math.max(...latencies);
      console.log(
        `      /status during the junk batch of ${took.toFixed(0)} ms: ${latencies.length} answers, worst ${worst.toFixed(1)} ms`,
      );
      // Answered throughout, never waiting for the batch: the batch is checked in slices that yield to other
      // requests. How fast each answer comes is the bench's figure (latencyMs.gateway.statusDuringJunk, goal
      // 100 ms), not this test's: a timed assertion fails on a loaded machine.
      expect(latencies.length).to.be.above(2);
    });
  });

  describe("when junk reports name one unknown signer", function () {
    it("G-05 refuses them all for one registry read and no meter read", async function () {
      const stranger = generatePrivateKey();
      const junk = Array.from({ length: 50 }, (_, i) => signed({ orderId: BigInt(100 + i) }, stranger));
      const answer = await post(JSON.stringify({ reports: junk }), "application/json");
      const results = answer.body.results as { status: number; reason: string }[];
      expect(results.map((r) => r.reason)).to.deep.equal(junk.map(() => "UnknownSigner"));
      expect(reads).to.deep.equal({ signerKey: 1 });
    });
  });

  describe("when a report is wrong in a way the chain need not judge", function () {
    it("G-05 refuses it without any chain read", async function () {
      const stranger = generatePrivateKey();
      const cases: [string, unknown, number, string][] = [
        ["malformed", { ...signed(), orderId: "x" }, 400, "MalformedReport"],
        ["bad signature", { ...signed(), signature: `0x${"00".repeat(65)}` }, 400, "InvalidSignature"],
        [
          "ends before it starts",
          signed({ periodStart: NOW, periodEnd: NOW - 1 }, stranger),
          422,
          "PeriodEndsBeforeStart",
        ],
      ];
      for (const [what, body, status, reason] of cases) {
        const answer = await post(JSON.stringify(body), "application/json");
        expect([what, answer.status, answer.body.reason]).to.deep.equal([what, status, reason]);
      }
      expect(reads).to.deep.equal({});
    });
  });

  describe("when a period ends beyond the chain's clock", function () {
    it("G-05 refuses a stranger's by its key without reading the clock, the machine's after reading the latest block again", async function () {
      const stranger = generatePrivateKey();
      const future = { periodStart: NOW - 600, periodEnd: NOW + 86400 };
      const junk = Array.from({ length: 50 }, (_, i) => signed({ ...future, orderId: BigInt(100 + i) }, stranger));
      const answer = await post(JSON.stringify({ reports: junk }), "application/json");
      const results = answer.body.results as { status: number; reason: string }[];
      expect(results.map((r) => r.reason)).to.deep.equal(junk.map(() => "UnknownSigner"));
      expect(reads).to.deep.equal({ signerKey: 1 });
      const own = await post(JSON.stringify(signed(future)), "application/json");
      expect([own.status, own.body.reason]).to.deep.equal([422, "PeriodInFuture"]);
      expect(String(own.body.error)).to.contain("after the chain's time");
      // The cached clock, then the latest block once more before the refusal for good.
      expect(reads).to.deep.equal({ signerKey: 2, getOrder: 1, meterOf: 1, getBlock: 2 });
    });
  });
});
