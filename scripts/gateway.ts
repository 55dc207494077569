/**
 * The gateway as a long-running process: accepts device-signed usage reports over HTTP on loopback, checks
 * and stores them durably before it answers, and submits them to the UsageMeter in batches, following each
 * transaction to the confirmation depth. Restarted (also after a SIGKILL), it resumes from its SQLite store
 * and sends again whatever was sent but not final: the meter skips what it recorded before.
 *
 *   GATEWAY_RELAYER_KEY=0x... npx tsx scripts/gateway.ts --rpc-url http://127.0.0.1:8545 \
 *     --addresses ignition/deployments/<id>/deployed_addresses.json --store gateway.sqlite --port 8700 --depth 2
 *
 * Periods are judged by the chain's clock (the latest block's time), never this host's: a period may end at most
 * --clock-tolerance after it. GET /clock says what the gateway reads; GET /streams/<order>/<device|inspector>
 * where a stream stands, for a device agent that recovers its position or re-issues a refused report.
 *
 * stdout: one JSON line per event: "ready" (its URL, the contracts, what the store holds, the clocks), "sent" and
 * "final" (a batch's transaction and its report count), "requeued" (a transaction left the chain), "log"
 * (progress in words).
 * Errors go to stderr; bad input exits with status 2.
 */
import { DeviceConfigError, readMeterRegistry } from "../src/services/device/chain.js";
import { ContractChainView } from "../src/services/gateway/chain.js";
import { DEFAULT_CLOCK_TOLERANCE_SECONDS, Ingest } from "../src/services/gateway/ingest.js";
import { gatewayStatus, serveGateway } from "../src/services/gateway/server.js";
import { GatewayStore } from "../src/services/gateway/store.js";
import { Submitter } from "../src/services/gateway/submitter.js";
import { OpsInputError } from "../src/ops/context.js";
import { emit, privateKeyFromEnv, runScript, UsageError } from "../src/cli/flags.js";
import { readAddressesFile } from "../src/cli/connect.js";
import { rpcChain } from "../src/chain/rpc.js";

const USAGE = `Usage: GATEWAY_RELAYER_KEY=0x... npx tsx scripts/gateway.ts [flags]

  --rpc-url URL            JSON-RPC node (default: $GATEWAY_RPC_URL, else http://127.0.0.1:8545)
  --addresses FILE         the deployment's addresses file (as for npm run ops): the meter and the block
                           its events start at
  --meter ADDRESS          the UsageMeter (instead of --addresses, or to override it); the MachineRegistry
                           that holds the device and inspector keys is read from it
  --registry ADDRESS       check that the meter's MachineRegistry is this one
  --from-block N           where to look for a report recorded before a restart (default: from --addresses, else 0)
  --store PATH             the gateway's SQLite file (created if missing)
  --port N                 port on 127.0.0.1 to listen on (default 8700; 0: any free one)
  --depth N                blocks deep a transaction must be before its outcomes count (default 1)
  --interval-ms MS         milliseconds between submission rounds (default 1000)
  --clock-tolerance DURATION  how far a period may end after the chain's time (its latest block), e.g. 60,
                           30s, 2m (default 60s); at least the chain's block interval
  --synchronous MODE       NORMAL (survives a killed process, default) or FULL (also a power cut)

  GATEWAY_RELAYER_KEY      the private key of the account that pays for the batches' gas`;

runScript("gateway", USAGE, async (flags) => {
  const rpcUrl = flags.url("rpc-url", process.env.GATEWAY_RPC_URL || "http://127.0.0.1:8545");
  const deployment = await flags.ifGiven("addresses", (name) =>
    readAddressesFile(flags.string(name)).catch((error: unknown) => {
      throw error instanceof OpsInputError ? new UsageError(error.message) : error;
    }),
  );
  // --meter overrides the file's meter; the file's registry is then not that meter's to check against.
  const meterGiven = flags.optional("meter") !== undefined;
  if (deployment === undefined && !meterGiven) {
    throw new UsageError("Say where the deployment lives: --addresses FILE, or --meter ADDRESS.");
  }
  const usageMeter = flags.address("meter", deployment?.addresses.usageMeter);
  const registry = flags.ifGiven("registry", (n) => flags.address(n));
  const fromBlock = BigInt(flags.int("from-block", Number(deployment?.fromBlock ?? 0n)));
  const storePath = flags.string("store");
  const port = flags.int("port", 8700, 0, 65535);
  const depth = flags.int("depth", 1, 1, 1000);
  const intervalMs = flags.int("interval-ms", 1000, 10);
  const synchronous = flags.oneOf("synchronous", ["NORMAL", "FULL"] as const, "NORMAL");
  const clockTolerance = flags.duration("clock-tolerance", `${DEFAULT_CLOCK_TOLERANCE_SECONDS}s`);
  const relayerKey = privateKeyFromEnv("GATEWAY_RELAYER_KEY", "relayer");

  const chain = await rpcChain(rpcUrl, { pollingMs: 100 });
  // The gateway checks keys against the registry the meter checks them against; one named elsewhere must be it.
  const named =
    registry !== undefined
      ? { address: registry, from: "--registry" }
      : deployment !== undefined && !meterGiven
        ? { address: deployment.addresses.machineRegistry, from: `the addresses file's machineRegistry` }
        : undefined;
  const machineRegistry = await readMeterRegistry(chain.publicClient, usageMeter, named).catch((error: unknown) => {
    throw error instanceof DeviceConfigError ? new UsageError(error.message) : error;
  });
  const store = new GatewayStore({ path: storePath, synchronous });
  const chainView = new ContractChainView({ publicClient: chain.publicClient, machineRegistry, usageMeter });
  const ingest = new Ingest({
    store,
    chain: chainView,
    domain: { chainId: chain.chainId, meter: usageMeter },
    clockToleranceSeconds: clockTolerance,
  });
  const clock = await ingest.clock();
  if (Math.abs(clock.hostAheadSeconds) > clockTolerance) {
    emit("log", {
      text:
        `this host's clock is ${Math.abs(clock.hostAheadSeconds)} s ${clock.hostAheadSeconds > 0 ? "ahead of" : "behind"} ` +
        `the chain's (latest block ${clock.chainTime}); periods are judged by the chain's clock, ending at most ` +
        `${clockTolerance} s after it`,
    });
  }
  const submitter = new Submitter({
    store,
    publicClient: chain.publicClient,
    wallet: chain.wallet(relayerKey),
    usageMeter,
    depth,
    fromBlock,
    log: (text) => emit("log", { text }),
    event: (name, fields) => emit(name, fields),
  });
  const recovered = submitter.recover();
  const served = await serveGateway({ ingest, store, submitter, port });
  const status = gatewayStatus(ingest, store, submitter);
  emit("ready", {
    url: served.url,
    meter: usageMeter,
    registry: machineRegistry,
    fromBlock: Number(fromBlock),
    recovered,
    stored: status.stored,
    confirmed: status.confirmed,
    clock: { chainTime: clock.chainTime, hostTime: clock.hostTime, toleranceSeconds: clockTolerance },
  });
  submitter.start(intervalMs);
  const stop = async () => {
    await submitter.stop();
    await served.close();
    store.close();
    emit("stopped");
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
});
