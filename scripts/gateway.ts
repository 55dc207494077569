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
 * stdout: its log, one JSON line per entry (pino: time, level, and an `event` with its fields, or `msg` in
 * words): "ready" (its URL, the contracts, what the store holds, the clocks), "sent" and "final" (a batch's
 * transaction and its report count), "requeued" (a transaction left the chain), "node-down" and "node-up" (once
 * each per outage), "stopping", "stopped". GET /status and GET /metrics (Prometheus) show the counters.
 * SIGINT or SIGTERM (also to the npm that started it) stops it cleanly. Errors go to stderr; bad input, a store
 * in use, a port taken or a relayer without funds exit with status 2.
 */
import { runGateway } from "../src/services/gateway/service.js";
import { DEFAULT_CLOCK_TOLERANCE_SECONDS } from "../src/services/gateway/ingest.js";
import { OpsInputError } from "../src/ops/context.js";
import { privateKeyFromEnv, runService, UsageError } from "../src/cli/flags.js";
import { readAddressesFile } from "../src/cli/connect.js";

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

runService("gateway", USAGE, async (flags, context) => {
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
  const registry = flags.ifGiven("registry", (n) => flags.address(n));
  await runGateway(
    {
      rpcUrl: flags.url("rpc-url", process.env.GATEWAY_RPC_URL || "http://127.0.0.1:8545"),
      usageMeter: flags.address("meter", deployment?.addresses.usageMeter),
      // The gateway checks keys against the registry the meter checks them against; one named elsewhere must be it.
      registry:
        registry !== undefined
          ? { address: registry, from: "--registry" }
          : deployment !== undefined && !meterGiven
            ? { address: deployment.addresses.machineRegistry, from: "the addresses file's machineRegistry" }
            : undefined,
      fromBlock: BigInt(flags.int("from-block", Number(deployment?.fromBlock ?? 0n))),
      store: flags.string("store"),
      port: flags.int("port", 8700, 0, 65535),
      depth: flags.int("depth", 1, 1, 1000),
      intervalMs: flags.int("interval-ms", 1000, 10),
      synchronous: flags.oneOf("synchronous", ["NORMAL", "FULL"] as const, "NORMAL"),
      clockToleranceSeconds: flags.duration("clock-tolerance", `${DEFAULT_CLOCK_TOLERANCE_SECONDS}s`),
      relayerKey: privateKeyFromEnv("GATEWAY_RELAYER_KEY", "relayer"),
    },
    context,
  );
});
