/**
 * The payer's end of a payment channel: start closing it alone (the payee may still claim the newest voucher
 * for the challenge period), and settle it once its deadline passed (what the payee did not claim comes back).
 * The channel is named by the payer agent's store and the channel's id (the store knows its payee and nonce),
 * or by its payee and nonce directly.
 */
import { parseEventLogs, type Address, type Hex } from "viem";

import { paymentChannelsAbi } from "../generated/abis.js";
import { channelIdOf, type ChannelKey } from "../core/voucher.js";
import type { Wallet } from "../chain/transact.js";
import { chainTime, clients, OpsInputError, type Ops } from "./context.js";
import { openPayerStore } from "./stores.js";

/** How a command names the payer's channel. */
export type ChannelRef = { store: string; channelId: Hex } | { payee: Address; nonce: bigint };

export interface PayerChannelView {
  channelId: Hex;
  payee: Address;
  nonce: bigint;
  /** The newest voucher the payer agent signed (from its store; undefined without one). */
  signed?: bigint;
}

/** The channel's key and what the payer's store says of it, for the wallet as payer. */
export function payerChannel(payer: Address, ref: ChannelRef): PayerChannelView {
  if ("payee" in ref) {
    return {
      channelId: channelIdOf({ payer, payee: ref.payee, nonce: ref.nonce }),
      payee: ref.payee,
      nonce: ref.nonce,
    };
  }
  const store = openPayerStore(ref.store);
  try {
    const known = store.channel(ref.channelId);
    if (known === undefined) {
      throw new OpsInputError(`The payer's store ${ref.store} holds no channel ${ref.channelId}.`, {
        code: "channel.notInStore",
        input: { name: "--channel", value: ref.channelId },
        hint: "Name a channel the payer agent paid on, or give --payee and --nonce instead.",
      });
    }
    const id = channelIdOf({ payer, payee: known.payee, nonce: known.nonce });
    if (id.toLowerCase() !== ref.channelId.toLowerCase()) {
      throw new OpsInputError(`Channel ${ref.channelId} is not paid from ${payer}.`, {
        code: "channel.otherPayer",
        hint: "Sign with the payer agent's key (its CHANNEL_PAYER_KEY) as $OPS_PRIVATE_KEY.",
      });
    }
    return { channelId: id, payee: known.payee, nonce: known.nonce, signed: known.signed };
  } finally {
    store.close();
  }
}

export interface ChannelClosing {
  channelId: Hex;
  payee: Address;
  nonce: bigint;
  action: "close requested" | "settled";
  nothingToDo: boolean;
  deposit: bigint;
  claimed: bigint;
  signed?: bigint;
  /** Until then the payee may claim; from then on `capacity channel settle` returns the rest. */
  deadline: number;
  /** Returned to the payer by a settle. */
  refunded: bigint;
  transaction: Hex | null;
}

/** Starts closing the channel alone: the payee may claim for the challenge period, then it can be settled. */
export async function closeChannel(ops: Ops, payer: Wallet, ref: ChannelRef): Promise<ChannelClosing> {
  const view = payerChannel(payer.account.address, ref);
  const state = await clients(ops).channels.state(view.channelId);
  const base = { ...view, deposit: state.deposit, claimed: state.claimed, refunded: 0n };
  if (!state.open || state.closing) {
    return { ...base, action: "close requested", nothingToDo: true, deadline: state.deadline, transaction: null };
  }
  const key: ChannelKey = { payer: payer.account.address, payee: view.payee, nonce: view.nonce };
  const receipt = await clients(ops).channels.requestClose(payer, key);
  const [requested] = parseEventLogs({
    abi: paymentChannelsAbi,
    logs: receipt.logs,
    eventName: "ChannelCloseRequested",
  });
  return {
    ...base,
    action: "close requested",
    nothingToDo: false,
    deadline: requested?.args.deadline ?? (await clients(ops).channels.state(view.channelId)).deadline,
    transaction: receipt.transactionHash,
  };
}

/** Settles the channel once its deadline passed: what the payee did not claim goes back to the payer. */
export async function settleChannel(ops: Ops, payer: Wallet, ref: ChannelRef): Promise<ChannelClosing> {
  const view = payerChannel(payer.account.address, ref);
  const state = await clients(ops).channels.state(view.channelId);
  const base = { ...view, deposit: state.deposit, claimed: state.claimed, deadline: state.deadline };
  if (!state.open) {
    return { ...base, action: "settled", nothingToDo: true, refunded: 0n, transaction: null };
  }
  const now = await chainTime(ops);
  if (now < state.deadline) {
    throw new OpsInputError(
      `Channel ${view.channelId} may be settled from ${new Date(state.deadline * 1000).toISOString()} ` +
        `(${state.deadline - now} s from now by the chain's clock); until then its payee may claim.`,
      {
        code: "channel.deadlineNotReached",
        hint: state.closing
          ? "Settle it after that."
          : "Start closing it first (capacity channel close), or wait for its expiry.",
      },
    );
  }
  const key: ChannelKey = { payer: payer.account.address, payee: view.payee, nonce: view.nonce };
  const receipt = await clients(ops).channels.settle(payer, key);
  const [closed] = parseEventLogs({ abi: paymentChannelsAbi, logs: receipt.logs, eventName: "ChannelClosed" });
  return {
    ...base,
    action: "settled",
    nothingToDo: false,
    claimed: closed?.args.claimed ?? state.claimed,
    refunded: closed?.args.refunded ?? 0n,
    transaction: receipt.transactionHash,
  };
}
