/**
 * An order's end and its disputes on the command line (src/ops/disputes.ts): the provider closes an order and
 * the unused escrow goes back; the consumer closes only after the expiry; the consumer disputes a recorded
 * report's charge and an auditor of a third member resolves it.
 */
import { expect } from "chai";
import { network } from "hardhat";

import { parseEuro } from "../../src/core/money.js";
import { jsonOf, listLaser, meterUsage, ops, opsFixture, type OpsFixture } from "../helpers/ops.js";

const connection = await network.create();
const { loadFixture, time } = connection.networkHelpers;
const fixture = opsFixture(connection);

describe("ops order close, dispute and resolve", function () {
  let f: OpsFixture;
  /** The laser with order 1 (200 EUR escrow, 1 h dispute window, 7 days) and one report of 600 s and 10 parts (11 EUR). */
  beforeEach(async function () {
    f = await loadFixture(fixture);
    await listLaser(f);
    jsonOf(
      await ops(
        f,
        f.consumer,
        "order",
        "open",
        "--json",
        "--machine=1",
        "--budget=200",
        "--dispute-window=1h",
        "--expires-in=7d",
      ),
    );
    await meterUsage(connection, f, 1n, 1, 600n, 10n);
  });

  describe("order close", function () {
    it("lets the provider close at any time: the unused escrow goes back; closing again is nothing to do", async function () {
      const before = await f.token.balanceOf(f.consumer.address);
      const closed = jsonOf<{ status: string; charged: string; returned: string }>(
        await ops(f, f.provider, "order", "close", "--json", "--order=1"),
      );
      expect(closed).to.include({
        status: "Closed",
        charged: parseEuro("11").toString(),
        returned: parseEuro("189").toString(),
      });
      expect((await f.token.balanceOf(f.consumer.address)) - before).to.equal(parseEuro("189"));
      const again = await ops(f, f.provider, "order", "close", "--order=1");
      expect(again.exitCode, again.stderr).to.equal(0);
      expect(again.stdout).to.include("Order 1 is closed already; nothing to do.");
    });

    it("lets the consumer close only after the order expired, and no one else", async function () {
      const early = await ops(f, f.consumer, "order", "close", "--order=1");
      expect(early.exitCode).to.equal(2);
      expect(early.stderr).to.include("Order 1 runs until").and.include("ask the provider to close it now");
      const outsider = await ops(f, f.licensor, "order", "close", "--order=1");
      expect(outsider.exitCode).to.equal(2);
      expect(outsider.stderr).to.include("is neither's account");
      await time.increase(8 * 86_400);
      const closed = await ops(f, f.consumer, "order", "close", "--order=1");
      expect(closed.exitCode, closed.stderr).to.equal(0);
      expect(closed.stdout).to.include("Order 1 closed").and.include("189.00 EUR returned");
      const unknown = await ops(f, f.consumer, "order", "close", "--order=5");
      expect(unknown.exitCode).to.equal(2);
      expect(unknown.stderr).to.include("There is no order 5.");
    });
  });

  describe("order dispute and resolve", function () {
    it("freezes a disputed charge; an auditor refunds part and releases the rest, once", async function () {
      const disputed = jsonOf<{ disputeId: string; amount: string }>(
        await ops(
          f,
          f.consumer,
          "order",
          "dispute",
          "--json",
          "--order=1",
          "--sequence=1",
          "--amount=4",
          "--reason=Four parts scrapped",
        ),
      );
      expect(disputed).to.include({ disputeId: "1", amount: parseEuro("4").toString() });
      const resolved = jsonOf<{ refund: string; released: string; nothingToDo: boolean }>(
        await ops(
          f,
          f.auditor,
          "order",
          "resolve",
          "--json",
          "--dispute=1",
          "--refund=2.5",
          "--reason=Two and a half parts",
        ),
      );
      expect(resolved).to.include({
        refund: parseEuro("2.5").toString(),
        released: parseEuro("1.5").toString(),
        nothingToDo: false,
      });
      const again = await ops(f, f.auditor, "order", "resolve", "--dispute=1", "--refund=0", "--reason=x");
      expect(again.exitCode, again.stderr).to.equal(0);
      expect(again.stdout).to.include("was resolved already").and.include("nothing to do");
    });

    it("refuses a report that was not recorded, a refund above the frozen amount, and a party as auditor", async function () {
      const unknown = await ops(
        f,
        f.consumer,
        "order",
        "dispute",
        "--order=1",
        "--sequence=2",
        "--amount=1",
        "--reason=x",
      );
      expect(unknown.exitCode).to.equal(2);
      expect(unknown.stderr).to.include("Order 1 has 1 recorded device report(s); there is no report 2.");
      await ops(f, f.consumer, "order", "dispute", "--order=1", "--sequence=1", "--amount=1", "--reason=x");
      const tooMuch = await ops(f, f.auditor, "order", "resolve", "--dispute=1", "--refund=2", "--reason=x");
      expect(tooMuch.exitCode).to.equal(2);
      expect(tooMuch.stderr).to.include("Dispute 1 froze 1.00 EUR; a refund of 2.00 EUR is more.");
      const party = await ops(f, f.consumer, "order", "resolve", "--dispute=1", "--refund=1", "--reason=x");
      expect(party.exitCode).to.equal(1);
      expect(party.stderr).to.include("resolveDispute on UsageMeter").and.include("lacks the role Auditor (member 3)");
      const none = await ops(f, f.auditor, "order", "resolve", "--dispute=9", "--refund=1", "--reason=x");
      expect(none.exitCode).to.equal(2);
      expect(none.stderr).to.include("There is no dispute 9.");
    });
  });
});
