/**
 * An order's end and its disputes: the provider closes an order at any time, the consumer once it expired
 * and its report grace passed (the unused escrow goes back); the consumer disputes a recorded report's charge
 * while its dispute window runs (the amount is frozen), and an auditor of a third member resolves the dispute
 * (the refund goes back to the payer, the rest matures). Each job checks what the meter would refuse first.
 */
import { parseEventLogs, type Hex } from "viem";

import { usageMeterAbi } from "../generated/abis.js";
import { formatEuro } from "../core/money.js";
import { KeyKind } from "../core/listing.js";
import { contractEvents } from "../chain/events.js";
import type { Wallet } from "../chain/transact.js";
import { chainTime, clients, OpsInputError, type Ops } from "./context.js";

const ORDER_STATUS = ["None", "Open", "Closed", "Settled"] as const;

/** The order, or an error saying there is none with that id. */
async function existingOrder(ops: Ops, orderId: bigint) {
  const order = await clients(ops).meter.order(orderId);
  if (order.status === 0) {
    throw new OpsInputError(`There is no order ${orderId}.`, {
      code: "order.unknown",
      input: { name: "--order", value: orderId.toString() },
      hint: "List the orders with `capacity order list`.",
    });
  }
  return order;
}

export interface OrderClosed {
  orderId: bigint;
  nothingToDo: boolean;
  status: (typeof ORDER_STATUS)[number];
  /** Charged in all, and returned to the payer at closing (0 when nothing was sent). */
  charged: bigint;
  returned: bigint;
  transaction: Hex | null;
}

/** Closes an order: no more reports count, the unused escrow (after any minimum charge) goes back to the payer. */
export async function closeOrder(ops: Ops, member: Wallet, orderId: bigint): Promise<OrderClosed> {
  const order = await existingOrder(ops, orderId);
  const status = ORDER_STATUS[order.status] ?? "None";
  if (status !== "Open") return { orderId, nothingToDo: true, status, charged: 0n, returned: 0n, transaction: null };
  const { memberId } = await clients(ops).layer.memberOf(member.account.address);
  const input = { name: "--order", value: orderId.toString() };
  if (memberId !== order.provider && memberId !== order.consumer) {
    throw new OpsInputError(
      `Order ${orderId} is between consumer member ${order.consumer} and provider member ${order.provider}; ` +
        `${member.account.address} is neither's account.`,
      { code: "order.notParty", input, hint: "Sign with a key of the order's provider or consumer." },
    );
  }
  const now = await chainTime(ops);
  if (memberId !== order.provider && now < order.expiresAt) {
    throw new OpsInputError(
      `Order ${orderId} runs until ${new Date(order.expiresAt * 1000).toISOString()}; its consumer may close it ` +
        `only after that and its report grace of ${order.reportGrace} s.`,
      { code: "order.notExpired", input, hint: "Wait, or ask the provider to close it now." },
    );
  }
  const receipt = await clients(ops).meter.closeOrder(member, orderId);
  const [closed] = parseEventLogs({ abi: usageMeterAbi, logs: receipt.logs, eventName: "OrderClosed" });
  return {
    orderId,
    nothingToDo: false,
    status: ORDER_STATUS[(await clients(ops).meter.order(orderId)).status] ?? "None",
    charged: closed?.args.charged ?? 0n,
    returned: closed?.args.returned ?? 0n,
    transaction: receipt.transactionHash,
  };
}

export interface Disputed {
  disputeId: bigint;
  orderId: bigint;
  kind: keyof typeof KeyKind;
  sequence: number;
  amount: bigint;
  reasonHash: Hex;
}

/** The consumer disputes `amount` of the charges over report `sequence` of the order's `kind` stream. */
export async function disputeReport(
  ops: Ops,
  consumer: Wallet,
  input: { orderId: bigint; kind: keyof typeof KeyKind; sequence: number; amount: bigint; reasonHash: Hex },
): Promise<Disputed> {
  if (input.amount === 0n) throw new OpsInputError("--amount must be more than 0 EUR.", { code: "amount.zero" });
  await existingOrder(ops, input.orderId);
  const meter = await clients(ops).meter.meterOf(input.orderId);
  const last = input.kind === "Device" ? meter.deviceSequence : meter.inspectorSequence;
  if (input.sequence < 1 || input.sequence > last) {
    throw new OpsInputError(
      `Order ${input.orderId} has ${last} recorded ${input.kind.toLowerCase()} report(s); there is no report ${input.sequence}.`,
      {
        code: "dispute.unknownReport",
        input: { name: "--sequence", value: input.sequence.toString() },
        hint: "Name a recorded report (capacity order list shows each order's reports).",
      },
    );
  }
  const disputeId = await clients(ops).meter.dispute(
    consumer,
    input.orderId,
    KeyKind[input.kind],
    input.sequence,
    input.amount,
    input.reasonHash,
  );
  return { disputeId, ...input };
}

export interface Resolved {
  disputeId: bigint;
  orderId: bigint;
  amount: bigint;
  refund: bigint;
  released: bigint;
  nothingToDo: boolean;
  transaction: Hex | null;
}

/** An auditor resolves a dispute: `refund` (at most the frozen amount) goes back, the rest is released to mature. */
export async function resolveDispute(
  ops: Ops,
  auditor: Wallet,
  input: { disputeId: bigint; refund: bigint; reasonHash: Hex },
): Promise<Resolved> {
  const read = {
    address: ops.addresses.usageMeter,
    abi: usageMeterAbi,
    fromBlock: ops.fromBlock,
    strict: true,
  } as const;
  const client = ops.chain.publicClient;
  const [opened] = await contractEvents(client, {
    ...read,
    eventName: "ReportDisputed",
    args: { disputeId: input.disputeId },
  });
  const flag = { name: "--dispute", value: input.disputeId.toString() };
  if (opened === undefined) {
    throw new OpsInputError(`There is no dispute ${input.disputeId}.`, { code: "dispute.unknown", input: flag });
  }
  const { orderId, amount } = opened.args;
  const done = (
    await contractEvents(client, { ...read, eventName: "DisputeResolved", args: { disputeId: input.disputeId } })
  )[0];
  if (done !== undefined) {
    const refund = done.args.refund;
    return {
      disputeId: input.disputeId,
      orderId,
      amount,
      refund,
      released: amount - refund,
      nothingToDo: true,
      transaction: null,
    };
  }
  if (input.refund > amount) {
    throw new OpsInputError(
      `Dispute ${input.disputeId} froze ${formatEuro(amount)} EUR; a refund of ${formatEuro(input.refund)} EUR is more.`,
      { code: "dispute.refundTooLarge", input: { name: "--refund", value: formatEuro(input.refund) } },
    );
  }
  const receipt = await clients(ops).meter.resolveDispute(auditor, input.disputeId, input.refund, input.reasonHash);
  return {
    disputeId: input.disputeId,
    orderId,
    amount,
    refund: input.refund,
    released: amount - input.refund,
    nothingToDo: false,
    transaction: receipt.transactionHash,
  };
}
