/**
 * Usage increments of a channel: what the machine measured for one part or time slice, signed by a device
 * key of the machine as EIP-712 typed data over the channels contract's domain. The payer prices each
 * increment with the machine's tariff before it pays; the voucher names the increment's digest as its
 * `usage`, so an auditor can tie every payment to a device-signed measurement.
 */
import { hashTypedData, recoverTypedDataAddress, type Address, type Hex, type LocalAccount } from "viem";

import { channelsDomain, channelUsageTypes } from "./typed-data.js";
import type { ChannelsDomain } from "./voucher.js";

export interface UsageIncrement {
  channelId: Hex;
  /** 1, 2, 3, ... per channel: the payer pays each number once. */
  sequence: number;
  periodStart: number;
  periodEnd: number;
  machineSeconds: bigint;
  units: bigint;
  /** Merkle root over the raw readings behind the increment (src/core/readings.ts). */
  readingsRoot: Hex;
}

export interface SignedUsage {
  increment: UsageIncrement;
  /** The device key's signature. */
  signature: Hex;
}

function typedData(domain: ChannelsDomain, increment: UsageIncrement) {
  return {
    domain: channelsDomain(domain.chainId, domain.channels),
    types: channelUsageTypes,
    primaryType: "ChannelUsage",
    message: {
      channel: increment.channelId,
      sequence: increment.sequence,
      periodStart: increment.periodStart,
      periodEnd: increment.periodEnd,
      machineSeconds: increment.machineSeconds,
      units: increment.units,
      readingsRoot: increment.readingsRoot,
    },
  } as const;
}

/** Checks what no payer would pay for, before anything is signed. */
export function checkIncrement(increment: UsageIncrement): void {
  if (!Number.isInteger(increment.sequence) || increment.sequence < 1 || increment.sequence >= 2 ** 32) {
    throw new RangeError(`Increment sequence numbers are whole numbers from 1; got ${increment.sequence}.`);
  }
  if (increment.periodEnd < increment.periodStart) {
    throw new RangeError(
      `Increment ${increment.sequence} ends (${increment.periodEnd}) before it starts (${increment.periodStart}).`,
    );
  }
  if (increment.machineSeconds < 0n || increment.units < 0n) {
    throw new RangeError(`Increment ${increment.sequence} counts negative usage.`);
  }
}

/** The increment's EIP-712 digest: what the device signs and what the voucher names as its usage. */
export function usageDigest(domain: ChannelsDomain, increment: UsageIncrement): Hex {
  return hashTypedData(typedData(domain, increment));
}

/** Signs `increment` with a device key of the machine. */
export async function signUsage(
  device: LocalAccount,
  domain: ChannelsDomain,
  increment: UsageIncrement,
): Promise<SignedUsage> {
  checkIncrement(increment);
  return { increment, signature: await device.signTypedData(typedData(domain, increment)) };
}

/** The key that signed an increment. */
export async function usageSigner(domain: ChannelsDomain, signed: SignedUsage): Promise<Address> {
  return recoverTypedDataAddress({ ...typedData(domain, signed.increment), signature: signed.signature });
}

/** An increment as JSON (bigints as decimal strings), for the wire and the stores. */
export function usageToJson(increment: UsageIncrement): Record<string, string | number> {
  return {
    channelId: increment.channelId,
    sequence: increment.sequence,
    periodStart: increment.periodStart,
    periodEnd: increment.periodEnd,
    machineSeconds: increment.machineSeconds.toString(),
    units: increment.units.toString(),
    readingsRoot: increment.readingsRoot,
  };
}

/** Reads an increment from JSON; throws a TypeError naming the field that is missing or malformed. */
export function usageFromJson(value: unknown): UsageIncrement {
  if (typeof value !== "object" || value === null) throw new TypeError("increment must be an object");
  const v = value as Record<string, unknown>;
  const hex = (name: string, size: number): Hex => {
    const x = v[name];
    if (typeof x !== "string" || !new RegExp(`^0x[0-9a-fA-F]{${2 * size}}$`).test(x)) {
      throw new TypeError(`increment.${name} must be 0x and ${2 * size} hex digits`);
    }
    return x as Hex;
  };
  const int = (name: string): number => {
    const x = v[name];
    if (typeof x !== "number" || !Number.isSafeInteger(x) || x < 0) {
      throw new TypeError(`increment.${name} must be a whole number`);
    }
    return x;
  };
  const big = (name: string): bigint => {
    const x = v[name];
    if (typeof x !== "string" || !/^[0-9]+$/.test(x)) throw new TypeError(`increment.${name} must be a decimal string`);
    return BigInt(x);
  };
  return {
    channelId: hex("channelId", 32),
    sequence: int("sequence"),
    periodStart: int("periodStart"),
    periodEnd: int("periodEnd"),
    machineSeconds: big("machineSeconds"),
    units: big("units"),
    readingsRoot: hex("readingsRoot", 32),
  };
}
