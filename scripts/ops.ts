/**
 * Operator commands over any JSON-RPC node: admit members, list machines, find them, open orders and
 * channels, show balances and obligations, run payouts and invoices, request and settle redemptions.
 * Each prints a table, or JSON with --json; `npx tsx scripts/ops.ts --help` lists them.
 *
 *   OPS_PRIVATE_KEY=0x... npx tsx scripts/ops.ts payout --rpc-url http://127.0.0.1:8545 \
 *     --addresses deployment.json --store payee.sqlite --min-claim 5 --dry-run
 *
 * Exit status: 0 done (or nothing to do), 1 the chain refused or failed, 2 bad input.
 */
import { readFileSync } from "node:fs";

import { parseAddresses } from "../src/ops/context.js";
import { privateKeyFromEnv, type Flags } from "./lib/cli.js";
import { runOps } from "./lib/ops-commands.js";
import { rpcChain } from "./lib/rpc.js";
import { OpsInputError } from "../src/ops/context.js";

async function connect(flags: Flags) {
  const url = flags.url("rpc-url", process.env.OPS_RPC_URL || "http://127.0.0.1:8545");
  const file = flags.optional("addresses") ?? process.env.OPS_ADDRESSES;
  if (file === undefined || file === "") {
    throw new OpsInputError(
      "Say where the deployment lives: --addresses FILE (or $OPS_ADDRESSES), a JSON file of its addresses.",
    );
  }
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new OpsInputError(`Cannot read the addresses file ${file} (${(error as Error).message}).`);
  }
  const { addresses, fromBlock } = parseAddresses(text, file);
  const chain = await rpcChain(url);
  return {
    ops: { chain, addresses, fromBlock },
    wallet: () => chain.wallet(privateKeyFromEnv("OPS_PRIVATE_KEY", "signing account")),
  };
}

const outcome = await runOps(process.argv.slice(2), connect);
process.stdout.write(outcome.stdout);
process.stderr.write(outcome.stderr);
process.exitCode = outcome.exitCode;
