import { expect } from "chai";
import { network } from "hardhat";
import { getAddress, type Address } from "viem";

import { viemChain, type ViemChain } from "../../src/chain/hardhat.js";
import {
  KeyKind,
  MachineKind,
  MachineStatus,
  machineKindName,
  machineStatusName,
  parseMachineStatus,
} from "../../src/core/listing.js";
import { MarketRegistry, profileOf, type SearchResult } from "../../src/contracts/registries.js";
import { renderQuote, renderSearchResults } from "../../src/cli/render-listings.js";
import { jobUsage, quoteLines, type Job, type Tariff } from "../../src/core/tariff.js";
import { capabilityName, capabilityTag, siteCode, siteName } from "../../src/core/vocabulary.js";
import { parseEuro } from "../../src/core/money.js";
import { referenceHash } from "../../src/core/references.js";
import { TransactionRefusedError } from "../../src/chain/transact.js";
import { marketFixture, type MarketFixture } from "../helpers/fixtures.js";

const connection = await network.create();
const fixture = marketFixture(connection);

const euro = parseEuro;
const tariff = (overrides: Partial<Tariff> = {}): Tariff => ({
  pricePerHour: euro("48"),
  pricePerUnit: euro("0.20"),
  pricePerInspection: euro("12"),
  setupFee: euro("25"),
  minimumCharge: euro("60"),
  tiers: [{ threshold: 100n, pricePerUnit: euro("0.15") }],
  licenseIds: [],
  ...overrides,
});
const key = (n: number): Address => getAddress(`0x${n.toString(16).padStart(40, "0")}`);

