/**
 * The payee's agent beside a machine, as a long-running process: the (simulated) machine makes a part per
 * tick, its device key signs the part's usage increment, the agent asks the payer for the voucher, verifies
 * it and commits it to its SQLite store, and only then acknowledges the part and lets the machine go on. It
 * watches the channel on chain and claims when enough is unclaimed, when the deadline comes near, and at
 * once when the payer starts closing alone. Restarted, it resumes from its store: the increment still
 * waiting for an answer first, then the next after the newest voucher; a closing channel is claimed at once.
 *
 *   CHANNEL_PAYEE_KEY=0x... CHANNEL_DEVICE_KEY=0x... npx tsx scripts/channel-payee.ts \
 *     --rpc-url http://127.0.0.1:8545 --channels 0x... --registry 0x... --payer 0x... --nonce 4294967297 \
 *     --machine 1 --payer-url http://127.0.0.1:8600 --store payee.sqlite --tick-ms 1000
 *
 * stdout: its log, one JSON line per entry (pino: time, level, and an `event` with its fields, or `msg` in
 * words): "ready" (what the store holds, where /status is served), "acknowledged" (each part paid and stored),
 * "waiting" (a payment failed otherwise than for good; the same increment is asked for again after a growing
 * pause), "payer-down" and "payer-up", "node-down" and "node-up" (once each per outage), "claimed",
 * "watch-error", "done" (all --parts paid; it then exits 0), "closing" (the payer started closing: what is
 * unclaimed is claimed, then it exits 0), "refused" (a refusal asking again cannot change: a wrong device key,
 * numbers out of step with the payer; it exits 2), "stopping", "stopped". GET /status and GET /metrics
 * (Prometheus) show its counters. SIGINT or SIGTERM (also to the npm that started it) stops it cleanly.
 * Errors go to stderr; bad input, a store in use or a port taken exit with status 2.
 */
import { privateKeyToAccount } from "viem/accounts";

import { runPayee } from "../src/services/channels/payee-service.js";
import { privateKeyFromEnv, runService } from "../src/cli/flags.js";

const USAGE = `Usage: CHANNEL_PAYEE_KEY=0x... CHANNEL_DEVICE_KEY=0x... npx tsx scripts/channel-payee.ts [flags]

  --rpc-url URL            JSON-RPC node (default: $CHANNEL_RPC_URL, else http://127.0.0.1:8545)
  --channels ADDRESS       the PaymentChannels contract
  --registry ADDRESS       the MachineRegistry (tariffs)
  --payer ADDRESS          the channel's payer
  --nonce N                the channel's nonce (from its ChannelOpened event)
  --machine ID             the machine the channel pays for
  --tariff-version V       the machine's tariff version the channel pays under (default 1)
  --payer-url URL          the payer agent (default http://127.0.0.1:8600)
  --store PATH             the payee's SQLite file (created if missing)
  --host HOST              address GET /status and /metrics are served on (default 127.0.0.1)
  --port N                 port of GET /status and /metrics (default 8601; 0: any free one)
  --tick-ms MS             milliseconds between parts (default 1000)
  --parts N                stop making parts once N are paid on the channel in all (default: never)
  --claim-threshold EUR    claim once this much is unclaimed (default 10)
  --claim-margin SECONDS   claim whatever is unclaimed this close to the channel's deadline (default 600)
  --watch-ms MS            milliseconds between looks at the channel on chain (default 2000)
  --timeout-ms MS          milliseconds to wait for the payer's answer (default 5000)
  --synchronous MODE       NORMAL (survives a killed process, default) or FULL (also a power cut)

  CHANNEL_PAYEE_KEY        the payee account's private key: it claims
  CHANNEL_DEVICE_KEY       the machine's device key, registered for it in the MachineRegistry`;

runService("channel-payee", USAGE, (flags, context) =>
  runPayee(
    {
      rpcUrl: flags.url("rpc-url", process.env.CHANNEL_RPC_URL || "http://127.0.0.1:8545"),
      channels: flags.address("channels"),
      registry: flags.address("registry"),
      payer: flags.address("payer"),
      nonce: flags.bigint("nonce", 96),
      terms: {
        machineId: flags.bigint("machine", 64),
        tariffVersion: flags.int("tariff-version", 1, 1, 2 ** 32 - 1),
      },
      payerUrl: flags.url("payer-url", "http://127.0.0.1:8600"),
      store: flags.string("store"),
      host: flags.string("host", "127.0.0.1"),
      port: flags.int("port", 8601, 0, 65535),
      tickMs: flags.int("tick-ms", 1000),
      parts: flags.ifGiven("parts", (n) => flags.int(n, undefined, 1, 2 ** 32 - 1)),
      policy: { threshold: flags.euro("claim-threshold", "10"), margin: flags.int("claim-margin", 600) },
      watchMs: flags.int("watch-ms", 2000, 10),
      timeoutMs: flags.int("timeout-ms", 5000, 1),
      synchronous: flags.oneOf("synchronous", ["NORMAL", "FULL"] as const, "NORMAL"),
      payeeKey: privateKeyFromEnv("CHANNEL_PAYEE_KEY", "payee"),
      device: privateKeyToAccount(privateKeyFromEnv("CHANNEL_DEVICE_KEY", "machine's device")),
    },
    context,
  ),
);
