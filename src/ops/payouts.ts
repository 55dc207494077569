/**
 * A payee's payout run: claim every worthwhile channel from the payee's store in one claimMany, and settle
 * and withdraw every matured meter charge in one settleAndWithdraw: at most two transactions. Idempotent:
 * what was claimed or settled is read back from the chain, so a second run finds nothing and sends nothing.
 * More channels or orders than `batchSize` go out in several transactions of that size.
 *
 * In three steps: planPayout reads what is due (and refreshes the store's view of each channel);
 * simulatePayout (a dry run) simulates the plan's transactions against the latest block for their amounts;
 * executePayout sends them and reads what they paid from their receipts. Each answers with a PayoutResult.
 */
import { isAddressEqual, parseEventLogs, type Address, type Hex } from "viem";

import type { PayeeStore } from "../services/channels/store.js";
import { compact } from "../core/voucher.js";
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

/** What a payout run will do: the claims, the orders to settle, and whether anything is to be withdrawn. */
export interface PayoutPlan {
  payee: Address;
  memberId: bigint;
  claims: PlannedClaim[];
  skipped: SkippedChannel[];
  orders: MaturedOrder[];
  creditedBefore: bigint;
  /** Platform fees to withdraw (0 unless asked for by an operator). */
  platformFees: bigint;
  /** Whether settleAndWithdraw has anything to do: matured orders, or something credited already. */
  withdraw: boolean;
  batchSize: number;
  nothingToDo: boolean;
}

/** The channels of the payee's store worth a claim now, and why the others are left alone. */
async function planClaims(
  ops: Ops,
  account: Address,
  store: PayeeStore | undefined,
  rules: { minClaim: bigint; margin: number; now: number },
): Promise<{ claims: PlannedClaim[]; skipped: SkippedChannel[] }> {
  const { channels } = clients(ops);
  const claims: PlannedClaim[] = [];
  const skipped: SkippedChannel[] = [];
  for (const known of store?.channels() ?? []) {
    const newest = store!.newestVoucher(known.channelId);
    if (known.payee.toLowerCase() !== account.toLowerCase()) {
      skipped.push({ channelId: known.channelId, adds: 0n, reason: `pays ${known.payee}, not this account` });
      continue;
    }
    const state = await channels.state(known.channelId);
    store!.observe(known.channelId, state);
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
      : state.deadline - rules.now <= rules.margin
        ? "deadline near"
        : adds >= rules.minClaim
          ? "worthwhile"
          : undefined;
    if (reason === undefined) {
      skipped.push({ channelId: known.channelId, adds, reason: `adds less than ${formatEuro(rules.minClaim)} EUR` });
      continue;
    }
    const { amount, usage, signature } = newest;
    claims.push({
      channelId: known.channelId,
      payer: known.payer,
      nonce: known.nonce,
      amount,
      adds,
      reason,
      usage,
      signature,
    });
  }
  return { claims, skipped };
}

/** Reads what the wallet's member has due: worthwhile claims, matured orders, credits and (asked for) fees. */
export async function planPayout(ops: Ops, account: Address, options: PayoutOptions = {}): Promise<PayoutPlan> {
  const { layer, meter } = clients(ops);
  const { memberId, active } = await layer.memberOf(account);
  if (memberId === 0n) {
    throw new OpsInputError(`${account} is no member's account; run payouts with a key of the payee's member.`, {
      code: "payout.notMember",
    });
  }
  if (!active) throw new OpsInputError(`${account} is not an active account of member ${memberId}.`);
  const { claims, skipped } = await planClaims(ops, account, options.store, {
    minClaim: options.minClaim ?? 0n,
    margin: options.margin ?? 3600,
    now: await chainTime(ops),
  });
  const orders: MaturedOrder[] = [];
  for (const order of await ordersOf(ops, { provider: memberId })) {
    if (order.pending?.matured)
      orders.push({ orderId: order.orderId, invoice: order.pending.number, charged: order.pending.charged });
    else if (order.pending === undefined && order.uninvoiced && order.disputeWindow === 0) {
      orders.push({ orderId: order.orderId, invoice: 0, charged: 0n });
    }
  }
  const creditedBefore = await meter.payableTo(memberId);
  let platformFees = 0n;
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
    platformFees = await meter.platformFees();
  }
  const withdraw = orders.length > 0 || creditedBefore > 0n;
  return {
    payee: account,
    memberId,
    claims,
    skipped,
    orders,
    creditedBefore,
    platformFees,
    withdraw,
    batchSize: options.batchSize ?? 100,
    nothingToDo: claims.length === 0 && !withdraw && platformFees === 0n,
  };
}

