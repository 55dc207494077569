/**
 * The payer's side of the micropayment protocol (the consumer's agent): it checks each device-signed usage
 * increment against the machine's registered device keys, the tariff and its own spending caps per device
 * and period, signs the next voucher, commits it durably, and only then answers. An increment it paid
 * already is answered with the same voucher again, so a payee that lost an answer can simply ask again.
 */
import type { Server } from "node:http";

import { getAddress, type Address, type Hex } from "viem";

import type { Reachability } from "../../chain/poll.js";
import { KeyKind } from "../../core/listing.js";
import { BodyRefused, createHttpServer, HttpError, json, jsonBody, type Reply } from "../../transport/server.js";
import { countFrom, countsFrom, gaugeFrom, metricsRoute, Registry } from "../runtime/metrics.js";
import type { DeviceDirectory, TariffSource } from "./chain.js";
import {
  PaymentRefused,
  REFUSAL_STATUS,
  incrementPrice,
  refusalToJson,
  requestFromJson,
  responseToJson,
  type PaymentRequest,
  type PaymentResponse,
} from "./protocol.js";
import { recoverAddress } from "../../crypto/secp256k1.js";
import type { PayerChannel, PayerStore } from "./store.js";
import { UsageHasher, VoucherSigner } from "../../crypto/voucher-digest.js";
import type { ChannelsDomain, Voucher } from "../../core/voucher.js";

export {
  registryDevices,
  registryTariffs,
  trackChannel,
  type DeviceDirectory,
  type DeviceKey,
  type TariffSource,
} from "./chain.js";

/** The payer's limits: at most `perDevice` paid to any one device per `periodSeconds` of reported time. */
export interface SpendingCaps {
  periodSeconds: number;
  perDevice: bigint;
  /** Other limits for some devices (lower-case addresses). */
  devices?: Readonly<Record<string, bigint>>;
}

export interface PayerOptions {
  domain: ChannelsDomain;
  /** The payer account's private key: it signs the vouchers. */
  privateKey: Hex;
  store: PayerStore;
  devices: DeviceDirectory;
  tariffs: TariffSource;
  caps: SpendingCaps;
  /** Seconds an increment's period may end after the payer's clock (clock skew). */
  clockSkew?: number;
  now?: () => number;
  /** Told of every voucher the payer answers with: once committed, and again whenever it is asked again. */
  onPaid?: (paid: PaidVoucher) => void;
}

/** A voucher the payer answered with; `again` when it re-answered an increment it had paid already. */
export interface PaidVoucher {
  channelId: Hex;
  sequence: number;
  voucher: Voucher;
  signature: Hex;
  again: boolean;
}

/** What a payer did since it started. */
export interface PayerCounters {
  /** Vouchers signed (a new increment paid). */
  vouchers: number;
  /** Vouchers answered again (an increment paid before, asked for again). */
  again: number;
  /** Payments refused, by refusal code. */
  refused: Record<string, number>;
  /** Payments that failed inside the payer (not a refusal). */
  failed: number;
}

export class PayerAgent {
  readonly counters: PayerCounters = { vouchers: 0, again: 0, refused: {}, failed: 0 };
  readonly #options: PayerOptions;
  /** Payments asked for and not answered yet. */
  #backlog = 0;
  readonly #signer: VoucherSigner;
  readonly #usage: UsageHasher;
  /** Payments are answered one at a time per channel, in order. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: PayerOptions) {
    this.#options = options;
    this.#signer = new VoucherSigner(options.domain, options.privateKey);
    this.#usage = new UsageHasher(options.domain);
  }

  /** Pays for one increment, or throws a PaymentRefused saying why not. */
  pay(request: PaymentRequest): Promise<PaymentResponse> {
    this.#backlog += 1;
    const result = this.#queue.then(() => this.#pay(request));
    this.#queue = result.then(
      () => (this.#backlog -= 1),
      (error: unknown) => {
        this.#backlog -= 1;
        if (error instanceof PaymentRefused)
          this.counters.refused[error.code] = (this.counters.refused[error.code] ?? 0) + 1;
        else this.counters.failed += 1;
      },
    );
    return result;
  }

  /** Payments asked for and not answered yet. */
  get backlog(): number {
    return this.#backlog;
  }

