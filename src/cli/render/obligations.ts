/** Tables for what members hold and owe, and for orders. */
import type { Address } from "viem";

import { formatEuro } from "../../core/money.js";
import type { MemberPosition, OrderView } from "../../ops/obligations.js";
import { renderTable } from "../table.js";

export function renderPosition(p: MemberPosition): string {
  const accounts = renderTable(
    [
      { header: "account", value: (a: { account: Address; balance: bigint }) => a.account },
      { header: "EUR", value: (a) => formatEuro(a.balance), align: "right" },
    ],
    p.accounts,
    `Member ${p.memberId} (${p.roles.join(", ")}; ${p.status}): balances`,
  );
  const rows: [string, bigint | number][] = [
    ["tokens held", p.balance],
    ["credited on the meter, ready to withdraw", p.payable],
    ["invoices past their dispute window (settle to credit)", p.invoicesMatured],
    ["invoices in their dispute window", p.invoicesInWindow],
    [`escrow locked in ${p.openOrders} open order(s)`, p.escrowInOrders],
    ["escrow locked in channels it pays from", p.escrowInChannels],
    ["locked in pending redemptions", p.redemptionsPending],
  ];
  const money = renderTable(
    [
      { header: "position", value: (r: [string, bigint | number]) => r[0] },
      { header: "EUR", value: (r) => formatEuro(BigInt(r[1])), align: "right" },
    ],
    rows,
    "Money and obligations",
  );
  return `${accounts}\n\n${money}\n\nOpen channels paying it: ${p.channelsToIt}`;
}

export function renderOrders(orders: readonly OrderView[], title: string): string {
  return renderTable(
    [
      { header: "order", value: (o: OrderView) => o.orderId.toString(), align: "right" },
      { header: "machine", value: (o) => o.machineId.toString(), align: "right" },
      { header: "consumer", value: (o) => o.consumer.toString(), align: "right" },
      { header: "provider", value: (o) => o.provider.toString(), align: "right" },
      { header: "status", value: (o) => o.status },
      {
        header: "reports",
        value: (o) => `${o.metered.deviceSequence}+${o.metered.inspectorSequence}`,
        align: "right",
      },
      { header: "parts", value: (o) => o.metered.units.toString(), align: "right" },
      { header: "escrow left EUR", value: (o) => formatEuro(o.available), align: "right" },
      { header: "invoices", value: (o) => o.invoiceCount.toString(), align: "right" },
      {
        header: "pending invoice",
        value: (o) =>
          o.pending === undefined
            ? "-"
            : `#${o.pending.number} ${formatEuro(o.pending.charged)} EUR, ${o.pending.matured ? "matured" : `matures ${new Date(o.pending.maturesAt * 1000).toISOString()}`}`,
      },
      { header: "uninvoiced", value: (o) => (o.uninvoiced ? "yes" : "no") },
    ],
    orders,
    title,
  );
}
