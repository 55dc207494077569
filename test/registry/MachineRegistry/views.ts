/*
MachineRegistry, obligations, exit and views — the branches, written down first; one `it` per leaf.

obligations and exit
├── openObligations counts listings not retired (active and paused); 0 for other and unknown members
├── when the provider has listings ── completeExit reverts with ConsortiumOpenObligations (this registry, count)
└── when its listings are retired ── completeExit succeeds; the keys stay on record
views
├── getMachine (every field; None for an unknown id), machinesOf, keysOf, signerKey, machineCount
├── tariffOf ── MachineRegistryUnknownMachine; MachineRegistryUnknownTariffVersion for version 0 and beyond the current one
├── consortium / licenseRegistry / MAX_CAPABILITIES / MAX_ACTIVE_KEYS / MAX_TIERS / MAX_LICENSES
└── supportsInterface ── IObligations, IMachineRegistry, IERC165; not ILicenseRegistry, not 0xffffffff
*/
import { expect } from "chai";
import { ZeroHash } from "ethers";

import {
  ILicenseRegistry__factory,
  IMachineRegistry__factory,
  IObligations__factory,
} from "../../../typechain-types/index.js";
import { IERC165_SIGNATURES, functionSignatures, interfaceIdOf, ownFunctions } from "../../helpers/interfaceId.js";
import { MachineKind, MachineStatus, requestExitAndWait } from "../../helpers/registry.js";
import {
  connection,
  deployMarket,
  DEVICE_KEYS,
  INSPECTION,
  INSPECTOR_KEY,
  listedMarket,
  loadFixture,
  NEW_KEY,
  NEW_TARIFF,
  profileWith,
  providerOf,
  secondProvider,
  SERVICE_PROFILE,
  SITE,
  STRANGER_KEY,
  WELDING,
} from "./fixture.js";

