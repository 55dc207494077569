/*
cache.tree: the one cache of chain reads (src/chain/cache.ts), used by the gateway's and the payer's chain reads.

ReadCache
├── G-05 when many distinct keys are read ──── at most maxEntries are kept; the oldest goes first
├── G-05 when reads expire ─────────────────── they are dropped as new ones come, not kept forever
├── when a read fails ──────────────────────── it is not kept; the next ask reads again
├── when reads of one key run at once ──────── they share one read
└── with a ttl of Infinity ─────────────────── a read is kept for good
*/
import { expect } from "chai";

import { ReadCache } from "../../src/chain/cache.js";

describe("src/chain/cache: ReadCache", function () {
  it("G-05 keeps at most maxEntries reads under many distinct keys, the oldest going first", async function () {
    const cache = new ReadCache<number, number>(60_000, 100);
    let reads = 0;
    const read = (i: number) => async () => {
      reads += 1;
      return i;
    };
    for (let i = 0; i < 10_000; i++) {
      await cache.get(i, read(i));
      expect(cache.size).to.be.at.most(100);
    }
    expect(cache.size).to.equal(100);
    expect(cache.get(9_999, read(-1))).to.equal(9_999);
    expect(reads).to.equal(10_000);
    expect(await cache.get(0, read(0))).to.equal(0);
    expect(reads).to.equal(10_001);
  });

  it("G-05 drops expired reads as new ones come", async function () {
    let now = 0;
    const cache = new ReadCache<number, number>(1000, 100, () => now);
    for (let i = 0; i < 50; i++) await cache.get(i, async () => i);
    expect(cache.size).to.equal(50);
    now = 1000;
    await cache.get(50, async () => 50);
    expect(cache.size).to.equal(1);
  });

  it("does not keep a failed read", async function () {
    const cache = new ReadCache<string, number>(60_000, 10);
    const failed = cache.get("a", () => Promise.reject(new Error("node down")));
    await (failed as Promise<number>).catch(() => undefined);
    expect(cache.size).to.equal(0);
    expect(await cache.get("a", async () => 1)).to.equal(1);
  });

  it("shares one read between asks of one key while it runs", async function () {
    const cache = new ReadCache<string, number>(60_000, 10);
    let reads = 0;
    const read = async () => {
      reads += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return 7;
    };
    const answers = await Promise.all([cache.read("a", read), cache.read("a", read), cache.read("a", read)]);
    expect(answers).to.deep.equal([7, 7, 7]);
    expect(reads).to.equal(1);
    expect(cache.get("a", read)).to.equal(7);
  });

  it("keeps a read for good with a ttl of Infinity", async function () {
    let now = 0;
    const cache = new ReadCache<string, number>(Infinity, 10, () => now);
    let reads = 0;
    await cache.read("v1", async () => ++reads);
    now = 10 ** 12;
    expect(await cache.read("v1", async () => ++reads)).to.equal(1);
    expect(reads).to.equal(1);
  });
});
