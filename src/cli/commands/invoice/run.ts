import { runInvoices, type InvoiceRun } from "../../../ops/invoices.js";
import { option, signedCommand } from "../../command.js";
import { dryRunOption } from "../../options.js";
import { id, list } from "../../parse.js";
import { renderInvoiceRun } from "../../render/invoices.js";

export default signedCommand<{ orders?: bigint[]; provider?: bigint; dryRun?: boolean }, InvoiceRun>({
  name: "run",
  summary: "the invoice run: settle matured invoices and issue new ones, in one transaction (anyone)",
  options: [
    option("--orders <ids>", "only these order ids, comma-separated", list(id)),
    option("--provider <id>", "only this provider member's orders", id),
    { ...dryRunOption, description: "show what would be settled and issued, send nothing" },
  ],
  job: (ops, wallet, options) =>
    runInvoices(ops, wallet, { orderIds: options.orders, provider: options.provider, dryRun: options.dryRun === true }),
  render: renderInvoiceRun,
});
