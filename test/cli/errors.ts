/**
 * Errors a person can act on (src/core/errors.ts, src/cli/refusals.ts, src/ops/deployment.ts, src/ops/stores.ts):
 * a refusal says the call and contract by name, the decoded custom error with roles and role hashes by name,
 * the member by its registered name, and what to do; a wrong address in the deployment's file says which
 * contract was expected where; one side's channel store given for the other's says so and is left as it was.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";
import { network } from "hardhat";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import type { MarketAddresses } from "../../src/chain/transact.js";
import { runCli } from "../../src/cli/program.js";
import { PayeeStore, PayerStore } from "../../src/services/channels/store.js";
import { at, ops, opsFixture, type OpsFixture } from "../helpers/ops.js";

const connection = await network.create();
const fixture = opsFixture(connection);

describe("errors a person can act on", function () {
  let f: OpsFixture;
  beforeEach(async function () {
    f = await connection.networkHelpers.loadFixture(fixture);
  });

  describe("a refused transaction", function () {
    it("names a role hash, the contract and the member, and says what to do; as JSON with a stable code", async function () {
      const args = ["treasury", "configure-minter", `--minter=${f.consumer.address}`, "--allowance=1"];
      const out = await ops(f, f.consumer, ...args);
      expect(out.exitCode).to.equal(1);
      expect(out.stderr)
        .to.include(`configureMinter on FiatGateway ${f.ops.addresses.gateway} was refused with`)
        .and.include(`AccessControlUnauthorizedAccount(account ${at(f.consumer)}, neededRole MASTER_MINTER_ROLE)`)
        .and.include(`account ${at(f.consumer)} (member 3) lacks the FiatGateway role MASTER_MINTER_ROLE`)
        .and.include("Sign with the master minter's key");
      const json = JSON.parse((await ops(f, f.consumer, ...args, "--json")).stdout);
      expect(json.error).to.include({ kind: "refused", code: "refused.AccessControlUnauthorizedAccount" });
      expect(json.error.hint).to.include("master minter");
    });

    it("names the role of a role number", async function () {
      const out = await ops(
        f,
        f.provider,
        "member",
        "admit",
        `--accounts=${f.spare[0]!.address}`,
        "--roles=consumer",
        "--record=x",
      );
      expect(out.exitCode).to.equal(1);
      expect(out.stderr)
        .to.include(`ConsortiumMissingRole(memberId ${f.memberIds.provider}, role Operator)`)
        .and.include(`account ${at(f.provider)} lacks the role Operator (member ${f.memberIds.provider})`);
      expect(out.stderr).to.not.include("ConsortiumMissingRole(2, 0)");
    });
  });

  describe("a wrong address in the deployment's file", function () {
    const withAddresses = (changed: Partial<MarketAddresses>, ...argv: string[]) =>
      runCli(argv, async () => ({
        ops: { ...f.ops, addresses: { ...f.ops.addresses, ...changed } },
        wallet: () => f.chain.wallet(at(f.consumer)),
      }));

    it("says where no contract is, and which one the file puts there", async function () {
      const nobody = privateKeyToAccount(generatePrivateKey()).address;
      const out = await withAddresses({ usageMeter: nobody }, "order", "list");
      expect(out.exitCode).to.equal(2);
      expect(out.stderr)
        .to.include(
          `No contract at ${nobody} (the UsageMeter in the addresses file): nothing is deployed there on chain ${f.chain.chainId}.`,
        )
        .and.include("npm run deploy prints the OPS_ADDRESSES line");
    });

    it("says when the address holds another contract, naming it", async function () {
      const out = await withAddresses({ usageMeter: f.ops.addresses.machineRegistry }, "order", "list", "--json");
      expect(out.exitCode).to.equal(2);
      const { error } = JSON.parse(out.stdout);
      expect(error).to.include({ code: "deployment.wrongContract" });
      expect(error.message).to.include(
        `The contract at ${f.ops.addresses.machineRegistry} (the UsageMeter in the addresses file) does not answer as the ` +
          "UsageMeter (registry() failed): another contract is deployed there, the address the addresses file gives the " +
          "MachineRegistry.",
      );
      expect(error.message).to.include(error.hint);
    });

    it("says when two contracts of the file are not wired to each other", async function () {
      const out = await withAddresses(
        { licenseRegistry: f.ops.addresses.machineRegistry },
        "machine",
        "find",
        "--capability=welding",
      );
      expect(out.exitCode).to.equal(2);
      expect(out.stderr).to.include(
        `The MachineRegistry at ${f.ops.addresses.machineRegistry} works with the LicenseRegistry at ${f.ops.addresses.licenseRegistry}, ` +
          `but the LicenseRegistry in the addresses file is ${f.ops.addresses.machineRegistry}: they mix two deployments.`,
      );
    });
  });

  describe("a channel store of the other side", function () {
    let dir: string;
    beforeEach(function () {
      dir = mkdtempSync(join(tmpdir(), "stores-"));
    });
    afterEach(function () {
      rmSync(dir, { recursive: true, force: true });
    });

    it("refuses the payer's store where the payee's is expected, and leaves it as it was", async function () {
      const path = join(dir, "payer.sqlite");
      new PayerStore({ path }).close();
      const before = readFileSync(path);
      const out = await ops(f, f.provider, "payout", "run", `--store=${path}`);
      expect(out.exitCode).to.equal(2);
      expect(out.stderr)
        .to.include(`${path} is a channel payer's store, not a payee's.`)
        .and.include("the channel payee agent's (scripts/channel-payee.ts --store) store");
      expect(out.stderr).to.not.include("BigInt");
      expect(readFileSync(path).equals(before)).to.equal(true);
    });

    it("refuses the payee's store where the payer's is expected, and a file that is no store", async function () {
      const path = join(dir, "payee.sqlite");
      new PayeeStore({ path }).close();
      const channel = `--channel=0x${"ab".repeat(32)}`;
      const payee = await ops(f, f.payer, "channel", "close", `--store=${path}`, channel);
      expect(payee.exitCode).to.equal(2);
      expect(payee.stderr).to.include("is a channel payee's store, not a payer's.");
      const readme = join(dir, "README.md");
      copyFileSync("README.md", readme);
      const none = await ops(f, f.provider, "payout", "run", `--store=${readme}`, "--json");
      expect(JSON.parse(none.stdout).error).to.include({ code: "store.notAStore" });
    });
  });
});
