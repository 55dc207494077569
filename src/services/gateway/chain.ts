/**
 * What the gateway reads from the chain to check a report before it stores it: the signer's key record in
 * the MachineRegistry, the order in the UsageMeter, each stream's last recorded sequence number and period end,
 * and the chain's clock (the latest block's time), by which the gateway judges "in the future" as the meter
 * does. Reads are cached for a short while (`ttlMs`; the clock `clockTtlMs`), and only so many (`maxEntries`):
 * the meter checks every report again when it is submitted, so a key revoked or an order closed in between
 * costs a rejection on-chain, recorded with its reason, not a wrong charge.
 */
import type { Address, PublicClient } from "viem";

import { KeyKind, type SignerKey } from "../../core/listing.js";
import { machineRegistryAbi, usageMeterAbi } from "../../generated/abis.js";
import { ReadCache, then, type Maybe } from "../../chain/cache.js";

export type { Maybe } from "../../chain/cache.js";

export { KeyKind };

/** The signer's key record (src/core/listing.ts). */
export type SignerInfo = SignerKey;

export interface OrderInfo {
  machineId: bigint;
  expiresAt: number;
  /** OrderStatus.Open. */
  open: boolean;
  /** How many licensed-product counts a report of the order carries. */
  licenseCount: number;
  /** When the order opened: no period of its reports starts earlier. */
  openedAt: number;
}

/** Where a stream (device or inspector reports of one order) stands on chain. */
export interface StreamInfo {
  /** The last recorded sequence number (0: none). */
  lastSequence: number;
  /** Where the stream's next period may start: the end of its last recorded period, or the order's opening. */
  periodEnd: number;
}

/** The chain as the gateway's checks see it. */
export interface ChainView {
  /** The key record of `signer` (lower case), undefined if the registry does not know it. */
  signerKey(signer: Address): Maybe<SignerInfo | undefined>;
  /** The order, undefined if there is none with that id. */
  order(orderId: bigint): Maybe<OrderInfo | undefined>;
  /** Where the order's `kind` stream stands on chain: its last recorded number and period end. */
  stream(orderId: bigint, kind: KeyKind): Maybe<StreamInfo>;
  /**
   * The chain's time: the latest block's timestamp, Unix seconds. `fresh`: read it again now, as before a
   * refusal for good that rests on it (a device may have seen a newer block than the one cached).
   */
  chainTime(fresh?: boolean): Maybe<number>;
}

export interface ContractChainViewOptions {
  publicClient: PublicClient;
  machineRegistry: Address;
  usageMeter: Address;
  /** How long a read is reused (default 10 s). */
  ttlMs?: number;
  /** How many reads of each kind (keys, orders, meters) are kept at most (default 10,000). */
  maxEntries?: number;
  /** How long the chain's time is reused (default 1 s: well below any clock tolerance). */
  clockTtlMs?: number;
}

/** A ChainView reading the deployed MachineRegistry and UsageMeter through viem. */
export class ContractChainView implements ChainView {
  readonly #options: ContractChainViewOptions;
  readonly #keys: ReadCache<string, SignerInfo | undefined>;
  readonly #orders: ReadCache<bigint, OrderInfo | undefined>;
  readonly #meters: ReadCache<bigint, readonly [StreamInfo, StreamInfo]>;
  readonly #clock: ReadCache<"latest", number>;

  constructor(options: ContractChainViewOptions) {
    this.#options = options;
    const ttl = options.ttlMs ?? 10_000;
    // Far above the keys and orders one gateway serves within a TTL; each entry is some 200 bytes.
    const max = options.maxEntries ?? 10_000;
    this.#keys = new ReadCache(ttl, max);
    this.#orders = new ReadCache(ttl, max);
    this.#meters = new ReadCache(ttl, max);
    this.#clock = new ReadCache(options.clockTtlMs ?? 1000, 1);
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
        openedAt: order.openedAt,
      };
    });
  }

  stream(orderId: bigint, kind: KeyKind): Maybe<StreamInfo> {
    const meter = this.#meters.get(orderId, async () => {
      const m = await this.#options.publicClient.readContract({
        address: this.#options.usageMeter,
        abi: usageMeterAbi,
        functionName: "meterOf",
        args: [orderId],
      });
      return [
        { lastSequence: m.deviceSequence, periodEnd: m.devicePeriodEnd },
        { lastSequence: m.inspectorSequence, periodEnd: m.inspectorPeriodEnd },
      ] as const;
    });
    return then(meter, (m) => m[kind]);
  }

  chainTime(fresh = false): Maybe<number> {
    if (fresh) this.#clock.forget("latest");
    return this.#clock.get("latest", async () => {
      // Not getBlockNumber: viem caches it for a polling interval.
      const block = await this.#options.publicClient.getBlock({ blockTag: "latest" });
      return Number(block.timestamp);
    });
  }
}
