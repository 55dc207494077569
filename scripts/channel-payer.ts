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
 * stdout: one JSON line per event: "ready" (listening; what the store holds), "paid" (each voucher answered,
 * `again` when re-answered), "stopped". Errors go to stderr; bad input exits with status 2.
 */
import type { AddressInfo } from "node:net";

import { privateKeyToAccount } from "viem/accounts";

import { ChannelsClient } from "../src/contracts/channels.js";
import {
  createPayerServer,
  PayerAgent,
  registryDevices,
  registryTariffs,
  trackChannel,
} from "../src/services/channels/payer.js";
import { PayerStore } from "../src/services/channels/store.js";
import { channelIdOf } from "../src/core/voucher.js";
import { paymentChannelsAbi } from "../src/generated/abis.js";
import { emit, privateKeyFromEnv, runScript } from "../src/cli/flags.js";
import { rpcChain } from "../src/chain/rpc.js";

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

runScript("channel-payer", USAGE, async (flags) => {
  const rpcUrl = flags.url("rpc-url", process.env.CHANNEL_RPC_URL || "http://127.0.0.1:8545");
  const channels = flags.address("channels");
  const registry = flags.address("registry");
  const payee = flags.address("payee");
  const nonce = flags.bigint("nonce", 96);
  const terms = {
    machineId: flags.bigint("machine", 64),
    tariffVersion: flags.int("tariff-version", 1, 1, 2 ** 32 - 1),
  };
  const storePath = flags.string("store");
  const host = flags.string("host", "127.0.0.1");
  const port = flags.int("port", 8600, 0, 65535);
  const caps = { perDevice: flags.euro("cap", "1000"), periodSeconds: flags.int("cap-period", 3600, 1) };
  const synchronous = flags.oneOf("synchronous", ["NORMAL", "FULL"] as const, "NORMAL");
  const privateKey = privateKeyFromEnv("CHANNEL_PAYER_KEY", "payer");
  const payer = privateKeyToAccount(privateKey).address;

  const chain = await rpcChain(rpcUrl);
  const token = await chain.publicClient
    .readContract({ address: channels, abi: paymentChannelsAbi, functionName: "token" })
    .catch((error: unknown) => {
      throw new Error(
        `No PaymentChannels contract answers at ${channels} on chain ${chain.chainId}: check --channels.`,
        {
          cause: error,
        },
      );
    });
  const client = new ChannelsClient(chain, { paymentChannels: channels, token });
  const key = { payer, payee, nonce };
  const store = new PayerStore({ path: storePath, synchronous });
  const channel = await trackChannel(store, client, key, terms);
  const agent = new PayerAgent({
    domain: { chainId: chain.chainId, channels },
    privateKey,
    store,
    devices: registryDevices(chain.publicClient, registry),
    tariffs: registryTariffs(chain.publicClient, registry),
    caps,
    onPaid: (paid) =>
      emit("paid", {
        channelId: paid.channelId,
        sequence: paid.sequence,
        amount: paid.voucher.amount,
        usage: paid.voucher.usage,
        signature: paid.signature,
        again: paid.again,
      }),
  });
  const server = createPayerServer(agent);
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) => reject(new Error(`Cannot listen on ${host}:${port}: ${error.message}`)));
    server.listen(port, host, resolve);
  });
  const bound = (server.address() as AddressInfo).port;
  emit("ready", {
    url: `http://${host}:${bound}`,
    port: bound,
    channelId: channelIdOf(key),
    payer,
    sequence: channel.sequence,
    signed: channel.signed,
    deposit: channel.deposit,
  });

  const stop = (signal: NodeJS.Signals) => {
    server.close(() => {
      store.close();
      emit("stopped", { signal });
      process.exit(0);
    });
    server.closeAllConnections();
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
});
