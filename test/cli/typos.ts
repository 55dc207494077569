/**
 * Typos the command line once accepted silently, each refused now with what was wrong and the valid choices
 * (exit status 2), before anything is sent or written: a capability, a site code, a capability the machine
 * does not offer, an address whose EIP-55 checksum does not match, a payee store that does not exist, and a
 * file to hash that does not exist.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { network } from "hardhat";
import { keccak256, stringToBytes } from "viem";

import { parseEuro } from "../../src/core/money.js";
import { KNOWN_CAPABILITIES } from "../../src/core/vocabulary.js";
import { runCli } from "../../src/cli/program.js";
import { listLaser, ops, opsFixture, type OpsFixture } from "../helpers/ops.js";

const connection = await network.create();
const fixture = opsFixture(connection);

/** An address with the case of one hex letter flipped: well formed, but its EIP-55 checksum no longer matches. */
function misspelt(address: string): string {
  const at = [...address].findIndex((c, i) => i > 1 && /[a-fA-F]/.test(c));
  const c = address[at]!;
  return `${address.slice(0, at)}${c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()}${address.slice(at + 1)}`;
}

const register = (f: OpsFixture, ...flags: string[]) =>
  ops(f, f.provider, "machine", "register", "--uri=ipfs://laser", "--spec=s", `--keys=${f.device.address}`, ...flags);

describe("typos the command line refuses", function () {
  let f: OpsFixture;
  beforeEach(async function () {
    f = await connection.networkHelpers.loadFixture(fixture);
  });

  it("--capabilities laser-cuting: names the nearest capability and lists the catalogue", async function () {
    const out = await register(f, "--site=DE-HH-01", "--capabilities=laser-cuting,sheet-metal");
    expect(out.exitCode).to.equal(2);
    expect(out.stderr)
      .to.include('--capabilities: "laser-cuting" is not a capability of the catalogue; did you mean laser-cutting?')
      .and.include(`The catalogue: ${KNOWN_CAPABILITIES.slice(0, -1).join(", ")} or ${KNOWN_CAPABILITIES.at(-1)}`);
    expect(await f.machines.machineCount()).to.equal(0n);
    const json = JSON.parse((await register(f, "--json", "--site=DE-HH-01", "--capabilities=laser-cuting")).stdout);
    expect(json.error).to.include({ kind: "usage", code: "capability.unknown" });
    expect(json.error.input).to.deep.equal({ name: "--capabilities", value: "laser-cuting" });
  });

  it("--site hamburg: says what a site code looks like, on register and on find", async function () {
    const out = await register(f, "--site=hamburg", "--capabilities=laser-cutting");
    expect(out.exitCode).to.equal(2);
    expect(out.stderr)
      .to.include("--site takes a site code COUNTRY-REGION-PLANT")
      .and.include('such as DE-HH-01 or DE-BY-02; "hamburg" is none');
    const find = await ops(f, f.consumer, "machine", "find", "--capability=laser-cutting", "--site=hamburg");
    expect(find.exitCode).to.equal(2);
    expect(find.stderr).to.include('"hamburg" is none');
    expect(await f.machines.machineCount()).to.equal(0n);
  });

  it("order open --capability milling on a laser: says which capabilities the machine offers", async function () {
    const machineId = await listLaser(f);
    const out = await ops(
      f,
      f.consumer,
      "order",
      "open",
      `--machine=${machineId}`,
      "--budget=10",
      "--capability=milling",
    );
    expect(out.exitCode).to.equal(2);
    expect(out.stderr)
      .to.include('Listing 1 does not offer "milling"; it offers laser-cutting and sheet-metal.')
      .and.include("capacity machine find --capability milling");
    expect(await f.token.balanceOf(f.consumer.address), "nothing escrowed").to.equal(parseEuro("1000"));
    const booked = await ops(
      f,
      f.consumer,
      "order",
      "open",
      "--json",
      `--machine=${machineId}`,
      "--budget=10",
      "--capability=laser-cutting",
    );
    expect(booked.exitCode, booked.stderr).to.equal(0);
  });

  it("an address with a bad EIP-55 checksum: refused, nobody admitted", async function () {
    const typo = misspelt(f.spare[0]!.address);
    const out = await ops(
      f,
      f.operator,
      "member",
      "admit",
      `--accounts=${typo}`,
      "--roles=consumer",
      "--record=Neu GmbH",
    );
    expect(out.exitCode).to.equal(2);
    expect(out.stderr)
      .to.include(`--accounts: "${typo}" has an EIP-55 checksum`)
      .and.include("a character is mistyped");
    expect(await f.consortium.memberCount()).to.equal(5n);
    const json = JSON.parse(
      (await ops(f, f.operator, "member", "admit", "--json", `--accounts=${typo}`, "--roles=consumer", "--record=x"))
        .stdout,
    );
    expect(json.error).to.include({ code: "address.checksum" });
    // All lower case carries no checksum, and is taken as it is.
    const lower = await ops(
      f,
      f.operator,
      "member",
      "admit",
      `--accounts=${typo.toLowerCase()}`,
      "--roles=consumer",
      "--record=x",
    );
    expect(lower.exitCode, lower.stderr).to.equal(0);
  });

  describe("files", function () {
    let dir: string;
    beforeEach(function () {
      dir = mkdtempSync(join(tmpdir(), "typos-"));
    });
    afterEach(function () {
      rmSync(dir, { recursive: true, force: true });
    });

    it("payout run --store naming no file: refused, and no store created", async function () {
      const path = join(dir, "payee.sqllite");
      const out = await ops(f, f.provider, "payout", "run", `--store=${path}`);
      expect(out.exitCode).to.equal(2);
      expect(out.stderr).to.include(`There is no store at ${path}.`).and.include("channel payee agent's");
      expect(existsSync(path)).to.equal(false);
    });

    it("hash READMEE.md: not hashed as a string; says so and offers --text", async function () {
      const noChain = async () => expect.fail("hash needs no deployment");
      const out = await runCli(["hash", "READMEE.md"], noChain);
      expect(out.exitCode).to.equal(2);
      expect(out.stdout).to.equal("");
      expect(out.stderr)
        .to.include("There is no file READMEE.md to hash.")
        .and.include('pass it as --text "READMEE.md"');
      const text = await runCli(["hash", "--json", "--text", "READMEE.md"], noChain);
      expect(JSON.parse(text.stdout)).to.deep.equal([
        { input: "READMEE.md", kind: "text", hash: keccak256(stringToBytes("READMEE.md")) },
      ]);
      const file = await runCli(["hash", "README.md"], noChain);
      expect(file.exitCode, file.stderr).to.equal(0);
      expect(file.stdout).to.match(/^0x[0-9a-f]{64} {2}README\.md\n$/);
    });
  });
});
