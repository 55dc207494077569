/**
 * The invoice run of a period: one `settle` over every order that has something to invoice or to settle —
 * charges recorded since its newest invoice (a new invoice is issued, its dispute window starts) or a
 * pending invoice whose window has passed (it is settled and credited). Anyone may run it.
 */
import { parseEventLogs, type Hex } from "viem";

import { usageMeterAbi } from "../generated/abis.js";
import { explain, transact, type Wallet } from "../chain/transact.js";
import { OpsInputError, type Ops } from "./context.js";
import { ordersOf, type OrderView } from "./obligations.js";

export interface InvoiceRunOptions {
  /** Only these orders (default: every order of the deployment, or of `provider`). */
  orderIds?: readonly bigint[];
  /** Only this provider member's orders. */
  provider?: bigint;
  dryRun?: boolean;
}

export interface InvoiceLineItem {
  orderId: bigint;
  number: number;
  charged: bigint;
  action: "issued" | "settled";
  providerNet?: bigint;
  platformFee?: bigint;
  royalties?: bigint;
  heldBack?: bigint;
}

export interface InvoiceRun {
  dryRun: boolean;
  /** The orders given to settle, and why. */
  orders: { orderId: bigint; issue: boolean; settle: boolean }[];
  invoices: InvoiceLineItem[];
  transaction: Hex | null;
  nothingToDo: boolean;
}

/** What `settle` would do to the order now: settle its matured invoice, issue a new one, both, or nothing. */
function due(order: OrderView): { issue: boolean; settle: boolean } {
  const settle = order.pending?.matured === true;
  // An order with a pending invoice gets its next one only once that one is settled (in the same call).
  const issue = order.uninvoiced && (order.pending === undefined || settle);
  return { issue, settle };
}

export async function runInvoices(ops: Ops, caller: Wallet, options: InvoiceRunOptions = {}): Promise<InvoiceRun> {
  let views = await ordersOf(ops, { provider: options.provider });
  if (options.orderIds !== undefined) {
    const known = new Set(views.map((o) => o.orderId));
    const unknown = options.orderIds.filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw new OpsInputError(
        `No order ${unknown.join(", ")}${options.provider === undefined ? "" : ` of provider ${options.provider}`}; ` +
          "list the orders with `capacity order list`.",
      );
    }
    const wanted = new Set(options.orderIds);
    views = views.filter((o) => wanted.has(o.orderId));
  }
  const orders = views.map((o) => ({ orderId: o.orderId, ...due(o) })).filter((o) => o.issue || o.settle);
  const run: InvoiceRun = {
    dryRun: options.dryRun === true,
    orders,
    invoices: [],
    transaction: null,
    nothingToDo: orders.length === 0,
  };
  if (run.nothingToDo) return run;
  const call = {
    address: ops.addresses.usageMeter,
    abi: usageMeterAbi,
    functionName: "settle",
    args: [orders.map((o) => o.orderId)],
  } as const;
  if (run.dryRun) {
    // The same call against the latest block: a dry run that passes is a run that would go through.
    await ops.chain.publicClient.simulateContract({ ...call, account: caller.account }).catch((error: unknown) => {
      throw explain("settle", error);
    });
    return run;
  }
  const receipt = await transact(ops.chain, caller, call);
  run.transaction = receipt.transactionHash;
  for (const log of parseEventLogs({ abi: usageMeterAbi, logs: receipt.logs })) {
    if (log.eventName === "InvoiceSettled") {
      run.invoices.push({
        orderId: log.args.orderId,
        number: log.args.number,
        charged: log.args.providerNet + log.args.platformFee + log.args.royalties + log.args.heldBack,
        action: "settled",
        providerNet: log.args.providerNet,
        platformFee: log.args.platformFee,
        royalties: log.args.royalties,
        heldBack: log.args.heldBack,
      });
    } else if (log.eventName === "InvoiceIssued") {
      run.invoices.push({
        orderId: log.args.orderId,
        number: log.args.number,
        charged: log.args.charged,
        action: "issued",
      });
    }
  }
  return run;
}
