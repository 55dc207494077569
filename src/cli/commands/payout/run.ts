import { executePayout, planPayout, simulatePayout } from "../../../ops/payouts.js";
import { openPayeeStore } from "../../../ops/stores.js";
import { defineCommand, option } from "../../command.js";
import { dryRunOption } from "../../options.js";
import { duration, euro, int, text } from "../../parse.js";
import { renderPayout } from "../../render/payout.js";

interface Options {
  store?: string;
  minClaim: bigint;
  margin: number;
  dryRun?: boolean;
  platformFees?: boolean;
  batch: number;
}

export default defineCommand<Options>({
  name: "run",
  summary: "claim worthwhile channels and withdraw matured charges, in at most two transactions (payee)",
  help:
    "Idempotent: a second run finds nothing to pay and sends nothing (exit 0). Without --store no channels are\n" +
    "claimed. Scheduled runs: scripts/payout.ts reads these settings from $OPS_PAYEE_STORE, $OPS_MIN_CLAIM, $OPS_CLAIM_MARGIN.",
  options: [
    option("--store <file>", "the channel payee agent's SQLite store (it must exist)", text),
    {
      flags: "--min-claim <eur>",
      description: "claim a channel only if it adds at least this",
      parse: euro,
      default: 0n,
      defaultDescription: "0",
    },
    {
      flags: "--margin <duration>",
      description: "claim anything new this close to a channel's deadline",
      parse: duration,
      default: 3600,
      defaultDescription: "1h",
    },
    dryRunOption,
    { flags: "--platform-fees", description: "also withdraw the platform fees collected (operators)" },
    {
      flags: "--batch <n>",
      description: "most channels per claimMany and orders per settleAndWithdraw",
      parse: int(1, 10_000),
      default: 100,
    },
  ],
  async run(options, context) {
    const store = options.store === undefined ? undefined : openPayeeStore(options.store);
    try {
      const ops = await context.ops();
      const wallet = await context.wallet();
      const plan = await planPayout(ops, wallet.account.address, {
        store,
        minClaim: options.minClaim,
        margin: options.margin,
        platformFees: options.platformFees === true,
        batchSize: options.batch,
      });
      const result =
        options.dryRun === true
          ? await simulatePayout(ops, wallet, plan)
          : await executePayout(ops, wallet, plan, store);
      return { json: result, text: renderPayout(result) };
    } finally {
      store?.close();
    }
  },
});
