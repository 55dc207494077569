/** Lines and tables for issuing the token: minters, reserve attestations, mints. */
import { formatEuro } from "../../core/money.js";
import type { Minted, MinterConfigured, ReserveAttested } from "../../ops/issuance.js";
import { renderTable, short } from "../table.js";

export function renderMinterConfigured(m: MinterConfigured): string {
  return `Minter ${m.minter} may mint ${formatEuro(m.allowance)} EUR more (tx ${short(m.transaction)}).`;
}

export function renderReserveAttested(r: ReserveAttested): string {
  return (
    `Reserve of ${formatEuro(r.reserve)} EUR attested as of ${new Date(r.asOf * 1000).toISOString()} ` +
    `(report ${short(r.reportHash)}; ${formatEuro(r.supply)} EUR in circulation; tx ${short(r.transaction)}).`
  );
}

export function renderMinted(m: Minted): string {
  return renderTable(
    [
      { header: "to", value: (r: Minted) => short(r.to) },
      { header: "EUR", value: (r) => formatEuro(r.amount), align: "right" },
      { header: "bank ref", value: (r) => short(r.bankRef) },
      { header: "status", value: (r) => r.status },
      { header: "allowance left EUR", value: (r) => formatEuro(r.allowanceLeft), align: "right" },
      { header: "tx", value: (r) => (r.transaction === undefined ? "-" : short(r.transaction)) },
    ],
    [m],
    m.status === "minted" ? "Minted against a bank deposit" : "This deposit minted before; nothing minted again",
  );
}
