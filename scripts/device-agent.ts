/**
 * The device agent as a long-running process, the gateway's counterpart: a simulated machine works on one or
 * more orders at a realistic rate, the agent keeps every raw reading in its SQLite store, cuts a report per
 * stream every so often, signs it with the device key (inspections with the worker's inspector key), sends it
 * to the gateway; a report the gateway refuses for good for its period is re-issued under its number over the
 * same readings with a corrected period. Restarted (also after a SIGKILL), it numbers on from its store and
 * sends again whatever the gateway has not acknowledged; a store that is fresh or behind goes on from where the
 * gateway and the meter say the stream stands (GET /streams). Readings and periods are dated by the chain's clock
 * (this host's plus the offset measured from the node's latest block, or from the gateway's GET /clock without
 * a node), checked at start against the gateway's. With --prove it prints one reading of the store with its
 * Merkle proof and the signed report it belongs to, and exits.
 *
 *   DEVICE_KEY=0x... npx tsx scripts/device-agent.ts --gateway http://127.0.0.1:8700 \
 *     --rpc-url http://127.0.0.1:8545 --meter 0x... --order 1 --store device.sqlite \
 *     --report-every 10s --reports 20
 *   npx tsx scripts/device-agent.ts --store device.sqlite --order 1 --prove 3:0
 *
 * stdout: one JSON line per event: "ready" (orders, keys, the meter and its registry, what the store holds, the
 * clocks), "position" (where a stream stands at the gateway), "signed" (a report cut), "sent" (a report the
 * gateway acknowledged), "refused" (its answer; `final` when it is for good, with what becomes of the report),
 * "reissued" (a refused report signed again, or found taken or stuck), "log" (progress in words), "done" (why it
 * stopped, with counters), "proof".
 * Errors go to stderr; bad input exits with status 2; reports left unacknowledged or refused for good exit 1.
 */
import { existsSync } from "node:fs";

import type { Address } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";

import {
  DeviceAgent,
  fitProfile,
  MachineSimulator,
  PROFILES,
  proveFromStore,
  Stream,
} from "../src/services/device/agent.js";
import { ChainClock } from "../src/services/device/clock.js";
import { GatewayUnavailable, readGatewayClock } from "../src/services/device/gateway.js";
import {
  checkSignerKey,
  DeviceConfigError,
  readDeviceOrder,
  readMeterDomain,
  readMeterRegistry,
} from "../src/services/device/chain.js";
import { DeviceRunner, type RunnerOrder } from "../src/services/device/runner.js";
import { DeviceStore } from "../src/services/device/store.js";
import { reportToJson, type ClockJson } from "../src/codec/report-wire.js";
import { verifyReading } from "../src/core/readings.js";
import type { MeterDomain } from "../src/core/report.js";
import { emit, type Flags, privateKeyFromEnv, runScript, UsageError } from "../src/cli/flags.js";
import { rpcChain } from "../src/chain/rpc.js";

