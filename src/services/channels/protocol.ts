/**
 * The micropayment protocol between a payee (beside the machine) and a payer (the consumer's agent), over
 * HTTP on loopback or a private network: for each part or time slice the payee POSTs the device-signed usage
 * increment and the cumulative amount it expects to `/payments`; the payer answers with the voucher for
 * that amount, or refuses with a code and a reason a person can act on. Both sides price an increment the
 * same way: the machine's tariff (TariffMath's rules, mirrored in src/core/tariff.ts) over the channel's
 * cumulative usage, so the setup fee and the minimum charge fall on the first increments and machine time
 * rounds once over the channel.
 */
import type { Address, Hex } from "viem";

import { price, type Tariff } from "../../core/tariff.js";
import type { SignedUsage } from "../../core/increment.js";
import { usageFromJson, usageToJson } from "../../core/increment.js";
import type { Voucher } from "../../core/voucher.js";

/** Usage a channel has been paid for so far. */
export interface Totals {
  machineSeconds: bigint;
  units: bigint;
}

/** What an increment of `increment` usage costs on top of `before`, under `tariff` (royalties are not paid here). */
export function incrementPrice(tariff: Tariff, before: Totals, increment: Totals): bigint {
  const royalties = tariff.licenseIds.map(() => 0n);
  const total = (usage: Totals) =>
    price(tariff, royalties, {
      machineSeconds: usage.machineSeconds,
      units: usage.units,
      inspections: 0,
      licensedProducts: [],
    }).total;
  return (
    total({ machineSeconds: before.machineSeconds + increment.machineSeconds, units: before.units + increment.units }) -
    total(before)
  );
}

export interface PaymentRequest {
  channelId: Hex;
  usage: SignedUsage;
  /** The cumulative amount the payee expects the voucher to carry. */
  amount: bigint;
}

export interface PaymentResponse {
  voucher: Voucher;
  signature: Hex;
}

/** Why a payer refuses to pay an increment. */
export type RefusalCode =
  | "malformed"
  | "unsupported-media-type"
  | "too-large"
  | "unknown-channel"
  | "out-of-sequence"
  | "already-paid-otherwise"
  | "bad-device"
  | "bad-period"
  | "price-mismatch"
  | "deposit-exhausted"
  | "cap-reached";

/** A payment the payer refused: `code` for programs, `reason` for people. */
export class PaymentRefused extends Error {
  override name = "PaymentRefused";

  constructor(
    readonly code: RefusalCode,
    reason: string,
    /** For "out-of-sequence": the increment the payer expects next. */
    readonly expectedSequence?: number,
  ) {
    super(reason);
  }
}

/** HTTP status of each refusal. */
export const REFUSAL_STATUS: Record<RefusalCode, number> = {
  malformed: 400,
  "unsupported-media-type": 415,
  "too-large": 413,
  "unknown-channel": 404,
  "out-of-sequence": 409,
  "already-paid-otherwise": 409,
  "bad-device": 403,
  "bad-period": 422,
  "price-mismatch": 422,
  "deposit-exhausted": 402,
  "cap-reached": 429,
};

/* ---------------------------------------------------------------------------------------- wire format */

export function requestToJson(request: PaymentRequest): string {
  return JSON.stringify({
    channelId: request.channelId,
    increment: usageToJson(request.usage.increment),
    deviceSignature: request.usage.signature,
    amount: request.amount.toString(),
  });
}

export function requestFromJson(body: string): PaymentRequest {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(body) as Record<string, unknown>;
  } catch {
    throw new PaymentRefused("malformed", "The request body is not JSON.");
  }
  try {
    if (typeof value.channelId !== "string") throw new TypeError("channelId is missing");
    if (typeof value.deviceSignature !== "string" || !/^0x[0-9a-fA-F]{130}$/.test(value.deviceSignature)) {
      throw new TypeError("deviceSignature must be a 65-byte hex signature");
    }
    if (typeof value.amount !== "string" || !/^[0-9]+$/.test(value.amount)) {
      throw new TypeError("amount must be a decimal string");
    }
    return {
      channelId: value.channelId as Hex,
      usage: { increment: usageFromJson(value.increment), signature: value.deviceSignature as Hex },
      amount: BigInt(value.amount),
    };
  } catch (error) {
    throw new PaymentRefused("malformed", `The request is malformed: ${(error as Error).message}.`);
  }
}

export function responseToJson(response: PaymentResponse): string {
  const { voucher } = response;
  return JSON.stringify({
    voucher: {
      payee: voucher.payee,
      nonce: voucher.nonce.toString(),
      amount: voucher.amount.toString(),
      usage: voucher.usage,
    },
    signature: response.signature,
  });
}

export function responseFromJson(body: string): PaymentResponse {
  const value = JSON.parse(body) as {
    voucher?: { payee?: unknown; nonce?: unknown; amount?: unknown; usage?: unknown };
    signature?: unknown;
  };
  const v = value.voucher;
  if (
    v === undefined ||
    typeof v.payee !== "string" ||
    typeof v.nonce !== "string" ||
    typeof v.amount !== "string" ||
    typeof v.usage !== "string" ||
    typeof value.signature !== "string"
  ) {
    throw new TypeError(`The payer's answer is not a voucher: ${body.slice(0, 200)}`);
  }
  return {
    voucher: { payee: v.payee as Address, nonce: BigInt(v.nonce), amount: BigInt(v.amount), usage: v.usage as Hex },
    signature: value.signature as Hex,
  };
}

export function refusalToJson(refusal: PaymentRefused): string {
  return JSON.stringify({ error: refusal.code, reason: refusal.message, expectedSequence: refusal.expectedSequence });
}
