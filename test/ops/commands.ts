/**
 * The command line (src/cli/program.ts over src/ops) on the in-process network: each
 * command's table, its --json shape, and the errors for bad input (exit status 2, naming what was wrong).
 */
import { expect } from "chai";
import { network } from "hardhat";
import { getAddress } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { parseEuro } from "../../src/core/money.js";
import { at, jsonOf, listLaser, ops, opsFixture, type OpsFixture } from "../helpers/ops.js";

const connection = await network.create();
const fixture = opsFixture(connection);

describe("ops commands", function () {
  let f: OpsFixture;
  beforeEach(async function () {
    f = await connection.networkHelpers.loadFixture(fixture);
  });

  describe("the command line", function () {
    it("lists the commands with --help", async function () {
      const out = await ops(f, f.operator, "--help");
      expect(out.exitCode).to.equal(0);
      for (const name of [
        "member admit",
        "machine register",
        "machine find",
        "order open",
        "channel open",
        "member balances",
        "payout run",
        "invoice run",
        "redemption request",
      ]) {
        expect(out.stdout).to.include(name);
      }
    });

    it("refuses an unknown command, naming the valid ones", async function () {
      const out = await ops(f, f.operator, "pay-everyone");
      expect(out.exitCode).to.equal(2);
      expect(out.stderr).to.include('"pay-everyone" is not a command').and.include("payout");
      const group = await ops(f, f.operator, "order", "opne");
      expect(group.exitCode).to.equal(2);
      expect(group.stderr).to.include('"opne" is not a command of order').and.include("Did you mean open?");
    });

    it("refuses an unknown flag with the command's usage", async function () {
      const out = await ops(f, f.operator, "member", "balances", "--membr", "1");
      expect(out.exitCode).to.equal(2);
      expect(out.stderr).to.include("membr").and.include("Usage: capacity member balances");
    });

    it("reports errors as JSON with --json", async function () {
      const out = await ops(f, f.operator, "member", "balances", "--json", "--member", "99");
      expect(out.exitCode).to.equal(2);
      expect(JSON.parse(out.stdout)).to.deep.equal({
        error: {
          kind: "input",
          code: "member.unknown",
          message: "There is no member 99; member ids run from 1 to 5.",
          input: { name: "--member", value: "99" },
        },
      });
    });
  });

  describe("member admit", function () {
    it("admits a company and prints its member id", async function () {
      const newcomer = f.spare[0]!;
      const out = await ops(
        f,
        f.operator,
        "member",
        "admit",
        `--accounts=${newcomer.address}`,
        "--roles=provider,Consumer",
        "--record=Blechbau Ost GmbH, HRB 1234",
      );
      expect(out.exitCode, out.stderr).to.equal(0);
      expect(out.stdout).to.include("Member admitted").and.include("Provider, Consumer");
      expect((await f.consortium.memberOf(newcomer.address))[0]).to.equal(6n);
    });

    it("has a --json shape for scripts", async function () {
      const newcomer = f.spare[0]!;
      const json = jsonOf(
        await ops(
          f,
          f.operator,
          "member",
          "admit",
          "--json",
          `--accounts=${newcomer.address}`,
          "--roles=licensor",
          "--record=Lizenz AG",
        ),
      );
      expect(json).to.have.all.keys("memberId", "accounts", "roles", "metadataHash");
      expect(json.memberId).to.equal("6");
      expect(json.accounts).to.deep.equal([getAddress(newcomer.address)]);
      expect(json.roles).to.deep.equal(["Licensor"]);
    });

    it("lets the admitted company accept the agreement, once", async function () {
      const newcomer = f.spare[0]!;
      await ops(
        f,
        f.operator,
        "member",
        "admit",
        `--accounts=${newcomer.address}`,
        "--roles=consumer",
        "--record=Neu GmbH",
      );
      const accepted = jsonOf(await ops(f, newcomer, "member", "accept-agreement", "--json"));
      expect(accepted).to.include({ memberId: "6", agreementVersion: 1 });
      const again = await ops(f, newcomer, "member", "accept-agreement");
      // Accepted already is nothing to do: exit 0, and nothing sent.
      expect(again.exitCode, again.stderr).to.equal(0);
      expect(again.stdout).to.include("accepted framework agreement v1").and.include("already; nothing to do");
    });

    it("refuses an unknown role, listing the roles", async function () {
      const out = await ops(
        f,
        f.operator,
        "member",
        "admit",
        `--accounts=${f.spare[0]!.address}`,
        "--roles=supplier",
        "--record=x",
      );
      expect(out.exitCode).to.equal(2);
      expect(out.stderr).to.include('"supplier" is not a role').and.include("Provider");
    });

    it("refuses an account that is a member already", async function () {
      const out = await ops(
        f,
        f.operator,
        "member",
        "admit",
        `--accounts=${f.provider.address}`,
        "--roles=consumer",
        "--record=x",
      );
      expect(out.exitCode).to.equal(2);
      expect(out.stderr).to.include(`already belongs to member ${f.memberIds.provider}`);
    });

    it("refuses a malformed address", async function () {
      const out = await ops(f, f.operator, "member", "admit", "--accounts=0x1234", "--roles=consumer", "--record=x");
      expect(out.exitCode).to.equal(2);
      expect(out.stderr).to.include("--accounts must be an address");
    });

    it("reports the contract's refusal when a non-operator admits (exit 1)", async function () {
      const out = await ops(
        f,
        f.consumer,
        "member",
        "admit",
        `--accounts=${f.spare[0]!.address}`,
        "--roles=consumer",
        "--record=x",
      );
      expect(out.exitCode).to.equal(1);
      expect(out.stderr).to.include("admit on").and.include("was refused");
    });
  });

  describe("register-machine and find", function () {
    it("lists a machine with its tariff and finds it with a quote", async function () {
      const machineId = await listLaser(f);
      expect(machineId).to.equal(1n);
      const table = await ops(
        f,
        f.consumer,
        "machine",
        "find",
        "--capability=laser-cutting",
        "--parts=10",
        "--seconds-per-part=60",
      );
      expect(table.exitCode, table.stderr).to.equal(0);
      expect(table.stdout).to.include("DE-HH-01").and.include("36.00").and.include("quote EUR");
      const [found, ...rest] = jsonOf<Record<string, unknown>[]>(
        await ops(
          f,
          f.consumer,
          "machine",
          "find",
          "--json",
          "--capability=laser-cutting",
          "--parts=10",
          "--seconds-per-part=60",
        ),
      );
      expect(rest).to.be.empty;
      expect(found).to.deep.include({
        machineId: "1",
        kind: "Machine",
        status: "Active",
        bookable: true,
        site: "DE-HH-01",
        tariffVersion: 1,
        pricePerHour: parseEuro("36").toString(),
        // 600 s at 36 EUR/h = 6 EUR, 10 parts at 0.50 = 5 EUR
        quote: parseEuro("11").toString(),
      });
      expect(found!.capabilities).to.deep.equal(["laser-cutting", "sheet-metal"]);
    });

    it("prints the tariff as a table", async function () {
      const out = await ops(
        f,
        f.provider,
        "machine",
        "register",
        "--site=DE-HH-01",
        "--capabilities=welding",
        "--uri=ipfs://w",
        "--spec=w",
        `--keys=${f.device.address}`,
        "--price-per-hour=40",
        "--tiers=100:0.15,1000:0.10",
      );
      expect(out.exitCode, out.stderr).to.equal(0);
      expect(out.stdout).to.include("Listing registered").and.include("from 100: 0.15; from 1000: 0.10");
    });

    it("finds nothing for an unknown capability", async function () {
      await listLaser(f);
      expect(jsonOf(await ops(f, f.consumer, "machine", "find", "--json", "--capability=welding"))).to.deep.equal([]);
      expect((await ops(f, f.consumer, "machine", "find", "--capability=welding")).stdout).to.include("(none)");
    });

    it("refuses a price with more than 6 decimals", async function () {
      const out = await ops(
        f,
        f.provider,
        "machine",
        "register",
        "--site=DE-HH-01",
        "--capabilities=welding",
        "--uri=u",
        "--spec=s",
        `--keys=${f.device.address}`,
        "--price-per-hour=1.0000001",
      );
      expect(out.exitCode).to.equal(2);
      expect(out.stderr).to.include("--price-per-hour").and.include("more than 6 decimals");
    });

    it("refuses a listing without signer keys", async function () {
      const out = await ops(
        f,
        f.provider,
        "machine",
        "register",
        "--site=DE-HH-01",
        "--capabilities=welding",
        "--uri=u",
        "--spec=s",
      );
      expect(out.exitCode).to.equal(2);
      expect(out.stderr).to.include("at least one signer key");
    });

    it("refuses --max-price without a job", async function () {
      const out = await ops(f, f.consumer, "machine", "find", "--capability=laser-cutting", "--max-price=10");
      expect(out.exitCode).to.equal(2);
      expect(out.stderr).to.include("give the job too");
    });

    it("refuses a bad status", async function () {
      const out = await ops(f, f.consumer, "machine", "find", "--capability=laser-cutting", "--status=Broken");
      expect(out.exitCode).to.equal(2);
      expect(out.stderr).to.include("--status").and.include("Allowed choices are Active, Paused, Retired, any");
    });
  });

  describe("order open", function () {
    it("escrows the budget under the tariff in force", async function () {
      await listLaser(f);
      const json = jsonOf(
        await ops(
          f,
          f.consumer,
          "order",
          "open",
          "--json",
          "--machine=1",
          "--budget=200",
          "--expires-in=7d",
          "--dispute-window=1h",
        ),
      );
      expect(json).to.include({
        orderId: "1",
        machineId: "1",
        provider: f.memberIds.provider.toString(),
        tariffVersion: 1,
        budget: parseEuro("200").toString(),
        disputeWindow: 3600,
      });
      // Seven days from the chain's clock when the command started (an approval and the order were mined since).
      const latest = await connection.networkHelpers.time.latest();
      expect(json.expiresAt).to.be.within(latest - 3 + 7 * 86400, latest + 7 * 86400);
      expect(await f.token.balanceOf(f.consumer.address)).to.equal(parseEuro("800"));
      const table = await ops(f, f.consumer, "order", "open", "--machine=1", "--budget=50");
      expect(table.stdout).to.include("Order opened").and.include("50.00");
    });

    it("refuses an unknown listing", async function () {
      const out = await ops(f, f.consumer, "order", "open", "--machine=7", "--budget=10");
      expect(out.exitCode).to.equal(2);
      expect(out.stderr).to.include("No listing has id 7");
    });

    it("refuses a budget above the consumer's balance, saying how much it holds", async function () {
      await listLaser(f);
      const out = await ops(f, f.consumer, "order", "open", "--machine=1", "--budget=5000");
      expect(out.exitCode).to.equal(2);
      expect(out.stderr).to.include("needs 5,000.00 EUR").and.include("holds 1,000.00 EUR");
    });

    it("refuses a malformed duration", async function () {
      await listLaser(f);
      const out = await ops(f, f.consumer, "order", "open", "--machine=1", "--budget=5", "--expires-in=soon");
      expect(out.exitCode).to.equal(2);
      expect(out.stderr).to.include("--expires-in must be a duration");
    });
  });

  describe("channel open", function () {
    it("opens a channel with a permit and prints its id and nonce", async function () {
      const json = jsonOf(
        await ops(f, f.payer, "channel", "open", "--json", `--payee=${f.provider.address}`, "--deposit=100"),
      );
      expect(json).to.have.all.keys(
        "channelId",
        "payer",
        "payee",
        "nonce",
        "deposit",
        "expiresAt",
        "challengePeriod",
        "transaction",
      );
      expect(json.payer).to.equal(f.payer.address);
      const state = await f.channels.channel(json.channelId as string);
      expect(state.deposit).to.equal(parseEuro("100"));
    });

    it("refuses a payee that is not a member", async function () {
      const stranger = privateKeyToAccount(generatePrivateKey()).address;
      const out = await ops(f, f.payer, "channel", "open", `--payee=${stranger}`, "--deposit=1");
      expect(out.exitCode).to.equal(2);
      expect(out.stderr).to.include("not an active member account");
    });
  });

  describe("member balances", function () {
    it("shows a member's balances and obligations", async function () {
      await listLaser(f);
      await ops(f, f.consumer, "order", "open", "--machine=1", "--budget=200");
      await ops(f, f.payer, "channel", "open", `--payee=${f.provider.address}`, "--deposit=100");
      const json = jsonOf(await ops(f, f.operator, "member", "balances", "--json", `--account=${f.payer.address}`));
      expect(json).to.include({
        memberId: f.memberIds.consumer.toString(),
        status: "Active",
        balance: parseEuro("1200").toString(),
        escrowInOrders: parseEuro("200").toString(),
        escrowInChannels: parseEuro("100").toString(),
        payable: "0",
        openOrders: 1,
      });
      expect(json.accounts).to.deep.equal([
        { account: at(f.consumer), balance: parseEuro("800").toString() },
        { account: f.payer.address, balance: parseEuro("400").toString() },
      ]);
      const table = await ops(f, f.operator, "member", "balances", `--member=${f.memberIds.provider}`);
      expect(table.stdout).to.include("Money and obligations").and.include("Open channels paying it: 1");
    });

    it("lists every member's accounts with --all", async function () {
      const lines = jsonOf<{ memberId: string; account: string; balance: string }[]>(
        await ops(f, f.operator, "member", "balances", "--json", "--all"),
      );
      expect(lines.map((l) => l.memberId)).to.deep.equal(["1", "2", "3", "3", "4", "5"]);
      expect(lines.find((l) => l.account === f.payer.address)?.balance).to.equal(parseEuro("500").toString());
      expect((await ops(f, f.operator, "member", "balances", "--all")).stdout).to.include("Balances");
    });

    it("asks whose balances when neither --member nor --account is given", async function () {
      const out = await ops(f, f.operator, "member", "balances");
      expect(out.exitCode).to.equal(2);
      expect(out.stderr).to.include("--member ID or --account");
    });
  });

  describe("redeem and settle a redemption", function () {
    it("requests, then marks paid (tokens burned)", async function () {
      const requested = jsonOf(
        await ops(
          f,
          f.consumer,
          "redemption",
          "request",
          "--json",
          "--amount=250",
          "--payout-ref=DE89 3704 0044 0532 0130 00",
        ),
      );
      expect(requested).to.include({ redemptionId: "1", status: "Pending", amount: parseEuro("250").toString() });
      const paid = jsonOf(await ops(f, f.operator, "redemption", "paid", "--json", "--id=1", "--bank-ref=OUT-0001"));
      expect(paid).to.include({ redemptionId: "1", status: "Paid" });
      expect(await f.token.totalSupply()).to.equal(parseEuro("1250"));
    });

    it("rejects (tokens back) and refuses to settle it twice", async function () {
      await ops(f, f.consumer, "redemption", "request", "--amount=250", "--payout-ref=wrong name");
      const rejected = await ops(f, f.operator, "redemption", "reject", "--id=1", "--reason=Payee name does not match");
      expect(rejected.exitCode, rejected.stderr).to.equal(0);
      expect(rejected.stdout).to.include("Rejected");
      expect(await f.token.balanceOf(f.consumer.address)).to.equal(parseEuro("1000"));
      const again = await ops(f, f.operator, "redemption", "paid", "--id=1", "--bank-ref=x");
      expect(again.exitCode).to.equal(2);
      expect(again.stderr).to.include("Redemption 1 is rejected already");
    });

    it("refuses to redeem more than the account holds, and an unknown redemption", async function () {
      const tooMuch = await ops(f, f.consumer, "redemption", "request", "--amount=1000.01", "--payout-ref=x");
      expect(tooMuch.exitCode).to.equal(2);
      expect(tooMuch.stderr).to.include("holds 1,000.00 EUR, less than the 1,000.01 EUR");
      const unknown = await ops(f, f.operator, "redemption", "paid", "--id=4", "--bank-ref=x");
      expect(unknown.exitCode).to.equal(2);
      expect(unknown.stderr).to.include("There is no redemption 4; ids run from 1 to 0");
    });
  });
});
