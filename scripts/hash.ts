/**
 * Prints the keccak-256 hash that goes on chain for a document or a reference: the framework agreement
 * (agreementHash), a member's record (metadata), a bank reference, a payout instruction. `capacity hash`.
 *
 *   npm run hash -- path/to/framework-agreement-v2.pdf              (hash of the file's bytes; it must exist)
 *   npm run hash -- --text "SEPA 2026-11-25 Feinteile Sued 0001"    (hash of the text)
 */
import { connectRpc } from "../src/cli/connect.js";
import { runCli } from "../src/cli/program.js";

const outcome = await runCli(["hash", ...process.argv.slice(2)], connectRpc);
process.stdout.write(outcome.stdout);
process.stderr.write(outcome.stderr);
process.exitCode = outcome.exitCode;
