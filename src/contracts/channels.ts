/**
 * PaymentChannels over viem: opening (with an approval or a permit), top-ups, claims (one or many),
 * cooperative and unilateral closing, settling, and the channel's state. Refusals name the contract's
 * custom error (see src/chain/transact.ts).
 */
import { getContract, parseSignature, type Address, type Hex, type TransactionReceipt } from "viem";

import { paymentChannelsAbi, settlementTokenAbi } from "../generated/abis.js";
import { eventOf, transact, type ChainContext, type Wallet } from "../chain/transact.js";
import { permitTypes, tokenDomain } from "../core/typed-data.js";
import { channelIdOf, compact, openedInBlock, type ChannelKey } from "../core/voucher.js";

/** A channel's on-chain state; `open` false once it was closed (or never existed). */
export interface ChannelState {
  deposit: bigint;
  claimed: bigint;
  deadline: number;
  /** The payer started closing: the payee may claim until `deadline`. */
  closing: boolean;
  open: boolean;
}

export interface OpenTerms {
  payee: Address;
  salt: number;
  deposit: bigint;
  expiresAt: number;
  challengePeriod: number;
}

export interface ClaimInput {
  nonce: bigint;
  amount: bigint;
  usage: Hex;
  signature: Hex;
}

export class ChannelsClient {
  readonly #channels;
  readonly #token;

  constructor(
    readonly chain: ChainContext,
    readonly addresses: { paymentChannels: Address; token: Address },
  ) {
    const client = chain.publicClient;
    this.#channels = getContract({ address: addresses.paymentChannels, abi: paymentChannelsAbi, client });
    this.#token = getContract({ address: addresses.token, abi: settlementTokenAbi, client });
  }

  async state(channelId: Hex, blockNumber?: bigint): Promise<ChannelState> {
    const c = await this.#channels.read.channel([channelId], { blockNumber });
    return {
      deposit: c.deposit,
      claimed: c.claimed,
      deadline: c.deadline,
      closing: c.deadline !== 0 && c.challengePeriod === 0,
      open: c.deadline !== 0,
    };
  }

  /** When the channel with `nonce` was opened (Unix seconds): the timestamp of the block its nonce names. */
  async openedAt(nonce: bigint): Promise<number> {
    const block = await this.chain.publicClient.getBlock({ blockNumber: openedInBlock(nonce) });
    return Number(block.timestamp);
  }

  async minChallengePeriod(): Promise<number> {
    return this.#channels.read.minChallengePeriod();
  }

  /** Approves the deposit and opens the channel; returns its key and id. */
  async open(
    payer: Wallet,
    terms: OpenTerms,
  ): Promise<{ key: ChannelKey; channelId: Hex; receipt: TransactionReceipt }> {
    await transact(this.chain, payer, {
      address: this.addresses.token,
      abi: settlementTokenAbi,
      functionName: "approve",
      args: [this.addresses.paymentChannels, terms.deposit],
    });
    const receipt = await transact(this.chain, payer, {
      address: this.addresses.paymentChannels,
      abi: paymentChannelsAbi,
      functionName: "open",
      args: [terms.payee, terms.salt, terms.deposit, terms.expiresAt, terms.challengePeriod],
    });
    return this.#opened(payer.account.address, terms.payee, receipt);
  }

  /** Opens the channel with an EIP-2612 permit for the deposit, in one transaction. */
  async openWithPermit(
    payer: Wallet,
    terms: OpenTerms,
    permitDeadline: bigint,
  ): Promise<{ key: ChannelKey; channelId: Hex; receipt: TransactionReceipt }> {
    const owner = payer.account.address;
    const [name, nonce, chainId] = await Promise.all([
      this.#token.read.name(),
      this.#token.read.nonces([owner]),
      this.chain.publicClient.getChainId(),
    ]);
    const signature = await payer.signTypedData({
      domain: tokenDomain(name, chainId, this.addresses.token),
      types: permitTypes,
      primaryType: "Permit",
      message: {
        owner,
        spender: this.addresses.paymentChannels,
        value: terms.deposit,
        nonce,
        deadline: permitDeadline,
      },
    });
    const { v, r, s } = parseSignature(signature);
    const receipt = await transact(this.chain, payer, {
      address: this.addresses.paymentChannels,
      abi: paymentChannelsAbi,
      functionName: "openWithPermit",
      args: [
        terms.payee,
        terms.salt,
        terms.deposit,
        terms.expiresAt,
        terms.challengePeriod,
        permitDeadline,
        Number(v),
        r,
        s,
      ],
    });
    return this.#opened(owner, terms.payee, receipt);
  }

