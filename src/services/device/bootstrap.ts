/**
 * What the device agent checks and sets up before it runs (src/services/device/run.ts): where its reports count
 * and what time it is on the chain, from a node (the meter's domain and registry, each order open with the
 * licences of its tariff, the keys the order's machine's) or without one (--chain-id: the clock from the
 * gateway); the clocks against each other and the gateway's meter against its own; and its store against the
 * orders (another deployment's store is refused). Every problem is a ConfigRefused naming what to fix.
 */
import type { Address, LocalAccount } from "viem";

import type { ClockJson } from "../../codec/report-wire.js";
import type { MeterDomain } from "../../core/report.js";
import { rpcChain } from "../../chain/rpc.js";
import { sleep } from "../../chain/poll.js";
import { ConfigRefused } from "../runtime/lifecycle.js";
import type { Log } from "../runtime/log.js";
import { checkSignerKey, readDeviceOrder, readMeterDomain, readMeterRegistry } from "./chain.js";
import { ChainClock } from "./clock.js";
import { GatewayClient, GatewayUnavailable, readGatewayClock } from "./gateway.js";
import { fitProfile, MachineSimulator, PROFILES, type ProfileName } from "./simulator.js";
import { Stream, type DeviceStore } from "./store.js";
import type { RunnerOrder } from "./runner.js";

/** Where the agent learns the chain: a node, or (no node) the chain id it signs for and the gateway's clock. */
export type ChainSource = { rpcUrl: string; chainId?: number } | { chainId: number };

export interface DeviceSetup {
  gateway: string;
  meter: Address;
  /** A registry named by the configuration: it must be the meter's. */
  registry?: Address;
  orderIds: readonly bigint[];
  /** The licences of the orders' tariff; without a node these are taken as they are, with one they are checked. */
  licenses?: readonly number[];
  chain: ChainSource;
  clockSyncMs: number;
  deviceKey: LocalAccount;
  inspectorKey?: LocalAccount;
}

/** What the agent works with once its setup checked out. */
export interface Connected {
  domain: MeterDomain;
  /** The meter's registry, read from it (undefined without a node). */
  machineRegistry?: Address;
  clock: ChainClock;
  offline: boolean;
  orders: { orderId: bigint; licenseIds: number[]; expiresAt?: number }[];
}

/** Without a node: the chain id given, the clock from the gateway's GET /clock, the licences as given. */
function offline(setup: DeviceSetup, chainId: number): Connected {
  if (setup.registry !== undefined) throw new ConfigRefused("--registry needs a node to read it from: give --rpc-url.");
  const gateway = new GatewayClient(setup.gateway, 10_000);
  const clock = new ChainClock({ read: async () => (await gateway.clock()).chainTime, resyncMs: setup.clockSyncMs });
  const orders = setup.orderIds.map((orderId) => ({ orderId, licenseIds: [...(setup.licenses ?? [])] }));
  return { domain: { chainId, meter: setup.meter }, clock, offline: true, orders };
}

/** With a node: the meter's domain and registry, each order and its licences, the keys the order's machine's. */
async function online(setup: DeviceSetup, source: { rpcUrl: string; chainId?: number }): Promise<Connected> {
  const { publicClient } = await rpcChain(source.rpcUrl, { pollingMs: 250 });
  // Not getBlockNumber: viem caches it for a polling interval.
  const clock = new ChainClock({
    read: async () => Number((await publicClient.getBlock({ blockTag: "latest" })).timestamp),
    resyncMs: setup.clockSyncMs,
  });
  const { meter, registry, licenses, deviceKey, inspectorKey } = setup;
  const domain = await readMeterDomain(publicClient, meter);
  const named = registry === undefined ? undefined : { address: registry, from: "--registry" };
  const machineRegistry = await readMeterRegistry(publicClient, meter, named);
  if (source.chainId !== undefined && source.chainId !== domain.chainId) {
    throw new ConfigRefused(`--chain-id ${source.chainId} is not the node's chain (${domain.chainId}).`);
  }
  const now = await clock.sync();
  const orders: Connected["orders"] = [];
  for (const orderId of setup.orderIds) {
    const order = await readDeviceOrder(publicClient, { usageMeter: meter, machineRegistry }, orderId, now);
    const { licenseIds } = order;
    if (licenses !== undefined && licenses.join() !== licenseIds.join()) {
      throw new ConfigRefused(
        `--licenses ${licenses.join(",")}: order ${orderId}'s tariff names licences ${licenseIds.join(",") || "none"}; leave --licenses out.`,
      );
    }
    await checkSignerKey(publicClient, machineRegistry, order, deviceKey.address, Stream.Device, now);
    if (inspectorKey !== undefined) {
      await checkSignerKey(publicClient, machineRegistry, order, inspectorKey.address, Stream.Inspector, now);
    }
    orders.push({ orderId, licenseIds, expiresAt: order.expiresAt });
  }
  return { domain, machineRegistry, clock, offline: false, orders };
}

/** Where the reports count, and what time it is on the chain: from a node, or without one. */
export function connect(setup: DeviceSetup): Promise<Connected> | Connected {
  return "rpcUrl" in setup.chain ? online(setup, setup.chain) : offline(setup, setup.chain.chainId);
}

/**
 * The gateway's reading of the chain's clock; without a node it is waited for (30 s at most), since the chain's
 * time comes from it. Undefined when a node gives the time and the gateway does not answer yet.
 */