function claimCall(ops: Ops, batch: readonly PlannedClaim[]) {
  return {
    address: ops.addresses.paymentChannels,
    abi: paymentChannelsAbi,
    functionName: "claimMany",
    args: [batch.map((c) => ({ nonce: c.nonce, amount: c.amount, usage: c.usage, ...compact(c.signature) }))],
  } as const;
}

function withdrawCall(ops: Ops, batch: readonly MaturedOrder[]) {
  return {
    address: ops.addresses.usageMeter,
    abi: usageMeterAbi,
    functionName: "settleAndWithdraw",
    args: [batch.map((o) => o.orderId)],
  } as const;
}

/** The result of a plan before anything is paid: what runs report whether they send or simulate. */
function resultOf(plan: PayoutPlan, dryRun: boolean): PayoutResult {
  const { payee, memberId, claims, skipped, orders, creditedBefore, nothingToDo } = plan;
  return {
    payee,
    memberId,
    dryRun,
    claims,
    skipped,
    orders,
    creditedBefore,
    claimed: 0n,
    withdrawn: 0n,
    platformFees: 0n,
    transactions: [],
    nothingToDo,
  };
}

/** The plan's transactions in batches of its size: claims, then the orders (one empty batch: withdraw credits). */
function batches(plan: PayoutPlan): { claims: PlannedClaim[][]; orders: MaturedOrder[][] } {
  const orders = plan.withdraw ? (plan.orders.length === 0 ? [[]] : chunks(plan.orders, plan.batchSize)) : [];
  return { claims: chunks(plan.claims, plan.batchSize), orders };
}

/** A dry run: simulates the plan against the latest block (one simulation each over everything), sends nothing. */
export async function simulatePayout(ops: Ops, payee: Wallet, plan: PayoutPlan): Promise<PayoutResult> {
  const result = resultOf(plan, true);
  if (plan.nothingToDo) return result;
  const client = ops.chain.publicClient;
  const failed = (call: { address: Address; functionName: string }) => (error: unknown) => {
    throw explain(call.functionName, error, call);
  };
  if (plan.claims.length > 0) {
    const call = claimCall(ops, plan.claims);
    result.claimed = (await client.simulateContract({ ...call, account: payee.account }).catch(failed(call))).result;
  }
  if (plan.withdraw) {
    const call = withdrawCall(ops, plan.orders);
    result.withdrawn = (await client.simulateContract({ ...call, account: payee.account }).catch(failed(call))).result;
  }
  const { claims, orders } = batches(plan);
  for (const _ of claims) result.transactions.push({ call: "claimMany", hash: null, gasUsed: null });
  for (const _ of orders) result.transactions.push({ call: "settleAndWithdraw", hash: null, gasUsed: null });
  if (plan.platformFees > 0n) {
    result.platformFees = plan.platformFees;
    result.transactions.push({ call: "withdrawPlatformFees", hash: null, gasUsed: null });
  }
  return result;
}

/** Sends the plan's transactions; what they paid is read from their receipts, and the claims go to the store. */
export async function executePayout(
  ops: Ops,
  payee: Wallet,
  plan: PayoutPlan,
  store?: PayeeStore,
): Promise<PayoutResult> {
  const result = resultOf(plan, false);
  if (plan.nothingToDo) return result;
  const account = payee.account.address;
  const { channels } = clients(ops);
  const { claims, orders } = batches(plan);
  for (const batch of claims) {
    const receipt = await transact(ops.chain, payee, claimCall(ops, batch));
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
      store?.recordClaim(event.args.channelId, event.args.claimed, receipt.transactionHash);
    }
    for (const claim of batch) store?.observe(claim.channelId, await channels.state(claim.channelId));
    result.transactions.push({ call: "claimMany", hash: receipt.transactionHash, gasUsed: receipt.gasUsed });
  }
  for (const batch of orders) {
    const receipt = await transact(ops.chain, payee, withdrawCall(ops, batch));
    const [paid] = parseEventLogs({ abi: usageMeterAbi, logs: receipt.logs, eventName: "PayoutWithdrawn" });
    result.withdrawn += paid?.args.amount ?? 0n;
    result.transactions.push({ call: "settleAndWithdraw", hash: receipt.transactionHash, gasUsed: receipt.gasUsed });
  }
  if (plan.platformFees > 0n) {
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

/** Plans and (unless a dry run) sends the payout of the wallet's member. */
export async function runPayout(ops: Ops, payee: Wallet, options: PayoutOptions = {}): Promise<PayoutResult> {
  const plan = await planPayout(ops, payee.account.address, options);
  return options.dryRun === true ? simulatePayout(ops, payee, plan) : executePayout(ops, payee, plan, options.store);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