describe("MarketRegistry and the broker (viem SDK)", function () {
  let f: MarketFixture;
  let chain: ViemChain;
  let market: MarketRegistry;
  const at = (signer: { address: string }): Address => getAddress(signer.address);
  const ids: Record<string, bigint> = {};
  let licence: number;

  /** A licence; a laser cutter (with the licence) and a press brake at Hamburg; a laser in Munich; an inspection service. */
  async function listed() {
    f = await connection.networkHelpers.loadFixture(fixture);
    chain = await viemChain(connection);
    market = new MarketRegistry(chain, {
      licenseRegistry: getAddress(await f.licenses.getAddress()),
      machineRegistry: getAddress(await f.machines.getAddress()),
    });
    const provider = chain.wallet(at(f.provider));
    licence = await market.registerLicense(chain.wallet(at(f.licensor)), euro("0.35"), referenceHash("terms"));
    const spec = referenceHash("spec");
    ids.laser = await market.registerMachine(
      provider,
      profileOf("Machine", "DE-HH-01", ["laser-cutting", "sheet-metal"], "ipfs://laser", spec),
      [key(1)],
      tariff({ licenseIds: [licence] }),
    );
    ids.brake = await market.registerMachine(
      provider,
      profileOf("Machine", "DE-HH-01", ["press-brake-bending", "sheet-metal"], "ipfs://brake", spec),
      [key(2)],
      tariff({ pricePerHour: euro("55"), setupFee: euro("40"), minimumCharge: euro("80") }),
    );
    ids.munich = await market.registerMachine(
      provider,
      profileOf("Machine", "DE-BY-02", ["laser-cutting"], "ipfs://laser2", spec),
      [key(3)],
      tariff({ pricePerHour: euro("30"), setupFee: 0n, minimumCharge: 0n, tiers: [] }),
    );
    ids.inspection = await market.registerMachine(
      provider,
      profileOf("Service", "DE-HH-01", ["visual-inspection"], "ipfs://inspect", spec),
      [key(4)],
      tariff({ pricePerHour: 0n, pricePerUnit: 0n, setupFee: 0n, minimumCharge: euro("18"), tiers: [] }),
    );
  }

  beforeEach(async function () {
    await listed();
  });

  const machineIds = (results: SearchResult[]) => results.map((result) => result.listing.machineId);

  describe("registering", function () {
    it("returns the ids the registry issued and reads the listing back", async function () {
      expect([ids.laser, ids.brake, ids.munich, ids.inspection]).to.deep.equal([1n, 2n, 3n, 4n]);
      const listing = await market.listing(ids.inspection!);
      expect(listing.kind).to.equal(MachineKind.Service);
      expect(listing.status).to.equal(MachineStatus.Active);
      expect(siteName(listing.site)).to.equal("DE-HH-01");
      expect(listing.capabilities).to.deep.equal([capabilityTag("visual-inspection")]);
      expect(await market.keysOf(ids.inspection!)).to.deep.equal([key(4)]);
      expect((await market.signerKey(key(4))).kind).to.equal(KeyKind.Inspector);
    });

    it("explains a refusal with the contract's custom error", async function () {
      const refusal = await market
        .registerMachine(
          chain.wallet(at(f.consumer)),
          profileOf("Machine", "DE-HH-01", ["laser-cutting"], "ipfs://x", referenceHash("x")),
          [],
          tariff(),
        )
        .catch((error: unknown) => error);
      expect(refusal).to.be.instanceOf(TransactionRefusedError);
      expect((refusal as TransactionRefusedError).errorName).to.equal("ConsortiumMissingRole");
    });

    it("says which listing id does not exist", async function () {
      const error = await market.listing(99n).catch((e: unknown) => e);
      expect(String(error)).to.match(/No listing has id 99/);
    });

    it("publishes tariff versions and royalties, and keeps the old versions readable", async function () {
      const provider = chain.wallet(at(f.provider));
      expect(
        await market.publishTariff(provider, ids.laser!, tariff({ pricePerHour: euro("50"), licenseIds: [licence] })),
      ).to.equal(2);
      expect((await market.tariff(ids.laser!, 1)).pricePerHour).to.equal(euro("48"));
      expect((await market.tariff(ids.laser!, 2)).pricePerHour).to.equal(euro("50"));
      const licensor = chain.wallet(at(f.licensor));
      expect(await market.publishRoyalty(licensor, licence, euro("0.40"), referenceHash("terms v2"))).to.equal(2);
      expect((await market.licenseVersion(licence, 2)).royaltyPerProduct).to.equal(euro("0.40"));
      const terms = await market.bookingTerms(ids.laser!);
      expect(terms.tariffVersion).to.equal(2);
      expect(terms.licenseVersions).to.deep.equal([2]);
      expect(terms.royalties).to.deep.equal([euro("0.40")]);
    });

    it("rotates, revokes and adds keys", async function () {
      const provider = chain.wallet(at(f.provider));
      await market.rotateKey(provider, ids.laser!, key(1), key(11));
      await market.addKey(provider, ids.laser!, key(12), KeyKind.Inspector);
      await market.revokeKey(provider, ids.laser!, key(12));
      expect(await market.keysOf(ids.laser!)).to.deep.equal([key(1), key(11), key(12)]);
      expect((await market.signerKey(key(1))).validUntil).to.be.greaterThan(0);
      expect((await market.listing(ids.laser!)).activeKeys).to.equal(1);
    });
  });

  describe("find", function () {
    it("finds the bookable listings with a capability, by name or by tag", async function () {
      expect(machineIds(await market.find({ capability: "laser-cutting" }))).to.deep.equal([ids.laser, ids.munich]);
      expect(machineIds(await market.find({ capability: capabilityTag("sheet-metal") }))).to.deep.equal([
        ids.laser,
        ids.brake,
      ]);
      expect(await market.find({ capability: "welding" })).to.deep.equal([]);
    });

    it("filters by site", async function () {
      expect(machineIds(await market.find({ capability: "laser-cutting", site: "DE-BY-02" }))).to.deep.equal([
        ids.munich,
      ]);
    });

    it("quotes a job on each listing, cheapest first, and drops those above the maximum price", async function () {
      const job: Job = { parts: 120n, secondsPerPart: 40n, inspections: 3 };
      const found = await market.find({ capability: "laser-cutting", job });
      expect(machineIds(found)).to.deep.equal([ids.munich, ids.laser]);
      for (const result of found) {
        const onChain = await market.quoteOnChain(result.listing.machineId, jobUsage(job, result.terms!.tariff));
        expect(result.quote).to.deep.equal(onChain.charge);
      }
      const cheapest = found[0]!.quote!.total;
      expect(machineIds(await market.find({ capability: "laser-cutting", job, maxPrice: cheapest }))).to.deep.equal([
        ids.munich,
      ]);
    });

    it("leaves out listings whose tariff lacks a licence the job makes products under", async function () {
      const job: Job = { parts: 10n, secondsPerPart: 40n, inspections: 0, licensedProducts: { [licence]: 10n } };
      const found = await market.find({ capability: "laser-cutting", job });
      expect(machineIds(found)).to.deep.equal([ids.laser]);
      expect(found[0]!.quote!.royalties).to.deep.equal([euro("3.5")]);
    });

    it("filters by the hourly price", async function () {
      expect(machineIds(await market.find({ capability: "sheet-metal", maxPricePerHour: euro("50") }))).to.deep.equal([
        ids.laser,
      ]);
    });

    it("refuses a maximum price without a job to price", async function () {
      const error = await market.find({ capability: "laser-cutting", maxPrice: 1n }).catch((e: unknown) => e);
      expect(String(error)).to.match(/give the job too/);
    });

    it("finds paused and retired listings by status, marked not bookable and without terms", async function () {
      const provider = chain.wallet(at(f.provider));
      await market.setStatus(provider, ids.munich!, "pause");
      await market.setStatus(provider, ids.brake!, "retire");
      expect(machineIds(await market.find({ capability: "laser-cutting" }))).to.deep.equal([ids.laser]);
      const paused = await market.find({ capability: "laser-cutting", status: "Paused" });
      expect(machineIds(paused)).to.deep.equal([ids.munich]);
      expect(paused[0]!.bookable).to.equal(false);
      expect(paused[0]!.terms).to.equal(undefined);
      expect(machineIds(await market.find({ capability: "sheet-metal", status: "Retired" }))).to.deep.equal([
        ids.brake,
      ]);
      expect(machineIds(await market.find({ capability: "sheet-metal", status: "any" }))).to.deep.equal([
        ids.laser,
        ids.brake,
      ]);
      expect(
        await market.find({ capability: "laser-cutting", status: "Paused", maxPricePerHour: euro("100") }),
      ).to.deep.equal([]);
      await market.setStatus(provider, ids.munich!, "resume");
      expect(machineIds(await market.find({ capability: "laser-cutting" }))).to.deep.equal([ids.laser, ids.munich]);
    });

    it("leaves out a suspended provider's listings, and shows them with status any as not bookable", async function () {
      await f.consortium.connect(f.operator).suspend(f.memberIds.provider, referenceHash("decision"));
      expect(await market.find({ capability: "laser-cutting" })).to.deep.equal([]);
      const all = await market.find({ capability: "laser-cutting", status: "any" });
      expect(all.map((result) => result.bookable)).to.deep.equal([false, false]);
    });

    it("reads every page at one block, past the page size", async function () {
      const provider = chain.wallet(at(f.provider));
      for (let i = 0; i < 55; i++) {
        await market.registerMachine(
          provider,
          profileOf("Machine", "DE-NW-09", ["welding"], `ipfs://weld-${i}`, referenceHash(`weld ${i}`)),
          [],
          tariff(),
        );
      }
      const before = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
      const welding = await market.bookableWith("welding");
      expect(welding).to.have.length(55);
      expect(new Set(welding).size).to.equal(55);
      await market.setStatus(provider, welding[0]!, "pause");
      expect(await market.bookableWith("welding")).to.have.length(54);
      expect(await market.bookableWith("welding", before)).to.have.length(55);
    });
  });

  describe("tables", function () {
    it("render search results with provider names, sites, capabilities, hourly rates and quotes", async function () {
      const job: Job = { parts: 120n, secondsPerPart: 40n, inspections: 3 };
      const table = renderSearchResults(
        await market.find({ capability: "laser-cutting", job }),
        () => "Laserwerk Nord",
      );
      expect(table).to.match(/quote EUR/);
      expect(table).to.match(/Laserwerk Nord\s+DE-HH-01\s+Active\s+laser-cutting, sheet-metal\s+v1\s+48\.00\s+\d/);
      expect(renderSearchResults(await market.find({ capability: "sheet-metal" }))).not.to.match(/quote/);
      expect(renderSearchResults([])).to.match(/\(none\)/);
    });

    it("render a quote line by line", async function () {
      const terms = await market.bookingTerms(ids.laser!);
      const { lines } = quoteLines(
        terms.tariff,
        terms.royalties,
        jobUsage({ parts: 120n, secondsPerPart: 40n, inspections: 3 }, terms.tariff),
      );
      const table = renderQuote(lines, "Quote");
      expect(table.split("\n")[0]).to.equal("Quote");
      expect(table).to.match(/machine time\s+4800 s\s+48\.00\/h\s+64\.00/);
      expect(table).to.match(/units above 100\s+20\s+0\.15\s+3\.00/);
      expect(table).to.match(/total\s+148\.00/);
    });
  });
});