  #opened(payer: Address, payee: Address, receipt: TransactionReceipt) {
    const event = eventOf("open", receipt, paymentChannelsAbi, "ChannelOpened");
    const key: ChannelKey = { payer, payee, nonce: event.args.nonce };
    return { key, channelId: channelIdOf(key), receipt };
  }

  async topUp(payer: Wallet, key: ChannelKey, amount: bigint): Promise<TransactionReceipt> {
    await transact(this.chain, payer, {
      address: this.addresses.token,
      abi: settlementTokenAbi,
      functionName: "approve",
      args: [this.addresses.paymentChannels, amount],
    });
    return transact(this.chain, payer, {
      address: this.addresses.paymentChannels,
      abi: paymentChannelsAbi,
      functionName: "topUp",
      args: [key.payee, key.nonce, amount],
    });
  }

  /** The payee claims a voucher without closing. */
  async claim(payee: Wallet, voucher: ClaimInput): Promise<TransactionReceipt> {
    const { r, vs } = compact(voucher.signature);
    return transact(this.chain, payee, {
      address: this.addresses.paymentChannels,
      abi: paymentChannelsAbi,
      functionName: "claim",
      args: [voucher.nonce, voucher.amount, voucher.usage, r, vs],
    });
  }

  /** The payee claims many channels in one transaction; stale vouchers are skipped by the contract. */
  async claimMany(payee: Wallet, vouchers: readonly ClaimInput[]): Promise<TransactionReceipt> {
    return transact(this.chain, payee, {
      address: this.addresses.paymentChannels,
      abi: paymentChannelsAbi,
      functionName: "claimMany",
      args: [vouchers.map((v) => ({ nonce: v.nonce, amount: v.amount, usage: v.usage, ...compact(v.signature) }))],
    });
  }

  /** The payer closes at once with the payee's close authorisation for `amount` in all. */
  async closeCooperatively(
    payer: Wallet,
    key: ChannelKey,
    amount: bigint,
    authorization: Hex,
  ): Promise<TransactionReceipt> {
    const { r, vs } = compact(authorization);
    return transact(this.chain, payer, {
      address: this.addresses.paymentChannels,
      abi: paymentChannelsAbi,
      functionName: "closeCooperatively",
      args: [key.payee, key.nonce, amount, r, vs],
    });
  }

  /** The payee gives the channel up: it closes at what was claimed and the rest goes back to the payer. */
  async release(payee: Wallet, key: ChannelKey): Promise<TransactionReceipt> {
    return transact(this.chain, payee, {
      address: this.addresses.paymentChannels,
      abi: paymentChannelsAbi,
      functionName: "release",
      args: [key.payer, key.nonce],
    });
  }

  /** The payer starts closing alone; the payee may claim for the challenge period. */
  async requestClose(payer: Wallet, key: ChannelKey): Promise<TransactionReceipt> {
    return transact(this.chain, payer, {
      address: this.addresses.paymentChannels,
      abi: paymentChannelsAbi,
      functionName: "requestClose",
      args: [key.payee, key.nonce],
    });
  }

  /** Anyone settles a channel past its deadline; the rest goes to the payer. */
  async settle(sender: Wallet, key: ChannelKey): Promise<TransactionReceipt> {
    return transact(this.chain, sender, {
      address: this.addresses.paymentChannels,
      abi: paymentChannelsAbi,
      functionName: "settle",
      args: [key.payer, key.payee, key.nonce],
    });
  }
}
