/**
 * A machine on a payment channel, for the payee's process: it makes one part per tick, its device key signs
 * the usage increment of the part (the time since the previous part, one unit), and it goes on only once
 * the payee agent has the part paid and the voucher stored. It resumes from the payee's store: first the
 * increment still waiting for the payer's answer (the payer may have paid it, and pays a number for one
 * usage only), then the next number after the newest acknowledged one.
 */
import { keccak256, stringToHex, type Hex, type LocalAccount } from "viem";

import { pauseAfter, sleep } from "../../chain/poll.js";
import { isPermanent, type Acknowledged, type PayeeAgent } from "./payee.js";
import type { PayeeStore } from "./store.js";
import { signUsage, usageFromJson, type SignedUsage } from "../../core/increment.js";
import type { ChannelsDomain } from "../../core/voucher.js";

export interface MachineOptions {
  agent: PayeeAgent;
  /** The agent's store. */
  store: PayeeStore;
  channelId: Hex;
  /** The machine's device key, registered for it in the MachineRegistry. */
  device: LocalAccount;
  domain: ChannelsDomain;
  /** Milliseconds between parts. */
  tickMs: number;
  /**
   * Milliseconds to wait before asking again when a payment failed (default: `tickMs`, at least 100), doubled
   * at each failure in a row up to `maxRetryMs` (default: 5,000, or `retryMs` if more).
   */
  retryMs?: number;
  maxRetryMs?: number;
  /** Stop once this many parts are paid on the channel in all (default: go on until stopped). */
  parts?: number;
  /** Unix seconds. */
  now?: () => number;
  onAcknowledged?: (ack: Acknowledged) => void;
  /** A payment failed (the `failures`-th in a row); the machine waits and asks again for the same increment. */
  onWaiting?: (sequence: number, error: Error, failures: number) => void;
}

/**
 * Why the machine stopped: the job is done, the payer started closing, it was told to, or a payment was refused
 * in a way asking again cannot change (see {Machine.refusal}).
 */
export type MachineStop = "done" | "closing" | "stopped" | "refused";

export class Machine {
  readonly #options: MachineOptions;
  readonly #stop = new AbortController();
  #refusal: Error | undefined;
  /** Where the next part's period starts: where the newest acknowledged part's ended. */
  #lastEnd: number | undefined;

  constructor(options: MachineOptions) {
    this.#options = options;
    const newest = options.store.payments(options.channelId).at(-1);
    if (newest !== undefined) this.#lastEnd = usageFromJson(JSON.parse(newest.increment)).periodEnd;
  }

  /** The refusal the machine stopped on ("refused"). */
  get refusal(): Error | undefined {
    return this.#refusal;
  }

  /**
   * Makes parts until the job is done, the payer starts closing the channel, {stop} is called, or a payment is
   * refused for good. A payment that failed otherwise is asked for again after a pause that grows.
   */
  async run(): Promise<MachineStop> {
    const { agent, store, channelId, tickMs } = this.#options;
    const retryMs = this.#options.retryMs ?? Math.max(tickMs, 100);
    const backoff = { maxMs: Math.max(this.#options.maxRetryMs ?? 5000, retryMs) };
    const { signal } = this.#stop;
    let failures = 0;
    while (!signal.aborted) {
      const channel = store.channel(channelId);
      if (channel === undefined) throw new Error(`The payee's store has no channel ${channelId}; track it first.`);
      if (channel.closing) return "closing";
      if (this.#options.parts !== undefined && channel.sequence >= this.#options.parts) return "done";
      const signed = agent.pending(channelId) ?? (await this.#nextPart(channel.sequence + 1));
      try {
        const ack = await agent.pay(signed);
        failures = 0;
        this.#lastEnd = signed.increment.periodEnd;
        this.#options.onAcknowledged?.(ack);
        await sleep(tickMs, signal);
      } catch (caught) {
        if (store.channel(channelId)?.closing === true) return "closing";
        const error = caught instanceof Error ? caught : new Error(String(caught));
        if (isPermanent(error)) {
          this.#refusal = error;
          return "refused";
        }
        failures += 1;
        this.#options.onWaiting?.(signed.increment.sequence, error, failures);
        await sleep(pauseAfter(retryMs, failures, backoff), signal);
      }
    }
    return "stopped";
  }

  /** Stops after the payment in progress (if any) is settled one way or the other. */
  stop(): void {
    this.#stop.abort();
  }

  /** The device-signed increment of part `sequence`: the machine ran from the previous part's end until now. */
  #nextPart(sequence: number): Promise<SignedUsage> {
    const { device, domain, channelId } = this.#options;
    const now = (this.#options.now ?? (() => Math.floor(Date.now() / 1000)))();
    const periodStart = this.#lastEnd ?? now - 1;
    const periodEnd = Math.max(now, periodStart);
    return signUsage(device, domain, {
      channelId,
      sequence,
      periodStart,
      periodEnd,
      machineSeconds: BigInt(periodEnd - periodStart),
      units: 1n,
      readingsRoot: keccak256(stringToHex(`readings of part ${sequence} of ${channelId}, ${periodStart}-${periodEnd}`)),
    });
  }
}
