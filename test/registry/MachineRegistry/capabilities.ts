/*
MachineRegistry, the capability index — the branches, written down first; one `it` per leaf.

capability index (capabilityCount / machinesByCapability)
├── capabilityCount counts active listings per tag, out-of-business providers included; 0 for an unknown tag
├── pause, resume, retire and updateMachine keep the index exact (swap and pop)
├── offset and limit: pages, offset at and past the end, limit 0, an unknown tag
├── pages skip unbookable listings and return where to continue
└── reading all pages returns each bookable listing exactly once
*/
import { expect } from "chai";
import { id } from "ethers";

import { MachineStatus, SUSPENSION_REASON } from "../../helpers/registry.js";
import {
  BENDING,
  INSPECTION,
  LASER,
  type Listed,
  listedMarket,
  loadFixture,
  NEW_TARIFF,
  profileWith,
  secondProvider,
  WELDING,
} from "./fixture.js";

describe("MachineRegistry", function () {
  describe("capability index (capabilityCount / machinesByCapability)", function () {
    interface Catalogue extends Listed {
      other: { signer: Listed["provider"]; memberId: bigint };
    }

    /**
     * Listed plus machines 3 [LASER], 4 [LASER, WELDING], 5 [BENDING] of the provider and 6 [LASER],
     * 7 [LASER, WELDING] of a second provider: LASER lists 1, 3, 4, 6, 7.
     */
    async function catalogue(): Promise<Catalogue> {
      const f = await listedMarket();
      const other = await secondProvider(f);
      const asProvider = f.machines.connect(f.provider);
      await asProvider.registerMachine(profileWith(LASER), [], NEW_TARIFF);
      await asProvider.registerMachine(profileWith(LASER, WELDING), [], NEW_TARIFF);
      await asProvider.registerMachine(profileWith(BENDING), [], NEW_TARIFF);
      const asOther = f.machines.connect(other.signer);
      await asOther.registerMachine(profileWith(LASER), [], NEW_TARIFF);
      await asOther.registerMachine(profileWith(LASER, WELDING), [], NEW_TARIFF);
      return { ...f, other };
    }

    const ALL_TAGS = [LASER, BENDING, WELDING, INSPECTION];

    /** Every listing with `tag` in index order (no page skips anything while all are bookable). */
    async function listed(f: Listed, tag: string): Promise<bigint[]> {
      const [ids, next] = await f.machines.machinesByCapability(tag, 0, 1000);
      expect(next).to.equal(await f.machines.capabilityCount(tag));
      return [...ids];
    }

    /** The index holds exactly the active listings with each tag, each once. */
    async function expectIndexExact(f: Listed) {
      const count = await f.machines.machineCount();
      for (const tag of ALL_TAGS) {
        const expected: bigint[] = [];
        for (let machineId = 1n; machineId <= count; machineId++) {
          const machine = await f.machines.getMachine(machineId);
          if (machine.status === BigInt(MachineStatus.Active) && machine.capabilities.includes(tag)) {
            expected.push(machineId);
          }
        }
        const actual = await listed(f, tag);
        expect(actual.length).to.equal(new Set(actual).size);
        expect([...actual].sort()).to.deep.equal(expected.sort());
        expect(await f.machines.capabilityCount(tag)).to.equal(BigInt(expected.length));
      }
    }

    /** Reads every page of `tag` at `limit` per page, following `next`. */
    async function readAllPages(f: Listed, tag: string, limit: number): Promise<bigint[]> {
      const count = await f.machines.capabilityCount(tag);
      const found: bigint[] = [];
      let offset = 0n;
      for (let pages = 0; offset < count; pages++) {
        expect(pages).to.be.below(100);
        const [ids, next] = await f.machines.machinesByCapability(tag, offset, limit);
        expect(ids.length).to.be.at.most(limit);
        expect(next).to.be.above(offset);
        found.push(...ids);
        offset = next;
      }
      return found;
    }

    it("capabilityCount counts active listings per tag, out-of-business providers included; 0 for an unknown tag", async function () {
      const f = await loadFixture(catalogue);
      expect(await f.machines.capabilityCount(LASER)).to.equal(5n);
      expect(await f.machines.capabilityCount(BENDING)).to.equal(2n);
      expect(await f.machines.capabilityCount(WELDING)).to.equal(2n);
      expect(await f.machines.capabilityCount(INSPECTION)).to.equal(1n);
      expect(await f.machines.capabilityCount(id("milling"))).to.equal(0n);
      await f.consortium.connect(f.operator).suspend(f.other.memberId, SUSPENSION_REASON);
      expect(await f.machines.capabilityCount(LASER)).to.equal(5n);
      expect(await listed(f, LASER)).to.deep.equal([1n, 3n, 4n]);
    });

    describe("pause, resume, retire and updateMachine", function () {
      it("keep the index exact, moving the last entry into the gap (swap and pop)", async function () {
        const f = await loadFixture(catalogue);
        const asProvider = f.machines.connect(f.provider);
        expect(await listed(f, LASER)).to.deep.equal([1n, 3n, 4n, 6n, 7n]);

        await asProvider.pauseMachine(3n);
        expect(await listed(f, LASER)).to.deep.equal([1n, 7n, 4n, 6n]);
        await expectIndexExact(f);

        await asProvider.resumeMachine(3n);
        expect(await listed(f, LASER)).to.deep.equal([1n, 7n, 4n, 6n, 3n]);
        await expectIndexExact(f);

        await asProvider.retireMachine(1n);
        expect(await listed(f, LASER)).to.deep.equal([3n, 7n, 4n, 6n]);
        expect(await listed(f, BENDING)).to.deep.equal([5n]);
        await expectIndexExact(f);

        await asProvider.updateMachine(4n, profileWith(BENDING));
        expect(await listed(f, LASER)).to.deep.equal([3n, 7n, 6n]);
        expect(await listed(f, WELDING)).to.deep.equal([7n]);
        expect(await listed(f, BENDING)).to.deep.equal([5n, 4n]);
        await expectIndexExact(f);

        // The last entry leaves: nothing moves.
        await f.machines.connect(f.other.signer).pauseMachine(6n);
        expect(await listed(f, LASER)).to.deep.equal([3n, 7n]);
        await f.machines.connect(f.other.signer).retireMachine(6n);
        await f.machines.connect(f.other.signer).retireMachine(7n);
        await asProvider.retireMachine(3n);
        expect(await listed(f, LASER)).to.deep.equal([]);
        expect(await listed(f, WELDING)).to.deep.equal([]);
        await expectIndexExact(f);

        await asProvider.updateMachine(5n, profileWith(WELDING, LASER, BENDING));
        expect(await listed(f, LASER)).to.deep.equal([5n]);
        expect(await listed(f, BENDING)).to.deep.equal([4n, 5n]);
        await expectIndexExact(f);
      });
    });

    describe("offset and limit", function () {
      it("pages through the list and says where to continue", async function () {
        const f = await loadFixture(catalogue);
        expect(await f.machines.machinesByCapability(LASER, 0, 2)).to.deep.equal([[1n, 3n], 2n]);
        expect(await f.machines.machinesByCapability(LASER, 2, 2)).to.deep.equal([[4n, 6n], 4n]);
        expect(await f.machines.machinesByCapability(LASER, 4, 2)).to.deep.equal([[7n], 5n]);
        expect(await f.machines.machinesByCapability(LASER, 1, 10)).to.deep.equal([[3n, 4n, 6n, 7n], 5n]);
      });

      it("returns nothing and capabilityCount at or past the end", async function () {
        const f = await loadFixture(catalogue);
        expect(await f.machines.machinesByCapability(LASER, 5, 2)).to.deep.equal([[], 5n]);
        expect(await f.machines.machinesByCapability(LASER, 100, 2)).to.deep.equal([[], 5n]);
        expect(await f.machines.machinesByCapability(LASER, 2n ** 256n - 1n, 2n ** 256n - 1n)).to.deep.equal([[], 5n]);
      });

      it("returns nothing and the same offset for limit 0", async function () {
        const f = await loadFixture(catalogue);
        expect(await f.machines.machinesByCapability(LASER, 0, 0)).to.deep.equal([[], 0n]);
        expect(await f.machines.machinesByCapability(LASER, 3, 0)).to.deep.equal([[], 3n]);
      });

      it("returns nothing and 0 for an unknown tag", async function () {
        const f = await loadFixture(catalogue);
        expect(await f.machines.machinesByCapability(id("milling"), 0, 10)).to.deep.equal([[], 0n]);
      });

      it("accepts a huge limit", async function () {
        const f = await loadFixture(catalogue);
        expect(await f.machines.machinesByCapability(LASER, 3, 2n ** 256n - 1n)).to.deep.equal([[6n, 7n], 5n]);
      });
    });

    describe("when some listings are not bookable", function () {
      it("pages skip them and return where to continue", async function () {
        const f = await loadFixture(catalogue);
        await f.consortium.connect(f.operator).suspend(f.other.memberId, SUSPENSION_REASON);
        expect(await f.machines.machinesByCapability(LASER, 0, 10)).to.deep.equal([[1n, 3n, 4n], 5n]);
        expect(await f.machines.machinesByCapability(LASER, 0, 3)).to.deep.equal([[1n, 3n, 4n], 3n]);
        expect(await f.machines.machinesByCapability(LASER, 3, 3)).to.deep.equal([[], 5n]);
        // Scans 4 (bookable), then 6 and 7 (not) to the end.
        expect(await f.machines.machinesByCapability(LASER, 2, 2)).to.deep.equal([[4n], 5n]);
        expect(await f.machines.machinesByCapability(WELDING, 0, 1)).to.deep.equal([[4n], 1n]);
        expect(await f.machines.machinesByCapability(WELDING, 1, 1)).to.deep.equal([[], 2n]);
      });
    });

    it("reading all pages returns each bookable listing exactly once", async function () {
      const f = await loadFixture(catalogue);
      const asProvider = f.machines.connect(f.provider);
      // More listings, a paused one, a retired one and a provider out of business.
      for (let i = 0; i < 6; i++)
        await asProvider.registerMachine(profileWith(LASER, id(`extra ${i}`)), [], NEW_TARIFF);
      await asProvider.pauseMachine(4n);
      await asProvider.retireMachine(9n);
      await f.consortium.connect(f.other.signer).requestExit();
      const expected = [1n, 3n, 8n, 10n, 11n, 12n, 13n];
      for (const limit of [1, 2, 3, 4, 10]) {
        const found = await readAllPages(f, LASER, limit);
        expect(found.length, `limit ${limit}`).to.equal(new Set(found).size);
        expect(
          [...found].sort((a, b) => Number(a - b)),
          `limit ${limit}`,
        ).to.deep.equal(expected);
      }
    });
  });
});
