/**
 * A member's invoices across its orders, as consumer and as provider: every invoice the meter issued, with
 * what it charged, when its dispute window ends and whether it was settled (and how it was split). The
 * document behind each line is `capacity invoice show --order N --number K`.
 */
import { chainTime, clients, type Ops } from "./context.js";
import { ordersOf } from "./obligations.js";

export type InvoiceSide = "consumer" | "provider";

export interface InvoiceSummary {
  orderId: bigint;
  number: number;
  /** Whether the member is the order's consumer (it pays) or its provider (it is paid). */
  side: InvoiceSide;
  machineId: bigint;
  counterparty: bigint;
  charged: bigint;
  royalties: bigint;
  issuedAt: number;
  maturesAt: number;
  /** "in dispute window", "matured" (not yet settled) or "settled". */
  state: "in dispute window" | "matured" | "settled";
  settledAt: number;
  providerNet: bigint;
  platformFee: bigint;
  heldBack: bigint;
}

/** The member's invoices, oldest order first, on the given side (default both). */
export async function memberInvoices(ops: Ops, memberId: bigint, side?: InvoiceSide): Promise<InvoiceSummary[]> {
  const { meter } = clients(ops);
  const now = await chainTime(ops);
  const orders = [
    ...(side === "provider"
      ? []
      : (await ordersOf(ops, { consumer: memberId })).map((o) => ({ o, side: "consumer" as const }))),
    ...(side === "consumer"
      ? []
      : (await ordersOf(ops, { provider: memberId })).map((o) => ({ o, side: "provider" as const }))),
  ].sort((a, b) => (a.o.orderId === b.o.orderId ? 0 : a.o.orderId < b.o.orderId ? -1 : 1));
  const lines: InvoiceSummary[] = [];
  for (const { o, side: which } of orders) {
    for (let number = 1; number <= o.invoiceCount; number++) {
      const invoice = await meter.invoice(o.orderId, number);
      const maturesAt = invoice.issuedAt + o.disputeWindow;
      lines.push({
        orderId: o.orderId,
        number,
        side: which,
        machineId: o.machineId,
        counterparty: which === "consumer" ? o.provider : o.consumer,
        charged: invoice.charged,
        royalties: invoice.royalties,
        issuedAt: invoice.issuedAt,
        maturesAt,
        state: invoice.settledAt !== 0 ? "settled" : maturesAt <= now ? "matured" : "in dispute window",
        settledAt: invoice.settledAt,
        providerNet: invoice.providerNet,
        platformFee: invoice.platformFee,
        heldBack: invoice.heldBack,
      });
    }
  }
  return lines;
}
