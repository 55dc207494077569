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
 * stdout: its log, one JSON line per entry (pino: time, level, and an `event` with its fields, or `msg` in
 * words): "ready" (orders, keys, the meter and its registry, what the store holds, the clocks), "position"
 * (where a stream stands at the gateway), "signed" (a report cut), "sent" (a report the gateway acknowledged),
 * "refused" (its answer; `final` when it is for good, with what becomes of the report), "reissued" (a refused
 * report signed again, or found taken or stuck), "done" (why it stopped, with counters); with --prove one line,
 * "proof". SIGINT or SIGTERM (also to the npm that started it) stops it cleanly: it reports what is open and
 * sends what is unanswered first; a second signal ends it at once.
 * Errors go to stderr; bad input, a setup the chain shows wrong or a store in use exit with status 2; reports
 * left unacknowledged or refused for good exit 1.
 */
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";

import { PROFILES, Stream } from "../src/services/device/agent.js";
import { proveReadingOf } from "../src/services/device/prove.js";
import { runDeviceAgent } from "../src/services/device/run.js";
import { emit, type Flags, privateKeyFromEnv, runService, UsageError } from "../src/cli/flags.js";

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
const key = (name: string, what: string): PrivateKeyAccount => privateKeyToAccount(privateKeyFromEnv(name, what));

/** --prove: one reading, its proof and its report, from the store alone. */
function prove(flags: Flags): void {
  const spec = flags.string("prove");
  const orderIds = flags.ids("order");
  if (orderIds.length !== 1) throw new UsageError(`--order must name one order with --prove; got ${orderIds.length}.`);
  const stream = STREAMS[flags.oneOf("stream", ["device", "inspector"] as const, "device")];
  emit("proof", proveReadingOf({ store: flags.string("store"), orderId: orderIds[0]!, spec, stream }));
}

/** The orders named, each once. */
function orders(flags: Flags): bigint[] {
  const orderIds = flags.ids("order");
  if (orderIds.length === 0) throw new UsageError("--order is required: the id(s) of the orders the machine works on.");
  if (new Set(orderIds).size !== orderIds.length) throw new UsageError("--order names an order twice.");
  return orderIds;
}

runService("device-agent", USAGE, async (flags, context) => {
  if (flags.optional("prove") !== undefined) return prove(flags);
  const gateway = flags.url("gateway").replace(/\/+$/, "");
  const meter = flags.address("meter");
  const registry = flags.ifGiven("registry", (n) => flags.address(n));
  const orderIds = orders(flags);
  const store = flags.string("store");
  const simulation = {
    profile: flags.oneOf("profile", Object.keys(PROFILES) as (keyof typeof PROFILES)[], "laser-cutter"),
    speed: flags.number("speed", 1, 0.001, 1000),
    seed: flags.int("seed", 1, 0, 2 ** 32 - 1),
  };
  const reportEverySeconds = flags.duration("report-every", "60s", 1);
  const reportReadings = flags.ifGiven("report-readings", (n) => flags.int(n, undefined, 1));
  const maxReports = flags.ifGiven("reports", (n) => flags.int(n, undefined, 1));
  const durationSeconds = flags.ifGiven("duration", (n) => flags.duration(n, undefined, 1));
  const tickMs = flags.int("tick-ms", 1000, 10, 3_600_000);
  const drainSeconds = flags.duration("drain", "30s");
  const clockSyncMs = flags.duration("clock-sync", "5s", 1) * 1000;
  const licenses = flags.ifGiven("licenses", (n) => flags.ids(n).map(Number));
  const deviceKey = key("DEVICE_KEY", "device");
  const inspectorKey = process.env.DEVICE_INSPECTOR_KEY ? key("DEVICE_INSPECTOR_KEY", "inspector") : undefined;
  // Where the reports count, and what time it is on the chain: from a node, or (--chain-id alone) without one.
  const chainId = flags.ifGiven("chain-id", (n) => flags.int(n, undefined, 1));
  const chain =
    chainId !== undefined && flags.optional("rpc-url") === undefined
      ? { chainId }
      : { rpcUrl: flags.url("rpc-url", process.env.DEVICE_RPC_URL || "http://127.0.0.1:8545"), chainId };
  await runDeviceAgent(
    {
      ...{ gateway, meter, registry, orderIds, licenses, chain, clockSyncMs, deviceKey, inspectorKey, store },
      ...{ simulation, reportEverySeconds, reportReadings, maxReports, durationSeconds, tickMs, drainSeconds },
    },
    context,
  );
});
