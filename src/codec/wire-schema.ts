/**
 * zod schemas of the wire forms, derived from the messages' field tables (src/core/message.ts): the same
 * rules as the table's fast decoder (`messageDecoder`, which the gateway's hot path uses; tests hold the two
 * equal), as a schema that composes into envelopes and renders as JSON Schema (`z.toJSONSchema`).
 */
import type { Hex } from "viem";
import { z } from "zod";

import { keyOf, MAX_ARRAY_ENTRIES, shapeOf, WireError, type Field, type MessageOf } from "../core/message.js";

const DECIMAL = /^(0|[1-9][0-9]{0,77})$/;

/** A whole number of `bits` bits, as a JSON number or a decimal string; a number or a bigint in TypeScript. */
export function uintSchema(bits: number, asNumber: boolean): z.ZodType<number | bigint> {
  const max = (1n << BigInt(bits)) - 1n;
  const big = z
    .union([z.number().int().nonnegative(), z.string().regex(DECIMAL)], {
      error: "must be a whole number (a decimal string for large values)",
    })
    .transform((value) => BigInt(value))
    .refine((value) => value <= max, { error: `does not fit ${bits} bits` });
  return asNumber ? big.transform(Number) : big;
}

/** 0x and 2 × `bytes` hex digits, lower-cased if asked. */
export function hexSchema(bytes: number, lower = false): z.ZodType<Hex> {
  const hex = z
    .string()
    .regex(new RegExp(`^0x[0-9a-fA-F]{${2 * bytes}}$`), { error: `must be 0x and ${2 * bytes} hex digits` });
  return (lower ? hex.transform((value) => value.toLowerCase()) : hex) as z.ZodType<Hex>;
}

function fieldSchema(field: Field, lower: boolean): z.ZodType {
  const { kind, bits, number, array } = shapeOf(field.type);
  const one = kind === "uint" ? uintSchema(bits, number) : hexSchema(bits / 8, lower);
  return array ? z.array(one).max(MAX_ARRAY_ENTRIES) : one;
}

/** The schema of a message's JSON wire form, from its field table. */
export function messageSchema<const Fs extends readonly Field[]>(
  fields: Fs,
  options: { lowerHex?: boolean } = {},
): z.ZodType<MessageOf<Fs>> {
  const shape: Record<string, z.ZodType> = {};
  for (const field of fields) shape[keyOf(field)] = fieldSchema(field, options.lowerHex === true);
  return z.object(shape, { error: "must be a JSON object with the message's fields" }) as unknown as z.ZodType<
    MessageOf<Fs>
  >;
}

/** Where a zod issue points, as the decoders name fields: `licensedProducts[0]`, `refused.sequence`. */
function pathOf(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === "number" ? `[${part}]` : `${i === 0 ? "" : "."}${String(part)}`))
    .join("");
}

/**
 * `schema`'s reading of `input`, or a WireError naming the first field at fault (`name` for the whole) and
 * what it must be.
 */
export function parseWire<T>(schema: z.ZodType<T>, input: unknown, name: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length === 0 ? name : pathOf(issue.path);
  const got = issue.path.reduce<unknown>(
    (value, part) => (value as Record<PropertyKey, unknown> | undefined)?.[part],
    input,
  );
  // The schemas' own words read on from the field ("orderId must be ..."); zod's own are sentences of their own.
  const words = /^(must|does not)/.test(issue.message) ? ` ${issue.message}` : `: ${issue.message}`;
  throw new WireError(field, `${field}${words}, got ${JSON.stringify(got) ?? "nothing"}.`);
}