describe("MachineRegistry", function () {
  describe("obligations and exit", function () {
    it("openObligations counts listings not retired (active and paused); 0 for other and unknown members", async function () {
      const f = await loadFixture(listedMarket);
      expect(await f.machines.openObligations(f.memberIds.provider)).to.equal(2n);
      await f.machines.connect(f.provider).pauseMachine(f.machineId);
      expect(await f.machines.openObligations(f.memberIds.provider)).to.equal(2n);
      await f.machines.connect(f.provider).retireMachine(f.serviceId);
      expect(await f.machines.openObligations(f.memberIds.provider)).to.equal(1n);
      await f.machines.connect(f.provider).retireMachine(f.machineId);
      expect(await f.machines.openObligations(f.memberIds.provider)).to.equal(0n);
      expect(await f.machines.openObligations(f.memberIds.consumer)).to.equal(0n);
      expect(await f.machines.openObligations(0n)).to.equal(0n);
      expect(await f.machines.openObligations(999n)).to.equal(0n);
    });

    describe("when the provider has listings", function () {
      it("completeExit reverts with ConsortiumOpenObligations naming this registry and the count", async function () {
        const f = await loadFixture(listedMarket);
        await f.machines.connect(f.provider).pauseMachine(f.serviceId);
        await requestExitAndWait(connection, f, providerOf(f));
        await expect(f.consortium.completeExit(f.memberIds.provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumOpenObligations")
          .withArgs(f.memberIds.provider, await f.machines.getAddress(), 2n);
        await f.machines.connect(f.provider).retireMachine(f.machineId);
        await expect(f.consortium.completeExit(f.memberIds.provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumOpenObligations")
          .withArgs(f.memberIds.provider, await f.machines.getAddress(), 1n);
      });
    });

    describe("when its listings are retired", function () {
      it("completeExit succeeds; the keys stay on record", async function () {
        const f = await loadFixture(listedMarket);
        await requestExitAndWait(connection, f, providerOf(f));
        await f.machines.connect(f.provider).retireMachine(f.machineId);
        await f.machines.connect(f.provider).retireMachine(f.serviceId);
        await expect(f.consortium.completeExit(f.memberIds.provider))
          .to.emit(f.consortium, "MemberExited")
          .withArgs(f.memberIds.provider);
        expect(await f.machines.keysOf(f.machineId)).to.deep.equal(DEVICE_KEYS);
        expect((await f.machines.signerKey(INSPECTOR_KEY)).machineId).to.equal(f.serviceId);
        expect(await f.machines.machinesOf(f.memberIds.provider)).to.deep.equal([1n, 2n]);
      });
    });
  });

  describe("views", function () {
    it("getMachine returns every field; None and zeros for an unknown id", async function () {
      const f = await loadFixture(listedMarket);
      expect(await f.machines.getMachine(f.serviceId)).to.deep.equal([
        f.memberIds.provider,
        f.serviceRegisteredAt,
        1n,
        1n,
        BigInt(MachineKind.Service),
        BigInt(MachineStatus.Active),
        SITE,
        SERVICE_PROFILE.metadataHash,
        SERVICE_PROFILE.metadataURI,
        [INSPECTION],
      ]);
      expect(await f.machines.getMachine(3n)).to.deep.equal([0n, 0n, 0n, 0n, 0n, 0n, ZeroHash, ZeroHash, "", []]);
    });

    it("machinesOf, keysOf, signerKey and machineCount", async function () {
      const f = await loadFixture(listedMarket);
      const other = await secondProvider(f);
      await f.machines.connect(other.signer).registerMachine(profileWith(WELDING), [NEW_KEY], NEW_TARIFF);
      await f.machines.connect(f.provider).registerMachine(profileWith(WELDING), [], NEW_TARIFF);
      expect(await f.machines.machineCount()).to.equal(4n);
      expect(await f.machines.machinesOf(f.memberIds.provider)).to.deep.equal([1n, 2n, 4n]);
      expect(await f.machines.machinesOf(other.memberId)).to.deep.equal([3n]);
      expect(await f.machines.machinesOf(f.memberIds.consumer)).to.deep.equal([]);
      expect(await f.machines.keysOf(3n)).to.deep.equal([NEW_KEY]);
      expect(await f.machines.keysOf(4n)).to.deep.equal([]);
      expect(await f.machines.keysOf(99n)).to.deep.equal([]);
      expect((await f.machines.signerKey(NEW_KEY)).machineId).to.equal(3n);
      expect(await f.machines.signerKey(STRANGER_KEY)).to.deep.equal([0n, 0n, 0n, 0n]);
    });

    describe("tariffOf", function () {
      it("reverts with MachineRegistryUnknownMachine for an unknown listing", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.tariffOf(3n, 1))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryUnknownMachine")
          .withArgs(3n);
      });

      it("reverts with MachineRegistryUnknownTariffVersion for version 0 and beyond the current one", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.tariffOf(f.machineId, 0))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryUnknownTariffVersion")
          .withArgs(f.machineId, 0n);
        await expect(f.machines.tariffOf(f.machineId, 2))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryUnknownTariffVersion")
          .withArgs(f.machineId, 2n);
      });
    });

    it("consortium, licenseRegistry and the limits", async function () {
      const f = await loadFixture(deployMarket);
      expect(await f.machines.consortium()).to.equal(await f.consortium.getAddress());
      expect(await f.machines.licenseRegistry()).to.equal(await f.licenses.getAddress());
      expect(await f.machines.MAX_CAPABILITIES()).to.equal(8n);
      expect(await f.machines.MAX_ACTIVE_KEYS()).to.equal(8n);
      expect(await f.machines.MAX_TIERS()).to.equal(3n);
      expect(await f.machines.MAX_LICENSES()).to.equal(4n);
      expect(await f.machines.machineCount()).to.equal(0n);
    });

    describe("supportsInterface", function () {
      const obligations = IObligations__factory.createInterface();
      const inherited = functionSignatures(obligations);

      it("supports IObligations, IMachineRegistry and IERC165", async function () {
        const f = await loadFixture(deployMarket);
        const own = ownFunctions(IMachineRegistry__factory.createInterface(), inherited);
        expect(
          await f.machines.supportsInterface(interfaceIdOf(ownFunctions(obligations, IERC165_SIGNATURES))),
        ).to.equal(true);
        expect(await f.machines.supportsInterface(interfaceIdOf(own))).to.equal(true);
        expect(await f.machines.supportsInterface(interfaceIdOf(IERC165_SIGNATURES))).to.equal(true);
      });

      it("does not support ILicenseRegistry nor 0xffffffff", async function () {
        const f = await loadFixture(deployMarket);
        const licenses = ownFunctions(ILicenseRegistry__factory.createInterface(), inherited);
        expect(await f.machines.supportsInterface(interfaceIdOf(licenses))).to.equal(false);
        expect(await f.machines.supportsInterface("0xffffffff")).to.equal(false);
      });
    });
  });
});
