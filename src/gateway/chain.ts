/**
 * What the gateway reads from the chain to check a report before it stores it: the signer's key record in
 * the MachineRegistry, the order in the UsageMeter, and the order's last recorded sequence numbers. Reads
 * are cached for a short while (`ttlMs`): the meter checks every report again when it is submitted, so a
 * key revoked or an order closed in between costs a rejection on-chain, recorded with its reason, not a
 * wrong charge.
 */
import type { Address, PublicClient } from "viem";

import { machineRegistryAbi, usageMeterAbi } from "../generated/abis.js";

export const KeyKind = { Device: 0, Inspector: 1 } as const;
export type KeyKind = (typeof KeyKind)[keyof typeof KeyKind];

export interface SignerInfo {
  machineId: bigint;
  validFrom: number;
  /** 0: not revoked. */
  validUntil: number;
  kind: KeyKind;
}

export interface OrderInfo {
  machineId: bigint;
  expiresAt: number;
  /** OrderStatus.Open. */
  open: boolean;
  /** How many licensed-product counts a report of the order carries. */
  licenseCount: number;
}

/** A value, or its promise: a cache answers at once what it holds, so that the hot path need not wait. */
export type Maybe<T> = T | Promise<T>;

/** The chain as the gateway's checks see it. */
export interface ChainView {
  /** The key record of `signer` (lower case), undefined if the registry does not know it. */
  signerKey(signer: Address): Maybe<SignerInfo | undefined>;
  /** The order, undefined if there is none with that id. */
  order(orderId: bigint): Maybe<OrderInfo | undefined>;
  /** The order's last recorded sequence number of the `kind` stream (0: none). */
  lastSequence(orderId: bigint, kind: KeyKind): Maybe<number>;
}

export interface ContractChainViewOptions {
  publicClient: PublicClient;
  machineRegistry: Address;
  usageMeter: Address;
  /** How long a read is reused (default 10 s). */
  ttlMs?: number;
}

/**
 * Caches each read for `ttl` ms: the value itself once the read settled (answered at once), its promise
 * while it runs (so that concurrent checks share one read); a failed read is not cached.
 */
class Cache<K, V> {
  readonly #entries = new Map<K, { at: number; value: Promise<V>; settled: boolean; result?: V }>();
  constructor(readonly ttl: number) {}

  get(key: K, read: () => Promise<V>): Maybe<V> {
    const now = Date.now();
    const hit = this.#entries.get(key);
    if (hit !== undefined && now - hit.at < this.ttl) return hit.settled ? (hit.result as V) : hit.value;
    const value = read();
    const entry: { at: number; value: Promise<V>; settled: boolean; result?: V } = { at: now, value, settled: false };
    this.#entries.set(key, entry);
    value.then(
      (result) => {
        entry.result = result;
        entry.settled = true;
      },
      () => this.#entries.delete(key),
    );
    return value;
  }
}

/** `f` of a value or of its promise, without waiting when there is nothing to wait for. */
export function then<T, U>(value: Maybe<T>, f: (value: T) => Maybe<U>): Maybe<U> {
  return value instanceof Promise ? value.then(f) : f(value);
}

/** A ChainView reading the deployed MachineRegistry and UsageMeter through viem. */
export class ContractChainView implements ChainView {
  readonly #options: ContractChainViewOptions;
  readonly #keys: Cache<string, SignerInfo | undefined>;
  readonly #orders: Cache<bigint, OrderInfo | undefined>;
  readonly #meters: Cache<bigint, { device: number; inspector: number }>;

  constructor(options: ContractChainViewOptions) {
    this.#options = options;
    const ttl = options.ttlMs ?? 10_000;
    this.#keys = new Cache(ttl);
    this.#orders = new Cache(ttl);
    this.#meters = new Cache(ttl);
  }

  signerKey(signer: Address): Maybe<SignerInfo | undefined> {
    return this.#keys.get(signer.toLowerCase(), async () => {
      const key = await this.#options.publicClient.readContract({
        address: this.#options.machineRegistry,
        abi: machineRegistryAbi,
        functionName: "signerKey",
        args: [signer],
      });
      if (key.machineId === 0n) return undefined;
      return {
        machineId: key.machineId,
        validFrom: key.validFrom,
        validUntil: key.validUntil,
        kind: key.kind as KeyKind,
      };
    });
  }

  order(orderId: bigint): Maybe<OrderInfo | undefined> {
    return this.#orders.get(orderId, async () => {
      const order = await this.#options.publicClient.readContract({
        address: this.#options.usageMeter,
        abi: usageMeterAbi,
        functionName: "getOrder",
        args: [orderId],
      });
      if (order.status === 0) return undefined;
      return {
        machineId: order.machineId,
        expiresAt: order.expiresAt,
        open: order.status === 1,
        licenseCount: order.licenseCount,
      };
    });
  }

  lastSequence(orderId: bigint, kind: KeyKind): Maybe<number> {
    const meter = this.#meters.get(orderId, async () => {
      const m = await this.#options.publicClient.readContract({
        address: this.#options.usageMeter,
        abi: usageMeterAbi,
        functionName: "meterOf",
        args: [orderId],
      });
      return { device: m.deviceSequence, inspector: m.inspectorSequence };
    });
    return then(meter, (m) => (kind === KeyKind.Device ? m.device : m.inspector));
  }
}
