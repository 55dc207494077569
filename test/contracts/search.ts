/*
search.tree: the broker's search (src/contracts/search.ts) reads in a fixed number of round trips.

MarketRegistry.find / bookableWith
├── a search for bookable listings ──────── block number, count, pages, listings, terms: 5 round trips, for
│                                           2 listings as for 60
├── a search by another status ─────────── block number, listing count, listings, bookability, terms: 5
│                                           round trips, for 2 listings as for 60
├── when listings' records do not fit one response (24 KiB deployless)
│   └── halves the requests until they fit; a record too large for any is read alone
└── when listings on a capability's list are not bookable
    └── pages read past their size ───────── every bookable listing once, in the registry's order (as a
                                              page-by-page walk of the cursor finds them)
*/
import { expect } from "chai";
import { network } from "hardhat";
import { getAddress, type Address } from "viem";

import { viemChain, type ViemChain } from "../../src/chain/hardhat.js";
import { MarketRegistry, profileOf } from "../../src/contracts/registries.js";
import { parseEuro } from "../../src/core/money.js";
import { referenceHash } from "../../src/core/references.js";
import type { Tariff } from "../../src/core/tariff.js";
import { capabilityTag } from "../../src/core/vocabulary.js";
import { machineRegistryAbi } from "../../src/generated/abis.js";
import { marketFixture, type MarketFixture } from "../helpers/fixtures.js";
import { countedChain } from "../helpers/requests.js";

const connection = await network.create();
const fixture = marketFixture(connection);

const tariff = (licenseIds: number[] = []): Tariff => ({
  pricePerHour: parseEuro("40"),
  pricePerUnit: parseEuro("0.10"),
  pricePerInspection: 0n,
  setupFee: 0n,
  minimumCharge: 0n,
  tiers: [],
  licenseIds,
});

describe("the broker's search in round trips (src/contracts/search.ts)", function () {
  let f: MarketFixture;
  let chain: ViemChain;
  let market: MarketRegistry;
  let licence: number;
  const at = (signer: { address: string }): Address => getAddress(signer.address);

  beforeEach(async function () {
    f = await connection.networkHelpers.loadFixture(fixture);
    chain = await viemChain(connection);
    market = new MarketRegistry(chain, {
      licenseRegistry: getAddress(await f.licenses.getAddress()),
      machineRegistry: getAddress(await f.machines.getAddress()),
    });
    licence = await market.registerLicense(chain.wallet(at(f.licensor)), parseEuro("0.05"), referenceHash("terms"));
  });

  /** Lists `count` welding machines, the first `licensed` under a tariff with the licence; returns their ids. */
  async function listWelders(count: number, licensed = 0): Promise<bigint[]> {
    const ids: bigint[] = [];
    for (let i = 0; i < count; i++) {
      const profile = profileOf("Machine", "DE-NW-09", ["welding"], `ipfs://weld-${i}`, referenceHash(`weld ${i}`));
      const terms = tariff(ids.length < licensed ? [licence] : []);
      ids.push(await market.registerMachine(chain.wallet(at(f.provider)), profile, [], terms));
    }
    return ids;
  }

  /** What a search cost, through clients that record its requests. */
  async function costOf(search: (counted: MarketRegistry) => Promise<unknown>) {
    const counted = await countedChain(connection);
    await search(new MarketRegistry(counted.chain, market.addresses));
    return { requests: counted.requests().length, roundTrips: counted.roundTrips() };
  }

  const job = { parts: 10n, secondsPerPart: 30n, inspections: 0 };
  const found = async (search: Promise<unknown[]>) => (await search).length;

  describe("a search for bookable listings", function () {
    it("takes 5 round trips for 2 listings and for 60 (one by one it took 124)", async function () {
      await listWelders(2);
      const few = await costOf((counted) => counted.find({ capability: "welding", job }));
      await listWelders(58);
      const many = await costOf(async (counted) => {
        expect(await found(counted.find({ capability: "welding", job }))).to.equal(60);
      });
      expect(few).to.deep.equal({ requests: 5, roundTrips: 5 });
      // Block number, count, 2 pages in one request, then 60 listings and 60 terms, 20 to a request.
      expect(many).to.deep.equal({ requests: 9, roundTrips: 5 });
    });
  });

  describe("a search by another status", function () {
    it("takes 5 round trips for 2 listings and for 60", async function () {
      const [first] = await listWelders(2);
      await market.setStatus(chain.wallet(at(f.provider)), first!, "pause");
      const few = await costOf((counted) => counted.find({ capability: "welding", status: "any", job }));
      await listWelders(58);
      const many = await costOf(async (counted) => {
        expect(await found(counted.find({ capability: "welding", status: "any", job }))).to.equal(60);
      });
      expect(few).to.deep.equal({ requests: 5, roundTrips: 5 });
      // Block number, listing count, then 60 listings, 60 bookabilities and 59 terms, 20 to a request.
      expect(many).to.deep.equal({ requests: 11, roundTrips: 5 });
    });
  });

  describe("when listings' records do not fit one response", function () {
    it("halves the requests until they fit, and reads a record too large for any alone", async function () {
      const provider = chain.wallet(at(f.provider));
      const list = (uri: string) =>
        market.registerMachine(
          provider,
          profileOf("Machine", "DE-NW-09", ["welding"], uri, referenceHash(uri)),
          [],
          tariff(),
        );
      const ids: bigint[] = [];
      for (let i = 0; i < 20; i++) ids.push(await list(`ipfs://${String(i).padStart(1_500, "x")}`));
      ids.push(await list(`ipfs://${"y".repeat(25_000)}`));
      const counted = await countedChain(connection);
      const listings = await new MarketRegistry(counted.chain, market.addresses).listings(ids);
      expect(listings.map((listing) => listing.metadataURI.length)).to.deep.equal([...Array(20).fill(1_507), 25_007]);
      expect(listings).to.deep.equal(await Promise.all(ids.map((id) => market.listing(id))));
      // The latest block; 20 records (about 30 KiB) in one request, refused, then 10 and 10; the large one
      // refused in a multicall, then read by a plain eth_call.
      expect(counted.requests().filter((method) => method === "eth_call")).to.have.length(5);
    });
  });

  describe("when listings on a capability's list are not bookable", function () {
    it("finds every bookable listing once, in the registry's order, though pages read past their size", async function () {
      // 70 active listings; the licence of the first 25 is retired, so they stay listed but cannot be booked:
      // the first page reads 75 entries to find 50 bookable ones, past the second page's start.
      const ids = await listWelders(70, 25);
      await market.retireLicense(chain.wallet(at(f.licensor)), licence);
      const walked = await walkPages(chain, market.addresses.machineRegistry, "welding");
      expect(walked).to.deep.equal(ids.slice(25));
      expect(await market.bookableWith("welding")).to.deep.equal(walked);
      expect((await market.find({ capability: "welding" })).map((result) => result.listing.machineId)).to.deep.equal(
        walked,
      );
    });
  });
});

/** The bookable listings as the registry's cursor gives them, one page after the other (the oracle). */
async function walkPages(chain: ViemChain, registry: Address, capability: string): Promise<bigint[]> {
  const tag = capabilityTag(capability);
  const read = { address: registry, abi: machineRegistryAbi } as const;
  const total = await chain.publicClient.readContract({ ...read, functionName: "capabilityCount", args: [tag] });
  const found: bigint[] = [];
  for (let offset = 0n; offset < total;) {
    const [page, next] = await chain.publicClient.readContract({
      ...read,
      functionName: "machinesByCapability",
      args: [tag, offset, 50n],
    });
    found.push(...page);
    offset = next;
  }
  return found;
}