const USAGE = `Usage: DEVICE_KEY=0x... [DEVICE_INSPECTOR_KEY=0x...] npx tsx scripts/device-agent.ts [flags]
       npx tsx scripts/device-agent.ts --store PATH --order N --prove INDEX | SEQUENCE:POSITION [--stream inspector]

  --gateway URL            the gateway (reports go to POST URL/reports)
  --rpc-url URL            JSON-RPC node: the meter's domain and registry (the orders' licences, the keys),
                           the orders, the clock (default: $DEVICE_RPC_URL, else http://127.0.0.1:8545)
  --chain-id N             sign for this chain without a node (with --meter; the chain's clock is then read
                           from the gateway's GET /clock)
  --meter ADDRESS          the UsageMeter the reports are signed for
  --registry ADDRESS       the meter's MachineRegistry (read from the meter; if given, it must be that one)
  --licenses IDS           the licence ids of the orders' tariff, comma-separated, without a node (default
                           none); with one they are read from the registry, and if given must be those
  --order IDS              the order(s) the machine works on, comma-separated
  --store PATH             the device's SQLite file (created if missing)
  --profile NAME           the machine simulated: ${Object.keys(PROFILES).join(", ")} (default laser-cutter)
  --speed X                X times as many parts per hour as the profile (default 1)
  --seed N                 the simulation's seed (default 1)
  --report-every DURATION  cut a report per stream this often: 60, 10s, 5m (default 60s, at least 1 s)
  --report-readings N      also cut as soon as a stream holds N open readings
  --reports N              stop after cutting N reports, once the gateway has answered them
  --duration DURATION      stop after this long (reporting what is open first)
  --tick-ms MS             milliseconds between readings (default 1000)
  --drain DURATION         when stopping, how long to keep sending what is unanswered (default 30s)
  --clock-sync DURATION    how often the chain's clock is read again to measure this host's offset from it
                           (default 5s; also whenever the gateway says the chain's time)
  --prove SPEC             print a reading with its proof and report: INDEX (in the order's log), or
                           SEQUENCE:POSITION (the POSITION-th reading, from 0, of report SEQUENCE)
  --stream device|inspector  the stream of SEQUENCE:POSITION (default device)

  DEVICE_KEY               the machine's device key (registered for the order's machine)
  DEVICE_INSPECTOR_KEY     the worker's inspector key; without it no inspections are simulated`;

const STREAMS = { device: Stream.Device, inspector: Stream.Inspector } as const;
const KIND_NAME = ["SpindleSeconds", "Units", "LicensedUnits", "Inspection"] as const;

function openStore(path: string, mustExist: boolean): DeviceStore {
  if (mustExist && !existsSync(path)) {
    throw new UsageError(`--store: there is no device store at ${path}; give the file the agent ran with.`);
  }
  try {
    return new DeviceStore({ path });
  } catch (error) {
    throw new UsageError(`--store: cannot open ${path} as a device store (${(error as Error).message}).`);
  }
}

function oneOrder(flags: Flags): bigint {
  const ids = flags.ids("order");
  if (ids.length !== 1) throw new UsageError(`--order must name one order with --prove; got ${ids.length}.`);
  return ids[0]!;
}

/** --prove: one reading, its proof and its report, from the store alone. */
function prove(flags: Flags): void {
  const spec = flags.string("prove");
  const orderId = oneOrder(flags);
  const stream = STREAMS[flags.oneOf("stream", ["device", "inspector"] as const, "device")];
  const store = openStore(flags.string("store"), true);
  try {
    let index: bigint;
    const pair = /^(\d+):(\d+)$/.exec(spec);
    if (pair !== null) {
      const sequence = Number(pair[1]);
      const position = Number(pair[2]);
      if (store.report(orderId, stream, sequence) === undefined) {
        const last = store.lastReport(orderId, stream)?.sequence ?? 0;
        throw new UsageError(
          `--prove ${spec}: order ${orderId} has no ${flags.values.stream ?? "device"} report ${sequence}` +
            (last === 0 ? "; it has none yet." : `; its reports run from 1 to ${last}.`),
        );
      }
      const readings = store.readingsOf(orderId, stream, sequence);
      const reading = readings[position];
      if (reading === undefined) {
        throw new UsageError(
          `--prove ${spec}: report ${sequence} commits to ${readings.length} readings; give a POSITION from 0 to ${readings.length - 1}.`,
        );
      }
      index = reading.index;
    } else if (/^\d+$/.test(spec)) {
      index = BigInt(spec);
    } else {
      throw new UsageError(
        `--prove takes INDEX (a reading's index in the order's log) or SEQUENCE:POSITION; got "${spec}".`,
      );
    }
    let found;
    try {
      found = proveFromStore(store, orderId, index);
    } catch (error) {
      throw new UsageError(`--prove ${spec}: ${(error as Error).message}`);
    }
    const { reading, signed, proof } = found;
    const located = store.reading(orderId, index)!;
    emit("proof", {
      orderId,
      stream: located.stream === Stream.Device ? "device" : "inspector",
      sequence: signed.report.sequence,
      reading: { ...reading, kindName: KIND_NAME[reading.kind] },
      proof,
      root: signed.report.readingsRoot,
      verifies: verifyReading(signed.report.readingsRoot, reading, proof),
      report: reportToJson(signed),
    });
  } finally {
    store.close();
  }
}

