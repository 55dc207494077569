/**
 * The payer's agent (the consumer's side of a payment channel) as a long-running process: serves
 * POST /payments on loopback, pays each device-signed usage increment of the machine the channel was opened
 * for with the next voucher, and commits it to its SQLite store before it answers. Restarted, it resumes
 * from the store: from the newest voucher it signed, answering a replayed request with that same voucher.
 *
 *   CHANNEL_PAYER_KEY=0x... npx tsx scripts/channel-payer.ts --rpc-url http://127.0.0.1:8545 \
 *     --channels 0x... --registry 0x... --payee 0x... --nonce 4294967297 --machine 1 \
 *     --store payer.sqlite --port 8600
 *
 * stdout: its log, one JSON line per entry (pino: time, level, and an `event` with its fields, or `msg` in
 * words): "ready" (listening; what the store holds), "paid" (each voucher answered, `again` when re-answered),
 * "node-down" and "node-up" (once each per outage), "stopping", "stopped". GET /status and GET /metrics
 * (Prometheus) show its counters. SIGINT or SIGTERM (also to the npm that started it) stops it cleanly.
 * Errors go to stderr; bad input, a channel that is not open, a store in use or a port taken exit with status 2.
 */
import { runPayer } from "../src/services/channels/payer-service.js";
import { privateKeyFromEnv, runService } from "../src/cli/flags.js";

const USAGE = `Usage: CHANNEL_PAYER_KEY=0x... npx tsx scripts/channel-payer.ts [flags]

  --rpc-url URL          JSON-RPC node (default: $CHANNEL_RPC_URL, else http://127.0.0.1:8545)
  --channels ADDRESS     the PaymentChannels contract
  --registry ADDRESS     the MachineRegistry (device keys and tariffs)
  --payee ADDRESS        the channel's payee
  --nonce N              the channel's nonce (from its ChannelOpened event)
  --machine ID           the machine the channel pays for
  --tariff-version V     the machine's tariff version the channel pays under (default 1)
  --store PATH           the payer's SQLite file (created if missing)
  --host HOST            address to listen on (default 127.0.0.1)
  --port N               port to listen on (default 8600; 0: any free port)
  --cap EUR              most paid to one device per cap period (default 1000)
  --cap-period SECONDS   the cap period (default 3600)
  --synchronous MODE     NORMAL (survives a killed process, default) or FULL (also a power cut)

  CHANNEL_PAYER_KEY      the payer account's private key: it signs the vouchers`;

runService("channel-payer", USAGE, (flags, context) =>
  runPayer(
    {
      rpcUrl: flags.url("rpc-url", process.env.CHANNEL_RPC_URL || "http://127.0.0.1:8545"),
      channels: flags.address("channels"),
      registry: flags.address("registry"),
      payee: flags.address("payee"),
      nonce: flags.bigint("nonce", 96),
      terms: {
        machineId: flags.bigint("machine", 64),
        tariffVersion: flags.int("tariff-version", 1, 1, 2 ** 32 - 1),
      },
      store: flags.string("store"),
      host: flags.string("host", "127.0.0.1"),
      port: flags.int("port", 8600, 0, 65535),
      caps: { perDevice: flags.euro("cap", "1000"), periodSeconds: flags.int("cap-period", 3600, 1) },
      synchronous: flags.oneOf("synchronous", ["NORMAL", "FULL"] as const, "NORMAL"),
      privateKey: privateKeyFromEnv("CHANNEL_PAYER_KEY", "payer"),
    },
    context,
  ),
);
