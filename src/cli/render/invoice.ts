/** An invoice document (src/core/invoice.ts) as plain text: header, one row per report, totals, in EUR. */
import { formatEuro } from "../../core/money.js";
import type { InvoiceAdjustment, InvoiceDocument, InvoiceLine } from "../../core/invoice.js";
import { renderTable } from "../table.js";

const dateTime = (seconds: number): string =>
  seconds === 0 ? "-" : `${new Date(seconds * 1000).toISOString().slice(0, 19).replace("T", " ")} UTC`;
const clock = (seconds: number): string => new Date(seconds * 1000).toISOString().slice(11, 19);
const range = ({ first, last }: { first: number; last: number }): string =>
  first > last ? "none" : first === last ? `${first}` : `${first}-${last}`;

/** The invoice as plain text: header, one row per report, the totals and the adjustments, in EUR. */
export function renderInvoiceTable(doc: InvoiceDocument): string {
  const { header, lines, totals } = doc;
  const out: string[] = [];
  out.push(`Invoice ${header.invoiceNumber} of order ${header.orderId} (${header.status})`);
  const facts: [string, string][] = [
    ["machine", `${header.machineId}, tariff v${header.tariffVersion}`],
    ["consumer", `member ${header.consumer} (payer ${header.payer})`],
    ["provider", `member ${header.provider}`],
    ["platform fee", `${(header.feeBps / 100).toFixed(2)} % of the provider's part`],
    ["issued", dateTime(header.issuedAt)],
    [
      "settled",
      header.settledAt === 0 ? `pending (dispute window ${header.disputeWindow} s)` : dateTime(header.settledAt),
    ],
    ["device reports", range(header.deviceSequences)],
    ["inspector reports", range(header.inspectorSequences)],
    ["reports hash", `${header.previousReportsHash} -> ${header.reportsHash} (verified)`],
  ];
  const width = Math.max(...facts.map(([label]) => label.length));
  for (const [label, value] of facts) out.push(`  ${label.padEnd(width)}  ${value}`);
  out.push("");
  const euro = (amount: bigint): string => formatEuro(amount);
  out.push(
    renderTable(
      [
        { header: "kind", value: (l: InvoiceLine) => l.kind },
        { header: "seq", value: (l) => `${l.sequence}`, align: "right" },
        { header: "period (UTC)", value: (l) => `${dateTime(l.periodStart).slice(0, 19)}-${clock(l.periodEnd)}` },
        { header: "seconds", value: (l) => `${l.machineSeconds}`, align: "right" },
        { header: "units", value: (l) => `${l.units}`, align: "right" },
        { header: "licensed", value: (l) => l.licensedProducts.join("/") || "-", align: "right" },
        { header: "insp.", value: (l) => `${l.inspections}`, align: "right" },
        { header: "time", value: (l) => euro(l.machineTime), align: "right" },
        { header: "units EUR", value: (l) => euro(l.production), align: "right" },
        { header: "insp. EUR", value: (l) => euro(l.inspectionsPrice), align: "right" },
        { header: "setup", value: (l) => euro(l.setupFee), align: "right" },
        { header: "royalty", value: (l) => euro(l.royalty), align: "right" },
        { header: "charge", value: (l) => euro(l.charge) + (l.charge < l.price ? "*" : ""), align: "right" },
        { header: "fee", value: (l) => euro(l.platformFee), align: "right" },
        { header: "provider net", value: (l) => euro(l.providerNet), align: "right" },
      ],
      lines,
      "Lines (EUR)",
    ),
  );
  if (lines.some((line) => line.charge < line.price)) {
    out.push("  * charged below its price: the escrow ran out or a spending cap applied");
  }
  out.push("");
  const rows: InvoiceAdjustment[] = [
    { item: "sum of the lines", ...totals.lines },
    ...totals.adjustments,
    { item: "invoice total (on-chain)", ...totals.onChain },
  ];
  out.push(
    renderTable(
      [
        { header: "", value: (r: InvoiceAdjustment) => r.item },
        { header: "charged", value: (r) => euro(r.charged), align: "right" },
        { header: "royalties", value: (r) => euro(r.royalties), align: "right" },
        { header: "platform fee", value: (r) => euro(r.platformFee), align: "right" },
        { header: "provider net", value: (r) => euro(r.providerNet), align: "right" },
        { header: "held back", value: (r) => euro(r.heldBack), align: "right" },
      ],
      rows,
      `Totals (EUR): ${totals.machineSeconds} machine seconds, ${totals.units} units`,
    ),
  );
  return out.join("\n");
}
