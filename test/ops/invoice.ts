/**
 * The invoice run (src/ops/invoices.ts through `capacity invoice run`), `invoice show` and `order list`: one
 * settle issues the period's invoices and settles matured ones; nothing due means no transaction.
 */
import { expect } from "chai";
import { network } from "hardhat";

import { parseEuro } from "../../src/core/money.js";
import { jsonOf, listLaser, meterUsage, ops, opsFixture, type OpsFixture } from "../helpers/ops.js";

const connection = await network.create();
const { loadFixture, time } = connection.networkHelpers;
const fixture = opsFixture(connection);

interface Run {
  dryRun: boolean;
  nothingToDo: boolean;
  orders: { orderId: string; issue: boolean; settle: boolean }[];
  invoices: { orderId: string; number: number; action: string; charged: string; providerNet?: string }[];
  transaction: string | null;
}

describe("ops invoice", function () {
  let f: OpsFixture;

  /** Two orders on the laser; order 1 metered 600 s and 10 parts (11 EUR), order 2 unused. */
  async function metered(): Promise<void> {
    f = await loadFixture(fixture);
    await listLaser(f);
    await ops(f, f.consumer, "order", "open", "--machine=1", "--budget=200", "--dispute-window=1h");
    await ops(f, f.consumer, "order", "open", "--machine=1", "--budget=50", "--dispute-window=1h");
    await meterUsage(connection, f, 1n, 1, 600n, 10n);
  }

  const run = async (...flags: string[]) => jsonOf<Run>(await ops(f, f.operator, "invoice", "run", "--json", ...flags));

  it("issues the invoices of the period in one settle, for the orders with new charges only", async function () {
    await metered();
    const issued = await run();
    expect(issued.orders).to.deep.equal([{ orderId: "1", issue: true, settle: false }]);
    expect(issued.invoices).to.deep.equal([
      { orderId: "1", number: 1, charged: parseEuro("11").toString(), action: "issued" },
    ]);
    expect(issued.transaction).to.match(/^0x[0-9a-f]{64}$/);
  });

  it("does nothing while the invoice is in its window, then settles it once the window passed", async function () {
    await metered();
    await run();
    const early = await run();
    expect(early).to.include({ nothingToDo: true, transaction: null });
    expect((await ops(f, f.operator, "invoice", "run")).stdout).to.include("Nothing to invoice");
    await time.increase(3601);
    const settled = await run();
    expect(settled.orders).to.deep.equal([{ orderId: "1", issue: false, settle: true }]);
    expect(settled.invoices).to.have.length(1);
    expect(settled.invoices[0]).to.include({ orderId: "1", number: 1, action: "settled" });
    expect(BigInt(settled.invoices[0]!.charged)).to.equal(parseEuro("11"));
    const table = await ops(f, f.operator, "invoice", "run");
    expect(table.stdout).to.include("Nothing to invoice");
  });

  it("settles a matured invoice and issues the next one in the same transaction", async function () {
    await metered();
    await run();
    await meterUsage(connection, f, 1n, 2, 300n, 0n);
    await time.increase(3601);
    const both = await run("--orders=1");
    expect(both.orders).to.deep.equal([{ orderId: "1", issue: true, settle: true }]);
    expect(both.invoices.map((i) => `${i.action} #${i.number}`)).to.deep.equal(["settled #1", "issued #2"]);
  });

  it("shows what it would do with --dry-run and sends nothing", async function () {
    await metered();
    const block = await f.chain.publicClient.getBlockNumber({ cacheTime: 0 });
    const dry = await run("--dry-run");
    expect(dry).to.include({ dryRun: true, nothingToDo: false, transaction: null });
    expect(dry.orders).to.deep.equal([{ orderId: "1", issue: true, settle: false }]);
    expect(await f.chain.publicClient.getBlockNumber({ cacheTime: 0 })).to.equal(block);
    expect((await ops(f, f.operator, "invoice", "run", "--dry-run")).stdout).to.include("Dry run");
  });

  it("refuses an order that does not exist", async function () {
    await metered();
    const out = await ops(f, f.operator, "invoice", "run", "--orders=1,9");
    expect(out.exitCode).to.equal(2);
    expect(out.stderr).to.include("No order 9");
    const bad = await ops(f, f.operator, "invoice", "run", "--orders=one");
    expect(bad.exitCode).to.equal(2);
    expect(bad.stderr).to.include("--orders takes ids");
  });

  describe("invoice-show and orders", function () {
    it("prints an issued invoice as a checked document, and as JSON", async function () {
      await metered();
      await run();
      const table = await ops(f, f.consumer, "invoice", "show", "--order=1", "--number=1");
      expect(table.exitCode, table.stderr).to.equal(0);
      expect(table.stdout).to.include("11.00");
      const doc = jsonOf<{ header: { orderId: string; status: string } }>(
        await ops(f, f.consumer, "invoice", "show", "--json", "--order=1", "--number=1"),
      );
      expect(doc.header).to.include({ orderId: "1", status: "pending" });
    });

    it("refuses an invoice that was not issued", async function () {
      await metered();
      const out = await ops(f, f.consumer, "invoice", "show", "--order=1", "--number=1");
      expect(out.exitCode).to.equal(2);
      expect(out.stderr).to.include("Order 1 has 0 invoice(s)");
    });

    it("lists orders with their escrow, what the meter recorded and the pending invoice", async function () {
      await metered();
      await run();
      const orders = jsonOf<
        { orderId: string; status: string; pending?: { number: number; matured: boolean }; metered: unknown }[]
      >(await ops(f, f.operator, "order", "list", "--json", `--provider=${f.memberIds.provider}`));
      expect(orders.map((o) => [o.orderId, o.status, o.pending?.number ?? null])).to.deep.equal([
        ["1", "Open", 1],
        ["2", "Open", null],
      ]);
      expect(orders.map((o) => o.metered)).to.deep.equal([
        { deviceSequence: 1, inspectorSequence: 0, machineSeconds: 600, units: 10 },
        { deviceSequence: 0, inspectorSequence: 0, machineSeconds: 0, units: 0 },
      ]);
      expect((await ops(f, f.operator, "order", "list")).stdout)
        .to.include("pending invoice")
        .and.include("#1 11.00 EUR");
    });
  });
});
