/**
 * Writes src/generated/abis.ts: the ABIs of the deployable contracts as `as const` literals, so the
 * off-chain code (viem) is fully typed and runs without Hardhat. Run by `npm run abis`; a test checks
 * that the committed file matches the compiled contracts.
 */
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

import { renderAbiModule } from "../src/chain/abi-module.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const target = `${root}src/generated/abis.ts`;
await writeFile(target, await renderAbiModule(root));
console.log(`wrote ${target}`);