  async #pay(request: PaymentRequest): Promise<PaymentResponse> {
    const { store } = this.#options;
    const { increment, signature } = request.usage;
    const channel = store.channel(request.channelId);
    if (channel === undefined) {
      throw new PaymentRefused("unknown-channel", `This payer has no channel ${request.channelId}.`);
    }
    if (increment.channelId !== request.channelId) {
      throw new PaymentRefused(
        "malformed",
        `The increment was signed for channel ${increment.channelId}, not ${request.channelId}.`,
      );
    }
    const usage = this.#usage.hex(increment);
    const voucher = { payee: channel.payee, nonce: channel.nonce, usage };
    if (increment.sequence === channel.sequence) {
      const paid = store.newestVoucher(request.channelId);
      if (paid === undefined || paid.usage !== usage) {
        throw new PaymentRefused(
          "already-paid-otherwise",
          `Increment ${increment.sequence} was paid already, for other usage (${paid?.usage}); the device signed ` +
            "two different increments with one number.",
        );
      }
      const answer = { voucher: { ...voucher, amount: paid.amount }, signature: paid.signature };
      this.#tell({ channelId: request.channelId, sequence: increment.sequence, ...answer, again: true });
      return answer;
    }
    if (increment.sequence !== channel.sequence + 1) {
      throw new PaymentRefused(
        "out-of-sequence",
        `Increment ${increment.sequence} is out of sequence: the next one to pay is ${channel.sequence + 1}.`,
        channel.sequence + 1,
      );
    }
    const device = await this.#device(channel.machineId, usage, signature, increment.periodEnd);
    this.#checkPeriod(increment, channel, device);
    const tariff = await this.#options.tariffs.tariffOf(channel.machineId, channel.tariffVersion);
    const cost = incrementPrice(tariff, channel, increment);
    const amount = channel.signed + cost;
    if (request.amount !== amount) {
      throw new PaymentRefused(
        "price-mismatch",
        `The payee asks for ${request.amount} in all, but increment ${increment.sequence} costs ${cost} under ` +
          `tariff v${channel.tariffVersion} of machine ${channel.machineId}, ${amount} in all.`,
      );
    }
    if (amount > channel.deposit) {
      throw new PaymentRefused(
        "deposit-exhausted",
        `Paying ${amount} in all would exceed the channel's deposit of ${channel.deposit}: top the channel up or open another.`,
      );
    }
    const { caps } = this.#options;
    const period = Math.floor(increment.periodEnd / caps.periodSeconds);
    const cap = caps.devices?.[device.toLowerCase()] ?? caps.perDevice;
    const spent = store.spent(device, period);
    if (spent + cost > cap) {
      throw new PaymentRefused(
        "cap-reached",
        `Device ${device} was paid ${spent} in its ${caps.periodSeconds}-second period ${period}; ${cost} more ` +
          `would exceed the cap of ${cap}.`,
      );
    }
    const signed = { ...voucher, amount };
    const voucherSignature = this.#signer.sign(signed);
    store.commit({
      channelId: request.channelId,
      sequence: increment.sequence,
      amount,
      machineSeconds: channel.machineSeconds + increment.machineSeconds,
      units: channel.units + increment.units,
      device,
      period,
      periodEnd: increment.periodEnd,
      price: cost,
      usage,
      signature: voucherSignature,
    });
    this.#tell({
      channelId: request.channelId,
      sequence: increment.sequence,
      voucher: signed,
      signature: voucherSignature,
      again: false,
    });
    return { voucher: signed, signature: voucherSignature };
  }

  /** Tells `onPaid`; what it throws must not turn a committed voucher into a failed payment. */
  #tell(paid: PaidVoucher): void {
    if (paid.again) this.counters.again += 1;
    else this.counters.vouchers += 1;
    try {
      this.#options.onPaid?.(paid);
    } catch {
      // The voucher is committed and is answered regardless.
    }
  }

  /** The device that signed the increment, if it is a device key of the machine valid at the period's end. */
  async #device(machineId: bigint, usage: Hex, signature: Hex, at: number): Promise<Address> {
    let device: Address;
    try {
      const recovered = recoverAddress(Buffer.from(usage.slice(2), "hex"), Buffer.from(signature.slice(2), "hex"));
      device = getAddress(`0x${Buffer.from(recovered).toString("hex")}`);
    } catch (error) {
      throw new PaymentRefused(
        "bad-device",
        `The increment's device signature is invalid: ${(error as Error).message}.`,
      );
    }
    const key = await this.#options.devices.keyOf(device);
    if (key === undefined || key.machineId !== machineId || key.kind !== KeyKind.Device) {
      throw new PaymentRefused(
        "bad-device",
        `The increment was signed by ${device}, which is not a device key of machine ${machineId}.`,
      );
    }
    if (at < key.validFrom || (key.validUntil !== 0 && at >= key.validUntil)) {
      throw new PaymentRefused(
        "bad-device",
        `Device key ${device} was not valid when the increment's period ended (${at}); it is valid from ` +
          `${key.validFrom}${key.validUntil === 0 ? "" : ` until ${key.validUntil}`}.`,
      );
    }
    return device;
  }

  /**
   * The increment's period is one the payer may pay: it ends after it starts, not in the future, holds the
   * machine seconds, and starts neither before the channel was opened nor before the end of the last increment
   * of the device paid on the channel. (Periods follow each other: else back-dated increments, each in a cap
   * period with nothing spent yet, would be paid past the device's cap.)
   */
  #checkPeriod(increment: PaymentRequest["usage"]["increment"], channel: PayerChannel, device: Address): void {
    const now = (this.#options.now ?? (() => Math.floor(Date.now() / 1000)))();
    const skew = this.#options.clockSkew ?? 60;
    if (increment.periodEnd < increment.periodStart) {
      throw new PaymentRefused("bad-period", `Increment ${increment.sequence} ends before it starts.`);
    }
    if (channel.openedAt === 0) {
      // Not the device's fault: the operator starts the payer through trackChannel once, which reads it.
      throw new Error(
        `The payer's store does not know when channel ${channel.channelId} was opened (it was registered by an ` +
          "older version); restart the payer (scripts/channel-payer.ts), which reads it from the chain.",
      );
    }
    if (increment.periodStart < channel.openedAt) {
      throw new PaymentRefused(
        "bad-period",
        `Increment ${increment.sequence} starts at ${increment.periodStart}, before channel ${channel.channelId} was ` +
          `opened (at ${channel.openedAt}): usage before that is not paid on it. Start the period at ` +
          `${channel.openedAt} or later.`,
      );
    }
    const paidUntil = this.#options.store.paidUntil(channel.channelId, device);
    if (paidUntil !== undefined && increment.periodStart < paidUntil) {
      throw new PaymentRefused(
        "bad-period",
        `Increment ${increment.sequence} starts at ${increment.periodStart}, before ${paidUntil}, where the last ` +
          `increment of device ${device} paid on this channel ended: periods follow each other and never ` +
          `overlap. Start the period at ${paidUntil} or later.`,
      );
    }
    if (increment.periodEnd > now + skew) {
      throw new PaymentRefused(
        "bad-period",
        `Increment ${increment.sequence} ends at ${increment.periodEnd}, in the future (now ${now}).`,
      );
    }
    if (increment.machineSeconds > BigInt(increment.periodEnd - increment.periodStart)) {
      throw new PaymentRefused(
        "bad-period",
        `Increment ${increment.sequence} counts ${increment.machineSeconds} machine seconds in a period of ` +
          `${increment.periodEnd - increment.periodStart}.`,
      );
    }
  }
}

