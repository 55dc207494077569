/** The invoice table (src/cli/render/invoice.ts) of invoices loaded from the meter on the in-process network. */
import { expect } from "chai";
import { network } from "hardhat";

import { renderInvoiceTable } from "../../../src/cli/render/invoice.js";
import { formatEuro } from "../../../src/core/money.js";
import { invoiceFixtures } from "../../helpers/invoices.js";

const connection = await network.create();
const { loadSettled, underfundedInvoice } = invoiceFixtures(connection);

describe("renderInvoiceTable (src/cli/render/invoice.ts)", function () {
  it("renders a table with the header, one row per report and the on-chain totals in EUR", async function () {
    const { doc } = await loadSettled();
    const table = renderInvoiceTable(doc);
    const lines = table.split("\n");
    expect(lines[0]).to.equal(`Invoice 1 of order ${doc.header.orderId} (settled)`);
    expect(table).to.contain("tariff v1");
    expect(table).to.contain("device reports     1-3");
    expect(table).to.contain("inspector reports  1");
    expect(lines.filter((line) => /^device\s+\d/.test(line))).to.have.length(3);
    expect(lines.filter((line) => /^inspector\s+1/.test(line))).to.have.length(1);
    const total = lines.find((line) => line.startsWith("invoice total (on-chain)"));
    expect(total).to.contain(formatEuro(doc.totals.onChain.charged));
    expect(total).to.contain(formatEuro(doc.totals.onChain.providerNet));
    expect(lines.find((line) => line.startsWith("inspector"))).to.contain("24.00");
  });

  it("marks a line charged below its price", async function () {
    expect(renderInvoiceTable(await underfundedInvoice())).to.contain("30.00*");
  });
});
