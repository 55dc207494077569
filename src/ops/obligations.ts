/**
 * What members hold and owe: token balances, escrow locked in orders and channels, invoices in their dispute
 * window, charges matured and credited, redemptions waiting for the bank. Orders and channels are found
 * from their opening events (from the deployment's block), their state is read now.
 */
import type { Address, Hex } from "viem";

import { fiatGatewayAbi, paymentChannelsAbi, usageMeterAbi } from "../generated/abis.js";
import { ZERO_REPORTS_HASH } from "../core/invoice.js";
import { contractEvents } from "../chain/events.js";
import { rolesOf, statusName } from "../core/membership.js";
import { chainTime, clients, type Ops } from "./context.js";
import { memberIdOf } from "./members.js";

const ORDER_STATUS = ["None", "Open", "Closed", "Settled"] as const;
export type OrderStatusName = (typeof ORDER_STATUS)[number];

export interface OrderView {
  orderId: bigint;
  machineId: bigint;
  consumer: bigint;
  provider: bigint;
  status: OrderStatusName;
  /** Escrow not yet charged. */
  available: bigint;
  invoiceCount: number;
  disputeWindow: number;
  /** The newest invoice if it is still in its dispute window or waiting to be settled. */
  pending?: { number: number; charged: bigint; issuedAt: number; maturesAt: number; matured: boolean };
  /** Charges were recorded since the newest invoice: `settle` would issue the next one. */
  uninvoiced: boolean;
  /** What the meter recorded: each stream's last report number, and the totals. */
  metered: { deviceSequence: number; inspectorSequence: number; machineSeconds: number; units: number };
}

/** Every order with the given provider and/or consumer member, as it stands now (oldest first). */
export async function ordersOf(ops: Ops, who: { provider?: bigint; consumer?: bigint } = {}): Promise<OrderView[]> {
  const client = ops.chain.publicClient;
  const read = { address: ops.addresses.usageMeter, abi: usageMeterAbi } as const;
  const opened = await contractEvents(client, {
    ...read,
    eventName: "OrderOpened",
    args: who.consumer === undefined ? {} : { consumer: who.consumer },
    fromBlock: ops.fromBlock,
    strict: true,
  });
  const now = await chainTime(ops);
  const views: OrderView[] = [];
  for (const log of opened) {
    if (who.provider !== undefined && log.args.provider !== who.provider) continue;
    const orderId = log.args.orderId;
    const [order, meter] = await Promise.all([
      client.readContract({ ...read, functionName: "getOrder", args: [orderId] }),
      client.readContract({ ...read, functionName: "meterOf", args: [orderId] }),
    ]);
    const last =
      order.invoiceCount === 0
        ? undefined
        : await client.readContract({ ...read, functionName: "invoiceOf", args: [orderId, order.invoiceCount] });
    const view: OrderView = {
      orderId,
      machineId: order.machineId,
      consumer: order.consumer,
      provider: order.provider,
      status: ORDER_STATUS[order.status] ?? "None",
      available: meter.available,
      invoiceCount: order.invoiceCount,
      disputeWindow: order.disputeWindow,
      uninvoiced: order.reportsHash.toLowerCase() !== (last?.reportsHash ?? ZERO_REPORTS_HASH).toLowerCase(),
      metered: {
        deviceSequence: meter.deviceSequence,
        inspectorSequence: meter.inspectorSequence,
        machineSeconds: meter.machineSeconds,
        units: meter.units,
      },
    };
    if (last !== undefined && last.settledAt === 0) {
      const maturesAt = last.issuedAt + order.disputeWindow;
      view.pending = {
        number: last.number,
        charged: last.charged,
        issuedAt: last.issuedAt,
        maturesAt,
        matured: maturesAt <= now,
      };
    }
    views.push(view);
  }
  return views;
}

export interface ChannelView {
  channelId: Hex;
  payer: Address;
  payee: Address;
  nonce: bigint;
  deposit: bigint;
  claimed: bigint;
  deadline: number;
  closing: boolean;
}

