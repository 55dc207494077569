/** The payout run as tables: the claims, the channels left alone, the matured charges, what was sent and paid. */
import { formatEuro } from "../../core/money.js";
import type { MaturedOrder, PayoutResult, PlannedClaim, SkippedChannel } from "../../ops/payouts.js";
import { renderTable, short } from "../table.js";

export function renderPayout(r: PayoutResult): string {
  const who = `member ${r.memberId} (${short(r.payee)})`;
  if (r.nothingToDo) {
    return (
      `Nothing to pay out for ${who}: no channel with a new voucher worth claiming, no matured meter charge, ` +
      `nothing credited. No transaction sent.` +
      (r.skipped.length > 0 ? `\n\n${renderSkipped(r.skipped)}` : "")
    );
  }
  const parts: string[] = [];
  parts.push(
    renderTable(
      [
        { header: "channel", value: (c: PlannedClaim) => short(c.channelId) },
        { header: "payer", value: (c) => short(c.payer) },
        { header: "voucher EUR", value: (c) => formatEuro(c.amount), align: "right" },
        { header: "adds EUR", value: (c) => formatEuro(c.adds), align: "right" },
        { header: "why", value: (c) => c.reason },
      ],
      r.claims,
      "Channels to claim (one claimMany)",
    ),
  );
  if (r.skipped.length > 0) parts.push(renderSkipped(r.skipped));
  parts.push(
    renderTable(
      [
        { header: "order", value: (o: MaturedOrder) => o.orderId.toString(), align: "right" },
        { header: "invoice", value: (o) => (o.invoice === 0 ? "new (no window)" : `#${o.invoice}`) },
        { header: "charged EUR", value: (o) => formatEuro(o.charged), align: "right" },
      ],
      r.orders,
      `Matured meter charges to settle (credited before: ${formatEuro(r.creditedBefore)} EUR)`,
    ),
  );
  parts.push(
    renderTable(
      [
        { header: "transaction", value: (t: PayoutResult["transactions"][number]) => t.call },
        { header: "hash", value: (t) => (t.hash === null ? "(dry run: not sent)" : t.hash) },
        { header: "gas", value: (t) => t.gasUsed?.toLocaleString("en-US") ?? "-", align: "right" },
      ],
      r.transactions,
      r.dryRun ? "Dry run: would send" : "Sent",
    ),
  );
  parts.push(
    `${r.dryRun ? "Would be paid" : "Paid"} to ${who}: ${formatEuro(r.claimed)} EUR from channels, ` +
      `${formatEuro(r.withdrawn)} EUR from the meter` +
      (r.platformFees > 0n ? `, ${formatEuro(r.platformFees)} EUR platform fees.` : "."),
  );
  return parts.join("\n\n");
}

function renderSkipped(skipped: readonly SkippedChannel[]): string {
  return renderTable(
    [
      { header: "channel", value: (s: SkippedChannel) => short(s.channelId) },
      { header: "adds EUR", value: (s) => formatEuro(s.adds), align: "right" },
      { header: "not claimed because", value: (s) => s.reason },
    ],
    skipped,
    "Channels left alone",
  );
}
