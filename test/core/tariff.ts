import { expect } from "chai";
import { encodeBytes32String, id } from "ethers";
import { network } from "hardhat";

import {
  type Charge,
  type Tariff,
  type UnitTier,
  type Usage,
  jobUsage,
  missingLicences,
  price,
  productionBands,
  quoteLines,
  SECONDS_PER_HOUR,
} from "../../src/core/tariff.js";
import { parseEuro } from "../../src/core/money.js";
import { referenceHash } from "../../src/core/references.js";
import type { MachineRegistry } from "../../typechain-types/index.js";
import { marketFixture, type MarketFixture } from "../helpers/fixtures.js";
import { toJson } from "../../src/codec/json.js";

const connection = await network.create();
const { networkHelpers } = connection;
const deployCapacityMarket = marketFixture(connection);

const UINT32_MAX = 2n ** 32n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const UINT96_MAX = 2n ** 96n - 1n;
const MASK64 = UINT64_MAX;

/** Seed of the mirror fuzz; set TARIFF_FUZZ_SEED to replay another campaign. */
const SEED = BigInt(process.env.TARIFF_FUZZ_SEED ?? "0x7a41ff5eed");
const TARIFFS = 200;
const USAGES_PER_TARIFF = 8;
const LICENCE_POOL = 8;

/** splitmix64: small, deterministic, and good enough to spread test inputs. */
class Random {
  #state: bigint;

  constructor(seed: bigint) {
    this.#state = seed & MASK64;
  }

  next(): bigint {
    this.#state = (this.#state + 0x9e3779b97f4a7c15n) & MASK64;
    let z = this.#state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
  }

  /** Uniform enough in `lo..hi` (inclusive) for spans up to 2^128. */
  between(lo: bigint, hi: bigint): bigint {
    return lo + (((this.next() << 64n) | this.next()) % (hi - lo + 1n));
  }