async function gatewayClock(gateway: string, isOffline: boolean, log: Log): Promise<ClockJson | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await readGatewayClock(gateway);
    } catch (error) {
      if (!(error instanceof GatewayUnavailable)) throw error;
      if (!isOffline) {
        log.info(`the gateway does not answer yet (${error.message}); its clock is checked when it does`);
        return undefined;
      }
      if (attempt >= 30) {
        throw new Error(
          `Without a node (--chain-id) the chain's clock is read from the gateway's GET /clock, which did not ` +
            `answer in 30 s (${error.message}); start the gateway, or give --rpc-url.`,
        );
      }
      await sleep(1000);
    }
  }
}

/**
 * The clocks at start: the chain's (measured from the node, or without one from the gateway), this host's, and
 * the gateway's reading of the chain's, which must be for the same chain and meter. A host clock that is off is
 * said, not refused: periods are dated by the chain's clock.
 */
export async function checkClocks(gateway: string, connected: Connected, log: Log): Promise<Record<string, unknown>> {
  const { domain, clock, offline: isOffline } = connected;
  const seen = await gatewayClock(gateway, isOffline, log);
  if (seen !== undefined) {
    if (seen.chainId !== domain.chainId || seen.meter.toLowerCase() !== domain.meter.toLowerCase()) {
      throw new ConfigRefused(
        `The gateway at ${gateway} serves the meter ${seen.meter} on chain ${seen.chainId}, but this agent signs for ` +
          `the meter ${domain.meter} on chain ${domain.chainId}: check --gateway and --meter.`,
      );
    }
    if (isOffline) clock.observe(seen.chainTime);
  }
  const chainTime = await clock.now();
  const hostTime = Math.floor(Date.now() / 1000);
  const hostAhead = hostTime - chainTime;
  if (Math.abs(hostAhead) > Math.min(seen?.toleranceSeconds ?? 60, 5)) {
    log.warn(
      `this host's clock is ${Math.abs(hostAhead)} s ${hostAhead > 0 ? "ahead of" : "behind"} the chain's ` +
        `(${chainTime}); readings and periods are dated by the chain's clock`,
    );
  }
  if (seen !== undefined && !isOffline && Math.abs(seen.chainTime - chainTime) > seen.toleranceSeconds) {
    log.warn(
      `the gateway reads the chain's time as ${seen.chainTime}, ${Math.abs(seen.chainTime - chainTime)} s off this ` +
        `agent's node (${chainTime}), more than its tolerance of ${seen.toleranceSeconds} s: its node lags, and it ` +
        "may refuse reports as ending in the future until it catches up (they are then re-issued)",
    );
  }
  const gatewayTime =
    seen === undefined ? null : { chainTime: seen.chainTime, toleranceSeconds: seen.toleranceSeconds };
  return {
    source: isOffline ? "gateway" : "node",
    chainTime,
    hostTime,
    hostAheadSeconds: hostAhead,
    gateway: gatewayTime,
  };
}

/** How the simulated machine works: a profile sped up, one seed per order. */
export interface Simulation {
  profile: ProfileName;
  speed: number;
  seed: number;
}

/**
 * Adds the orders to the store (or finds them there) and checks that it is this deployment's: the same licences,
 * no report ending after the chain's time. Returns the machines to run and what the "ready" line says of each.
 */
export function prepareOrders(
  store: DeviceStore,
  storePath: string,
  connected: Connected,
  now: number,
  simulation: Simulation & { inspections: boolean },
): { running: RunnerOrder[]; ready: Record<string, unknown>[] } {
  const running: RunnerOrder[] = [];
  const ready: Record<string, unknown>[] = [];
  for (const [i, order] of connected.orders.entries()) {
    store.addOrder({ orderId: order.orderId, licenseIds: order.licenseIds, since: now });
    const kept = store.order(order.orderId)!;
    if (kept.licenseIds.join() !== order.licenseIds.join()) {
      throw new ConfigRefused(
        `--store ${storePath} holds order ${order.orderId} with licences ${kept.licenseIds.join(",") || "none"}, ` +
          `not ${order.licenseIds.join(",") || "none"}: it is another deployment's store; give another --store.`,
      );
    }
    const last = [Stream.Device, Stream.Inspector].map((s) => store.lastReport(order.orderId, s));
    const latestEnd = Math.max(kept.since, ...last.map((l) => l?.periodEnd ?? 0));
    if (latestEnd > now) {
      throw new ConfigRefused(
        `--store ${storePath}: order ${order.orderId}'s last report ends at ${latestEnd}, after the chain's time ` +
          `(${now}): the store belongs to another chain or deployment. Give another --store.`,
      );
    }
    const { speed, inspections } = simulation;
    const profile = fitProfile(PROFILES[simulation.profile], { speed, licenseIds: order.licenseIds, inspections });
    const machine = new MachineSimulator(profile, now, simulation.seed + i);
    running.push({ orderId: order.orderId, machine, expiresAt: order.expiresAt });
    ready.push({
      ...{ orderId: order.orderId, licenseIds: order.licenseIds, since: kept.since },
      nextDevice: store.position(order.orderId, Stream.Device).sequence,
      nextInspector: store.position(order.orderId, Stream.Inspector).sequence,
    });
  }
  return { running, ready };
}
