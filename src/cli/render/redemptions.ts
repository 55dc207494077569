/** Tables for redemptions. */
import { formatEuro } from "../../core/money.js";
import type { RedemptionView } from "../../ops/redemptions.js";
import { renderTable, short } from "../table.js";

const COLUMNS = [
  { header: "redemption", value: (x: RedemptionView) => x.redemptionId.toString(), align: "right" as const },
  { header: "member", value: (x: RedemptionView) => x.memberId.toString(), align: "right" as const },
  { header: "account", value: (x: RedemptionView) => short(x.account) },
  { header: "EUR", value: (x: RedemptionView) => formatEuro(x.amount), align: "right" as const },
  { header: "status", value: (x: RedemptionView) => x.status },
  { header: "payout ref", value: (x: RedemptionView) => short(x.payoutRef) },
];

/** Redemptions, one row each, with the total. */
export function renderRedemptions(views: readonly RedemptionView[], status: string): string {
  const total = views.reduce((sum, view) => sum + view.amount, 0n);
  return renderTable(COLUMNS, views, `Redemptions (${status}): ${views.length}, ${formatEuro(total)} EUR`);
}

export function renderRedemption(r: RedemptionView): string {
  if (r.nothingToDo === true) {
    return `Redemption ${r.redemptionId} is ${r.status.toLowerCase()} already; nothing to do.\n\n${renderTable(COLUMNS, [r])}`;
  }
  return renderTable(
    [
      ...COLUMNS,
      { header: "tx", value: (x: RedemptionView) => (x.transaction === undefined ? "-" : short(x.transaction)) },
    ],
    [r],
  );
}
