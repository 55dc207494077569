/**
 * Usage increments of a channel: what the machine measured for one part or time slice, signed by a device
 * key of the machine as EIP-712 typed data over the channels contract's domain. The payer prices each
 * increment with the machine's tariff before it pays; the voucher names the increment's digest as its
 * `usage`, so an auditor can tie every payment to a device-signed measurement.
 */
import { hashTypedData, recoverTypedDataAddress, type Address, type Hex, type LocalAccount } from "viem";

import {
  eip712Fields,
  messageDecoder,
  messageToJson,
  typedMessage,
  type MessageJson,
  type MessageOf,
} from "./message.js";
import { channelsDomain, type ChannelsDomain } from "./voucher.js";

/**
 * What a machine measured for one part or time slice of a channel, signed by a device key of the machine
 * (registered in the MachineRegistry) under the channels' domain; the voucher paying for it names its digest.
 * The one definition of an increment's shape: its type, typed data, wire form and fast digest come from it.
 */
export const usageIncrementFields = [
  { name: "channel", type: "bytes32", key: "channelId" },
  /** 1, 2, 3, ... per channel: the payer pays each number once. */
  { name: "sequence", type: "uint32" },
  { name: "periodStart", type: "uint40" },
  { name: "periodEnd", type: "uint40" },
  { name: "machineSeconds", type: "uint64" },
  { name: "units", type: "uint64" },
  /** Merkle root over the raw readings behind the increment (src/core/readings.ts). */
  { name: "readingsRoot", type: "bytes32" },
] as const;

export type UsageIncrement = MessageOf<typeof usageIncrementFields>;

export const channelUsageTypes = { ChannelUsage: eip712Fields(usageIncrementFields) } as const;

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
    message: typedMessage(usageIncrementFields, increment) as Omit<UsageIncrement, "channelId"> & { channel: Hex },
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
export function usageToJson(increment: UsageIncrement): MessageJson<typeof usageIncrementFields> {
  return messageToJson(usageIncrementFields, increment);
}

/**
 * Reads an increment from JSON with the decoder derived from its field table; throws a WireError (a TypeError)
 * naming the field that is missing, malformed or too wide for its type.
 */
export const usageFromJson: (value: unknown) => UsageIncrement = messageDecoder(usageIncrementFields, {
  name: "increment",
  prefix: "increment.",
});
