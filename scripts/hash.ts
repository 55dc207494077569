/**
 * Prints the keccak-256 hash that goes on chain for a document or a reference: the framework agreement
 * (agreementHash), a member's record (metadata), a bank reference, a payout instruction.
 *
 *   npm run hash -- path/to/framework-agreement-v2.pdf     (hash of the file's bytes)
 *   npm run hash -- "SEPA 2026-11-25 Feinteile Sued 0001"  (hash of the text)
 */
import { existsSync, readFileSync } from "node:fs";

import { keccak256 } from "viem";

import { referenceHash } from "../src/core/references.js";

const inputs = process.argv.slice(2);
if (inputs.length === 0) {
  console.error('Pass a file or a text to hash, e.g. npm run hash -- agreement.pdf or npm run hash -- "SEPA 0001".');
  process.exitCode = 2;
}
for (const input of inputs) {
  const hash = existsSync(input) ? keccak256(readFileSync(input)) : referenceHash(input);
  console.log(`${hash}  ${input}`);
}
