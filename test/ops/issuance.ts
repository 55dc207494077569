/**
 * The issuance commands (configure-minter, attest-reserve, mint; src/ops/issuance.ts) on the in-process
 * network: a new minter mints against a deposit once (retrying mints nothing), within its allowance and the
 * reserve attested last; what the FiatGateway would refuse is refused first, by name, with what to do.
 */
import { expect } from "chai";
import { network } from "hardhat";

import { parseEuro } from "../../src/core/money.js";
import { referenceHash } from "../../src/core/references.js";
import { RESERVE } from "../helpers/fixtures.js";
import { at, jsonOf, ops, opsFixture, type OpsFixture } from "../helpers/ops.js";

const connection = await network.create();
const fixture = opsFixture(connection);

describe("ops issuance commands", function () {
  let f: OpsFixture;
  beforeEach(async function () {
    f = await connection.networkHelpers.loadFixture(fixture);
  });

  describe("treasury configure-minter", function () {
    it("makes an account a minter with an allowance (master minter)", async function () {
      const account = f.spare[0]!;
      const json = jsonOf(
        await ops(
          f,
          f.masterMinter,
          "treasury",
          "configure-minter",
          "--json",
          `--minter=${account.address}`,
          "--allowance=250",
        ),
      );
      expect(json).to.include({ minter: at(account), allowance: parseEuro("250").toString() });
      expect(await f.gateway.isMinter(account.address)).to.equal(true);
      expect(await f.gateway.minterAllowance(account.address)).to.equal(parseEuro("250"));
    });

    it("is refused for anyone but the master minter, naming the contract's error", async function () {
      const out = await ops(
        f,
        f.consumer,
        "treasury",
        "configure-minter",
        `--minter=${f.consumer.address}`,
        "--allowance=1",
      );
      expect(out.exitCode).to.equal(1);
      expect(out.stderr).to.include("AccessControlUnauthorizedAccount");
    });
  });

  describe("treasury attest-reserve", function () {
    it("attests the reserve as of the chain's time (auditor)", async function () {
      await connection.networkHelpers.mine(1);
      const json = jsonOf(
        await ops(
          f,
          f.auditor,
          "treasury",
          "attest-reserve",
          "--json",
          "--reserve=2000000",
          "--report=reserve report 2",
        ),
      );
      expect(json).to.include({
        reserve: parseEuro("2000000").toString(),
        reportHash: referenceHash("reserve report 2"),
      });
      const [reserve, asOf] = await f.gateway.attestedReserve();
      expect(reserve).to.equal(parseEuro("2000000"));
      expect(Number(asOf)).to.equal(json.asOf);
    });

    it("refuses an attestation not later than the last one, and one in the future", async function () {
      const [, asOf] = await f.gateway.attestedReserve();
      const stale = await ops(
        f,
        f.auditor,
        "treasury",
        "attest-reserve",
        "--reserve=1",
        "--report=r",
        `--as-of=${asOf}`,
      );
      expect(stale.exitCode).to.equal(2);
      expect(stale.stderr).to.include("must be dated later");
      const future = await ops(
        f,
        f.auditor,
        "treasury",
        "attest-reserve",
        "--reserve=1",
        "--report=r",
        "--as-of=99999999999",
      );
      expect(future.exitCode).to.equal(2);
      expect(future.stderr).to.include("in the future of the chain");
    });
  });

  describe("treasury mint", function () {
    it("mints against a deposit once; the same deposit again mints nothing", async function () {
      const to = f.consumer.address;
      const before = await f.token.balanceOf(to);
      const args = ["treasury", "mint", "--json", `--to=${to}`, "--amount=120.50", "--bank-ref=DE-BANK-2024-0001"];
      const first = jsonOf(await ops(f, f.minter, ...args));
      expect(first).to.include({ status: "minted", amount: parseEuro("120.50").toString() });
      expect(first.transaction).to.match(/^0x[0-9a-f]{64}$/);
      const again = jsonOf(await ops(f, f.minter, ...args));
      expect(again).to.include({ status: "already minted" });
      expect(again).to.not.have.property("transaction");
      expect(await f.token.balanceOf(to)).to.equal(before + parseEuro("120.50"));
      const table = await ops(
        f,
        f.minter,
        "treasury",
        "mint",
        `--to=${to}`,
        "--amount=1",
        "--bank-ref=DE-BANK-2024-0002",
      );
      expect(table.stdout).to.include("Minted against a bank deposit").and.include("1.00");
    });

    it("refuses a deposit reference that minted something else", async function () {
      await ops(f, f.minter, "treasury", "mint", `--to=${f.consumer.address}`, "--amount=5", "--bank-ref=ref-1");
      const out = await ops(
        f,
        f.minter,
        "treasury",
        "mint",
        `--to=${f.consumer.address}`,
        "--amount=6",
        "--bank-ref=ref-1",
      );
      expect(out.exitCode).to.equal(2);
      expect(out.stderr).to.include("already minted 5.00 EUR").and.include("each deposit needs its own reference");
    });

    it("refuses an account that is no minter, an amount above its allowance, and one above the reserve", async function () {
      const notMinter = await ops(
        f,
        f.consumer,
        "treasury",
        "mint",
        `--to=${f.consumer.address}`,
        "--amount=1",
        "--bank-ref=x1",
      );
      expect(notMinter.exitCode).to.equal(2);
      expect(notMinter.stderr).to.include("is no minter").and.include("capacity treasury configure-minter");

      await ops(f, f.masterMinter, "treasury", "configure-minter", `--minter=${f.spare[0]!.address}`, "--allowance=10");
      const over = await ops(
        f,
        f.spare[0]!,
        "treasury",
        "mint",
        `--to=${f.consumer.address}`,
        "--amount=11",
        "--bank-ref=x2",
      );
      expect(over.exitCode).to.equal(2);
      expect(over.stderr).to.include("may mint 10.00 EUR more");

      await ops(
        f,
        f.masterMinter,
        "treasury",
        "configure-minter",
        `--minter=${f.spare[0]!.address}`,
        "--allowance=5000000",
      );
      const above = await ops(
        f,
        f.spare[0]!,
        "treasury",
        "mint",
        `--to=${f.consumer.address}`,
        "--amount=4000000",
        "--bank-ref=x3",
      );
      expect(above.exitCode).to.equal(2);
      expect(above.stderr)
        .to.include(`above the reserve attested last`)
        .and.include("capacity treasury attest-reserve");
      expect(RESERVE < parseEuro("4000000")).to.equal(true);
    });

    it("refuses an amount of 0", async function () {
      const out = await ops(
        f,
        f.minter,
        "treasury",
        "mint",
        `--to=${f.consumer.address}`,
        "--amount=0",
        "--bank-ref=x",
      );
      expect(out.exitCode).to.equal(2);
      expect(out.stderr).to.include("--amount must be more than 0 EUR");
    });
  });
});
