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
 * stdout: one JSON line per event: "ready" (what the store holds), "acknowledged" (each part paid and
 * stored), "waiting" (a payment failed; the same increment is asked for again), "claimed", "watch-error",
 * "done" (all --parts paid), "closing" (the payer started closing; no more parts), "stopped".
 * Errors go to stderr; bad input exits with status 2.
 */
import { privateKeyToAccount } from "viem/accounts";

import { ChannelsClient } from "../src/contracts/channels.js";
import { Machine } from "../src/services/channels/machine.js";
import { PayeeAgent } from "../src/services/channels/payee.js";
import { registryTariffs } from "../src/services/channels/payer.js";
import { PayeeStore } from "../src/services/channels/store.js";
import { channelIdOf } from "../src/core/voucher.js";
import { paymentChannelsAbi } from "../src/generated/abis.js";
import { emit, privateKeyFromEnv, runScript } from "../src/cli/flags.js";
import { rpcChain } from "../src/chain/rpc.js";

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
  --tick-ms MS             milliseconds between parts (default 1000)
  --parts N                stop making parts once N are paid on the channel in all (default: never)
  --claim-threshold EUR    claim once this much is unclaimed (default 10)
  --claim-margin SECONDS   claim whatever is unclaimed this close to the channel's deadline (default 600)
  --watch-ms MS            milliseconds between looks at the channel on chain (default 2000)
  --timeout-ms MS          milliseconds to wait for the payer's answer (default 5000)
  --synchronous MODE       NORMAL (survives a killed process, default) or FULL (also a power cut)

  CHANNEL_PAYEE_KEY        the payee account's private key: it claims
  CHANNEL_DEVICE_KEY       the machine's device key, registered for it in the MachineRegistry`;

runScript("channel-payee", USAGE, async (flags) => {
  const rpcUrl = flags.url("rpc-url", process.env.CHANNEL_RPC_URL || "http://127.0.0.1:8545");
  const channels = flags.address("channels");
  const registry = flags.address("registry");
  const payer = flags.address("payer");
  const nonce = flags.bigint("nonce", 96);
  const terms = {
    machineId: flags.bigint("machine", 64),
    tariffVersion: flags.int("tariff-version", 1, 1, 2 ** 32 - 1),
  };
  const payerUrl = flags.url("payer-url", "http://127.0.0.1:8600");
  const storePath = flags.string("store");
  const tickMs = flags.int("tick-ms", 1000);
  const parts = flags.ifGiven("parts", (n) => flags.int(n, undefined, 1, 2 ** 32 - 1));
  const policy = { threshold: flags.euro("claim-threshold", "10"), margin: flags.int("claim-margin", 600) };
  const watchMs = flags.int("watch-ms", 2000, 10);
  const timeoutMs = flags.int("timeout-ms", 5000, 1);
  const synchronous = flags.oneOf("synchronous", ["NORMAL", "FULL"] as const, "NORMAL");
  const payeeKey = privateKeyFromEnv("CHANNEL_PAYEE_KEY", "payee");
  const device = privateKeyToAccount(privateKeyFromEnv("CHANNEL_DEVICE_KEY", "machine's device"));

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
  const wallet = chain.wallet(payeeKey);
  const key = { payer, payee: wallet.account.address, nonce };
  const channelId = channelIdOf(key);
  const domain = { chainId: chain.chainId, channels };
  const store = new PayeeStore({ path: storePath, synchronous });
  const agent = new PayeeAgent({
    domain,
    payee: wallet.account.address,
    store,
    tariffs: registryTariffs(chain.publicClient, registry),
    payerUrl,
    timeoutMs,
    chain: { client, wallet, policy },
    onClaim: (claim) => emit("claimed", claim),
  });
  const channel = await agent.track(key, terms);
  emit("ready", {
    channelId,
    payee: wallet.account.address,
    sequence: channel.sequence,
    amount: store.newestVoucher(channelId)?.amount ?? 0n,
    claimed: channel.claimed,
    closing: channel.closing,
    pending: agent.pending(channelId)?.increment.sequence ?? null,
  });

  // Watching starts at once: a channel the payer began closing while this process was down is claimed first.
  agent.startWatching(watchMs, (error) => emit("watch-error", { reason: (error as Error).message }));
  const machine = new Machine({
    agent,
    store,
    channelId,
    device,
    domain,
    tickMs,
    parts,
    onAcknowledged: (ack) => emit("acknowledged", { ...ack }),
    onWaiting: (sequence, error) => emit("waiting", { sequence, reason: error.message }),
  });
  const running = machine.run().then((why) => {
    const now = store.channel(channelId);
    if (why !== "stopped") {
      emit(why, { sequence: now?.sequence, amount: store.newestVoucher(channelId)?.amount ?? 0n });
    }
  });

  const stop = (signal: NodeJS.Signals) => {
    machine.stop();
    void running
      .then(() => agent.stopWatching())
      .finally(() => {
        agent.close();
        store.close();
        emit("stopped", { signal });
        process.exit(0);
      });
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  await running;
});
