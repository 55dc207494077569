/**
 * The one command line, `capacity <group> <command>` (bin/capacity.js runs this file; `npm run ops --` too):
 * members, accounts, listings, keys, licences, orders, channels, invoices, payouts, the token and its
 * treasury. `capacity --help` lists every command; each prints a table, or JSON with --json.
 *
 *   OPS_PRIVATE_KEY=0x... npx capacity payout run --rpc-url http://127.0.0.1:8545 \
 *     --addresses deployment.json --store payee.sqlite --min-claim 5 --dry-run
 *
 * Exit status: 0 done (or nothing to do), 1 the chain refused or failed, 2 bad input.
 */
import { connectRpc } from "../src/cli/connect.js";
import { runCli } from "../src/cli/program.js";

const outcome = await runCli(process.argv.slice(2), connectRpc);
process.stdout.write(outcome.stdout);
process.stderr.write(outcome.stderr);
process.exitCode = outcome.exitCode;