describe("broker vocabulary and enums", function () {
  it("hashes capability names case- and space-insensitively and names known tags", function () {
    expect(capabilityTag(" Laser-Cutting ")).to.equal(capabilityTag("laser-cutting"));
    expect(capabilityTag(capabilityTag("laser-cutting"))).to.equal(capabilityTag("laser-cutting"));
    expect(capabilityName(capabilityTag("laser-cutting"))).to.equal("laser-cutting");
    expect(capabilityName(capabilityTag("anodising"))).to.equal(capabilityTag("anodising"));
    expect(capabilityName(capabilityTag("anodising"), ["anodising"])).to.equal("anodising");
    expect(() => capabilityTag("  ")).to.throw("must not be empty");
  });

  it("round-trips site codes and refuses what does not fit", function () {
    expect(siteName(siteCode("DE-HH-01"))).to.equal("DE-HH-01");
    expect(() => siteCode("DE HH")).to.throw("not a site code");
    expect(() => siteCode("")).to.throw("not a site code");
    expect(() => siteCode("X".repeat(33))).to.throw("longer than 32");
  });

  it("names statuses and kinds and parses status names", function () {
    expect(machineStatusName(MachineStatus.Paused)).to.equal("Paused");
    expect(machineKindName(MachineKind.Service)).to.equal("Service");
    expect(parseMachineStatus(" retired ")).to.equal(MachineStatus.Retired);
    expect(() => parseMachineStatus("broken")).to.throw("use one of Active, Paused, Retired");
    expect(() => machineStatusName(9)).to.throw("9 is not a machine status");
  });
});
