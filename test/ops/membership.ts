/**
 * A member's life on the command line (src/ops/membership.ts, src/ops/accounts.ts): an operator suspends and
 * resumes it and changes its roles; it asks to leave and is removed after the notice period; it adds and
 * removes accounts and transfers tokens. What is so already is nothing to do (exit 0, nothing sent); what the
 * Consortium would refuse is refused first, saying what to do.
 */
import { expect } from "chai";
import { network } from "hardhat";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

import { parseEuro } from "../../src/core/money.js";
import { NOTICE_PERIOD } from "../helpers/fixtures.js";
import { at, jsonOf, listLaser, ops, opsFixture, type OpsFixture } from "../helpers/ops.js";

const connection = await network.create();
const { loadFixture, time } = connection.networkHelpers;
const fixture = opsFixture(connection);

interface Change {
  memberId: string;
  action: string;
  nothingToDo: boolean;
  status: string;
  roles: string[];
  exitEffectiveAt: number;
  transaction: string | null;
}

describe("ops membership commands", function () {
  let f: OpsFixture;
  beforeEach(async function () {
    f = await loadFixture(fixture);
  });
  const provider = () => `--member=${f.memberIds.provider}`;

  describe("member suspend and resume", function () {
    it("suspends a member, which then starts no business, and resumes it; each twice is nothing to do", async function () {
      const suspended = jsonOf<Change>(
        await ops(f, f.operator, "member", "suspend", "--json", provider(), "--reason=Unpaid fees 2026-Q1"),
      );
      expect(suspended).to.include({ action: "suspended", nothingToDo: false, status: "Suspended" });
      expect((await f.consortium.getMember(f.memberIds.provider)).status).to.equal(2n);

      const again = await ops(f, f.operator, "member", "suspend", provider(), "--reason=x");
      expect(again.exitCode, again.stderr).to.equal(0);
      expect(again.stdout).to.include("suspended already; nothing to do");

      // Suspended, the provider lists nothing: the refusal names the member and says who lifts it.
      const refused = await ops(
        f,
        f.provider,
        "machine",
        "register",
        "--site=DE-HH-01",
        "--capabilities=welding",
        "--uri=u",
        "--spec=s",
        `--keys=${f.device.address}`,
      );
      expect(refused.exitCode).to.equal(1);
      expect(refused.stderr)
        .to.include(`ConsortiumMemberSuspended(memberId ${f.memberIds.provider})`)
        .and.include(`member ${f.memberIds.provider} is suspended`)
        .and.include(`capacity member resume --member ${f.memberIds.provider}`);

      const resumed = jsonOf<Change>(await ops(f, f.operator, "member", "resume", "--json", provider()));
      expect(resumed).to.include({ action: "resumed", nothingToDo: false, status: "Active" });
      expect(jsonOf<Change>(await ops(f, f.operator, "member", "resume", "--json", provider()))).to.include({
        nothingToDo: true,
        transaction: null,
      });
    });

    it("is refused for a key that is no operator's, and for a member that does not exist", async function () {
      const out = await ops(f, f.consumer, "member", "suspend", provider(), "--reason=x");
      expect(out.exitCode).to.equal(1);
      expect(out.stderr).to.include("lacks the role Operator (member 3)");
      const unknown = await ops(f, f.operator, "member", "resume", "--member=42");
      expect(unknown.exitCode).to.equal(2);
      expect(unknown.stderr).to.include("There is no member 42; member ids run from 1 to 5.");
    });
  });

  describe("member exit and remove", function () {
    it("removes a member that asked to leave once its notice period passed", async function () {
      const licensor = `--member=${f.memberIds.licensor}`;
      const early = await ops(f, f.operator, "member", "remove", licensor);
      expect(early.exitCode).to.equal(2);
      expect(early.stderr).to.include("has not asked to leave").and.include("capacity member exit");

      const asked = jsonOf<Change>(await ops(f, f.licensor, "member", "exit", "--json"));
      expect(asked).to.include({ action: "exit requested", status: "Active" });
      expect(asked.exitEffectiveAt).to.equal((await time.latest()) + Number(NOTICE_PERIOD));
      expect(jsonOf<Change>(await ops(f, f.licensor, "member", "exit", "--json")).nothingToDo).to.equal(true);

      const running = await ops(f, f.operator, "member", "remove", licensor);
      expect(running.exitCode).to.equal(2);
      expect(running.stderr).to.include("notice period runs until");

      await time.increase(Number(NOTICE_PERIOD) + 1);
      const removed = jsonOf<Change>(await ops(f, f.operator, "member", "remove", "--json", licensor));
      expect(removed).to.include({ action: "removed", status: "Exited", nothingToDo: false });
      expect((await ops(f, f.operator, "member", "remove", licensor)).stdout).to.include(
        "removed already; nothing to do",
      );
    });

    it("withdraws a request to leave", async function () {
      await ops(f, f.licensor, "member", "exit");
      const cancelled = jsonOf<Change>(await ops(f, f.licensor, "member", "cancel-exit", "--json"));
      expect(cancelled).to.include({ action: "exit cancelled", exitEffectiveAt: 0, nothingToDo: false });
      expect(jsonOf<Change>(await ops(f, f.licensor, "member", "cancel-exit", "--json")).nothingToDo).to.equal(true);
    });

    it("names the contract that still holds a leaving member's obligations", async function () {
      await listLaser(f);
      await ops(f, f.consumer, "order", "open", "--machine=1", "--budget=10");
      await ops(f, f.consumer, "member", "exit");
      await time.increase(Number(NOTICE_PERIOD) + 1);
      const out = await ops(f, f.operator, "member", "remove", `--member=${f.memberIds.consumer}`);
      expect(out.exitCode).to.equal(1);
      expect(out.stderr)
        .to.include(
          `completeExit on Consortium ${f.ops.addresses.consortium} was refused with ConsortiumOpenObligations`,
        )
        .and.include(`member 3 still has 1 open obligation(s) at the UsageMeter (${f.ops.addresses.usageMeter})`);
    });
  });

  describe("member grant-role and revoke-role", function () {
    it("grants and revokes a role; granting a role held is nothing to do", async function () {
      const consumer = `--member=${f.memberIds.consumer}`;
      const granted = jsonOf<Change>(
        await ops(f, f.operator, "member", "grant-role", "--json", consumer, "--role=provider"),
      );
      expect(granted.roles).to.deep.equal(["Provider", "Consumer"]);
      expect(
        jsonOf<Change>(await ops(f, f.operator, "member", "grant-role", "--json", consumer, "--role=Provider"))
          .nothingToDo,
      ).to.equal(true);
      const revoked = jsonOf<Change>(
        await ops(f, f.operator, "member", "revoke-role", "--json", consumer, "--role=provider"),
      );
      expect(revoked.roles).to.deep.equal(["Consumer"]);
      const typo = await ops(f, f.operator, "member", "grant-role", consumer, "--role=provder");
      expect(typo.exitCode).to.equal(2);
      expect(typo.stderr).to.include('"provder" is not a role').and.include("Did you mean Provider?");
    });
  });

  describe("account add and remove", function () {
    it("adds an account and removes one; its tokens move to the account that removes it", async function () {
      const fresh = privateKeyToAccount(generatePrivateKey()).address;
      const added = jsonOf<{ accounts: string[]; nothingToDo: boolean }>(
        await ops(f, f.consumer, "account", "add", "--json", `--account=${fresh}`),
      );
      expect(added.accounts).to.deep.equal([at(f.consumer), f.payer.address, fresh]);
      expect(
        jsonOf<{ nothingToDo: boolean }>(await ops(f, f.consumer, "account", "add", "--json", `--account=${fresh}`))
          .nothingToDo,
      ).to.equal(true);
      const taken = await ops(f, f.consumer, "account", "add", `--account=${f.provider.address}`);
      expect(taken.exitCode).to.equal(2);
      expect(taken.stderr).to.include(`belongs to member ${f.memberIds.provider}`);

      const removed = jsonOf<{ accounts: string[] }>(
        await ops(f, f.consumer, "account", "remove", "--json", `--account=${f.payer.address}`),
      );
      expect(removed.accounts).to.deep.equal([at(f.consumer), fresh]);
      expect(await f.token.balanceOf(f.consumer.address)).to.equal(parseEuro("1500"));
      const last = await ops(f, f.licensor, "account", "remove", `--account=${f.licensor.address}`);
      expect(last.exitCode).to.equal(2);
      expect(last.stderr).to.include("is the last account of member 4");
    });
  });

  describe("token transfer", function () {
    it("transfers to another member and between a member's own accounts", async function () {
      const paid = jsonOf<{ internal: boolean; fromMember: string; toMember: string }>(
        await ops(f, f.consumer, "token", "transfer", "--json", `--to=${f.provider.address}`, "--amount=12.50"),
      );
      expect(paid).to.include({ internal: false, fromMember: "3", toMember: "2" });
      expect(await f.token.balanceOf(f.provider.address)).to.equal(parseEuro("12.5"));

      const moved = await ops(f, f.consumer, "token", "transfer", `--to=${f.payer.address}`, "--amount=100");
      expect(moved.exitCode, moved.stderr).to.equal(0);
      expect(moved.stdout).to.include("100.00 EUR between accounts of member 3");
      expect(await f.token.balanceOf(f.payer.address)).to.equal(parseEuro("600"));

      const byMember = jsonOf<{ to: string }>(
        await ops(f, f.payer, "token", "transfer", "--json", `--to-member=${f.memberIds.licensor}`, "--amount=1"),
      );
      expect(byMember.to).to.equal(at(f.licensor));
    });

    it("refuses a recipient that is no member's, and more than the account holds", async function () {
      const stranger = privateKeyToAccount(generatePrivateKey()).address;
      const out = await ops(f, f.consumer, "token", "transfer", `--to=${stranger}`, "--amount=1");
      expect(out.exitCode).to.equal(2);
      expect(out.stderr).to.include("is no active member account; tokens move only between members");
      const much = await ops(f, f.consumer, "token", "transfer", `--to=${f.provider.address}`, "--amount=1000.01");
      expect(much.exitCode).to.equal(2);
      expect(much.stderr).to.include("holds 1,000.00 EUR, less than the 1,000.01 EUR to transfer");
    });
  });
});
