/**
 * What members and the treasury read (src/ops/statements.ts, src/ops/redemptions.ts, src/ops/reconciliation.ts):
 * a member's invoices across its orders, the redemptions waiting for the bank, and the reconciliation with it.
 */
import { expect } from "chai";
import { network } from "hardhat";

import { parseEuro } from "../../src/core/money.js";
import { jsonOf, listLaser, meterUsage, ops, opsFixture, type OpsFixture } from "../helpers/ops.js";

const connection = await network.create();
const { loadFixture, time } = connection.networkHelpers;
const fixture = opsFixture(connection);

interface InvoiceLine {
  orderId: string;
  number: number;
  side: string;
  counterparty: string;
  charged: string;
  state: string;
}

describe("ops statements", function () {
  let f: OpsFixture;
  beforeEach(async function () {
    f = await loadFixture(fixture);
  });

  describe("invoice list", function () {
    it("lists the signing key's member's invoices across its orders, as consumer or as provider", async function () {
      await listLaser(f);
      await ops(f, f.consumer, "order", "open", "--machine=1", "--budget=100", "--dispute-window=1h");
      await ops(f, f.consumer, "order", "open", "--machine=1", "--budget=100", "--dispute-window=1h");
      await meterUsage(connection, f, 1n, 1, 600n, 10n);
      await meterUsage(connection, f, 2n, 1, 300n, 0n);
      await ops(f, f.operator, "invoice", "run");
      const mine = jsonOf<InvoiceLine[]>(await ops(f, f.consumer, "invoice", "list", "--json"));
      expect(mine.map((l) => [l.orderId, l.number, l.side, l.counterparty, l.charged, l.state])).to.deep.equal([
        ["1", 1, "consumer", f.memberIds.provider.toString(), parseEuro("11").toString(), "in dispute window"],
        ["2", 1, "consumer", f.memberIds.provider.toString(), parseEuro("3").toString(), "in dispute window"],
      ]);
      await time.increase(3601);
      const theirs = jsonOf<InvoiceLine[]>(
        await ops(f, f.consumer, "invoice", "list", "--json", `--member=${f.memberIds.provider}`),
      );
      expect(theirs.map((l) => [l.side, l.state])).to.deep.equal([
        ["provider", "matured"],
        ["provider", "matured"],
      ]);
      expect(
        jsonOf<InvoiceLine[]>(await ops(f, f.provider, "invoice", "list", "--json", "--as=consumer")),
      ).to.deep.equal([]);
      const table = await ops(f, f.provider, "invoice", "list");
      expect(table.stdout).to.include("Invoices of member 2: 0.00 EUR charged to it, 14.00 EUR charged by it");
    });
  });

  describe("redemption list", function () {
    it("lists the redemptions pending by default, and all of them with --status all", async function () {
      await ops(f, f.consumer, "redemption", "request", "--amount=10", "--payout-ref=DE89 0001");
      await ops(f, f.payer, "redemption", "request", "--amount=20", "--payout-ref=DE89 0001");
      await ops(f, f.operator, "redemption", "paid", "--id=1", "--bank-ref=OUT-1");
      const pending = jsonOf<{ redemptionId: string; status: string }[]>(
        await ops(f, f.operator, "redemption", "list", "--json"),
      );
      expect(pending.map((r) => [r.redemptionId, r.status])).to.deep.equal([["2", "Pending"]]);
      const all = jsonOf<{ status: string }[]>(
        await ops(f, f.operator, "redemption", "list", "--json", "--status=all"),
      );
      expect(all.map((r) => r.status)).to.deep.equal(["Paid", "Pending"]);
      expect((await ops(f, f.operator, "redemption", "list")).stdout).to.include("Redemptions (Pending): 1, 20.00 EUR");
      const again = await ops(f, f.operator, "redemption", "paid", "--id=1", "--bank-ref=OUT-1");
      expect(again.exitCode, again.stderr).to.equal(0);
      expect(again.stdout).to.include("Redemption 1 is paid already; nothing to do.");
    });
  });

  describe("treasury reconcile", function () {
    it("matches the mints, burns and locked tokens against the supply and the reserve", async function () {
      await ops(f, f.consumer, "redemption", "request", "--amount=10", "--payout-ref=DE89 0001");
      const reconciliation = jsonOf<{ totals: Record<string, string>; checks: { name: string; ok: boolean }[] }>(
        await ops(f, f.auditor, "treasury", "reconcile", "--json"),
      );
      expect(reconciliation.totals).to.include({
        minted: parseEuro("1500").toString(),
        pending: parseEuro("10").toString(),
        supply: parseEuro("1500").toString(),
      });
      expect(reconciliation.checks.every((c) => c.ok)).to.equal(true);
      const table = await ops(f, f.auditor, "treasury", "reconcile");
      expect(table.exitCode).to.equal(0);
      expect(table.stdout).to.include("Mints (bank deposits)").and.include("supply <= attested reserve");
    });

    it("exits 1 when a check fails: a supply above the reserve attested last", async function () {
      await connection.networkHelpers.mine(1);
      await ops(f, f.auditor, "treasury", "attest-reserve", "--reserve=1000", "--report=reserve report 2");
      const out = await ops(f, f.auditor, "treasury", "reconcile");
      expect(out.exitCode).to.equal(1);
      expect(out.stdout).to.match(/supply <= attested reserve +MISMATCH/);
    });
  });
});
