/**
 * What a device agent reads from the chain before it reports: the meter's EIP-712 domain (reports are signed
 * for one chain and one meter), the MachineRegistry the meter reads keys and tariffs from, the order it
 * reports on (open, not expired, the licences of its tariff), and whether its keys are the order's machine's.
 * Each problem is named in words that say what to fix. The gateway reads the meter's registry the same way.
 */
import { getAddress, type Address, type PublicClient } from "viem";

import { machineRegistryAbi, usageMeterAbi } from "../../generated/abis.js";
import type { MeterDomain } from "../../core/report.js";
import { errorReason } from "../../chain/errors.js";
import { ConfigRefused } from "../runtime/lifecycle.js";

/** A fact on the chain that makes the agent's configuration wrong (the wrong meter, order or key). */
export class DeviceConfigError extends ConfigRefused {
  override name = "DeviceConfigError";
}

/** An order as the device needs it. */
export interface DeviceOrder {
  orderId: bigint;
  machineId: bigint;
  tariffVersion: number;
  expiresAt: number;
  /** The licences of the order's tariff, in its order. */
  licenseIds: number[];
  licenseCount: number;
}

const ORDER_STATUS = ["unknown", "open", "closed", "settled"] as const;
const KEY_KIND = ["device", "inspector"] as const;
const A_KEY_KIND = ["a device key", "an inspector key"] as const;

/** Reads the meter's EIP-712 domain and checks that `meter` is a UsageMeter on this chain. */
export async function readMeterDomain(publicClient: PublicClient, meter: Address): Promise<MeterDomain> {
  const chainId = await publicClient.getChainId();
  let domain: readonly unknown[];
  try {
    domain = await publicClient.readContract({ address: meter, abi: usageMeterAbi, functionName: "eip712Domain" });
  } catch (error) {
    throw new DeviceConfigError(
      `${meter} does not answer as a UsageMeter on chain ${chainId} ` +
        `(${errorReason(error)}); check --meter and the node.`,
      { cause: error },
    );
  }
  const [, name, version, domainChainId, verifyingContract] = domain as [unknown, string, string, bigint, Address];
  if (name !== "UsageMeter" || version !== "1") {
    throw new DeviceConfigError(`${meter} signs for "${name}" version ${version}, not a UsageMeter; check --meter.`);
  }
  if (Number(domainChainId) !== chainId || getAddress(verifyingContract) !== getAddress(meter)) {
    throw new DeviceConfigError(
      `The meter at ${meter} names chain ${domainChainId} and contract ${verifyingContract} in its domain; ` +
        `the node is chain ${chainId}. Check --rpc-url and --meter.`,
    );
  }
  return { chainId, meter: getAddress(meter) };
}

/**
 * The MachineRegistry the meter at `meter` checks signer keys and tariffs against. `given` (a registry the
 * configuration names, e.g. `--registry`) must be that one: keys checked against another registry would say
 * nothing about what the meter accepts.
 */
export async function readMeterRegistry(
  publicClient: PublicClient,
  meter: Address,
  given?: { address: Address; from: string },
): Promise<Address> {
  let registry: Address;
  try {
    registry = await publicClient.readContract({ address: meter, abi: usageMeterAbi, functionName: "registry" });
  } catch (error) {
    throw new DeviceConfigError(
      `${meter} does not name its MachineRegistry as a UsageMeter does ` +
        `(${errorReason(error)}); check --meter and the node.`,
      { cause: error },
    );
  }
  registry = getAddress(registry);
  if (given !== undefined && getAddress(given.address) !== registry) {
    throw new DeviceConfigError(
      `${given.from} names the MachineRegistry ${given.address}, but the meter at ${meter} uses ${registry}; ` +
        "leave the registry out (it is read from the meter), or check the meter's address.",
    );
  }
  return registry;
}

/**
 * Reads an order from the meter and checks that it takes reports now (`now`, Unix seconds), and the licences
 * of its tariff from the registry.
 */
export async function readDeviceOrder(
  publicClient: PublicClient,
  contracts: { usageMeter: Address; machineRegistry: Address },
  orderId: bigint,
  now: number,
): Promise<DeviceOrder> {
  const order = await publicClient.readContract({
    address: contracts.usageMeter,
    abi: usageMeterAbi,
    functionName: "getOrder",
    args: [orderId],
  });
  if (order.status === 0) {
    throw new DeviceConfigError(`The meter at ${contracts.usageMeter} has no order ${orderId}; check --order.`);
  }
  if (order.status !== 1) {
    throw new DeviceConfigError(
      `Order ${orderId} is ${ORDER_STATUS[order.status] ?? "not open"}; it takes no reports.`,
    );
  }
  if (order.expiresAt <= now) {
    throw new DeviceConfigError(
      `Order ${orderId} expired at ${new Date(order.expiresAt * 1000).toISOString()}; it takes no more reports.`,
    );
  }
  const tariff = await publicClient.readContract({
    address: contracts.machineRegistry,
    abi: machineRegistryAbi,
    functionName: "tariffOf",
    args: [order.machineId, order.tariffVersion],
  });
  return {
    orderId,
    machineId: order.machineId,
    tariffVersion: order.tariffVersion,
    expiresAt: order.expiresAt,
    licenseIds: [...tariff.licenseIds],
    licenseCount: order.licenseCount,
  };
}

/**
 * Checks that `key` is a key of `kind` of the order's machine, valid now; the gateway would refuse every
 * report signed otherwise.
 */
export async function checkSignerKey(
  publicClient: PublicClient,
  machineRegistry: Address,
  order: DeviceOrder,
  key: Address,
  kind: 0 | 1,
  now: number,
): Promise<void> {
  const record = await publicClient.readContract({
    address: machineRegistry,
    abi: machineRegistryAbi,
    functionName: "signerKey",
    args: [key],
  });
  const what = `The ${KEY_KIND[kind]} key ${key}`;
  if (record.machineId === 0n) {
    throw new DeviceConfigError(
      `${what} is no machine's key in the MachineRegistry; the provider registers it (ops register-machine --keys).`,
    );
  }
  if (record.machineId !== order.machineId) {
    throw new DeviceConfigError(
      `${what} belongs to machine ${record.machineId}, but order ${order.orderId} books machine ${order.machineId}.`,
    );
  }
  if (record.kind !== kind) {
    throw new DeviceConfigError(`${what} is registered as ${A_KEY_KIND[record.kind] ?? "another kind of key"}.`);
  }
  if (record.validFrom > now || (record.validUntil !== 0 && record.validUntil <= now)) {
    throw new DeviceConfigError(
      `${what} is not valid now (valid from ${record.validFrom}${record.validUntil === 0 ? "" : ` until ${record.validUntil}`}).`,
    );
  }
}
