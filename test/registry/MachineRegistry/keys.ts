/*
MachineRegistry, addKey, revokeKey, rotateKey and key validity — the branches, written down first; one `it` per leaf.

addKey
├── when the caller is not a member's account / removed / suspended / exited / lacks the role ── the Consortium's error
├── when the listing does not exist ────────────────────── it reverts with MachineRegistryUnknownMachine
├── when the listing belongs to another provider ───────── it reverts with MachineRegistryNotOwner
├── when the listing is retired ────────────────────────── it reverts with MachineRegistryMachineRetired
├── when the key is the zero address ───────────────────── it reverts with MachineRegistryInvalidKey
├── when the key is an active or revoked key of the listing ── it reverts with MachineRegistryKeyTaken (never reused)
├── when the key is another listing's ──────────────────── it reverts with MachineRegistryKeyTaken (the holder)
├── when a device key is added to a service ────────────── it reverts with MachineRegistryKeyKindNotAllowed
├── when the listing has MAX_ACTIVE_KEYS active keys ───── it reverts with MachineRegistryTooManyKeys
└── when the key is new
    ├── it adds it, valid from this block, emits SignerKeyAdded, counts it active, lists it in keysOf
    ├── when an inspector key is added to a machine ── it adds it
    ├── revoked keys do not count towards MAX_ACTIVE_KEYS
    └── when the member has not accepted the current agreement or asked to leave ── it adds (good standing suffices)
revokeKey
├── when the caller is not a member's account / removed / exited ── the Consortium's error
├── when the listing does not exist ────────────────────── it reverts with MachineRegistryUnknownMachine
├── when the listing belongs to another provider ───────── it reverts with MachineRegistryNotOwner
├── when the key is not a key of the listing ───────────── it reverts with MachineRegistryUnknownKey (another's, never registered)
├── when the key is revoked ────────────────────────────── it reverts with MachineRegistryKeyRevoked
└── when the key is active
    ├── it sets validUntil to this block's time, emits SignerKeyRevoked, counts one active key less
    ├── when the member is suspended, lacks the role, has not accepted the agreement or asked to leave ── it revokes (protective act)
    └── when the listing is retired ── it revokes
rotateKey
├── when the caller is not a member's account / removed / suspended / exited / lacks the role ── the Consortium's error
├── when the listing does not exist / belongs to another provider / is retired ── UnknownMachine / NotOwner / MachineRetired
├── when the old key is not a key of the listing ───────── it reverts with MachineRegistryUnknownKey
├── when the old key is revoked ────────────────────────── it reverts with MachineRegistryKeyRevoked
├── when the new key is the zero address ───────────────── it reverts with MachineRegistryInvalidKey
├── when the new key is the old key or another listing's ── it reverts with MachineRegistryKeyTaken
└── when both keys are valid
    ├── the old key is valid until now (exclusive), the new one from now, of the old key's kind; both events
    └── when the listing has MAX_ACTIVE_KEYS active keys ── it rotates
key validity over time (isKeyValidAt)
├── a key is invalid before validFrom and valid from validFrom on
├── a key revoked at T is valid in [validFrom, T) and invalid at T and after
├── a key rotated at T: the old one valid until T - 1, the new one from T
├── a key revoked in the block that added it is never valid
└── wrong kind, wrong listing, listing 0, unknown key ── invalid
*/
import { expect } from "chai";
import { ZeroAddress } from "ethers";

import { derivedAddresses, minedAt } from "../../helpers/consortium.js";
import { ACCOUNT_REFUSALS, GOOD_STANDING_REFUSALS, KeyKind, itRefusesEach, Standing } from "../../helpers/registry.js";
import {
  connection,
  DEVICE_KEYS,
  INSPECTOR_KEY,
  type Listed,
  listedMarket,
  loadFixture,
  networkHelpers,
  NEW_KEY,
  providerInStanding,
  secondProvider,
  STRANGER_KEY,
  time,
} from "./fixture.js";

