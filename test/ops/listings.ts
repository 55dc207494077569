/**
 * A listing's life on the command line (src/ops/listings.ts, src/ops/insight.ts): its provider pauses,
 * resumes and retires it and publishes a new tariff (booked orders keep theirs); a licensor registers a
 * licence and rotates its royalty; the owner sees how its machines were used and what they earned.
 */
import { expect } from "chai";
import { network } from "hardhat";

import { capabilityTag } from "../../src/core/vocabulary.js";
import { parseEuro } from "../../src/core/money.js";
import { jsonOf, listLaser, meterUsage, ops, opsFixture, type OpsFixture } from "../helpers/ops.js";

const connection = await network.create();
const { loadFixture } = connection.networkHelpers;
const fixture = opsFixture(connection);

interface ListingJson {
  machineId: string;
  action: string;
  nothingToDo: boolean;
  status: string;
}

describe("ops listing commands", function () {
  let f: OpsFixture;
  let machineId: bigint;
  beforeEach(async function () {
    f = await loadFixture(fixture);
    machineId = await listLaser(f);
  });
  const status = (action: string) => ops(f, f.provider, "machine", action, "--json", `--machine=${machineId}`);
  const found = async () =>
    jsonOf<unknown[]>(await ops(f, f.consumer, "machine", "find", "--json", "--capability=laser-cutting")).length;

  describe("machine pause, resume and retire", function () {
    it("pauses (no new orders), resumes, and retires for good; a status held already is nothing to do", async function () {
      expect(jsonOf<ListingJson>(await status("pause"))).to.include({ status: "Paused", nothingToDo: false });
      expect(await found()).to.equal(0);
      const booking = await ops(f, f.consumer, "order", "open", `--machine=${machineId}`, "--budget=10");
      expect(booking.exitCode).to.equal(2);
      expect(booking.stderr).to.include("cannot be booked now");
      expect(jsonOf<ListingJson>(await status("pause"))).to.include({ status: "Paused", nothingToDo: true });

      expect(jsonOf<ListingJson>(await status("resume"))).to.include({ status: "Active", nothingToDo: false });
      expect(await found()).to.equal(1);

      expect(jsonOf<ListingJson>(await status("retire"))).to.include({ status: "Retired", nothingToDo: false });
      const table = await ops(f, f.provider, "machine", "retire", `--machine=${machineId}`);
      expect(table.exitCode, table.stderr).to.equal(0);
      expect(table.stdout).to.include("is Retired already; nothing to do");
      const back = await ops(f, f.provider, "machine", "resume", `--machine=${machineId}`);
      expect(back.exitCode).to.equal(2);
      expect(back.stderr).to.include("a retired listing cannot resume");
    });

    it("is refused for a listing that does not exist, and for a key that is not the provider's", async function () {
      const unknown = await ops(f, f.provider, "machine", "pause", "--machine=9");
      expect(unknown.exitCode).to.equal(2);
      expect(unknown.stderr).to.include("There is no listing 9; listing ids run from 1 to 1.");
      const foreign = await ops(f, f.consumer, "machine", "pause", `--machine=${machineId}`);
      expect(foreign.exitCode).to.equal(1);
      expect(foreign.stderr)
        .to.include("pauseMachine on MachineRegistry")
        .and.include("MachineRegistryNotOwner(machineId 1, memberId 3): listing 1 is not member 3's.")
        .and.include("Sign with a key of the provider that listed it.");
    });
  });

  describe("machine tariff", function () {
    it("publishes a new tariff: new orders book it, an order booked before keeps its own", async function () {
      await ops(f, f.consumer, "order", "open", `--machine=${machineId}`, "--budget=10");
      const published = jsonOf<{ tariffVersion: number; previousVersion: number }>(
        await ops(
          f,
          f.provider,
          "machine",
          "tariff",
          "--json",
          `--machine=${machineId}`,
          "--price-per-hour=40",
          "--tiers=100:0.40",
        ),
      );
      expect(published).to.include({ tariffVersion: 2, previousVersion: 1 });
      const [listing] = jsonOf<{ tariffVersion: number; pricePerHour: string }[]>(
        await ops(f, f.consumer, "machine", "find", "--json", "--capability=laser-cutting"),
      );
      expect(listing).to.include({ tariffVersion: 2, pricePerHour: parseEuro("40").toString() });
      expect((await f.meter.getOrder(1n)).tariffVersion).to.equal(1n);
      const table = await ops(f, f.provider, "machine", "tariff", `--machine=${machineId}`, "--price-per-unit=0.45");
      expect(table.stdout).to.include("Tariff v3 published").and.include("0.45");
    });
  });

  describe("licence register and royalty", function () {
    it("registers a licence and rotates its royalty to a new version", async function () {
      const registered = jsonOf<{ licenseId: number; version: number }>(
        await ops(f, f.licensor, "licence", "register", "--json", "--royalty=0.35", "--terms=Licence terms v1"),
      );
      expect(registered).to.include({ licenseId: 1, version: 1 });
      const rotated = jsonOf<{ version: number; royaltyPerProduct: string; previousRoyalty: string }>(
        await ops(
          f,
          f.licensor,
          "licence",
          "royalty",
          "--json",
          "--licence=1",
          "--royalty=0.40",
          "--terms=Licence terms v2",
        ),
      );
      expect(rotated).to.include({
        version: 2,
        royaltyPerProduct: parseEuro("0.40").toString(),
        previousRoyalty: parseEuro("0.35").toString(),
      });
      expect((await f.licenses.getLicense(1)).currentVersion).to.equal(2n);
      const unknown = await ops(f, f.licensor, "licence", "royalty", "--licence=7", "--royalty=1", "--terms=t");
      expect(unknown.exitCode).to.equal(2);
      expect(unknown.stderr).to.include("There is no licence 7.");
    });
  });

  describe("machine insight", function () {
    it("shows the owner how long and for which capability its machine was used, and what it earned", async function () {
      await ops(f, f.consumer, "order", "open", `--machine=${machineId}`, "--budget=50", "--capability=laser-cutting");
      await meterUsage(connection, f, 1n, 1, 600n, 10n);
      const insight = jsonOf<{
        memberId: string;
        machineIds: string[];
        machines: {
          machineId: string;
          orders: number;
          machineSeconds: string;
          units: string;
          charged: string;
          byCapability: { capability: string }[];
        }[];
      }>(await ops(f, f.provider, "machine", "insight", "--json"));
      expect(insight.memberId).to.equal(f.memberIds.provider.toString());
      expect(insight.machineIds).to.deep.equal(["1"]);
      expect(insight.machines[0]).to.include({
        machineId: "1",
        orders: 1,
        machineSeconds: "600",
        units: "10",
        charged: parseEuro("11").toString(),
      });
      expect(insight.machines[0]!.byCapability.map((c) => c.capability)).to.deep.equal([
        capabilityTag("laser-cutting"),
      ]);
      const table = await ops(f, f.provider, "machine", "insight");
      expect(table.stdout).to.include("laser-cutting").and.include("0.17").and.include("11.00");
    });

    it("shows a member only its own machines", async function () {
      const none = jsonOf<{ machineIds: string[] }>(await ops(f, f.consumer, "machine", "insight", "--json"));
      expect(none.machineIds).to.deep.equal([]);
      const foreign = await ops(f, f.consumer, "machine", "insight", `--machine=${machineId}`);
      expect(foreign.exitCode).to.equal(2);
      expect(foreign.stderr).to.include(`Listing 1 belongs to member ${f.memberIds.provider}, not to member 3.`);
    });
  });
});
