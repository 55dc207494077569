/**
 * The payout run for a scheduler (cron, a systemd timer): `capacity payout run` with its settings from the
 * environment, so that the schedule's command line holds no secrets.
 *
 *   OPS_PRIVATE_KEY=0x... OPS_RPC_URL=http://127.0.0.1:8545 OPS_ADDRESSES=deployment.json \
 *   OPS_PAYEE_STORE=payee.sqlite OPS_MIN_CLAIM=5 npx tsx scripts/payout.ts [--dry-run] [--json]
 *
 * Idempotent: every run reads what is claimed and settled from the chain, so a second run finds nothing, sends
 * no transaction and says so (exit 0). Overlapping runs are harmless too: claimMany skips vouchers already
 * claimed, settle does nothing twice, settleAndWithdraw with nothing credited pays nothing. Flags given on
 * the command line win over the environment.
 */
import { connectRpc } from "../src/cli/connect.js";
import { runCli } from "../src/cli/program.js";

const defaults: string[] = [];
if (process.env.OPS_PAYEE_STORE) defaults.push(`--store=${process.env.OPS_PAYEE_STORE}`);
if (process.env.OPS_MIN_CLAIM) defaults.push(`--min-claim=${process.env.OPS_MIN_CLAIM}`);
if (process.env.OPS_CLAIM_MARGIN) defaults.push(`--margin=${process.env.OPS_CLAIM_MARGIN}`);

const outcome = await runCli(["payout", "run", ...defaults, ...process.argv.slice(2)], connectRpc);
process.stdout.write(outcome.stdout);
process.stderr.write(outcome.stderr);
process.exitCode = outcome.exitCode;
