/**
 * The micropayment protocol between a payee (beside the machine) and a payer (the consumer's agent), over
 * HTTP on loopback or a private network: for each part or time slice the payee POSTs the device-signed usage
 * increment and the cumulative amount it expects to `/payments`; the payer answers with the voucher for
 * that amount, or refuses with a code and a reason a person can act on. Both sides price an increment the
 * same way: the machine's tariff (TariffMath's rules, mirrored in src/core/tariff.ts) over the channel's
 * cumulative usage, so the setup fee and the minimum charge fall on the first increments and machine time
 * rounds once over the channel.
 */
import type { Hex } from "viem";
import { z } from "zod";

import { hexSchema, messageSchema, parseWire } from "../../codec/wire-schema.js";
import { messageToJson, WireError } from "../../core/message.js";
import { price, type Tariff } from "../../core/tariff.js";
import { usageIncrementFields, usageToJson, type SignedUsage } from "../../core/increment.js";
import { voucherFields, type Voucher } from "../../core/voucher.js";

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

const decimal = z
  .string()
  .regex(/^[0-9]+$/, { error: "must be a decimal string" })
  .transform((value) => BigInt(value));

/** POST /payments: the increment's wire form comes from its field table (src/core/increment.ts). */
const requestSchema = z
  .object({
    channelId: z.string() as unknown as z.ZodType<Hex>,
    increment: messageSchema(usageIncrementFields),
    deviceSignature: hexSchema(65),
    amount: decimal,
  })
  .transform(({ channelId, increment, deviceSignature, amount }) => ({
    channelId,
    usage: { increment, signature: deviceSignature },
    amount,
  })) satisfies z.ZodType<PaymentRequest>;

/** The payer's answer: a voucher's wire form comes from its field table (src/core/voucher.ts). */
const responseSchema = z.object({
  voucher: messageSchema(voucherFields),
  signature: hexSchema(65),
}) satisfies z.ZodType<PaymentResponse>;

const withoutStop = (message: string) => message.replace(/\.$/, "");

export function requestFromJson(body: string): PaymentRequest {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new PaymentRefused("malformed", "The request body is not JSON.");
  }
  try {
    return parseWire(requestSchema, value, "request");
  } catch (error) {
    if (!(error instanceof WireError)) throw error;
    throw new PaymentRefused("malformed", `The request is malformed: ${withoutStop(error.message)}.`);
  }
}

export function responseToJson(response: PaymentResponse): string {
  return JSON.stringify({ voucher: messageToJson(voucherFields, response.voucher), signature: response.signature });
}

/** Reads the payer's answer; a TypeError says what is wrong with it. */
export function responseFromJson(body: string): PaymentResponse {
  try {
    return parseWire(responseSchema, JSON.parse(body), "answer");
  } catch (error) {
    if (!(error instanceof WireError)) throw error;
    throw new TypeError(`The payer's answer is not a voucher (${withoutStop(error.message)}): ${body.slice(0, 200)}`);
  }
}

export function refusalToJson(refusal: PaymentRefused): string {
  return JSON.stringify({ error: refusal.code, reason: refusal.message, expectedSequence: refusal.expectedSequence });
}
