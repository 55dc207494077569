/**
 * SuMo (npm @morenabarboni/sumo) as a mutant generator: its operators, called directly on a contract's
 * source, give the mutations (byte range, original text, replacement, operator). SuMo finds its settings
 * through app-root-path, in a CommonJS `sumo-config.js` beside a `node_modules` that holds it; this project
 * is ESM, so that root is a small directory of its own under the scratch directory.
 */
import { mkdirSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

import type { RawMutation } from "./types.js";

interface SumoMutation {
  start: number;
  end: number;
  startLine: number;
  original: string;
  replace: string;
  operator: string;
}

interface SumoOperator {
  ID: string;
  getMutations(file: string, source: string, visit: (visitor: object) => void): SumoMutation[];
}

interface SolidityParser {
  parse(source: string, options: { range: boolean; loc: boolean }): object;
  visit(ast: object, visitor: object): void;
}

const SUMO_CONFIG = `module.exports = {
  contractsDir: "contracts",
  testDir: "test",
  buildDir: "artifacts",
  skipContracts: [],
  skipTests: [],
  testingTimeOutInSec: 600,
  network: "none",
  testingFramework: "custom",
  minimal: false,
  tce: false,
};
`;

/** Prepares SuMo's root directory (its config and a link to node_modules) and points app-root-path at it. */
function sumoRoot(projectRoot: string, scratch: string): string {
  const root = join(scratch, "sumo");
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, "package.json"), '{ "private": true, "type": "commonjs" }\n');
  writeFileSync(join(root, "sumo-config.js"), SUMO_CONFIG);
  if (!existsSync(join(root, "node_modules")))
    symlinkSync(resolve(projectRoot, "node_modules"), join(root, "node_modules"));
  return root;
}

/** SuMo's operators, with the ones its operators.config.json enables (or exactly `only`, when given). */
export function loadSumo(projectRoot: string, scratch: string, only?: readonly string[]) {
  process.env.APP_ROOT_PATH = sumoRoot(projectRoot, scratch);
  const require = createRequire(resolve(projectRoot, "package.json"));
  const generator = require("@morenabarboni/sumo/src/operators/mutationGenerator.js") as Record<
    string,
    new () => SumoOperator
  >;
  const enabled = require("@morenabarboni/sumo/src/operators.config.json") as Record<string, boolean>;
  const parser = require("@solidity-parser/parser") as SolidityParser;
  const version = (require("@morenabarboni/sumo/package.json") as { version: string }).version;
  const operators: SumoOperator[] = [];
  for (const [name, Operator] of Object.entries(generator)) {
    if (!name.endsWith("Operator") || name === "CompositeOperator") continue;
    const operator = new Operator();
    const on = only === undefined ? enabled[operator.ID] === true : only.includes(operator.ID);
    if (on) operators.push(operator);
  }
  if (operators.length === 0)
    throw new Error("No SuMo operator is enabled: check `operators` in test/mutation/config.json.");

  /** Every mutation SuMo's operators make of `source` (the text of `file`). */
  function mutations(file: string, source: string): RawMutation[] {
    const ast = parser.parse(source, { range: true, loc: true });
    const visit = (visitor: object) => parser.visit(ast, visitor);
    const out: RawMutation[] = [];
    for (const operator of operators) {
      for (const m of operator.getMutations(file, source, visit)) {
        out.push({
          start: m.start,
          end: m.end,
          line: m.startLine,
          original: m.original,
          replacement: m.replace,
          operator: m.operator,
        });
      }
    }
    return out;
  }
  return { version, operators: operators.map((operator) => operator.ID), mutations };
}
