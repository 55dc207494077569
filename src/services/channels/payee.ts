/**
 * The payee's side of the micropayment protocol (beside the machine): for each part or time slice it asks
 * the payer for the voucher that pays the device-signed usage increment, verifies it (the payer's
 * signature, the channel as last seen on chain, the amount it expects, never above the deposit), commits it
 * durably, and only then lets the machine go on. It claims on-chain when the unclaimed amount is worth a
 * transaction or the channel's deadline comes near, and whenever the payer starts closing: also after a
 * restart, since everything it needs is in its store.
 */
import type { Address, Hex } from "viem";

import { startPolling, unreachable, type Polling, type Reachability } from "../../chain/poll.js";
import { ConfigRefused } from "../runtime/lifecycle.js";
import { JsonClient } from "../../transport/client.js";

import type { ChannelsClient } from "../../contracts/channels.js";
import { UsageHasher, VoucherVerifier } from "../../crypto/voucher-digest.js";
import type { TariffSource } from "./payer.js";
import {
  PaymentRefused,
  REFUSAL_STATUS,
  incrementPrice,
  requestToJson,
  responseFromJson,
  type RefusalCode,
} from "./protocol.js";
import { VoucherRejected } from "./refusals.js";
import type { PayeeChannel, PayeeStore } from "./store.js";

export { isPermanent, VoucherRejected } from "./refusals.js";
import { usageFromJson, usageToJson, type SignedUsage } from "../../core/increment.js";
import { channelIdOf, type ChannelKey, type ChannelsDomain } from "../../core/voucher.js";
import type { Wallet } from "../../chain/transact.js";

/** When the payee claims: once this much is unclaimed, or this close to the channel's deadline. */
export interface ClaimPolicy {
  threshold: bigint;
  /** Seconds before the deadline from which any unclaimed amount is claimed. */
  margin: number;
}

export interface PayeeOptions {
  domain: ChannelsDomain;
  /** The payee account (lower or mixed case). */
  payee: Address;
  store: PayeeStore;
  tariffs: TariffSource;
  /** The payer agent's base URL, e.g. http://127.0.0.1:8600. */
  payerUrl: string;
  /** Milliseconds to wait for the payer's answer. */
  timeoutMs?: number;
  /** For claims and watching the channel on chain; without it the payee only collects vouchers. */
  chain?: { client: ChannelsClient; wallet: Wallet; policy: ClaimPolicy };
  now?: () => number;
  /** Told of every claim once it is mined and recorded. */
  onClaim?: (claim: { channelId: Hex; amount: bigint; tx: Hex }) => void;
}

/** What a channel is for: the machine whose usage it pays, under which of its tariff versions. */
export interface ChannelTerms {
  machineId: bigint;
  tariffVersion: number;
}

/** What the machine learns when it may go on: the increment is paid for, the voucher is stored. */
export interface Acknowledged {
  channelId: Hex;
  sequence: number;
  price: bigint;
  /** The voucher's cumulative amount. */
  amount: bigint;
  /** Whether this increment was acknowledged before (a retry after a restart). */
  again: boolean;
}

/** The payer's answer: the voucher it signed. */
interface Answer {
  voucher: { payee: Address; nonce: bigint; amount: bigint; usage: Hex };
  signature: Hex;
}

/** What a payee did since it started. */
export interface PayeeCounters {
  /** Increments paid and their vouchers stored. */
  acknowledged: number;
  /** Increments acknowledged before, asked about again. */
  again: number;
  /** Payments the payer refused, by refusal code ("rejected": a voucher this payee did not accept). */
  refused: Record<string, number>;
  /** Payments that failed otherwise (the payer unreachable, or failing). */
  failed: number;
  claims: number;
}

export class PayeeAgent {
  readonly #options: PayeeOptions;
  readonly #verifier: VoucherVerifier;
  readonly #usage: UsageHasher;
  readonly counters: PayeeCounters = { acknowledged: 0, again: 0, refused: {}, failed: 0, claims: 0 };
  readonly #payer: JsonClient;
  readonly #payee: string;
  #watching: Polling | undefined;