/** Open channels paid from or to the given accounts. */
export async function channelsOf(
  ops: Ops,
  accounts: readonly Address[],
  side: "payer" | "payee",
): Promise<ChannelView[]> {
  if (accounts.length === 0) return [];
  const logs = await contractEvents(ops.chain.publicClient, {
    address: ops.addresses.paymentChannels,
    abi: paymentChannelsAbi,
    eventName: "ChannelOpened",
    args: side === "payer" ? { payer: [...accounts] } : { payee: [...accounts] },
    fromBlock: ops.fromBlock,
    strict: true,
  });
  const { channels } = clients(ops);
  const views: ChannelView[] = [];
  for (const log of logs) {
    const state = await channels.state(log.args.channelId);
    if (!state.open) continue;
    views.push({
      channelId: log.args.channelId,
      payer: log.args.payer,
      payee: log.args.payee,
      nonce: log.args.nonce,
      deposit: state.deposit,
      claimed: state.claimed,
      deadline: state.deadline,
      closing: state.closing,
    });
  }
  return views;
}

export interface MemberPosition {
  memberId: bigint;
  status: string;
  roles: string[];
  accounts: { account: Address; balance: bigint }[];
  /** Token balance of all its accounts. */
  balance: bigint;
  /** Matured charges and royalties credited on the meter, ready to withdraw. */
  payable: bigint;
  /** As a consumer: escrow locked in its open orders, and in channels it pays from (deposit less claimed). */
  escrowInOrders: bigint;
  escrowInChannels: bigint;
  /** As a provider: invoices waiting for their dispute window, and those past it (not yet settled). */
  invoicesInWindow: bigint;
  invoicesMatured: bigint;
  /** Claimed so far on channels paying it (what its vouchers add is in the payee's store). */
  channelsToIt: number;
  /** Tokens locked in its pending redemptions. */
  redemptionsPending: bigint;
  openOrders: number;
}

/** One member's money and obligations now. */
export async function memberPosition(ops: Ops, who: { memberId?: bigint; account?: Address }): Promise<MemberPosition> {
  const memberId = await memberIdOf(ops, who, {
    ask: "Say whose balances to show: --member ID or --account 0x…, or --all for every member's accounts.",
  });
  const { layer, meter } = clients(ops);
  const [member, accounts, payable] = await Promise.all([
    layer.member(memberId),
    layer.accountsOf(memberId),
    meter.payableTo(memberId),
  ]);
  const balances = await Promise.all(
    accounts.map(async (account) => ({ account, balance: await layer.balanceOf(account) })),
  );
  const asConsumer = await ordersOf(ops, { consumer: memberId });
  const asProvider = await ordersOf(ops, { provider: memberId });
  const paying = await channelsOf(ops, accounts, "payer");
  const paid = await channelsOf(ops, accounts, "payee");
  const sum = (values: bigint[]) => values.reduce((a, b) => a + b, 0n);
  const open = asConsumer.filter((o) => o.status === "Open");
  return {
    memberId,
    status: statusName(member.status),
    roles: rolesOf(member.roles),
    accounts: balances,
    balance: sum(balances.map((b) => b.balance)),
    payable,
    escrowInOrders: sum(open.map((o) => o.available)),
    escrowInChannels: sum(paying.map((c) => c.deposit - c.claimed)),
    invoicesInWindow: sum(asProvider.flatMap((o) => (o.pending && !o.pending.matured ? [o.pending.charged] : []))),
    invoicesMatured: sum(asProvider.flatMap((o) => (o.pending?.matured ? [o.pending.charged] : []))),
    channelsToIt: paid.length,
    redemptionsPending: await pendingRedemptionsOf(ops, memberId),
    openOrders: open.length,
  };
}

async function pendingRedemptionsOf(ops: Ops, memberId: bigint): Promise<bigint> {
  const client = ops.chain.publicClient;
  const read = { address: ops.addresses.gateway, abi: fiatGatewayAbi } as const;
  const requested = await contractEvents(client, {
    ...read,
    eventName: "RedemptionRequested",
    args: { memberId },
    fromBlock: ops.fromBlock,
    strict: true,
  });
  let total = 0n;
  for (const log of requested) {
    const redemption = await client.readContract({
      ...read,
      functionName: "getRedemption",
      args: [log.args.redemptionId],
    });
    if (redemption.status === 1) total += redemption.amount;
  }
  return total;
}
