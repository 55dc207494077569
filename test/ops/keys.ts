/**
 * The key commands (keys, add-key, revoke-key, rotate-key; src/ops/keys.ts) on the in-process network: a
 * provider adds a worker's inspector key, rotates a replaced device's key in one transaction and revokes a
 * lost one; the registry then holds exactly that, and what it would refuse is refused first, with what to do.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { jsonOf, listLaser, ops, opsFixture, type OpsFixture } from "../helpers/ops.js";

const connection = await network.create();
const fixture = opsFixture(connection);

interface KeyJson {
  key: string;
  machineId: string;
  kind: string;
  validFrom: number;
  validUntil: number;
}

describe("ops key commands", function () {
  let f: OpsFixture;
  let machineId: bigint;
  const fresh = () => privateKeyToAccount(generatePrivateKey()).address;

  beforeEach(async function () {
    f = await connection.networkHelpers.loadFixture(fixture);
    machineId = await listLaser(f);
  });

  it("adds an inspector key, rotates the device key and lists every key with its validity", async function () {
    const inspector = fresh();
    const added = jsonOf<{ action: string; keys: KeyJson[] }>(
      await ops(
        f,
        f.provider,
        "key",
        "add",
        "--json",
        `--machine=${machineId}`,
        `--key=${inspector}`,
        "--kind=inspector",
      ),
    );
    expect(added.action).to.equal("added");
    expect(added.keys[0]).to.include({
      key: inspector,
      machineId: machineId.toString(),
      kind: "Inspector",
      validUntil: 0,
    });
    expect((await f.machines.signerKey(inspector)).kind).to.equal(1n);

    const replacement = fresh();
    const rotated = jsonOf<{ keys: KeyJson[] }>(
      await ops(
        f,
        f.provider,
        "key",
        "rotate",
        "--json",
        `--machine=${machineId}`,
        `--old=${f.device.address}`,
        `--new=${replacement}`,
      ),
    );
    const [old, next] = rotated.keys;
    expect(old).to.include({ key: f.device.address, kind: "Device" });
    expect(old!.validUntil).to.be.greaterThan(0);
    expect(next).to.include({ key: replacement, kind: "Device", validUntil: 0 });
    expect(next!.validFrom).to.equal(old!.validUntil);

    const listed = jsonOf<KeyJson[]>(await ops(f, f.consumer, "key", "list", "--json", `--machine=${machineId}`));
    expect(listed.map((k) => [k.key, k.kind, k.validUntil === 0])).to.deep.equal([
      [f.device.address, "Device", false],
      [inspector, "Inspector", true],
      [replacement, "Device", true],
    ]);
    const table = await ops(f, f.consumer, "key", "list", `--machine=${machineId}`);
    expect(table.exitCode, table.stderr).to.equal(0);
    expect(table.stdout).to.include(`Signer keys of machine ${machineId}`).and.include("(active)");
  });

  it("revokes a key; revoking it again, or a key of no listing, is refused with what to do", async function () {
    const revoked = jsonOf<{ action: string; keys: KeyJson[] }>(
      await ops(f, f.provider, "key", "revoke", "--json", `--machine=${machineId}`, `--key=${f.device.address}`),
    );
    expect(revoked.action).to.equal("revoked");
    expect(revoked.keys[0]!.validUntil).to.be.greaterThan(0);
    expect((await f.machines.signerKey(f.device.address)).validUntil).to.equal(BigInt(revoked.keys[0]!.validUntil));

    const again = await ops(f, f.provider, "key", "revoke", `--machine=${machineId}`, `--key=${f.device.address}`);
    // Revoked already is nothing to do: exit 0, and nothing sent.
    expect(again.exitCode, again.stderr).to.equal(0);
    expect(again.stdout).to.include("was revoked already; nothing to do");
    const stranger = fresh();
    const unknown = await ops(f, f.provider, "key", "revoke", `--machine=${machineId}`, `--key=${stranger}`);
    expect(unknown.exitCode).to.equal(2);
    expect(unknown.stderr).to.include(`${stranger} is no key of machine ${machineId}`);
  });

  it("refuses a key used before, an unknown machine, a caller who is no provider, and an unknown kind", async function () {
    const reused = await ops(f, f.provider, "key", "add", `--machine=${machineId}`, `--key=${f.device.address}`);
    expect(reused.exitCode).to.equal(2);
    expect(reused.stderr).to.include("is a key of machine 1 already").and.include("make a new one on the device");

    const missing = await ops(f, f.consumer, "key", "list", "--machine=7");
    expect(missing.exitCode).to.equal(2);
    expect(missing.stderr).to.include("There is no machine 7; machine ids run from 1 to 1");

    // The registry's own check, named: only an account of a provider (the listing's) may add keys.
    const foreign = await ops(f, f.consumer, "key", "add", `--machine=${machineId}`, `--key=${fresh()}`);
    expect(foreign.exitCode).to.equal(1);
    expect(foreign.stderr)
      .to.include("addKey on MachineRegistry")
      .and.include("was refused with ConsortiumMissingRole(memberId 3, role Provider)")
      .and.include(`account ${f.consumer.address} lacks the role Provider (member 3)`)
      .and.include("capacity member grant-role --member 3 --role Provider");

    const badKind = await ops(
      f,
      f.provider,
      "key",
      "add",
      `--machine=${machineId}`,
      `--key=${fresh()}`,
      "--kind=camera",
    );
    expect(badKind.exitCode).to.equal(2);
    expect(badKind.stderr).to.include("--kind");
  });
});
