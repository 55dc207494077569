/** Tables for an order opened and a channel opened. */
import { formatEuro } from "../../core/money.js";
import type { ChannelClosing } from "../../ops/channels.js";
import type { Disputed, OrderClosed, Resolved } from "../../ops/disputes.js";
import type { OpenedChannel, OpenedOrder } from "../../ops/orders.js";
import { renderTable, short } from "../table.js";
import { fieldTable } from "./listings.js";

export function renderOrder(o: OpenedOrder): string {
  return renderTable(
    [
      { header: "order", value: (r: OpenedOrder) => r.orderId.toString(), align: "right" },
      { header: "machine", value: (r) => r.machineId.toString(), align: "right" },
      { header: "provider", value: (r) => `member ${r.provider}` },
      { header: "tariff", value: (r) => `v${r.tariffVersion}` },
      { header: "escrow EUR", value: (r) => formatEuro(r.budget), align: "right" },
      { header: "expires", value: (r) => new Date(r.expiresAt * 1000).toISOString() },
      { header: "dispute window", value: (r) => `${r.disputeWindow} s` },
      { header: "tx", value: (r) => short(r.transaction) },
    ],
    [o],
    "Order opened",
  );
}

export function renderChannel(c: OpenedChannel): string {
  return renderTable(
    [
      { header: "channel", value: (r: OpenedChannel) => short(r.channelId) },
      { header: "payee", value: (r) => short(r.payee) },
      { header: "nonce", value: (r) => r.nonce.toString(), align: "right" },
      { header: "deposit EUR", value: (r) => formatEuro(r.deposit), align: "right" },
      { header: "expires", value: (r) => new Date(r.expiresAt * 1000).toISOString() },
      { header: "challenge", value: (r) => `${r.challengePeriod} s` },
      { header: "tx", value: (r) => short(r.transaction) },
    ],
    [c],
    `Channel opened: ${c.channelId} (give the payee its nonce ${c.nonce})`,
  );
}

export function renderOrderClosed(c: OrderClosed): string {
  if (c.nothingToDo) return `Order ${c.orderId} is ${c.status.toLowerCase()} already; nothing to do.`;
  return (
    `Order ${c.orderId} closed: ${formatEuro(c.charged)} EUR charged in all, ${formatEuro(c.returned)} EUR returned ` +
    `to the payer (tx ${c.transaction}). Charges still in their dispute window mature as usual.`
  );
}

export function renderDisputed(d: Disputed): string {
  return (
    `Dispute ${d.disputeId} opened on report ${d.sequence} (${d.kind.toLowerCase()}) of order ${d.orderId}: ` +
    `${formatEuro(d.amount)} EUR frozen until an auditor resolves it (capacity order resolve --dispute ${d.disputeId}).`
  );
}

export function renderResolved(r: Resolved): string {
  const what = `${formatEuro(r.refund)} EUR refunded to the payer, ${formatEuro(r.released)} EUR released to mature`;
  return r.nothingToDo
    ? `Dispute ${r.disputeId} of order ${r.orderId} was resolved already (${what}); nothing to do.`
    : `Dispute ${r.disputeId} of order ${r.orderId} resolved: ${what} (tx ${r.transaction}).`;
}

export function renderChannelClosing(c: ChannelClosing): string {
  const rows: [string, string][] = [
    ["channel", c.channelId],
    ["payee", c.payee],
    ["nonce", c.nonce.toString()],
    ["deposit EUR", formatEuro(c.deposit)],
    ["claimed EUR", formatEuro(c.claimed)],
    ...(c.signed === undefined
      ? []
      : ([["signed by the payer agent EUR", formatEuro(c.signed)]] as [string, string][])),
    ["deadline", c.deadline === 0 ? "-" : new Date(c.deadline * 1000).toISOString()],
    ...(c.action === "settled" ? ([["refunded EUR", formatEuro(c.refunded)]] as [string, string][]) : []),
    ["tx", c.transaction ?? "-"],
  ];
  const title =
    c.action === "settled"
      ? c.nothingToDo
        ? "The channel is closed already; nothing to do"
        : "Channel settled: what the payee did not claim is back with the payer"
      : c.nothingToDo
        ? "The channel is closing (or closed) already; nothing to do"
        : "Closing the channel: the payee may claim until the deadline, then `capacity channel settle` returns the rest";
  return fieldTable(rows, title);
}
