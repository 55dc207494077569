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
import { connectRpc } from "../src/cli/connect.js";
import { runOps } from "../src/cli/ops-commands.js";

const outcome = await runOps(process.argv.slice(2), connectRpc);
process.stdout.write(outcome.stdout);
process.stderr.write(outcome.stderr);
process.exitCode = outcome.exitCode;
