/** Tables for the invoice run and a member's invoices. */
import { formatEuro } from "../../core/money.js";
import type { InvoiceLineItem, InvoiceRun } from "../../ops/invoices.js";
import type { InvoiceSummary } from "../../ops/statements.js";
import { renderTable } from "../table.js";

export function renderInvoiceRun(run: InvoiceRun): string {
  if (run.nothingToDo) {
    return "Nothing to invoice: no order has new charges or an invoice past its dispute window. No transaction sent.";
  }
  if (run.dryRun) {
    return renderTable(
      [
        { header: "order", value: (o: InvoiceRun["orders"][number]) => o.orderId.toString(), align: "right" },
        { header: "settle matured invoice", value: (o) => (o.settle ? "yes" : "no") },
        { header: "issue new invoice", value: (o) => (o.issue ? "yes" : "no") },
      ],
      run.orders,
      "Dry run: one settle over these orders would",
    );
  }
  const eur = (value: bigint | undefined) => (value === undefined ? "" : formatEuro(value));
  return renderTable(
    [
      { header: "order", value: (i: InvoiceLineItem) => i.orderId.toString(), align: "right" },
      { header: "invoice", value: (i) => `#${i.number}`, align: "right" },
      { header: "action", value: (i) => i.action },
      { header: "charged EUR", value: (i) => eur(i.charged), align: "right" },
      { header: "provider net", value: (i) => eur(i.providerNet), align: "right" },
      { header: "platform fee", value: (i) => eur(i.platformFee), align: "right" },
      { header: "royalties", value: (i) => eur(i.royalties), align: "right" },
      { header: "held back", value: (i) => eur(i.heldBack), align: "right" },
    ],
    run.invoices,
    `Invoice run: ${run.orders.length} order(s) in one settle (tx ${run.transaction})`,
  );
}

const day = (seconds: number): string => (seconds === 0 ? "-" : new Date(seconds * 1000).toISOString().slice(0, 16));

/** A member's invoices, one row each, with the totals it pays and is paid. */
export function renderMemberInvoices(memberLabel: string, lines: readonly InvoiceSummary[]): string {
  const total = (side: InvoiceSummary["side"]) =>
    formatEuro(lines.filter((l) => l.side === side).reduce((sum, l) => sum + l.charged, 0n));
  return renderTable(
    [
      { header: "order", value: (l: InvoiceSummary) => l.orderId.toString(), align: "right" },
      { header: "invoice", value: (l) => `#${l.number}`, align: "right" },
      { header: "as", value: (l) => l.side },
      { header: "with member", value: (l) => l.counterparty.toString(), align: "right" },
      { header: "machine", value: (l) => l.machineId.toString(), align: "right" },
      { header: "charged EUR", value: (l) => formatEuro(l.charged), align: "right" },
      { header: "issued", value: (l) => day(l.issuedAt) },
      { header: "state", value: (l) => l.state },
      { header: "matures / settled", value: (l) => day(l.settledAt === 0 ? l.maturesAt : l.settledAt) },
    ],
    lines,
    `Invoices of ${memberLabel}: ${total("consumer")} EUR charged to it, ${total("provider")} EUR charged by it`,
  );
}
