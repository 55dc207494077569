/** Redeeming tokens for a bank payout: a member requests, an operator marks it paid or rejects it. */
import type { Address, Hex } from "viem";

import { fiatGatewayAbi } from "../generated/abis.js";
import { contractEvents } from "../chain/events.js";
import { formatEuro } from "../core/money.js";
import type { Wallet } from "../chain/transact.js";
import { clients, OpsInputError, type Ops } from "./context.js";

const STATUS = ["None", "Pending", "Paid", "Rejected"] as const;

export interface RedemptionView {
  redemptionId: bigint;
  memberId: bigint;
  account: Address;
  amount: bigint;
  status: (typeof STATUS)[number];
  payoutRef: Hex;
  transaction?: Hex;
  /** Settled as asked before this run: nothing was sent. */
  nothingToDo?: boolean;
}

export async function redemption(ops: Ops, redemptionId: bigint): Promise<RedemptionView> {
  const r = await ops.chain.publicClient.readContract({
    address: ops.addresses.gateway,
    abi: fiatGatewayAbi,
    functionName: "getRedemption",
    args: [redemptionId],
  });
  if (r.status === 0) {
    const count = await ops.chain.publicClient.readContract({
      address: ops.addresses.gateway,
      abi: fiatGatewayAbi,
      functionName: "redemptionCount",
    });
    throw new OpsInputError(`There is no redemption ${redemptionId}; ids run from 1 to ${count}.`);
  }
  return {
    redemptionId,
    memberId: r.memberId,
    account: r.account,
    amount: r.amount,
    status: STATUS[r.status] ?? "None",
    payoutRef: r.payoutRef,
  };
}

/** A member asks to redeem `amount` (tokens locked now, burned when paid, refunded when rejected). */
export async function requestRedemption(
  ops: Ops,
  member: Wallet,
  amount: bigint,
  payoutRef: Hex,
): Promise<RedemptionView> {
  if (amount === 0n) throw new OpsInputError("--amount must be more than 0 EUR.");
  const { layer } = clients(ops);
  const balance = await layer.balanceOf(member.account.address);
  if (balance < amount) {
    throw new OpsInputError(
      `${member.account.address} holds ${formatEuro(balance)} EUR, less than the ${formatEuro(amount)} EUR to redeem; ` +
        "withdraw payouts first or redeem less.",
    );
  }
  const id = await layer.requestRedemption(member, amount, payoutRef);
  return redemption(ops, id);
}

/** An operator settles a pending redemption: `paid` with the bank's transaction reference, or rejected with a reason. */
export async function settleRedemption(
  ops: Ops,
  operator: Wallet,
  redemptionId: bigint,
  outcome: { paid: Hex } | { rejected: Hex },
): Promise<RedemptionView> {
  const before = await redemption(ops, redemptionId);
  // Marking it again as what it is already (a retried run) changes nothing.
  if (before.status === ("paid" in outcome ? "Paid" : "Rejected")) return { ...before, nothingToDo: true };
  if (before.status !== "Pending") {
    throw new OpsInputError(
      `Redemption ${redemptionId} is ${before.status.toLowerCase()} already; only a pending one can be settled.`,
    );
  }
  const { layer } = clients(ops);
  const receipt =
    "paid" in outcome
      ? await layer.markRedemptionPaid(operator, redemptionId, outcome.paid)
      : await layer.rejectRedemption(operator, redemptionId, outcome.rejected);
  return { ...(await redemption(ops, redemptionId)), transaction: receipt.transactionHash };
}

export type RedemptionStatusName = Exclude<(typeof STATUS)[number], "None">;

/**
 * The redemptions requested (of one member, or of all), with their state now, oldest first; by default only
 * those pending, waiting for the bank's payout or a rejection.
 */
export async function listRedemptions(
  ops: Ops,
  filter: { status?: RedemptionStatusName | "all"; memberId?: bigint } = {},
): Promise<RedemptionView[]> {
  const requested = await contractEvents(ops.chain.publicClient, {
    address: ops.addresses.gateway,
    abi: fiatGatewayAbi,
    eventName: "RedemptionRequested",
    args: filter.memberId === undefined ? {} : { memberId: filter.memberId },
    fromBlock: ops.fromBlock,
    strict: true,
  });
  const wanted = filter.status ?? "Pending";
  const views = await Promise.all(requested.map((log) => redemption(ops, log.args.redemptionId)));
  return views.filter((view) => wanted === "all" || view.status === wanted);
}
