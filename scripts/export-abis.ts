/**
 * Writes src/generated/abis.ts (the ABIs of the deployable contracts as `as const` literals, so the
 * off-chain code (viem) is fully typed and runs without Hardhat) and src/generated/enums.ts (every Solidity
 * enum, from the compiler's AST). Run by `npm run abis`; a test checks that the committed files match the
 * compiled contracts.
 */
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

import { GENERATED_MODULES } from "../src/chain/abi-module.js";

const root = fileURLToPath(new URL("..", import.meta.url));
for (const [path, render] of Object.entries(GENERATED_MODULES)) {
  await writeFile(`${root}${path}`, await render(root));
  console.log(`wrote ${root}${path}`);
}