  int(n: number): number {
    return Number(this.next() % BigInt(n));
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** A value below 2^bits with a random bit length, so that small and large magnitudes are equally likely. */
  magnitude(bits: number): bigint {
    const length = 1 + this.int(bits);
    return this.between(0n, 2n ** BigInt(length) - 1n);
  }
}

/** A uint96 price: zero, one, the extremes, realistic euro amounts, or any magnitude. */
function randomPrice(rng: Random): bigint {
  switch (rng.int(7)) {
    case 0:
      return 0n;
    case 1:
      return rng.between(1n, 100n);
    case 2:
      return UINT96_MAX - rng.between(0n, 3n);
    case 3:
    case 4:
      return rng.between(1n, parseEuro("500"));
    default:
      return rng.magnitude(96);
  }
}

/** 0 to 3 tiers with strictly rising thresholds: tiny gaps, realistic ones, or anything up to 2^64-1. */
function randomTiers(rng: Random): UnitTier[] {
  const count = rng.int(4);
  const tiers: UnitTier[] = [];
  let previous = 0n;
  for (let i = 0; i < count; i++) {
    const highest = UINT64_MAX - BigInt(count - 1 - i);
    const gap = rng.pick([3n, 100n, 1_000_000n, highest - previous]);
    const threshold = rng.between(previous + 1n, previous + gap < highest ? previous + gap : highest);
    tiers.push({ threshold, pricePerUnit: randomPrice(rng) });
    previous = threshold;
  }
  return tiers;
}

function randomTariff(rng: Random, licenceIds: readonly number[]): Tariff {
  const pool = [...licenceIds];
  const licenses: number[] = [];
  for (let count = rng.int(5); count > 0; count--) {
    licenses.push(pool.splice(rng.int(pool.length), 1)[0]!);
  }
  return {
    pricePerHour: rng.int(3) === 0 ? parseEuro(`${1 + rng.int(300)}`) : randomPrice(rng),
    pricePerUnit: randomPrice(rng),
    pricePerInspection: randomPrice(rng),
    setupFee: randomPrice(rng),
    minimumCharge: rng.int(2) === 0 ? rng.between(0n, parseEuro("2000")) : randomPrice(rng),
    tiers: randomTiers(rng),
    licenseIds: licenses,
  };
}

/** A uint64 quantity: zero, small, the maximum, or any magnitude. */
function randomQuantity(rng: Random): bigint {
  switch (rng.int(6)) {
    case 0:
    case 1:
      return 0n;
    case 2:
      return rng.between(1n, 10_000n);
    case 3:
      return UINT64_MAX - rng.between(0n, 2n);
    default:
      return rng.magnitude(64);
  }
}

/** Units just below, at or just above one of the tariff's thresholds, or any quantity. */
function randomUnits(rng: Random, tiers: readonly UnitTier[]): bigint {
  if (tiers.length === 0 || rng.int(2) === 0) return randomQuantity(rng);
  const threshold = rng.pick(tiers).threshold + rng.between(0n, 2n) - 1n;
  return threshold < 0n ? 0n : threshold > UINT64_MAX ? UINT64_MAX : threshold;
}

function randomUsage(rng: Random, tariff: Tariff): Usage {
  const licences = tariff.licenseIds.length;
  if (rng.int(10) === 0) {
    return {
      machineSeconds: 0n,
      units: 0n,
      inspections: 0,
      licensedProducts: rng.int(2) === 0 ? [] : Array.from({ length: licences }, () => 0n),
    };
  }
  const inspections = rng.pick([0n, 0n, rng.between(1n, 20n), UINT32_MAX, rng.magnitude(32)]);
  return {
    machineSeconds: rng.int(4) === 0 ? rng.between(1n, 100n) * 3600n : randomQuantity(rng),
    units: randomUnits(rng, tariff.tiers),
    inspections: Number(inspections),
    licensedProducts: rng.int(3) === 0 ? [] : Array.from({ length: licences }, () => randomQuantity(rng)),
  };
}

function chargeOf(output: Awaited<ReturnType<MachineRegistry["quote"]>>[1]): Charge {
  return {
    setupFee: output.setupFee,
    machineTime: output.machineTime,
    production: output.production,
    inspections: output.inspections,
    minimumTopUp: output.minimumTopUp,
    royalties: [...output.royalties],
    royaltyTotal: output.royaltyTotal,
    total: output.total,
  };
}

function usageArg(usage: Usage) {
  return { ...usage, licensedProducts: [...usage.licensedProducts] };
}

function tariffArg(tariff: Tariff) {
  return { ...tariff, tiers: tariff.tiers.map((tier) => ({ ...tier })), licenseIds: [...tariff.licenseIds] };
}

const json = (value: unknown): string => toJson(value);

const FLAT: Tariff = {
  pricePerHour: parseEuro("36"),
  pricePerUnit: parseEuro("2"),
  pricePerInspection: parseEuro("15"),
  setupFee: parseEuro("50"),
  minimumCharge: 0n,
  tiers: [],
  licenseIds: [],
};

const TIERED: Tariff = {
  ...FLAT,
  tiers: [
    { threshold: 100n, pricePerUnit: parseEuro("1.5") },
    { threshold: 1000n, pricePerUnit: parseEuro("1") },
  ],
};

const NO_USAGE: Usage = { machineSeconds: 0n, units: 0n, inspections: 0, licensedProducts: [] };

describe("src/core/tariff", function () {
  describe("the off-chain mirror of TariffMath", function () {
    it(`prices ${TARIFFS * USAGES_PER_TARIFF} random usages on ${TARIFFS} random tariffs exactly as MachineRegistry.quote (seed ${SEED.toString(16)})`, async function () {
      const f: MarketFixture = await networkHelpers.loadFixture(deployCapacityMarket);
      const rng = new Random(SEED);

      // Licences with royalties from nothing to the largest uint96, the model of their current royalty.
      const royaltyOf = new Map<number, bigint>();
      const seeds = [0n, 1n, UINT96_MAX, UINT96_MAX - 1n, parseEuro("0.25")];
      for (let i = 0; i < LICENCE_POOL; i++) {
        const royalty = seeds[i] ?? randomPrice(rng);
        await f.licenses.connect(f.licensor).registerLicense(royalty, referenceHash(`licence terms ${i}`));
        royaltyOf.set(Number(await f.licenses.licenseCount()), royalty);
      }
      const licenceIds = [...royaltyOf.keys()];

      const machines = f.machines.connect(f.provider);
      const profile = {
        kind: 0,
        site: encodeBytes32String("DE-HH-01"),
        capabilities: [id("laser-cutting")],
        metadataURI: "ipfs://spec-sheet",
        metadataHash: referenceHash("spec sheet"),
      };
      await machines.registerMachine(profile, [], tariffArg(FLAT));
      const machineId = await f.machines.machineCount();

      let terms = 0;
      // What the campaign reached, so that a generator that drifts cannot leave a rule untested.
      const reached = { noUsage: 0, minimumTopUp: 0, aboveMinimum: 0, severalBands: 0, royalties: 0, huge: 0 };
      for (let t = 0; t < TARIFFS; t++) {
        // Now and then a licensor publishes a new royalty: quotes use the licences' current royalties.
        if (t % 5 === 4) {
          const licenseId = rng.pick(licenceIds);
          const royalty = randomPrice(rng);
          await f.licenses.connect(f.licensor).publishRoyalty(licenseId, royalty, referenceHash(`terms ${++terms}`));
          royaltyOf.set(licenseId, royalty);
          expect((await f.licenses.currentTerms(licenseId)).royaltyPerProduct).to.equal(royalty);
        }
        const tariff = randomTariff(rng, licenceIds);
        await machines.publishTariff(machineId, tariffArg(tariff));
        const version = (await f.machines.getMachine(machineId)).tariffVersion;
        const royalties = tariff.licenseIds.map((licenseId) => royaltyOf.get(licenseId)!);
        const usages = Array.from({ length: USAGES_PER_TARIFF }, () => randomUsage(rng, tariff));

        const quotes = await Promise.all(usages.map((usage) => f.machines.quote(machineId, usageArg(usage))));
        quotes.forEach(([quotedVersion, charge], u) => {
          const context = `tariff #${t} ${json(tariff)}, royalties ${json(royalties)}, usage #${u} ${json(usages[u])}`;
          expect(quotedVersion, context).to.equal(version);
          const expected = price(tariff, royalties, usages[u]!);
          expect(chargeOf(charge), context).to.deep.equal(expected);
          if (expected.total === 0n) reached.noUsage++;
          if (expected.minimumTopUp > 0n) reached.minimumTopUp++;
          else if (expected.total > 0n) reached.aboveMinimum++;
          if (productionBands(tariff.pricePerUnit, tariff.tiers, usages[u]!.units).length > 1) reached.severalBands++;
          if (expected.royaltyTotal > 0n) reached.royalties++;
          if (expected.total >= 2n ** 160n) reached.huge++;
        });
      }
      for (const [rule, count] of Object.entries(reached))
        expect(count, `quotes that reach ${rule}`).to.be.greaterThan(0);
    });
  });

  describe("productionBands", function () {
    it("is empty for no units", function () {
      expect(productionBands(5n, TIERED.tiers, 0n)).to.deep.equal([]);
    });

    it("prices every unit at the base price without tiers", function () {
      expect(productionBands(7n, [], 12n)).to.deep.equal([
        { from: 0n, to: 12n, units: 12n, pricePerUnit: 7n, amount: 84n },
      ]);
    });

    it("keeps units up to the first threshold in the base band", function () {
      const bands = productionBands(TIERED.pricePerUnit, TIERED.tiers, 100n);
      expect(bands).to.deep.equal([
        { from: 0n, to: 100n, units: 100n, pricePerUnit: TIERED.pricePerUnit, amount: 100n * TIERED.pricePerUnit },
      ]);
    });

    it("prices the unit just above a threshold at that tier's price", function () {
      const bands = productionBands(TIERED.pricePerUnit, TIERED.tiers, 1001n);
      expect(bands.map((band) => [band.from, band.to, band.units, band.pricePerUnit])).to.deep.equal([
        [0n, 100n, 100n, parseEuro("2")],
        [100n, 1000n, 900n, parseEuro("1.5")],
        [1000n, 1001n, 1n, parseEuro("1")],
      ]);
    });

    it(`tiles 0..units with contiguous bands (seeded, seed ${SEED.toString(16)})`, function () {
      const rng = new Random(SEED ^ 0xba5dn);
      for (let i = 0; i < 300; i++) {
        const tiers = randomTiers(rng);
        const units = randomUnits(rng, tiers);
        const bands = productionBands(3n, tiers, units);
        let next = 0n;
        for (const band of bands) {
          expect(band.from, json({ tiers, units })).to.equal(next);
          expect(band.units)
            .to.equal(band.to - band.from)
            .and.to.be.greaterThan(0n);
          expect(band.amount).to.equal(band.units * band.pricePerUnit);
          next = band.to;
        }
        expect(next, json({ tiers, units })).to.equal(units);
      }
    });
  });

  describe("quoteLines", function () {
    const royalties = [parseEuro("0.3"), 0n];
    const licensed: Tariff = { ...TIERED, minimumCharge: parseEuro("400"), licenseIds: [7, 9] };

    function assertLinesSumToTotal(lines: ReturnType<typeof quoteLines>["lines"], total: bigint): void {
      const last = lines.at(-1)!;
      expect(last.item).to.equal("total");
      expect(last.amount).to.equal(total);
      expect(lines.slice(0, -1).reduce((sum, line) => sum + line.amount, 0n)).to.equal(total);
    }

    it("shows one total line for no usage", function () {
      const { charge, lines } = quoteLines(licensed, royalties, NO_USAGE);
      expect(charge.total).to.equal(0n);
      expect(lines).to.deep.equal([{ item: "total (no usage)", quantity: "", unitPrice: "", amount: 0n }]);
    });

    it("adds a minimum top-up line when the provider's lines sum below the minimum", function () {
      const usage: Usage = { machineSeconds: 600n, units: 10n, inspections: 0, licensedProducts: [1000n, 5n] };
      const { charge, lines } = quoteLines(licensed, royalties, usage, (licenseId) => `patent ${licenseId}`);
      expect(charge.minimumTopUp).to.be.greaterThan(0n);
      const topUp = lines.filter((line) => line.item === "up to the minimum charge");
      expect(topUp).to.have.length(1);
      expect(topUp[0]!.amount).to.equal(charge.minimumTopUp);
      expect(lines.map((line) => line.item)).to.include.members(["royalty, patent 7", "royalty, patent 9"]);
      assertLinesSumToTotal(lines, charge.total);
    });

    it("has no minimum top-up line when the provider's lines reach the minimum", function () {
      const usage: Usage = { machineSeconds: 3600n, units: 1200n, inspections: 2, licensedProducts: [] };
      const { charge, lines } = quoteLines(licensed, royalties, usage);
      expect(charge.minimumTopUp).to.equal(0n);
      expect(lines.some((line) => line.item === "up to the minimum charge")).to.equal(false);
      expect(lines.filter((line) => line.item.startsWith("units"))).to.have.length(3);
      assertLinesSumToTotal(lines, charge.total);
    });

    it(`sums to the total for random tariffs and usages (seed ${SEED.toString(16)})`, function () {
      const rng = new Random(SEED ^ 0x11e5n);
      for (let i = 0; i < 300; i++) {
        const tariff = randomTariff(rng, [1, 2, 3, 4, 5]);
        const lineRoyalties = tariff.licenseIds.map(() => randomPrice(rng));
        const usage = randomUsage(rng, tariff);
        const { charge, lines } = quoteLines(tariff, lineRoyalties, usage);
        const context = json({ tariff, lineRoyalties, usage });
        const hasTopUp = lines.some((line) => line.item === "up to the minimum charge");
        expect(hasTopUp, context).to.equal(charge.minimumTopUp > 0n);
        if (lines.length === 1) {
          expect(lines[0]!.amount, context).to.equal(0n);
          continue;
        }
        assertLinesSumToTotal(lines, charge.total);
      }
    });

    it("itemises a used order on a free tariff (not 'total (no usage)')", function () {
      const free: Tariff = { ...FLAT, pricePerHour: 0n, pricePerUnit: 0n, pricePerInspection: 0n, setupFee: 0n };
      const usage: Usage = { machineSeconds: 3600n, units: 5n, inspections: 1, licensedProducts: [] };
      const { lines } = quoteLines(free, [], usage);
      expect(lines.map((line) => line.item)).to.not.include("total (no usage)");
    });
  });

  describe("jobUsage", function () {
    it("counts parts as units and parts times seconds per part as machine time", function () {
      expect(jobUsage({ parts: 250n, secondsPerPart: 42n, inspections: 3 }, { licenseIds: [] })).to.deep.equal({
        machineSeconds: 10_500n,
        units: 250n,
        inspections: 3,
        licensedProducts: [],
      });
    });

    it("puts licensed products in the tariff's licence order and prices like the equivalent usage", function () {
      const tariff: Tariff = { ...TIERED, licenseIds: [4, 7] };
      const usage = jobUsage(
        { parts: 120n, secondsPerPart: 30n, inspections: 1, licensedProducts: { 7: 120n } },
        tariff,
      );
      expect(usage.licensedProducts).to.deep.equal([0n, 120n]);
      const charge = price(tariff, [parseEuro("0.2"), parseEuro("0.1")], usage);
      expect(charge.machineTime).to.equal((3600n * tariff.pricePerHour) / SECONDS_PER_HOUR);
      expect(charge.production).to.equal(100n * parseEuro("2") + 20n * parseEuro("1.5"));
      expect(charge.royaltyTotal).to.equal(120n * parseEuro("0.1"));
    });

    it("refuses a job with products under a licence the tariff does not name, naming the licence", function () {
      const job = { parts: 10n, secondsPerPart: 30n, inspections: 0, licensedProducts: { 3: 10n, 4: 0n } };
      expect(missingLicences(job, { licenseIds: [4] })).to.deep.equal([3]);
      expect(missingLicences(job, { licenseIds: [3] })).to.deep.equal([]);
      expect(() => jobUsage(job, { licenseIds: [4] })).to.throw(RangeError, "licence 3");
    });
  });

  describe("errors name the offending input", function () {
    const usage: Usage = { machineSeconds: 60n, units: 1n, inspections: 0, licensedProducts: [] };
    const tariffWith = (change: Partial<Tariff>): Tariff => ({ ...TIERED, ...change });

    for (const key of ["pricePerHour", "pricePerUnit", "pricePerInspection", "setupFee", "minimumCharge"] as const) {
      it(`refuses tariff.${key} outside uint96`, function () {
        expect(() => price(tariffWith({ [key]: UINT96_MAX + 1n }), [], usage)).to.throw(
          RangeError,
          `tariff.${key} is ${UINT96_MAX + 1n}`,
        );
        expect(() => price(tariffWith({ [key]: -1n }), [], usage)).to.throw(RangeError, `tariff.${key} is -1`);
      });
    }

    it("refuses a tier threshold or price outside its type", function () {
      const tooHigh = [{ threshold: UINT64_MAX + 1n, pricePerUnit: 1n }];
      expect(() => price(tariffWith({ tiers: tooHigh }), [], usage)).to.throw(RangeError, "tariff.tiers[0].threshold");
      const dear = [
        { threshold: 5n, pricePerUnit: 1n },
        { threshold: 6n, pricePerUnit: UINT96_MAX + 1n },
      ];
      expect(() => price(tariffWith({ tiers: dear }), [], usage)).to.throw(RangeError, "tariff.tiers[1].pricePerUnit");
    });

    it("refuses thresholds that do not rise strictly, naming the tier", function () {
      const flat = [
        { threshold: 10n, pricePerUnit: 1n },
        { threshold: 10n, pricePerUnit: 1n },
      ];
      expect(() => price(tariffWith({ tiers: flat }), [], usage)).to.throw(
        RangeError,
        "tariff.tiers[1].threshold must be above 10",
      );
      const zero = [{ threshold: 0n, pricePerUnit: 1n }];
      expect(() => price(tariffWith({ tiers: zero }), [], usage)).to.throw(
        RangeError,
        "tariff.tiers[0].threshold must be above 0",
      );
    });

    it("refuses royalties that do not match the tariff's licences, or outside uint96", function () {
      const licensed = tariffWith({ licenseIds: [1, 2] });
      expect(() => price(licensed, [1n], usage)).to.throw(RangeError, "1 royalties given for a tariff that names 2");
      expect(() => price(licensed, [1n, UINT96_MAX + 1n], usage)).to.throw(RangeError, "royalties[1]");
    });

    it("refuses usage quantities outside their types", function () {
      expect(() => price(TIERED, [], { ...usage, machineSeconds: UINT64_MAX + 1n })).to.throw(
        RangeError,
        "usage.machineSeconds",
      );
      expect(() => price(TIERED, [], { ...usage, units: -1n })).to.throw(RangeError, "usage.units");
      expect(() => price(TIERED, [], { ...usage, inspections: Number(UINT32_MAX) + 1 })).to.throw(
        RangeError,
        "usage.inspections",
      );
      const licensed = tariffWith({ licenseIds: [1, 2, 3] });
      expect(() => price(licensed, [1n, 1n, 1n], { ...usage, licensedProducts: [0n, 0n, UINT64_MAX + 1n] })).to.throw(
        RangeError,
        "usage.licensedProducts[2]",
      );
    });

    it("refuses licensed product counts that do not match the tariff's licences", function () {
      const licensed = tariffWith({ licenseIds: [1, 2] });
      expect(() => price(licensed, [1n, 1n], { ...usage, licensedProducts: [1n, 2n, 3n] })).to.throw(
        RangeError,
        "usage counts licensed products for 3 licences, but the tariff names 2",
      );
    });

    it("names usage.inspections when it is not a whole number", function () {
      expect(() => price(TIERED, [], { ...usage, inspections: 1.5 })).to.throw(RangeError, "usage.inspections");
    });
  });
});
