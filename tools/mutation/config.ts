/** test/mutation/config.json: the contracts to mutate, the tests that judge each, and the sample's settings. */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

export interface ContractConfig {
  file: string;
  /** Test files or patterns with `*` in the file name: .ts run by mocha, .t.sol by the Solidity runner. */
  tests: string[];
}

export interface MutationConfig {
  sample: number;
  seed: string;
  minPerContract: number;
  timeoutSeconds: number;
  /** SuMo operator ids to use; absent: the ones SuMo enables by default. */
  operators?: string[];
  contracts: Record<string, ContractConfig>;
}

function fail(path: string, what: string): never {
  throw new Error(`${path}: ${what}`);
}

/** Reads and checks the config file. */
export function readConfig(path: string): MutationConfig {
  const raw = JSON.parse(readFileSync(path, "utf8")) as Partial<MutationConfig>;
  const whole = (name: keyof MutationConfig) => {
    const value = raw[name];
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0)
      fail(path, `"${name}" must be a whole number.`);
    return value;
  };
  if (typeof raw.seed !== "string" && typeof raw.seed !== "number") fail(path, '"seed" must be a text or a number.');
  if (raw.contracts === undefined || Object.keys(raw.contracts).length === 0) fail(path, '"contracts" is empty.');
  for (const [name, contract] of Object.entries(raw.contracts)) {
    if (typeof contract.file !== "string" || !contract.file.endsWith(".sol"))
      fail(path, `${name}.file must be a .sol file.`);
    if (!Array.isArray(contract.tests) || contract.tests.length === 0)
      fail(path, `${name}.tests must list test files.`);
  }
  if (raw.operators !== undefined && !Array.isArray(raw.operators))
    fail(path, '"operators" must be a list of SuMo ids.');
  return {
    sample: whole("sample"),
    seed: String(raw.seed),
    minPerContract: whole("minPerContract"),
    timeoutSeconds: whole("timeoutSeconds"),
    ...(raw.operators === undefined ? {} : { operators: raw.operators }),
    contracts: raw.contracts,
  };
}

/** A pattern's files (a `*` may stand for any text in the file name), relative to `root`, sorted. */
export function expandPattern(root: string, pattern: string): string[] {
  if (!basename(pattern).includes("*")) {
    if (!existsSync(join(root, pattern))) throw new Error(`The test file ${pattern} does not exist.`);
    return [pattern];
  }
  const dir = dirname(pattern);
  const name = new RegExp(`^${basename(pattern).split("*").map(escape).join(".*")}$`);
  const files = readdirSync(join(root, dir))
    .filter((file) => name.test(file))
    .map((file) => join(dir, file))
    .sort();
  if (files.length === 0) throw new Error(`No test file matches ${pattern}.`);
  return files;
}

const escape = (text: string) => text.replace(/[.+?^${}()|[\]\\]/g, "\\$&");

/** A contract's test files, split by runner. */
export function testsOf(root: string, contract: ContractConfig): { mocha: string[]; solidity: string[] } {
  const files = [...new Set(contract.tests.flatMap((pattern) => expandPattern(root, pattern)))];
  return {
    mocha: files.filter((file) => file.endsWith(".ts")),
    solidity: files.filter((file) => file.endsWith(".t.sol")),
  };
}
