/**
 * A payee's payout run: claim every worthwhile channel from the payee's store in one claimMany, and settle
 * and withdraw every matured meter charge in one settleAndWithdraw: at most two transactions. Idempotent:
 * what was claimed or settled is read back from the chain, so a second run finds nothing and sends nothing.
 * A dry run plans the same and simulates both transactions against the latest block for their amounts.
 * More channels or orders than `batchSize` go out in several transactions of that size.
 */
import { isAddressEqual, parseEventLogs, type Address, type Hex } from "viem";

import type { PayeeStore } from "../services/channels/store.js";
import { compact } from "../core/voucher.js";
import { renderTable, short } from "../cli/table.js";
import { consortiumAbi, paymentChannelsAbi, settlementTokenAbi, usageMeterAbi } from "../generated/abis.js";
import { Role } from "../core/membership.js";
import { formatEuro } from "../core/money.js";
import { explain, transact, type Wallet } from "../chain/transact.js";
import { chainTime, clients, OpsInputError, type Ops } from "./context.js";
import { ordersOf } from "./obligations.js";

export interface PayoutOptions {
  /** The payee's store (the channel agent's SQLite file); without one, no channels are claimed. */
  store?: PayeeStore;
  /** Claim a channel when its newest voucher adds at least this much (base units; default 0: anything new). */
  minClaim?: bigint;
  /** Claim whatever is new, however little, on channels closing or this close (seconds) to their deadline. */
  margin?: number;
  dryRun?: boolean;
  /** Also withdraw the platform fees collected (the wallet must be an operator's account). */
  platformFees?: boolean;
  /** Most channels per claimMany and orders per settleAndWithdraw (default 100), to stay within a block's gas. */
  batchSize?: number;
}

export type ClaimReason = "worthwhile" | "closing" | "deadline near";

export interface PlannedClaim {
  channelId: Hex;
  payer: Address;
  nonce: bigint;
  /** The voucher's cumulative amount, and what it adds to what was claimed. */
  amount: bigint;
  adds: bigint;
  reason: ClaimReason;
  usage: Hex;
  signature: Hex;
}

export interface SkippedChannel {
  channelId: Hex;
  adds: bigint;
  reason: string;
}

export interface MaturedOrder {
  orderId: bigint;
  /** The invoice that matures (0: a zero-window order whose new charges are invoiced and settled at once). */
  invoice: number;
  charged: bigint;
}

export interface PayoutResult {
  payee: Address;
  memberId: bigint;
  dryRun: boolean;
  claims: PlannedClaim[];
  skipped: SkippedChannel[];
  orders: MaturedOrder[];
  /** Credited on the meter before the run (e.g. royalties, earlier settlements). */
  creditedBefore: bigint;
  /** Paid by the channels and withdrawn from the meter (simulated in a dry run). */
  claimed: bigint;
  withdrawn: bigint;
  /** Platform fees withdrawn by an operator with `platformFees` (simulated in a dry run). */
  platformFees: bigint;
  transactions: {
    call: "claimMany" | "settleAndWithdraw" | "withdrawPlatformFees";
    hash: Hex | null;
    gasUsed: bigint | null;
  }[];
  nothingToDo: boolean;
}

