/** The reconciliation with the bank, and every member's balances, as tables. */
import { formatEuro } from "../../core/money.js";
import type { BalanceLine, Check, MintLine, Reconciliation, RedemptionLine } from "../../ops/reconciliation.js";
import { renderTable, short } from "../table.js";

/** Renders the reconciliation as tables: mints, redemptions, totals and checks. */
export function renderReconciliation(r: Reconciliation): string {
  const eur = (amount: bigint): string => formatEuro(amount);
  const mints = renderTable(
    [
      { header: "bank reference", value: (m: MintLine) => short(m.bankRef) },
      { header: "to", value: (m: MintLine) => short(m.to) },
      { header: "EUR", value: (m: MintLine) => eur(m.amount), align: "right" },
      { header: "tx", value: (m: MintLine) => short(m.txHash) },
    ],
    r.mints,
    "Mints (bank deposits)",
  );
  const redemptions = renderTable(
    [
      { header: "id", value: (x: RedemptionLine) => x.redemptionId.toString(), align: "right" },
      { header: "member", value: (x: RedemptionLine) => x.memberId.toString(), align: "right" },
      { header: "EUR", value: (x: RedemptionLine) => eur(x.amount), align: "right" },
      { header: "payout reference", value: (x: RedemptionLine) => short(x.payoutRef) },
      { header: "state", value: (x: RedemptionLine) => x.state },
      {
        header: "bank tx / reason",
        value: (x: RedemptionLine) => short(x.bankTxRef ?? x.reasonHash ?? "-"),
      },
    ],
    r.redemptions,
    "Redemptions (bank payouts)",
  );
  const totalRows: [string, bigint][] = [
    ["minted", r.totals.minted],
    ["burned (paid out)", r.totals.burned],
    ["refunded (rejected)", r.totals.refunded],
    ["locked (pending)", r.totals.pending],
    ["total supply", r.totals.supply],
    ["attested reserve", r.totals.reserve],
  ];
  const totals = renderTable(
    [
      { header: "total", value: (row: [string, bigint]) => row[0] },
      { header: "EUR", value: (row: [string, bigint]) => eur(row[1]), align: "right" },
    ],
    totalRows,
    "Totals",
  );
  const checks = renderTable(
    [
      { header: "check", value: (c: Check) => c.name },
      { header: "result", value: (c: Check) => (c.ok ? "ok" : "MISMATCH") },
      { header: "detail", value: (c: Check) => c.detail },
    ],
    r.checks,
    "Reconciliation",
  );
  return [mints, redemptions, totals, checks].join("\n\n");
}

export function renderBalances(lines: readonly BalanceLine[]): string {
  return renderTable(
    [
      { header: "member", value: (l: BalanceLine) => l.memberId.toString(), align: "right" },
      { header: "company", value: (l: BalanceLine) => l.label },
      { header: "roles", value: (l: BalanceLine) => l.roles },
      { header: "status", value: (l: BalanceLine) => l.status },
      { header: "account", value: (l: BalanceLine) => short(l.account) },
      { header: "EUR", value: (l: BalanceLine) => formatEuro(l.balance), align: "right" },
    ],
    lines,
    "Balances",
  );
}