  constructor(options: PayeeOptions) {
    this.#options = options;
    this.#payer = new JsonClient(options.payerUrl, { what: "the payer", timeoutMs: options.timeoutMs ?? 5000 });
    this.#verifier = new VoucherVerifier(options.domain);
    this.#usage = new UsageHasher(options.domain);
    this.#payee = options.payee.toLowerCase();
  }

  /** Gets the increment paid; resolves once the voucher is stored, rejects if the machine must not go on. */
  async pay(signed: SignedUsage): Promise<Acknowledged> {
    try {
      const ack = await this.#pay(signed);
      this.counters[ack.again ? "again" : "acknowledged"] += 1;
      return ack;
    } catch (error) {
      const code = error instanceof PaymentRefused ? error.code : error instanceof VoucherRejected ? "rejected" : "";
      if (code === "") this.counters.failed += 1;
      else this.counters.refused[code] = (this.counters.refused[code] ?? 0) + 1;
      throw error;
    }
  }

  async #pay(signed: SignedUsage): Promise<Acknowledged> {
    const { store } = this.#options;
    const { increment } = signed;
    const channel = store.channel(increment.channelId);
    if (channel === undefined) {
      throw new VoucherRejected(`This payee does not serve channel ${increment.channelId}; register it first.`);
    }
    if (increment.sequence <= channel.sequence) {
      const payment = store.payments(channel.channelId).find((p) => p.sequence === increment.sequence);
      if (payment === undefined || payment.usage !== this.#usage.hex(increment)) {
        throw new VoucherRejected(
          `Increment ${increment.sequence} of ${channel.channelId} was acknowledged already, for other usage.`,
        );
      }
      return {
        channelId: channel.channelId,
        sequence: payment.sequence,
        price: payment.price,
        amount: payment.amount,
        again: true,
      };
    }
    if (increment.sequence !== channel.sequence + 1) {
      throw new VoucherRejected(
        `Increment ${increment.sequence} of ${channel.channelId} skips numbers: the next one is ${channel.sequence + 1}.`,
      );
    }
    if (channel.closing) {
      throw new VoucherRejected(
        `The payer started closing channel ${channel.channelId} (deadline ${channel.deadline}); stop serving it.`,
      );
    }
    const tariff = await this.#options.tariffs.tariffOf(channel.machineId, channel.tariffVersion);
    const price = incrementPrice(tariff, channel, increment);
    const previous = store.newestVoucher(channel.channelId)?.amount ?? 0n;
    const amount = previous + price;
    if (amount > channel.deposit) {
      throw new VoucherRejected(
        `Increment ${increment.sequence} would take channel ${channel.channelId} to ${amount}, above its deposit ` +
          `of ${channel.deposit} (as last seen on chain): the payer must top it up.`,
        false,
      );
    }
    const usage = this.#usage.hex(increment);
    // The increment is kept before it is sent: if the answer is lost (either side killed), the payer may
    // have paid it, and only the same increment gets that voucher again.
    const waiting = store.pending(channel.channelId);
    if (waiting !== undefined && waiting.sequence === increment.sequence) {
      if (this.#usage.hex(usageFromJson(JSON.parse(waiting.increment))) !== usage) {
        throw new VoucherRejected(
          `Increment ${increment.sequence} of ${channel.channelId} is waiting for the payer's answer with other ` +
            "usage; ask for the pending increment again (PayeeAgent.pending): the payer pays a number once.",
        );
      }
    } else {
      store.savePending({
        channelId: channel.channelId,
        sequence: increment.sequence,
        increment: JSON.stringify(usageToJson(increment)),
        deviceSignature: signed.signature,
      });
    }
    let answer: Answer;
    try {
      answer = await this.#ask(requestToJson({ channelId: channel.channelId, usage: signed, amount }));
    } catch (error) {
      // A refusal means the payer signed nothing for it: the device may measure this number anew.
      if (error instanceof PaymentRefused) store.dropPending(channel.channelId, increment.sequence);
      throw error;
    }
    this.#check(channel, answer.voucher, answer.signature, amount, usage);
    store.acknowledge(
      {
        channelId: channel.channelId,
        sequence: increment.sequence,
        price,
        amount,
        usage,
        increment: JSON.stringify(usageToJson(increment)),
        deviceSignature: signed.signature,
        voucherSignature: answer.signature,
      },
      { machineSeconds: channel.machineSeconds + increment.machineSeconds, units: channel.units + increment.units },
    );
    return { channelId: channel.channelId, sequence: increment.sequence, price, amount, again: false };
  }

  /**
   * The increment of the channel still waiting for the payer's answer (asked for, never acknowledged), to be
   * asked for again before any new one: after a restart, this is where the machine resumes.
   */
  pending(channelId: Hex): SignedUsage | undefined {
    const waiting = this.#options.store.pending(channelId);
    if (waiting === undefined) return undefined;
    return { increment: usageFromJson(JSON.parse(waiting.increment)), signature: waiting.deviceSignature };
  }

  #check(
    channel: PayeeChannel,
    voucher: { payee: Address; nonce: bigint; amount: bigint; usage: Hex },
    signature: Hex,
    amount: bigint,
    usage: Hex,
  ): void {
    const where = `the voucher for increment of channel ${channel.channelId}`;
    if (voucher.payee.toLowerCase() !== this.#payee) {
      throw new VoucherRejected(`${where} pays ${voucher.payee}, not this payee (${this.#payee}).`);
    }
    if (voucher.nonce !== channel.nonce) {
      throw new VoucherRejected(`${where} names nonce ${voucher.nonce}, not the channel's ${channel.nonce}.`);
    }
    if (voucher.amount !== amount) {
      throw new VoucherRejected(`${where} is for ${voucher.amount} in all; the tariff gives ${amount}.`);
    }
    if (voucher.usage.toLowerCase() !== usage.toLowerCase()) {
      throw new VoucherRejected(`${where} names usage ${voucher.usage}, not the increment ${usage}.`);
    }
    let signer: string;
    try {
      signer = this.#verifier.signer(voucher, signature);
    } catch (error) {
      throw new VoucherRejected(`${where} has a malformed signature: ${(error as Error).message}.`);
    }
    if (signer !== channel.payer.toLowerCase()) {
      throw new VoucherRejected(`${where} is signed by ${signer}, not by the channel's payer ${channel.payer}.`);
    }
  }

  /**
   * POST /payments: the voucher, or a PaymentRefused when the payer refuses (it signed nothing); any other
   * failure (unreachable, a failure inside the payer, an answer no payer gives) may hide a voucher signed, so
   * the same increment is asked for again.
   */
  async #ask(body: string): Promise<Answer> {
    const answer = await this.#payer.post("/payments", body);
    if (answer.status === 200) return responseFromJson(answer.text);
    const refusal = (answer.body ?? {}) as { error?: string; reason?: string; expectedSequence?: number };
    if (refusal.error === undefined || !Object.hasOwn(REFUSAL_STATUS, refusal.error)) {
      throw new Error(`The payer failed (HTTP ${answer.status}): ${refusal.reason ?? answer.text.slice(0, 200)}`);
    }
    throw new PaymentRefused(
      refusal.error as RefusalCode,
      `The payer refused: ${refusal.reason ?? answer.text}`,
      refusal.expectedSequence,
    );
  }

  /* ------------------------------------------------------------------ on chain */

  /**
   * Serves the channel `key` (paying this payee) for `terms`: registers it from its on-chain state the first
   * time, refreshes that state on every later start. A channel that is not open cannot be registered.
   */
  async track(key: ChannelKey, terms: ChannelTerms): Promise<PayeeChannel> {
    const chain = this.#requireChain();
    const channelId = channelIdOf(key);
    if (key.payee.toLowerCase() !== this.#payee) {
      throw new ConfigRefused(`Channel ${channelId} pays ${key.payee}, not this payee (${this.#options.payee}).`);
    }
    const known = this.#options.store.channel(channelId);
    if (known === undefined) {
      const state = await chain.client.state(channelId);
      if (!state.open) {
        throw new ConfigRefused(
          `Channel ${channelId} (payer ${key.payer}, nonce ${key.nonce}) is not open on chain: check the payer, the ` +
            "nonce and the PaymentChannels address, or have the payer open it first.",
        );
      }
      this.#options.store.addChannel({
        channelId,
        payer: key.payer,
        payee: key.payee,
        nonce: key.nonce,
        machineId: terms.machineId,
        tariffVersion: terms.tariffVersion,
        deposit: state.deposit,
        claimed: state.claimed,
        deadline: state.deadline,
        closing: state.closing,
      });
    } else if (known.machineId !== terms.machineId || known.tariffVersion !== terms.tariffVersion) {
      throw new ConfigRefused(
        `This store serves channel ${channelId} for machine ${known.machineId} under tariff v${known.tariffVersion}, ` +
          `not machine ${terms.machineId} v${terms.tariffVersion}: the terms of a channel never change.`,
      );
    }
    return this.sync(channelId);
  }

  /** Reads the channel's on-chain state into the store; returns it. */
  async sync(channelId: Hex): Promise<PayeeChannel> {
    const chain = this.#requireChain();
    const state = await chain.client.state(channelId);
    this.#options.store.observe(channelId, state);
    const channel = this.#options.store.channel(channelId);
    if (channel === undefined) throw new Error(`This payee does not serve channel ${channelId}.`);
    return channel;
  }

  /** Claims the newest voucher of the channel if it adds to what was claimed; returns the amount claimed. */
  async claim(channelId: Hex): Promise<bigint> {
    const chain = this.#requireChain();
    const channel = await this.sync(channelId);
    const newest = this.#options.store.newestVoucher(channelId);
    if (newest === undefined || newest.amount <= channel.claimed || channel.deadline === 0) return 0n;
    const receipt = await chain.client.claim(chain.wallet, {
      nonce: channel.nonce,
      amount: newest.amount,
      usage: newest.usage,
      signature: newest.signature,
    });
    this.#options.store.recordClaim(channelId, newest.amount, receipt.transactionHash);
    this.counters.claims += 1;
    this.#options.onClaim?.({ channelId, amount: newest.amount, tx: receipt.transactionHash });
    await this.sync(channelId);
    return newest.amount - channel.claimed;
  }

  /**
   * One round of watching: for every channel, read its state and claim if the payer started closing, the
   * deadline is near, or enough is unclaimed. Returns the channels it claimed on.
   */
  async watchOnce(): Promise<Hex[]> {
    const chain = this.#requireChain();
    const now = (this.#options.now ?? (() => Math.floor(Date.now() / 1000)))();
    const claimed: Hex[] = [];
    for (const known of this.#options.store.channels()) {
      if (known.deadline === 0) continue;
      const channel = await this.sync(known.channelId);
      if (channel.deadline === 0) continue;
      const newest = this.#options.store.newestVoucher(channel.channelId);
      const unclaimed = (newest?.amount ?? 0n) - channel.claimed;
      if (unclaimed <= 0n) continue;
      const urgent = channel.closing || channel.deadline - now <= chain.policy.margin;
      if (urgent || unclaimed >= chain.policy.threshold) {
        await this.claim(channel.channelId);
        claimed.push(channel.channelId);
      }
    }
    return claimed;
  }

  /**
   * Watches every `intervalMs` until {stopWatching}. A round the node did not answer is told to `node` (which
   * says the outage once); other errors go to `onError`. Failed rounds are tried again after a pause that
   * doubles, up to ten intervals (at most 30 s).
   */
  startWatching(intervalMs: number, onError: (error: unknown) => void = () => undefined, node?: Reachability): void {
    if (this.#watching !== undefined) return;
    this.#watching = startPolling(
      async () => {
        await this.watchOnce();
        node?.ok();
      },
      {
        intervalMs,
        backoff: { maxMs: Math.min(30_000, 10 * intervalMs) },
        onError: (error) => {
          if (node !== undefined && unreachable(error)) node.failed(error);
          else onError(error);
        },
      },
    );
  }

  /** Stops watching once the round in progress (a claim, say) has ended. */
  async stopWatching(): Promise<void> {
    const watching = this.#watching;
    this.#watching = undefined;
    await watching?.stop();
  }

  /** Closes the connections kept alive to the payer. */
  close(): void {
    this.#payer.close();
  }

  #requireChain(): NonNullable<PayeeOptions["chain"]> {
    if (this.#options.chain === undefined) throw new Error("This payee agent was started without a chain connection.");
    return this.#options.chain;
  }
}
