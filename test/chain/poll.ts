/*
poll.tree: the one poll loop (src/chain/poll.ts) and what it says of an outage.

poll
├── when rounds succeed ─────────────── a pause of the interval between them; a round that returns false ends it
├── when the signal aborts ─────────── it ends during the pause, at once
├── when rounds fail ───────────────── the pause doubles with each failure in a row, up to the bound, and is the
│   interval again after a success (onRecovered tells how many failed)
└── when onError says "stop" ───────── it rejects with that failure
Reachability
├── when attempts fail again and again ── "down" is said once, "up" once when one succeeds again
├── watch ──────────────────────────── a failure to reach counts as down; an answer that refuses counts as up
└── status ─────────────────────────── reachable, since when, failures, the last failure's words
*/
import { expect } from "chai";

import { pauseAfter, poll, Reachability, sleep, startPolling, unreachable } from "../../src/chain/poll.js";
import { Unreachable } from "../../src/transport/client.js";

describe("src/chain/poll: the one poll loop", function () {
  describe("poll", function () {
    it("pauses the interval between rounds that succeed; a round returning false ends it", async function () {
      const at: number[] = [];
      await poll(
        async () => {
          at.push(Date.now());
          return at.length < 4;
        },
        { intervalMs: 30 },
      );
      expect(at).to.have.length(4);
      for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).to.be.at.least(25);
    });

    it("ends at once when the signal aborts during a pause", async function () {
      const controller = new AbortController();
      let rounds = 0;
      const started = Date.now();
      const loop = poll(
        async () => {
          rounds += 1;
        },
        { intervalMs: 60_000, signal: controller.signal },
      );
      await sleep(20);
      controller.abort();
      await loop;
      expect(rounds).to.equal(1);
      expect(Date.now() - started).to.be.below(1000);
    });

    it("doubles the pause with each failure in a row, up to the bound, and goes back to the interval", async function () {
      expect([1, 2, 3, 4, 5, 6].map((n) => pauseAfter(100, n, { maxMs: 1000 }))).to.deep.equal([
        100, 200, 400, 800, 1000, 1000,
      ]);
      expect(pauseAfter(100, 0, { maxMs: 1000 })).to.equal(100);
      expect(pauseAfter(100, 5)).to.equal(100);
      let round = 0;
      const errors: number[] = [];
      const recovered: number[] = [];
      const pauses: number[] = [];
      let last = Date.now();
      await poll(
        async () => {
          pauses.push(Date.now() - last);
          last = Date.now();
          round += 1;
          if (round <= 3) throw new Error(`fault ${round}`);
          return round < 5;
        },
        {
          intervalMs: 20,
          backoff: { maxMs: 60 },
          onError: (_error, failures) => void errors.push(failures),
          onRecovered: (failures) => recovered.push(failures),
        },
      );
      expect(errors).to.deep.equal([1, 2, 3]);
      expect(recovered).to.deep.equal([3]);
      // Pauses after the failures: 20, 40, 60 (the bound); after the success: 20 again.
      expect(pauses[2]).to.be.at.least(35);
      expect(pauses[3]).to.be.at.least(55);
      expect(pauses[4]).to.be.below(55);
    });

    it('rejects with the failure onError says "stop" to', async function () {
      const loop = poll(() => Promise.reject(new Error("for good")), { intervalMs: 1, onError: () => "stop" });
      const error = await loop.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as Error).message).to.equal("for good");
    });

    it("runs in the background until stopped (startPolling)", async function () {
      let rounds = 0;
      const polling = startPolling(
        async () => {
          rounds += 1;
        },
        { intervalMs: 5 },
      );
      await sleep(50);
      await polling.stop();
      const seen = rounds;
      await sleep(30);
      expect(seen).to.be.above(1);
      expect(rounds).to.equal(seen);
    });
  });

  describe("Reachability", function () {
    const down = () => Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });

    it('says "down" once however often attempts fail, and "up" once when one succeeds', function () {
      let now = 1000;
      const said: string[] = [];
      const node = new Reachability(
        "the node",
        {
          down: (error) => said.push(`down: ${(error as Error).message}`),
          up: (failures, ms) => said.push(`up after ${failures} failures, ${ms} ms`),
        },
        () => now,
      );
      node.ok();
      for (let i = 0; i < 58; i++) {
        node.failed(down());
        now += 350;
      }
      expect(node.reachable).to.equal(false);
      expect(node.status()).to.deep.include({ reachable: false, failures: 58, error: "fetch failed" });
      node.ok();
      node.ok();
      expect(said).to.deep.equal(["down: fetch failed", `up after 58 failures, ${58 * 350} ms`]);
      expect(node.status()).to.deep.equal({ reachable: true, since: new Date(now).toISOString(), failures: 0 });
    });

    it("watch: counts a failure to reach as down, and an answer that refuses as up", async function () {
      const node = new Reachability("the node");
      await node.watch(() => Promise.reject(new Unreachable("gone", "ECONNREFUSED", false))).catch(() => undefined);
      expect(node.reachable).to.equal(false);
      await node.watch(() => Promise.reject(new Error("execution reverted"))).catch(() => undefined);
      expect(node.reachable).to.equal(true);
    });

    it("tells a failure to reach from a refusal (unreachable)", function () {
      expect(unreachable(down())).to.equal(true);
      expect(unreachable(Object.assign(new Error("HTTP request failed."), { name: "HttpRequestError" }))).to.equal(
        true,
      );
      expect(unreachable(new Error("wrapped", { cause: new Unreachable("x", "y", true) }))).to.equal(true);
      expect(unreachable(new Error("execution reverted: UsageMeterStaleSequence"))).to.equal(false);
      expect(unreachable("a string")).to.equal(false);
    });
  });
});
