/**
 * A mutation run: SuMo's mutants of the configured contracts, the seeded stratified sample, the unmutated
 * tests first (the run refuses to start if they fail), then each sampled mutant built and judged by its
 * contract's tests in the scratch copy, the results file rewritten after every mutant.
 */
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

import { testsOf, type MutationConfig } from "./config.js";
import { dependents } from "./imports.js";
import { applyMutation, codeAt, mutantsOf } from "./mutants.js";
import { buildError, firstFailure, progressLine } from "./report.js";
import {
  contractSummary,
  mergeOutcomes,
  resumable,
  survivors,
  totals,
  type Results,
  type RunRecord,
  type Verdicts,
} from "./results.js";
import { sample } from "./sample.js";
import { loadSumo } from "./sumo.js";
import type { Mutant, Outcome } from "./types.js";
import { Workspace, type CommandResult } from "./workspace.js";

export interface RunOptions {
  root: string;
  config: MutationConfig;
  out: string;
  verdicts: string;
  seed: string | undefined;
  sample: number | undefined;
  /** Contracts to test in this run (the sample is always drawn over all of them). */
  contracts: string[] | undefined;
  /** Mutant ids to test again, e.g. after adding a test that should kill them. */
  mutants: string[] | undefined;
  resume: boolean;
  /** Only list the sample, build and test nothing. */
  dryRun: boolean;
  command: string;
  log: (line: string) => void;
}

/** Stops a run between mutants (Ctrl-C, SIGTERM); the command running is stopped too. */
export class Stop {
  requested = false;
  onRequest: (() => void) | undefined;

  request(): void {
    this.requested = true;
    this.onRequest?.();
  }
}

function solidityFiles(root: string, dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".sol"))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort();
}

function readJson<T>(path: string): T | undefined {
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as T) : undefined;
}