/** Plans and (unless a dry run) sends the payout of the wallet's member. */
export async function runPayout(ops: Ops, payee: Wallet, options: PayoutOptions = {}): Promise<PayoutResult> {
  const account = payee.account.address;
  const { layer, meter, channels } = clients(ops);
  const { memberId, active } = await layer.memberOf(account);
  if (memberId === 0n) {
    throw new OpsInputError(`${account} is no member's account; run payouts with a key of the payee's member.`);
  }
  if (!active) throw new OpsInputError(`${account} is not an active account of member ${memberId}.`);
  const minClaim = options.minClaim ?? 0n;
  const margin = options.margin ?? 3600;
  const now = await chainTime(ops);

  const claims: PlannedClaim[] = [];
  const skipped: SkippedChannel[] = [];
  for (const known of options.store?.channels() ?? []) {
    const newest = options.store!.newestVoucher(known.channelId);
    if (known.payee.toLowerCase() !== account.toLowerCase()) {
      skipped.push({ channelId: known.channelId, adds: 0n, reason: `pays ${known.payee}, not this account` });
      continue;
    }
    const state = await channels.state(known.channelId);
    options.store!.observe(known.channelId, state);
    const adds = (newest?.amount ?? 0n) - state.claimed;
    if (!state.open) {
      skipped.push({ channelId: known.channelId, adds: 0n, reason: "closed" });
      continue;
    }
    if (newest !== undefined && newest.amount > state.deposit) {
      // The contract would refuse it, and with it the whole claimMany; the payee agent never accepts one.
      skipped.push({ channelId: known.channelId, adds, reason: "voucher exceeds the deposit" });
      continue;
    }
    if (newest === undefined || adds <= 0n) {
      skipped.push({ channelId: known.channelId, adds: 0n, reason: "nothing new to claim" });
      continue;
    }
    const reason: ClaimReason | undefined = state.closing
      ? "closing"
      : state.deadline - now <= margin
        ? "deadline near"
        : adds >= minClaim
          ? "worthwhile"
          : undefined;
    if (reason === undefined) {
      skipped.push({ channelId: known.channelId, adds, reason: `adds less than ${formatEuro(minClaim)} EUR` });
      continue;
    }
    claims.push({
      channelId: known.channelId,
      payer: known.payer,
      nonce: known.nonce,
      amount: newest.amount,
      adds,
      reason,
      usage: newest.usage,
      signature: newest.signature,
    });
  }

  const orders: MaturedOrder[] = [];
  for (const order of await ordersOf(ops, { provider: memberId })) {
    if (order.pending?.matured)
      orders.push({ orderId: order.orderId, invoice: order.pending.number, charged: order.pending.charged });
    else if (order.pending === undefined && order.uninvoiced && order.disputeWindow === 0) {
      orders.push({ orderId: order.orderId, invoice: 0, charged: 0n });
    }
  }
  const creditedBefore = await meter.payableTo(memberId);
  let fees = 0n;
  if (options.platformFees === true) {
    const operator = await ops.chain.publicClient.readContract({
      address: ops.addresses.consortium,
      abi: consortiumAbi,
      functionName: "hasRole",
      args: [account, Role.Operator],
    });
    if (!operator) {
      throw new OpsInputError(`${account} is not an operator's account; only operators withdraw the platform fees.`);
    }
    fees = await meter.platformFees();
  }

  const claimCall = (batch: readonly PlannedClaim[]) =>
    ({
      address: ops.addresses.paymentChannels,
      abi: paymentChannelsAbi,
      functionName: "claimMany",
      args: [batch.map((c) => ({ nonce: c.nonce, amount: c.amount, usage: c.usage, ...compact(c.signature) }))],
    }) as const;
  const withdrawCall = (batch: readonly MaturedOrder[]) =>
    ({
      address: ops.addresses.usageMeter,
      abi: usageMeterAbi,
      functionName: "settleAndWithdraw",
      args: [batch.map((o) => o.orderId)],
    }) as const;
  const withdraw = orders.length > 0 || creditedBefore > 0n;
  const result: PayoutResult = {
    payee: account,
    memberId,
    dryRun: options.dryRun === true,
    claims,
    skipped,
    orders,
    creditedBefore,
    claimed: 0n,
    withdrawn: 0n,
    platformFees: 0n,
    transactions: [],
    nothingToDo: claims.length === 0 && !withdraw && fees === 0n,
  };
  if (result.nothingToDo) return result;
  const size = options.batchSize ?? 100;
  const claimBatches = chunks(claims, size);
  const orderBatches = withdraw ? (orders.length === 0 ? [[]] : chunks(orders, size)) : [];

  if (result.dryRun) {
    // One simulation each over everything: the amounts are what the batches pay together.
    const simulate = async <T>(call: string, run: () => Promise<{ result: T }>): Promise<T> => {
      try {
        return (await run()).result;
      } catch (error) {
        throw explain(call, error);
      }
    };
    const client = ops.chain.publicClient;
    if (claims.length > 0) {
      result.claimed = await simulate("claimMany", () =>
        client.simulateContract({ ...claimCall(claims), account: payee.account }),
      );
    }
    if (withdraw) {
      result.withdrawn = await simulate("settleAndWithdraw", () =>
        client.simulateContract({ ...withdrawCall(orders), account: payee.account }),
      );
    }
    for (const _ of claimBatches) result.transactions.push({ call: "claimMany", hash: null, gasUsed: null });
    for (const _ of orderBatches) result.transactions.push({ call: "settleAndWithdraw", hash: null, gasUsed: null });
    if (fees > 0n) {
      result.platformFees = fees;
      result.transactions.push({ call: "withdrawPlatformFees", hash: null, gasUsed: null });
    }
    return result;
  }

  for (const batch of claimBatches) {
    const receipt = await transact(ops.chain, payee, claimCall(batch));
    // What was paid is the token transfer to the payee: a claim the agent sent meanwhile pays only the rest.
    for (const transfer of parseEventLogs({ abi: settlementTokenAbi, logs: receipt.logs, eventName: "Transfer" })) {
      if (
        isAddressEqual(transfer.args.to, account) &&
        isAddressEqual(transfer.args.from, ops.addresses.paymentChannels)
      ) {
        result.claimed += transfer.args.value;
      }
    }
    for (const event of parseEventLogs({ abi: paymentChannelsAbi, logs: receipt.logs, eventName: "ChannelClaimed" })) {
      options.store!.recordClaim(event.args.channelId, event.args.claimed, receipt.transactionHash);
    }
    for (const claim of batch) options.store!.observe(claim.channelId, await channels.state(claim.channelId));
    result.transactions.push({ call: "claimMany", hash: receipt.transactionHash, gasUsed: receipt.gasUsed });
  }
  for (const batch of orderBatches) {
    const receipt = await transact(ops.chain, payee, withdrawCall(batch));
    const [paid] = parseEventLogs({ abi: usageMeterAbi, logs: receipt.logs, eventName: "PayoutWithdrawn" });
    result.withdrawn += paid?.args.amount ?? 0n;
    result.transactions.push({ call: "settleAndWithdraw", hash: receipt.transactionHash, gasUsed: receipt.gasUsed });
  }
  if (fees > 0n) {
    const receipt = await transact(ops.chain, payee, {
      address: ops.addresses.usageMeter,
      abi: usageMeterAbi,
      functionName: "withdrawPlatformFees",
      args: [],
    });
    const [paid] = parseEventLogs({ abi: usageMeterAbi, logs: receipt.logs, eventName: "PlatformFeesWithdrawn" });
    result.platformFees = paid?.args.amount ?? 0n;
    result.transactions.push({ call: "withdrawPlatformFees", hash: receipt.transactionHash, gasUsed: receipt.gasUsed });
  }
  return result;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

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