/**
 * The clocks at start: the chain's (measured from the node, or without one from the gateway), this host's, and
 * the gateway's reading of the chain's, which must be for the same chain and meter. A host clock that is off is
 * said, not refused: periods are dated by the chain's clock. Without a node the gateway is waited for, since the
 * chain's time comes from it.
 */
async function checkClocks(
  gateway: string,
  domain: MeterDomain,
  clock: ChainClock,
  offline: boolean,
): Promise<Record<string, unknown>> {
  let seen: ClockJson | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      seen = await readGatewayClock(gateway);
      break;
    } catch (error) {
      if (!(error instanceof GatewayUnavailable)) throw error;
      if (!offline) {
        emit("log", { text: `the gateway does not answer yet (${error.message}); its clock is checked when it does` });
        break;
      }
      if (attempt >= 30) {
        throw new Error(
          `Without a node (--chain-id) the chain's clock is read from the gateway's GET /clock, which did not ` +
            `answer in 30 s (${error.message}); start the gateway, or give --rpc-url.`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  if (seen !== undefined) {
    if (seen.chainId !== domain.chainId || seen.meter.toLowerCase() !== domain.meter.toLowerCase()) {
      throw new UsageError(
        `The gateway at ${gateway} serves the meter ${seen.meter} on chain ${seen.chainId}, but this agent signs for ` +
          `the meter ${domain.meter} on chain ${domain.chainId}: check --gateway and --meter.`,
      );
    }
    if (offline) clock.observe(seen.chainTime);
  }
  const chainTime = await clock.now();
  const hostTime = Math.floor(Date.now() / 1000);
  const hostAhead = hostTime - chainTime;
  const tolerance = seen?.toleranceSeconds;
  if (Math.abs(hostAhead) > Math.min(tolerance ?? 60, 5)) {
    emit("log", {
      text:
        `this host's clock is ${Math.abs(hostAhead)} s ${hostAhead > 0 ? "ahead of" : "behind"} the chain's ` +
        `(${chainTime}); readings and periods are dated by the chain's clock`,
    });
  }
  if (seen !== undefined && !offline && Math.abs(seen.chainTime - chainTime) > seen.toleranceSeconds) {
    emit("log", {
      text:
        `the gateway reads the chain's time as ${seen.chainTime}, ${Math.abs(seen.chainTime - chainTime)} s off this ` +
        `agent's node (${chainTime}), more than its tolerance of ${seen.toleranceSeconds} s: its node lags, and it ` +
        "may refuse reports as ending in the future until it catches up (they are then re-issued)",
    });
  }
  return {
    source: offline ? "gateway" : "node",
    chainTime,
    hostTime,
    hostAheadSeconds: hostAhead,
    gateway: seen === undefined ? null : { chainTime: seen.chainTime, toleranceSeconds: seen.toleranceSeconds },
  };
}

function key(name: string, what: string): PrivateKeyAccount {
  return privateKeyToAccount(privateKeyFromEnv(name, what));
}

async function work(flags: Flags): Promise<void> {
  const gateway = flags.url("gateway").replace(/\/+$/, "");
  const meter = flags.address("meter");
  const registry = flags.ifGiven("registry", (n) => flags.address(n));
  const orderIds = flags.ids("order");
  if (orderIds.length === 0) throw new UsageError("--order is required: the id(s) of the orders the machine works on.");
  if (new Set(orderIds).size !== orderIds.length) throw new UsageError("--order names an order twice.");
  const storePath = flags.string("store");
  const profileName = flags.oneOf("profile", Object.keys(PROFILES) as (keyof typeof PROFILES)[], "laser-cutter");
  const speed = flags.number("speed", 1, 0.001, 1000);
  const seed = flags.int("seed", 1, 0, 2 ** 32 - 1);
  const reportEvery = flags.duration("report-every", "60s", 1);
  const reportReadings = flags.ifGiven("report-readings", (n) => flags.int(n, undefined, 1));
  const maxReports = flags.ifGiven("reports", (n) => flags.int(n, undefined, 1));
  const duration = flags.ifGiven("duration", (n) => flags.duration(n, undefined, 1));
  const tickMs = flags.int("tick-ms", 1000, 10, 3_600_000);
  const drain = flags.duration("drain", "30s");
  const clockSyncMs = flags.duration("clock-sync", "5s", 1) * 1000;
  const licenses = flags.ifGiven("licenses", (n) => flags.ids(n).map(Number));
  const deviceKey = key("DEVICE_KEY", "device");
  const inspectorKey = process.env.DEVICE_INSPECTOR_KEY ? key("DEVICE_INSPECTOR_KEY", "inspector") : undefined;

  // Where the reports count, and what time it is on the chain: from a node, or (--chain-id alone) without one.
  const offline = flags.optional("chain-id") !== undefined && flags.optional("rpc-url") === undefined;
  let domain: MeterDomain;
  /** The meter's registry, read from it (undefined without a node). */
  let machineRegistry: Address | undefined;
  let clock: ChainClock;
  const orders: { orderId: bigint; licenseIds: number[]; expiresAt?: number }[] = [];
  if (offline) {
    if (registry !== undefined) throw new UsageError("--registry needs a node to read it from: give --rpc-url.");
    domain = { chainId: flags.int("chain-id", undefined, 1), meter };
    clock = new ChainClock({ read: async () => (await readGatewayClock(gateway)).chainTime, resyncMs: clockSyncMs });
    for (const orderId of orderIds) orders.push({ orderId, licenseIds: licenses ?? [] });
  } else {
    const chain = await rpcChain(flags.url("rpc-url", process.env.DEVICE_RPC_URL || "http://127.0.0.1:8545"), {
      pollingMs: 250,
    });
    const { publicClient } = chain;
    // Not getBlockNumber: viem caches it for a polling interval.
    clock = new ChainClock({
      read: async () => Number((await publicClient.getBlock({ blockTag: "latest" })).timestamp),
      resyncMs: clockSyncMs,
    });
    try {
      domain = await readMeterDomain(publicClient, meter);
      machineRegistry = await readMeterRegistry(
        publicClient,
        meter,
        registry === undefined ? undefined : { address: registry, from: "--registry" },
      );
      if (flags.optional("chain-id") !== undefined && flags.int("chain-id", undefined, 1) !== domain.chainId) {
        throw new UsageError(`--chain-id ${flags.optional("chain-id")} is not the node's chain (${domain.chainId}).`);
      }
      const now = await clock.sync();
      for (const orderId of orderIds) {
        const order = await readDeviceOrder(publicClient, { usageMeter: meter, machineRegistry }, orderId, now);
        const { licenseIds } = order;
        if (licenses !== undefined && licenses.join() !== licenseIds.join()) {
          throw new UsageError(
            `--licenses ${licenses.join(",")}: order ${orderId}'s tariff names licences ${licenseIds.join(",") || "none"}; leave --licenses out.`,
          );
        }
        await checkSignerKey(publicClient, machineRegistry, order, deviceKey.address, Stream.Device, now);
        if (inspectorKey !== undefined) {
          await checkSignerKey(publicClient, machineRegistry, order, inspectorKey.address, Stream.Inspector, now);
        }
        orders.push({ orderId, licenseIds, expiresAt: order.expiresAt });
      }
    } catch (error) {
      if (error instanceof DeviceConfigError) throw new UsageError(error.message);
      throw error;
    }
  }
  const clocks = await checkClocks(gateway, domain, clock, offline);

  const store = openStore(storePath, false);
  const agent = new DeviceAgent({
    store,
    domain,
    deviceKey,
    inspectorKey,
    log: (text) => emit("log", { text }),
  });
  const now = await clock.now();
  const running: RunnerOrder[] = [];
  const ready: Record<string, unknown>[] = [];
  for (const [i, order] of orders.entries()) {
    agent.addOrder({ orderId: order.orderId, licenseIds: order.licenseIds, since: now });
    const kept = store.order(order.orderId)!;
    if (kept.licenseIds.join() !== order.licenseIds.join()) {
      throw new UsageError(
        `--store ${storePath} holds order ${order.orderId} with licences ${kept.licenseIds.join(",") || "none"}, ` +
          `not ${order.licenseIds.join(",") || "none"}: it is another deployment's store; give another --store.`,
      );
    }
    const last = [Stream.Device, Stream.Inspector].map((s) => store.lastReport(order.orderId, s));
    const latestEnd = Math.max(kept.since, ...last.map((l) => l?.periodEnd ?? 0));
    if (latestEnd > now) {
      throw new UsageError(
        `--store ${storePath}: order ${order.orderId}'s last report ends at ${latestEnd}, after the chain's time ` +
          `(${now}): the store belongs to another chain or deployment. Give another --store.`,
      );
    }
    const profile = fitProfile(PROFILES[profileName], {
      speed,
      licenseIds: order.licenseIds,
      inspections: inspectorKey !== undefined,
    });
    running.push({
      orderId: order.orderId,
      machine: new MachineSimulator(profile, now, seed + i),
      expiresAt: order.expiresAt,
    });
    ready.push({
      orderId: order.orderId,
      licenseIds: order.licenseIds,
      since: kept.since,
      nextDevice: store.position(order.orderId, Stream.Device).sequence,
      nextInspector: store.position(order.orderId, Stream.Inspector).sequence,
    });
  }

  const runner = new DeviceRunner({
    agent,
    gateway,
    orders: running,
    clock: () => clock.now(),
    observeChainTime: (chainTime) => clock.observe(chainTime),
    reportEverySeconds: reportEvery,
    reportReadings,
    maxReports,
    durationMs: duration === undefined ? undefined : duration * 1000,
    tickMs,
    drainMs: drain * 1000,
    event: (name, fields) => emit(name, fields),
    log: (text) => emit("log", { text }),
  });
  let signals = 0;
  const onSignal = () => {
    signals += 1;
    // The store is durable: a second signal may end the process at once.
    if (signals > 1) process.exit(130);
    emit("log", { text: "stopping: reporting what is open, then sending what the gateway has not answered" });
    runner.stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  emit("ready", {
    store: storePath,
    gateway,
    chainId: domain.chainId,
    meter: domain.meter,
    registry: machineRegistry ?? null,
    device: deviceKey.address,
    inspector: inspectorKey?.address ?? null,
    clock: clocks,
    profile: profileName,
    speed,
    unacknowledged: store.unacknowledged().length,
    orders: ready,
  });
  const summary = await runner.run();
  emit("done", { ...summary, counters: agent.counters });
  store.close();
  if (summary.unacknowledged > 0) {
    process.stderr.write(
      `device-agent: the gateway at ${gateway} has not answered ${summary.unacknowledged} reports; ` +
        `they stay in ${storePath} and are sent at the next start.\n`,
    );
    process.exit(1);
  }
  if (summary.stuck > 0) {
    process.stderr.write(
      `device-agent: ${summary.stuck} reports stay refused by the gateway (see the "refused" and "reissued" lines); ` +
        `${storePath} keeps them with its words, and their streams go on once they are cured.\n`,
    );
    process.exit(1);
  }
  process.exit(0);
}

runScript("device-agent", USAGE, async (flags) => {
  if (flags.optional("prove") !== undefined) prove(flags);
  else await work(flags);
});