function writeAtomically(path: string, value: unknown): void {
  writeFileSync(`${path}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

const failed = (what: string, result: CommandResult) =>
  new Error(
    `${what} failed on the unmutated code; fix that first.\n${result.output.split("\n").slice(-40).join("\n")}`,
  );

export async function runMutants(options: RunOptions, stop: Stop): Promise<Results> {
  const { root, config, log } = options;
  const previous = readJson<Results>(options.out);
  const carry = options.resume || options.mutants !== undefined;
  if (carry && previous === undefined) throw new Error(`Nothing to resume: ${options.out} does not exist.`);
  const seed = options.seed ?? (carry ? previous!.seed : config.seed);
  const sampleSize = options.sample ?? (carry ? previous!.sampleSize : config.sample);
  const names = Object.keys(config.contracts);
  const selected = options.contracts ?? names;
  for (const name of selected) {
    if (!names.includes(name))
      throw new Error(`Unknown contract ${name}: test/mutation/config.json has ${names.join(", ")}.`);
  }

  const workspace = new Workspace(root, join(root, ".mutants"));
  const sumo = loadSumo(root, workspace.scratch, config.operators);
  const byContract: Record<string, Mutant[]> = {};
  for (const name of names) {
    const file = config.contracts[name]!.file;
    const source = readFileSync(join(root, file), "utf8");
    byContract[name] = mutantsOf(name, file, source, sumo.mutations(file, source));
  }
  const sampled = sample(byContract, sampleSize, config.minPerContract, seed);
  const sampledIds = new Set(sampled.map((mutant) => mutant.id));
  let outcomes = carry ? resumable(previous!, seed, sampleSize, sampledIds) : [];
  const generated = names.reduce((sum, name) => sum + byContract[name]!.length, 0);
  for (const id of options.mutants ?? []) {
    if (!sampledIds.has(id))
      throw new Error(`Mutant ${id} is not in the sample of seed ${seed} and size ${sampleSize}.`);
  }

  const verdicts = readJson<Verdicts>(options.verdicts) ?? {};
  const runs: RunRecord[] = carry ? [...(previous!.runs ?? [])] : [];
  const write = () => {
    const results: Results = {
      tool: `SuMo ${sumo.version} (npm @morenabarboni/sumo)`,
      runs,
      seed,
      sampleSize,
      minPerContract: config.minPerContract,
      operators: sumo.operators,
      contracts: Object.fromEntries(
        names.map((name) => [
          name,
          contractSummary(
            config.contracts[name]!.file,
            byContract[name]!.length,
            sampled.filter((mutant) => mutant.contract === name).length,
            outcomes.filter((outcome) => outcome.contract === name),
          ),
        ]),
      ),
      totals: totals(generated, sampled.length, outcomes, verdicts),
      testingSeconds: Math.round(outcomes.reduce((sum, outcome) => sum + outcome.seconds, 0)),
      updatedAt: new Date().toISOString(),
      survivors: survivors(outcomes, verdicts),
      outcomes: [...outcomes].sort(
        (a, b) => a.contract.localeCompare(b.contract) || a.at.localeCompare(b.at, "en", { numeric: true }),
      ),
    };
    if (!options.dryRun) writeAtomically(options.out, results);
    return results;
  };

  const done = new Set(outcomes.map((outcome) => outcome.id));
  const todo = sampled.filter(
    (mutant) =>
      selected.includes(mutant.contract) &&
      (options.mutants?.includes(mutant.id) === true ||
        ((options.mutants === undefined || options.resume) && !done.has(mutant.id))),
  );
  log(
    `${generated} mutants generated, ${sampled.length} sampled (seed ${seed}), ${done.size} already tested, ` +
      `${todo.length} to test now (${selected.join(", ")}).`,
  );
  if (options.dryRun) {
    for (const mutant of todo)
      log(
        `${mutant.id}  ${mutant.file}:${mutant.line}  ${mutant.operator}  ${mutant.original} -> ${mutant.replacement}`,
      );
    return write();
  }
  if (todo.length === 0) return write();
  runs.push({ command: options.command, startedAt: new Date().toISOString(), mutants: todo.length });
  workspace.lock();
  try {
    await testAll(workspace, todo, options, stop, (outcome) => {
      outcomes = mergeOutcomes(outcomes, outcome);
      write();
    });
  } finally {
    workspace.unlock();
  }
  return write();
}

/** The unmutated tests, then each mutant in the scratch copy; `record` keeps each outcome as it comes. */
async function testAll(
  workspace: Workspace,
  todo: readonly Mutant[],
  options: RunOptions,
  stop: Stop,
  record: (outcome: Outcome) => void,
): Promise<void> {
  const { config, log } = options;
  const names = Object.keys(config.contracts);
  stop.onRequest = () => workspace.stop();
  workspace.prepare();

  const timeout = config.timeoutSeconds;
  const tests = Object.fromEntries(names.map((name) => [name, testsOf(workspace.project, config.contracts[name]!)]));
  const active = [...new Set(todo.map((mutant) => mutant.contract))];
  const mocha = [...new Set(active.flatMap((name) => tests[name]!.mocha))];
  const solidity = [...new Set(active.flatMap((name) => tests[name]!.solidity))];
  log(
    `Building the unmutated project and running its mapped tests (${mocha.length} mocha, ${solidity.length} Solidity files)...`,
  );
  const build = await workspace.buildAll(timeout);
  if (stop.requested) return;
  if (!build.ok) throw failed("The build", build);
  if (mocha.length > 0) {
    const result = await workspace.mocha(mocha, timeout, false);
    if (stop.requested) return;
    if (!result.ok) throw failed(`The mocha tests (${firstFailure(result.output) ?? "see below"})`, result);
  }
  if (solidity.length > 0) {
    const result = await workspace.solidity(solidity, timeout);
    if (stop.requested) return;
    if (!result.ok) throw failed(`The Solidity tests (${firstFailure(result.output) ?? "see below"})`, result);
  }
  workspace.snapshot();
  log(`Unmutated tests pass (${build.seconds.toFixed(0)} s build). Testing ${todo.length} mutants, one at a time.`);

  const contractFiles = solidityFiles(workspace.project, "contracts");
  const read = (file: string) => workspace.read(file);
  for (const [index, mutant] of todo.entries()) {
    if (stop.requested) break;
    workspace.resetBuild();
    const source = workspace.read(mutant.file);
    const started = Date.now();
    let outcome: Outcome | undefined;
    try {
      workspace.write(mutant.file, applyMutation(source, mutant));
      const verdict = await judge(workspace, mutant, tests[mutant.contract]!, contractFiles, read, timeout);
      outcome = {
        id: mutant.id,
        contract: mutant.contract,
        at: `${mutant.file}:${mutant.line}`,
        operator: mutant.operator,
        original: mutant.original,
        mutated: mutant.replacement,
        code: codeAt(source, mutant),
        ...verdict,
        seconds: Math.round((Date.now() - started) / 100) / 10,
      };
    } finally {
      workspace.write(mutant.file, source);
    }
    if (stop.requested) break; // the command was stopped: this mutant's outcome means nothing
    record(outcome);
    log(progressLine(index + 1, todo.length, outcome));
  }
  workspace.resetBuild();
}

/** Builds the mutant and runs its contract's tests: mocha first (stops at the first failure), then Solidity. */
async function judge(
  workspace: Workspace,
  mutant: Mutant,
  tests: { mocha: string[]; solidity: string[] },
  contractFiles: readonly string[],
  read: (file: string) => string,
  timeout: number,
): Promise<Pick<Outcome, "status" | "detail">> {
  const build = await workspace.buildFiles(dependents(mutant.file, contractFiles, read), timeout);
  if (build.timedOut) return { status: "stillborn", detail: `build timed out after ${timeout} s` };
  if (!build.ok) return { status: "stillborn", detail: buildError(build.output) };
  if (tests.mocha.length > 0) {
    const result = await workspace.mocha(tests.mocha, timeout);
    if (result.timedOut) return { status: "timeout", detail: `mocha timed out after ${timeout} s` };
    if (!result.ok) return { status: "killed", detail: firstFailure(result.output) ?? "mocha failed" };
  }
  const solidity = dependents(mutant.file, tests.solidity, read);
  if (solidity.length > 0) {
    const testBuild = await workspace.buildFiles(solidity, timeout);
    if (!testBuild.ok) return { status: "stillborn", detail: `test build: ${buildError(testBuild.output)}` };
    const result = await workspace.solidity(solidity, timeout);
    if (result.timedOut) return { status: "timeout", detail: `Solidity tests timed out after ${timeout} s` };
    if (!result.ok) return { status: "killed", detail: firstFailure(result.output) ?? "Solidity tests failed" };
  }
  return { status: "survived" };
}