/**
 * Largest payment request accepted: one carries a channel id, one increment, a signature and an amount, at most
 * some 650 bytes (with 64-bit counts and a 256-bit amount).
 */
export const MAX_PAYMENT_BODY_BYTES = 8 * 1024;

/** What serves a payer beside its agent: the node as its chain reads find it, and more for GET /status. */
export interface PayerServerOptions {
  node?: Reachability;
  /** More of GET /status: the channels served, what the store holds. */
  status?: () => Record<string, unknown>;
}

/** The payer's metrics, read at each scrape from its counters. */
export function payerMetrics(agent: PayerAgent, node?: Reachability): Registry {
  const registry = new Registry();
  const { counters } = agent;
  countFrom(registry, "payer_vouchers_total", "Vouchers signed (increments paid)", () => counters.vouchers);
  countFrom(registry, "payer_vouchers_again_total", "Vouchers answered again", () => counters.again);
  countsFrom(registry, "payer_payments_refused_total", "Payments refused", "code", () => ({ ...counters.refused }));
  countFrom(registry, "payer_payments_failed_total", "Payments failed inside the payer", () => counters.failed);
  gaugeFrom(registry, "payer_backlog_payments", "Payments asked for, not answered yet", () => agent.backlog);
  gaugeFrom(registry, "payer_node_reachable", "1 while the node answers, 0 in an outage", () =>
    node?.reachable === false ? 0 : 1,
  );
  return registry;
}

/** A refusal in the protocol's wire form: `{ error: code, reason }`; 500 "internal" for the unforeseen. */
function payerRefusal(caught: unknown): Reply {
  const error =
    caught instanceof BodyRefused
      ? new PaymentRefused(caught.status === 413 ? "too-large" : "unsupported-media-type", caught.message)
      : caught;
  if (error instanceof PaymentRefused) return jsonBody(REFUSAL_STATUS[error.code], refusalToJson(error));
  if (error instanceof HttpError) return json(error.status, { error: "not-found", reason: error.message });
  return json(500, { error: "internal", reason: (error as Error).message });
}

/**
 * Serves a payer agent over HTTP: POST /payments (Content-Type: application/json, at most
 * MAX_PAYMENT_BODY_BYTES) pays an increment; GET /health answers "ok"; GET /status the counters (and what
 * `options.status` adds) as JSON, GET /metrics the same for Prometheus.
 */
export function createPayerServer(agent: PayerAgent, options: PayerServerOptions = {}): Server {
  const metrics = payerMetrics(agent, options.node);
  return createHttpServer({
    routes: [
      {
        method: "POST",
        path: "/payments",
        body: { maxBytes: MAX_PAYMENT_BODY_BYTES, tooLarge: "a payment request carries one usage increment" },
        handle: async (request) =>
          jsonBody(200, responseToJson(await agent.pay(requestFromJson(await request.text())))),
      },
      { method: "GET", path: "/health", handle: () => ({ status: 200, body: "ok", type: "text/plain" }) },
      {
        method: "GET",
        path: "/status",
        handle: () =>
          json(200, {
            ...options.status?.(),
            ...agent.counters,
            backlog: agent.backlog,
            ...(options.node === undefined ? {} : { node: options.node.status() }),
          }),
      },
      metricsRoute(metrics),
    ],
    refusal: payerRefusal,
  });
}
