/**
 * What both sides of a payment channel read from the chain besides the channel itself: the device keys the
 * MachineRegistry records (kept for a while, so that a revocation arrives within it) and a machine's tariff
 * versions (kept for good: a published version never changes), through the one cache of chain reads; and the
 * payer's registration of its channel from its on-chain state. Each read tells `node` whether the node
 * answered, so that an outage shows in the service's /status and once in its log.
 */
import type { Address, PublicClient } from "viem";

import { errorReason } from "../../chain/errors.js";
import type { RpcChain } from "../../chain/rpc.js";
import { ReadCache } from "../../chain/cache.js";
import type { Reachability } from "../../chain/poll.js";
import { ChannelsClient } from "../../contracts/channels.js";
import { type KeyKind, type SignerKey } from "../../core/listing.js";
import type { Tariff } from "../../core/tariff.js";
import { channelIdOf, type ChannelKey } from "../../core/voucher.js";
import { machineRegistryAbi, paymentChannelsAbi } from "../../generated/abis.js";
import { ConfigRefused } from "../runtime/lifecycle.js";
import type { PayerChannel, PayerStore } from "./store.js";

/** A signer key as the MachineRegistry records it (src/core/listing.ts). */
export type DeviceKey = SignerKey;

/** Where the payer learns which machine a device key belongs to. */
export interface DeviceDirectory {
  keyOf(device: Address): Promise<DeviceKey | undefined>;
}

/** Where the payer learns a machine's tariff versions (which never change once published). */
export interface TariffSource {
  tariffOf(machineId: bigint, version: number): Promise<Tariff>;
}

/** Most device keys and tariff versions kept: far more than one payer's machines have. */
const MAX_ENTRIES = 10_000;

/** `read`, its outcome told to `node` when there is one. */
const watched = <T>(node: Reachability | undefined, read: () => Promise<T>): Promise<T> =>
  node === undefined ? read() : node.watch(read);

/** Device keys read from the MachineRegistry, each kept for `ttlMs` (so that revocations arrive within it). */
export function registryDevices(
  publicClient: PublicClient,
  machineRegistry: Address,
  ttlMs = 30_000,
  node?: Reachability,
): DeviceDirectory {
  const cache = new ReadCache<string, DeviceKey | undefined>(ttlMs, MAX_ENTRIES);
  return {
    keyOf: (device) =>
      cache.read(device.toLowerCase(), async () => {
        const key = await watched(node, () =>
          publicClient.readContract({
            address: machineRegistry,
            abi: machineRegistryAbi,
            functionName: "signerKey",
            args: [device],
          }),
        );
        if (key.machineId === 0n) return undefined;
        return {
          machineId: key.machineId,
          validFrom: key.validFrom,
          validUntil: key.validUntil,
          kind: key.kind as KeyKind,
        };
      }),
  };
}

/** Tariff versions read from the MachineRegistry, kept for good. */
export function registryTariffs(
  publicClient: PublicClient,
  machineRegistry: Address,
  node?: Reachability,
): TariffSource {
  const cache = new ReadCache<string, Tariff>(Infinity, MAX_ENTRIES);
  return {
    tariffOf: (machineId, version) =>
      cache.read(`${machineId}/${version}`, () =>
        watched(node, () =>
          publicClient.readContract({
            address: machineRegistry,
            abi: machineRegistryAbi,
            functionName: "tariffOf",
            args: [machineId, version],
          }),
        ),
      ),
  };
}

/**
 * Registers the payer's channel `key` from its on-chain state the first time (a channel that is not open
 * cannot be registered), with when it was opened (read from the chain once, then kept); on later starts takes
 * up a top-up. The machine and tariff version are the terms the channel was opened for.
 */
export async function trackChannel(
  store: PayerStore,
  client: ChannelsClient,
  key: ChannelKey,
  terms: { machineId: bigint; tariffVersion: number },
): Promise<PayerChannel> {
  const channelId = channelIdOf(key);
  const state = await client.state(channelId);
  const known = store.channel(channelId);
  if (known === undefined) {
    if (!state.open) {
      throw new ConfigRefused(
        `Channel ${channelId} (payee ${key.payee}, nonce ${key.nonce}) is not open on chain: check the payee, the ` +
          "nonce and the PaymentChannels address, or open the channel first.",
      );
    }
    store.addChannel({
      channelId,
      payee: key.payee,
      nonce: key.nonce,
      deposit: state.deposit,
      machineId: terms.machineId,
      tariffVersion: terms.tariffVersion,
      openedAt: await client.openedAt(key.nonce),
    });
    return store.channel(channelId)!;
  }
  if (known.machineId !== terms.machineId || known.tariffVersion !== terms.tariffVersion) {
    throw new ConfigRefused(
      `This store pays channel ${channelId} for machine ${known.machineId} under tariff v${known.tariffVersion}, ` +
        `not machine ${terms.machineId} v${terms.tariffVersion}: the terms of a channel never change.`,
    );
  }
  if (known.openedAt === 0) store.setOpenedAt(channelId, await client.openedAt(key.nonce));
  if (state.open && state.deposit > known.deposit) store.setDeposit(channelId, state.deposit);
  return store.channel(channelId)!;
}

/** The PaymentChannels contract at `address`, checked to answer as one (it names its token). */
export async function channelsAt(chain: RpcChain, address: Address): Promise<ChannelsClient> {
  const token = await chain.publicClient
    .readContract({ address, abi: paymentChannelsAbi, functionName: "token" })
    .catch((error: unknown) => {
      throw new ConfigRefused(
        `No PaymentChannels contract answers at ${address} on chain ${chain.chainId}: check --channels.`,
        { cause: error },
      );
    });
  return new ChannelsClient(chain, { paymentChannels: address, token });
}

/** Checks that the MachineRegistry at `registry` publishes the tariff a channel pays under. */
export async function checkTariff(
  tariffs: TariffSource,
  registry: Address,
  terms: { machineId: bigint; tariffVersion: number },
): Promise<void> {
  await tariffs.tariffOf(terms.machineId, terms.tariffVersion).catch((error: unknown) => {
    throw new ConfigRefused(
      `The MachineRegistry at ${registry} has no tariff v${terms.tariffVersion} of machine ${terms.machineId} ` +
        `(${errorReason(error)}): check --registry, --machine and --tariff-version.`,
      { cause: error },
    );
  });
}