/** Fills machine 1 up to MAX_ACTIVE_KEYS active keys; returns the keys added. */
async function fillKeys(f: Listed): Promise<string[]> {
  const max = await f.machines.MAX_ACTIVE_KEYS();
  const extra = derivedAddresses("extra key", Number(max) - DEVICE_KEYS.length);
  for (const key of extra) await f.machines.connect(f.provider).addKey(f.machineId, key, KeyKind.Device);
  return extra;
}

/** Sets the next block's time to `seconds` after the latest block's; returns that time. */
async function nextBlockIn(seconds: bigint): Promise<bigint> {
  const at = BigInt(await time.latest()) + seconds;
  await time.setNextBlockTimestamp(at);
  return at;
}

describe("MachineRegistry", function () {
  describe("addKey", function () {
    itRefusesEach(
      GOOD_STANDING_REFUSALS,
      () => loadFixture(listedMarket),
      providerInStanding,
      (f, caller) => f.machines.connect(caller).addKey(f.machineId, NEW_KEY, KeyKind.Device),
    );

    describe("when the listing does not exist", function () {
      it("reverts with MachineRegistryUnknownMachine", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).addKey(3n, NEW_KEY, KeyKind.Device))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryUnknownMachine")
          .withArgs(3n);
      });
    });

    describe("when the listing belongs to another provider", function () {
      it("reverts with MachineRegistryNotOwner", async function () {
        const f = await loadFixture(listedMarket);
        const other = await secondProvider(f);
        await expect(f.machines.connect(other.signer).addKey(f.machineId, NEW_KEY, KeyKind.Device))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryNotOwner")
          .withArgs(f.machineId, other.memberId);
      });
    });

    describe("when the listing is retired", function () {
      it("reverts with MachineRegistryMachineRetired", async function () {
        const f = await loadFixture(listedMarket);
        await f.machines.connect(f.provider).retireMachine(f.serviceId);
        await expect(f.machines.connect(f.provider).addKey(f.serviceId, NEW_KEY, KeyKind.Inspector))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryMachineRetired")
          .withArgs(f.serviceId);
      });
    });

    describe("when the key is the zero address", function () {
      it("reverts with MachineRegistryInvalidKey", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).addKey(f.machineId, ZeroAddress, KeyKind.Device))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryInvalidKey")
          .withArgs(ZeroAddress);
      });
    });

    describe("when the key is an active or revoked key of the listing", function () {
      it("reverts with MachineRegistryKeyTaken (keys are never reused)", async function () {
        const f = await loadFixture(listedMarket);
        const [active, revoked] = DEVICE_KEYS as [string, string];
        await f.machines.connect(f.provider).revokeKey(f.machineId, revoked);
        for (const key of [active, revoked]) {
          await expect(f.machines.connect(f.provider).addKey(f.machineId, key, KeyKind.Device))
            .to.be.revertedWithCustomError(f.machines, "MachineRegistryKeyTaken")
            .withArgs(key, f.machineId);
        }
      });
    });

    describe("when the key is another listing's", function () {
      it("reverts with MachineRegistryKeyTaken naming the holder, revoked or not", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).addKey(f.machineId, INSPECTOR_KEY, KeyKind.Inspector))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryKeyTaken")
          .withArgs(INSPECTOR_KEY, f.serviceId);
        await f.machines.connect(f.provider).revokeKey(f.serviceId, INSPECTOR_KEY);
        await expect(f.machines.connect(f.provider).addKey(f.machineId, INSPECTOR_KEY, KeyKind.Inspector))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryKeyTaken")
          .withArgs(INSPECTOR_KEY, f.serviceId);
      });
    });

    describe("when a device key is added to a service", function () {
      it("reverts with MachineRegistryKeyKindNotAllowed", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).addKey(f.serviceId, NEW_KEY, KeyKind.Device))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryKeyKindNotAllowed")
          .withArgs(f.serviceId, KeyKind.Device);
      });
    });

    describe("when the listing has MAX_ACTIVE_KEYS active keys", function () {
      it("reverts with MachineRegistryTooManyKeys", async function () {
        const f = await loadFixture(listedMarket);
        await fillKeys(f);
        const max = await f.machines.MAX_ACTIVE_KEYS();
        expect((await f.machines.getMachine(f.machineId)).activeKeys).to.equal(max);
        await expect(f.machines.connect(f.provider).addKey(f.machineId, NEW_KEY, KeyKind.Device))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryTooManyKeys")
          .withArgs(f.machineId, max);
      });
    });

    describe("when the key is new", function () {
      it("adds it, valid from this block, emits SignerKeyAdded, counts it active, lists it in keysOf", async function () {
        const f = await loadFixture(listedMarket);
        const at = await nextBlockIn(100n);
        await expect(f.machines.connect(f.provider).addKey(f.machineId, NEW_KEY, KeyKind.Device))
          .to.emit(f.machines, "SignerKeyAdded")
          .withArgs(f.machineId, NEW_KEY, KeyKind.Device);
        expect(await f.machines.signerKey(NEW_KEY)).to.deep.equal([f.machineId, at, 0n, BigInt(KeyKind.Device)]);
        expect((await f.machines.getMachine(f.machineId)).activeKeys).to.equal(3n);
        expect(await f.machines.keysOf(f.machineId)).to.deep.equal([...DEVICE_KEYS, NEW_KEY]);
        expect(await f.machines.isKeyValidAt(f.machineId, NEW_KEY, KeyKind.Device, at)).to.equal(true);
      });

      it("adds an inspector key to a machine", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).addKey(f.machineId, NEW_KEY, KeyKind.Inspector))
          .to.emit(f.machines, "SignerKeyAdded")
          .withArgs(f.machineId, NEW_KEY, KeyKind.Inspector);
        expect((await f.machines.signerKey(NEW_KEY)).kind).to.equal(KeyKind.Inspector);
      });

      it("does not count revoked keys towards MAX_ACTIVE_KEYS", async function () {
        const f = await loadFixture(listedMarket);
        const extra = await fillKeys(f);
        await f.machines.connect(f.provider).revokeKey(f.machineId, extra[0]!);
        await expect(f.machines.connect(f.provider).addKey(f.machineId, NEW_KEY, KeyKind.Device))
          .to.emit(f.machines, "SignerKeyAdded")
          .withArgs(f.machineId, NEW_KEY, KeyKind.Device);
        const max = await f.machines.MAX_ACTIVE_KEYS();
        expect((await f.machines.getMachine(f.machineId)).activeKeys).to.equal(max);
        expect(await f.machines.keysOf(f.machineId)).to.have.length(Number(max) + 1);
      });

      for (const standing of ["AgreementNotAccepted", "ExitPending"] as const) {
        it(`adds when ${Standing[standing]} (good standing suffices)`, async function () {
          const f = await loadFixture(listedMarket);
          await providerInStanding(f, standing);
          await expect(f.machines.connect(f.provider).addKey(f.machineId, NEW_KEY, KeyKind.Device))
            .to.emit(f.machines, "SignerKeyAdded")
            .withArgs(f.machineId, NEW_KEY, KeyKind.Device);
        });
      }
    });
  });

  describe("revokeKey", function () {
    itRefusesEach(
      ACCOUNT_REFUSALS,
      () => loadFixture(listedMarket),
      providerInStanding,
      (f, caller) => f.machines.connect(caller).revokeKey(f.machineId, DEVICE_KEYS[0]!),
    );

    describe("when the listing does not exist", function () {
      it("reverts with MachineRegistryUnknownMachine", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).revokeKey(0n, STRANGER_KEY))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryUnknownMachine")
          .withArgs(0n);
      });
    });

    describe("when the listing belongs to another provider", function () {
      it("reverts with MachineRegistryNotOwner", async function () {
        const f = await loadFixture(listedMarket);
        const other = await secondProvider(f);
        await expect(f.machines.connect(other.signer).revokeKey(f.machineId, DEVICE_KEYS[0]!))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryNotOwner")
          .withArgs(f.machineId, other.memberId);
      });
    });

    describe("when the key is not a key of the listing", function () {
      it("reverts with MachineRegistryUnknownKey for another listing's key and one never registered", async function () {
        const f = await loadFixture(listedMarket);
        for (const key of [INSPECTOR_KEY, STRANGER_KEY, ZeroAddress]) {
          await expect(f.machines.connect(f.provider).revokeKey(f.machineId, key))
            .to.be.revertedWithCustomError(f.machines, "MachineRegistryUnknownKey")
            .withArgs(f.machineId, key);
        }
      });
    });

    describe("when the key is revoked", function () {
      it("reverts with MachineRegistryKeyRevoked", async function () {
        const f = await loadFixture(listedMarket);
        const at = await minedAt(await f.machines.connect(f.provider).revokeKey(f.machineId, DEVICE_KEYS[0]!));
        await expect(f.machines.connect(f.provider).revokeKey(f.machineId, DEVICE_KEYS[0]!))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryKeyRevoked")
          .withArgs(DEVICE_KEYS[0], at);
      });
    });

    describe("when the key is active", function () {
      it("sets validUntil to this block's time, emits SignerKeyRevoked, counts one active key less", async function () {
        const f = await loadFixture(listedMarket);
        const at = await nextBlockIn(1000n);
        await expect(f.machines.connect(f.provider).revokeKey(f.machineId, DEVICE_KEYS[0]!))
          .to.emit(f.machines, "SignerKeyRevoked")
          .withArgs(f.machineId, DEVICE_KEYS[0]);
        expect(await f.machines.signerKey(DEVICE_KEYS[0]!)).to.deep.equal([
          f.machineId,
          f.registeredAt,
          at,
          BigInt(KeyKind.Device),
        ]);
        expect((await f.machines.getMachine(f.machineId)).activeKeys).to.equal(1n);
        expect(await f.machines.keysOf(f.machineId)).to.deep.equal(DEVICE_KEYS);
      });

      for (const standing of ["Suspended", "MissingRole", "AgreementNotAccepted", "ExitPending"] as const) {
        it(`revokes when ${Standing[standing]} (protective act)`, async function () {
          const f = await loadFixture(listedMarket);
          await providerInStanding(f, standing);
          await expect(f.machines.connect(f.provider).revokeKey(f.machineId, DEVICE_KEYS[0]!))
            .to.emit(f.machines, "SignerKeyRevoked")
            .withArgs(f.machineId, DEVICE_KEYS[0]);
        });
      }

      describe("when the listing is retired", function () {
        it("revokes", async function () {
          const f = await loadFixture(listedMarket);
          await f.machines.connect(f.provider).retireMachine(f.machineId);
          await expect(f.machines.connect(f.provider).revokeKey(f.machineId, DEVICE_KEYS[0]!))
            .to.emit(f.machines, "SignerKeyRevoked")
            .withArgs(f.machineId, DEVICE_KEYS[0]);
        });
      });
    });
  });

  describe("rotateKey", function () {
    itRefusesEach(
      GOOD_STANDING_REFUSALS,
      () => loadFixture(listedMarket),
      providerInStanding,
      (f, caller) => f.machines.connect(caller).rotateKey(f.machineId, DEVICE_KEYS[0]!, NEW_KEY),
    );

    describe("when the listing does not exist, belongs to another provider or is retired", function () {
      it("reverts with MachineRegistryUnknownMachine, MachineRegistryNotOwner, MachineRegistryMachineRetired", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).rotateKey(3n, DEVICE_KEYS[0]!, NEW_KEY))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryUnknownMachine")
          .withArgs(3n);
        const other = await secondProvider(f);
        await expect(f.machines.connect(other.signer).rotateKey(f.machineId, DEVICE_KEYS[0]!, NEW_KEY))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryNotOwner")
          .withArgs(f.machineId, other.memberId);
        await f.machines.connect(f.provider).retireMachine(f.machineId);
        await expect(f.machines.connect(f.provider).rotateKey(f.machineId, DEVICE_KEYS[0]!, NEW_KEY))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryMachineRetired")
          .withArgs(f.machineId);
      });
    });

    describe("when the old key is not a key of the listing", function () {
      it("reverts with MachineRegistryUnknownKey", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).rotateKey(f.machineId, INSPECTOR_KEY, NEW_KEY))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryUnknownKey")
          .withArgs(f.machineId, INSPECTOR_KEY);
      });
    });

    describe("when the old key is revoked", function () {
      it("reverts with MachineRegistryKeyRevoked", async function () {
        const f = await loadFixture(listedMarket);
        const at = await minedAt(await f.machines.connect(f.provider).revokeKey(f.machineId, DEVICE_KEYS[0]!));
        await expect(f.machines.connect(f.provider).rotateKey(f.machineId, DEVICE_KEYS[0]!, NEW_KEY))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryKeyRevoked")
          .withArgs(DEVICE_KEYS[0], at);
      });
    });

    describe("when the new key is the zero address", function () {
      it("reverts with MachineRegistryInvalidKey", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).rotateKey(f.machineId, DEVICE_KEYS[0]!, ZeroAddress))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryInvalidKey")
          .withArgs(ZeroAddress);
      });
    });

    describe("when the new key is the old key or another listing's", function () {
      it("reverts with MachineRegistryKeyTaken", async function () {
        const f = await loadFixture(listedMarket);
        await expect(f.machines.connect(f.provider).rotateKey(f.machineId, DEVICE_KEYS[0]!, DEVICE_KEYS[0]!))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryKeyTaken")
          .withArgs(DEVICE_KEYS[0], f.machineId);
        await expect(f.machines.connect(f.provider).rotateKey(f.machineId, DEVICE_KEYS[0]!, INSPECTOR_KEY))
          .to.be.revertedWithCustomError(f.machines, "MachineRegistryKeyTaken")
          .withArgs(INSPECTOR_KEY, f.serviceId);
        expect((await f.machines.signerKey(DEVICE_KEYS[0]!)).validUntil).to.equal(0n);
      });
    });

    describe("when both keys are valid", function () {
      it("makes the old key valid until now (exclusive), the new one from now, of the old key's kind", async function () {
        const f = await loadFixture(listedMarket);
        const at = await nextBlockIn(500n);
        const tx = f.machines.connect(f.provider).rotateKey(f.serviceId, INSPECTOR_KEY, NEW_KEY);
        await expect(tx).to.emit(f.machines, "SignerKeyRevoked").withArgs(f.serviceId, INSPECTOR_KEY);
        await expect(tx).to.emit(f.machines, "SignerKeyAdded").withArgs(f.serviceId, NEW_KEY, KeyKind.Inspector);
        const old = await f.machines.signerKey(INSPECTOR_KEY);
        expect(old.validUntil).to.equal(at);
        expect(await f.machines.signerKey(NEW_KEY)).to.deep.equal([f.serviceId, at, 0n, BigInt(KeyKind.Inspector)]);
        expect((await f.machines.getMachine(f.serviceId)).activeKeys).to.equal(1n);
        expect(await f.machines.keysOf(f.serviceId)).to.deep.equal([INSPECTOR_KEY, NEW_KEY]);
      });

      describe("when the listing has MAX_ACTIVE_KEYS active keys", function () {
        it("rotates", async function () {
          const f = await loadFixture(listedMarket);
          await fillKeys(f);
          await expect(f.machines.connect(f.provider).rotateKey(f.machineId, DEVICE_KEYS[1]!, NEW_KEY))
            .to.emit(f.machines, "SignerKeyAdded")
            .withArgs(f.machineId, NEW_KEY, KeyKind.Device);
          expect((await f.machines.getMachine(f.machineId)).activeKeys).to.equal(await f.machines.MAX_ACTIVE_KEYS());
        });
      });
    });
  });

  describe("key validity over time (isKeyValidAt)", function () {
    const valid = (f: Listed, key: string, at: bigint, machineId = f.machineId, kind: number = KeyKind.Device) =>
      f.machines.isKeyValidAt(machineId, key, kind, at);

    it("a key is invalid before validFrom and valid from validFrom on", async function () {
      const f = await loadFixture(listedMarket);
      const from = await nextBlockIn(60n);
      await f.machines.connect(f.provider).addKey(f.machineId, NEW_KEY, KeyKind.Device);
      expect(await valid(f, NEW_KEY, from - 1n)).to.equal(false);
      expect(await valid(f, NEW_KEY, from)).to.equal(true);
      expect(await valid(f, NEW_KEY, from + 10n ** 9n)).to.equal(true);
    });

    it("a key revoked at T is valid in [validFrom, T) and invalid at T and after", async function () {
      const f = await loadFixture(listedMarket);
      const key = DEVICE_KEYS[0]!;
      const revokedAt = await nextBlockIn(3600n);
      await f.machines.connect(f.provider).revokeKey(f.machineId, key);
      expect(await valid(f, key, f.registeredAt - 1n)).to.equal(false);
      expect(await valid(f, key, f.registeredAt)).to.equal(true);
      expect(await valid(f, key, revokedAt - 1n)).to.equal(true);
      expect(await valid(f, key, revokedAt)).to.equal(false);
      expect(await valid(f, key, revokedAt + 1n)).to.equal(false);
      expect(await valid(f, key, revokedAt + 10n ** 9n)).to.equal(false);
      expect(await valid(f, DEVICE_KEYS[1]!, revokedAt + 1n)).to.equal(true);
    });

    it("a key rotated at T: the old one valid until T - 1, the new one from T", async function () {
      const f = await loadFixture(listedMarket);
      const old = DEVICE_KEYS[0]!;
      const rotatedAt = await nextBlockIn(7200n);
      await f.machines.connect(f.provider).rotateKey(f.machineId, old, NEW_KEY);
      expect(await valid(f, old, rotatedAt - 1n)).to.equal(true);
      expect(await valid(f, old, rotatedAt)).to.equal(false);
      expect(await valid(f, NEW_KEY, rotatedAt - 1n)).to.equal(false);
      expect(await valid(f, NEW_KEY, rotatedAt)).to.equal(true);
      expect(await valid(f, NEW_KEY, rotatedAt + 1n)).to.equal(true);
    });

    it("a key revoked in the block that added it is never valid", async function () {
      const f = await loadFixture(listedMarket);
      const at = await nextBlockIn(10n);
      await connection.provider.request({ method: "evm_setAutomine", params: [false] });
      try {
        // Explicit gas limits: with automine off, estimating the revocation would run before the key exists.
        const asProvider = f.machines.connect(f.provider);
        await asProvider.addKey(f.machineId, NEW_KEY, KeyKind.Device, { gasLimit: 500_000n });
        await asProvider.revokeKey(f.machineId, NEW_KEY, { gasLimit: 500_000n });
        await networkHelpers.mine();
      } finally {
        await connection.provider.request({ method: "evm_setAutomine", params: [true] });
      }
      expect(await f.machines.signerKey(NEW_KEY)).to.deep.equal([f.machineId, at, at, BigInt(KeyKind.Device)]);
      for (const t of [at - 1n, at, at + 1n]) expect(await valid(f, NEW_KEY, t)).to.equal(false);
    });

    it("wrong kind, wrong listing, listing 0 or an unknown key is invalid", async function () {
      const f = await loadFixture(listedMarket);
      const now = BigInt(await time.latest());
      expect(await valid(f, DEVICE_KEYS[0]!, now)).to.equal(true);
      expect(await valid(f, DEVICE_KEYS[0]!, now, f.machineId, KeyKind.Inspector)).to.equal(false);
      expect(await valid(f, DEVICE_KEYS[0]!, now, f.serviceId)).to.equal(false);
      expect(await valid(f, INSPECTOR_KEY, now, f.serviceId, KeyKind.Inspector)).to.equal(true);
      expect(await valid(f, INSPECTOR_KEY, now, f.machineId, KeyKind.Inspector)).to.equal(false);
      expect(await valid(f, STRANGER_KEY, now, 0n)).to.equal(false);
      expect(await valid(f, STRANGER_KEY, now)).to.equal(false);
      expect(await valid(f, ZeroAddress, now, 0n)).to.equal(false);
    });
  });
});
