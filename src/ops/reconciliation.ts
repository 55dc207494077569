import type { Address, Hex } from "viem";

import { fiatGatewayAbi } from "../generated/abis.js";
import { contractEvents } from "../chain/events.js";
import { rolesOf, statusName } from "../core/membership.js";
import { formatEuro } from "../core/money.js";
import type { SettlementLayer } from "../contracts/settlement.js";

export interface MintLine {
  bankRef: Hex;
  minter: Address;
  to: Address;
  amount: bigint;
  txHash: Hex;
}

export type RedemptionState = "pending" | "paid" | "rejected";

export interface RedemptionLine {
  redemptionId: bigint;
  memberId: bigint;
  account: Address;
  amount: bigint;
  payoutRef: Hex;
  state: RedemptionState;
  /** The bank's transaction reference for a paid redemption. */
  bankTxRef?: Hex;
  /** Hash of the written reason for a rejected one. */
  reasonHash?: Hex;
  refundTo?: Address;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** Everything the treasury needs to match the chain against the bank statement. */
export interface Reconciliation {
  mints: MintLine[];
  redemptions: RedemptionLine[];
  totals: {
    minted: bigint;
    burned: bigint;
    refunded: bigint;
    pending: bigint;
    supply: bigint;
    gatewayBalance: bigint;
    reserve: bigint;
    reserveAsOf: number;
  };
  checks: Check[];
}

/**
 * Builds the reconciliation from the gateway's events and the current balances. Read from the block the
 * gateway was deployed in (the default reads from genesis), so that minted - burned covers the whole supply.
 */
export async function reconcile(layer: SettlementLayer, fromBlock: bigint = 0n): Promise<Reconciliation> {
  const client = layer.chain.publicClient;
  const address = layer.addresses.gateway;
  const events = async <const name extends "Minted" | "RedemptionRequested" | "RedemptionPaid" | "RedemptionRejected">(
    eventName: name,
  ) => contractEvents(client, { address, abi: fiatGatewayAbi, eventName, fromBlock, strict: true });

  const [minted, requested, paid, rejected] = await Promise.all([
    events("Minted"),
    events("RedemptionRequested"),
    events("RedemptionPaid"),
    events("RedemptionRejected"),
  ]);

  const mints: MintLine[] = minted.map((log) => ({
    bankRef: log.args.bankRef,
    minter: log.args.minter,
    to: log.args.to,
    amount: log.args.amount,
    txHash: log.transactionHash,
  }));
  const redemptions = new Map<bigint, RedemptionLine>();
  for (const log of requested) {
    redemptions.set(log.args.redemptionId, {
      redemptionId: log.args.redemptionId,
      memberId: log.args.memberId,
      account: log.args.account,
      amount: log.args.amount,
      payoutRef: log.args.payoutRef,
      state: "pending",
    });
  }
  for (const log of paid) {
    const line = redemptions.get(log.args.redemptionId);
    if (line !== undefined) Object.assign(line, { state: "paid", bankTxRef: log.args.bankTxRef });
  }
  for (const log of rejected) {
    const line = redemptions.get(log.args.redemptionId);
    if (line !== undefined) {
      Object.assign(line, { state: "rejected", reasonHash: log.args.reasonHash, refundTo: log.args.refundTo });
    }
  }

  const lines = [...redemptions.values()];
  const sum = (values: bigint[]): bigint => values.reduce((a, b) => a + b, 0n);
  const amountsIn = (state: RedemptionState): bigint =>
    sum(lines.filter((line) => line.state === state).map((line) => line.amount));
  const [supply, gatewayBalance, pendingTotal, { reserve, asOf }] = await Promise.all([
    layer.totalSupply(),
    layer.balanceOf(address),
    layer.pendingRedemptions(),
    layer.attestedReserve(),
  ]);
  const totals = {
    minted: sum(mints.map((mint) => mint.amount)),
    burned: amountsIn("paid"),
    refunded: amountsIn("rejected"),
    pending: amountsIn("pending"),
    supply,
    gatewayBalance,
    reserve,
    reserveAsOf: asOf,
  };
  const checks = checksOf(totals, pendingTotal);
  return { mints, redemptions: lines, totals, checks };
}

/** What must hold between the chain's totals: the supply against mints and burns, the locked tokens, the reserve. */
function checksOf(totals: Reconciliation["totals"], pendingTotal: bigint): Check[] {
  const eur = (amount: bigint): string => `${formatEuro(amount)} EUR`;
  const asOf = new Date(totals.reserveAsOf * 1000).toISOString();
  return [
    {
      name: "supply = minted - burned",
      ok: totals.supply === totals.minted - totals.burned,
      detail: `${eur(totals.supply)} vs ${eur(totals.minted)} - ${eur(totals.burned)}`,
    },
    {
      name: "locked in gateway = pending redemptions",
      ok: totals.gatewayBalance === totals.pending && pendingTotal === totals.pending,
      detail: `${eur(totals.gatewayBalance)} held, ${eur(pendingTotal)} recorded, ${eur(totals.pending)} from events`,
    },
    {
      name: "supply <= attested reserve",
      ok: totals.supply <= totals.reserve,
      detail: `${eur(totals.supply)} vs ${eur(totals.reserve)} attested as of ${asOf}`,
    },
  ];
}

export interface BalanceLine {
  memberId: bigint;
  label: string;
  status: string;
  roles: string;
  account: Address;
  balance: bigint;
}

/** Every active account of every member with its balance, members labelled by `labels` where known. */
export async function memberBalances(
  layer: SettlementLayer,
  labels: ReadonlyMap<bigint, string> = new Map(),
): Promise<BalanceLine[]> {
  const count = await layer.memberCount();
  const lines: BalanceLine[] = [];
  for (let memberId = 1n; memberId <= count; memberId++) {
    const [member, accounts] = await Promise.all([layer.member(memberId), layer.accountsOf(memberId)]);
    for (const account of accounts) {
      lines.push({
        memberId,
        label: labels.get(memberId) ?? `member ${memberId}`,
        status: statusName(member.status),
        roles: rolesOf(member.roles).join(", "),
        account,
        balance: await layer.balanceOf(account),
      });
    }
  }
  return lines;
}
