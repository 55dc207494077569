/**
 * Checks the compiled contracts against an EVM target: every contract was built for it, and none uses
 * an opcode the target lacks (PUSH0 before shanghai; MCOPY, TLOAD, TSTORE before cancun). For a target
 * that has PUSH0, it also checks the build really uses it, proving the setting reached the compiler.
 *
 *   npx tsx scripts/check-evm-target.ts paris     (after: npm run build:paris)
 *   npx tsx scripts/check-evm-target.ts prague    (after: npx hardhat build)
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { EVM_TARGETS, parseEvmTarget } from "../config/networks.js";
import { renderTable } from "../src/cli/table.js";
import { NEWER_OPCODES, newerOpcodesIn, type NewerOpcode } from "../deploy/opcodes.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const target = parseEvmTarget("the first argument", process.argv[2] ?? "");
const forkIndex = (fork: string): number => EVM_TARGETS.indexOf(fork as (typeof EVM_TARGETS)[number]);
const lacking = (Object.keys(NEWER_OPCODES) as NewerOpcode[]).filter(
  (name) => forkIndex(NEWER_OPCODES[name].fork) > forkIndex(target),
);

interface Row {
  contract: string;
  evm: string;
  found: Partial<Record<NewerOpcode, number>>;
}

async function artifactsUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = await Promise.all(
    entries.map(async (entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return artifactsUnder(path);
      return entry.name.endsWith(".json") && !entry.name.endsWith(".dbg.json") ? [path] : [];
    }),
  );
  return files.flat();
}

const rows: Row[] = [];
for (const file of await artifactsUnder(join(root, "artifacts", "contracts"))) {
  const artifact = JSON.parse(await readFile(file, "utf8")) as {
    contractName: string;
    deployedBytecode: string;
    buildInfoId: string;
  };
  if (artifact.deployedBytecode === "0x") continue; // interfaces and abstract contracts
  const buildInfo = JSON.parse(
    await readFile(join(root, "artifacts", "build-info", `${artifact.buildInfoId}.json`), "utf8"),
  ) as {
    input: { settings: { evmVersion?: string } };
  };
  rows.push({
    contract: artifact.contractName,
    evm: buildInfo.input.settings.evmVersion ?? "(compiler default)",
    found: newerOpcodesIn(artifact.deployedBytecode),
  });
}

console.log(
  renderTable(
    [
      { header: "contract", value: (row: Row) => row.contract },
      { header: "built for", value: (row: Row) => row.evm },
      ...(Object.keys(NEWER_OPCODES) as NewerOpcode[]).map((name) => ({
        header: name,
        value: (row: Row) => String(row.found[name] ?? 0),
        align: "right" as const,
      })),
    ],
    rows,
    `Compiled contracts checked against EVM target "${target}"`,
  ),
);

const problems: string[] = [];
if (rows.length === 0) problems.push("no compiled contracts found; build first");
for (const row of rows) {
  if (row.evm !== target) problems.push(`${row.contract} was built for ${row.evm}, not ${target}`);
  for (const name of lacking) {
    if (row.found[name] !== undefined) problems.push(`${row.contract} uses ${name}, which ${target} lacks`);
  }
}
if (!lacking.includes("PUSH0") && !rows.some((row) => row.found.PUSH0 !== undefined)) {
  problems.push(`no contract uses PUSH0 although ${target} has it: the target did not reach the compiler`);
}
if (problems.length > 0) {
  console.error(`\nEVM target check failed:\n- ${problems.join("\n- ")}`);
  process.exitCode = 1;
} else {
  console.log(`\nEvery contract is built for ${target} and uses only opcodes ${target} has.`);
}
