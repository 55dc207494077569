/**
 * Mutation testing of the contracts with SuMo: a seeded sample of its mutants, each built in a scratch copy
 * (.mutants/) and judged by the tests test/mutation/config.json maps to its contract. A periodic job, not CI;
 * see docs/MUTATION.md.
 */
import { resolve } from "node:path";

import { runScript } from "../src/cli/flags.js";
import { readConfig } from "../tools/mutation/config.js";
import { runMutants, Stop } from "../tools/mutation/run.js";

const USAGE = `npm run mutants -- [flags]

  --sample N  mutants to test, stratified over the contracts (default: the config's)
  --seed S  seed of the sample (default: the config's, or the results file's with --resume)
  --contracts LIST  test only these contracts' mutants now, e.g. UsageMeter,FiatGateway (default: all)
  --resume  keep the results file's outcomes and test only the mutants it lacks
  --mutants IDS  test these mutants again (ids from the results file), e.g. after adding a test; with
               --resume, the untested ones too
  --dry-run  list the sampled mutants and test nothing
  --config PATH  the contracts and their tests (default: test/mutation/config.json)
  --out PATH  the results file, rewritten after every mutant (default: test/mutation/results.json)
  --verdicts PATH  the human verdicts on survivors (default: test/mutation/verdicts.json)`;

const list = (text: string | undefined) =>
  text === undefined
    ? undefined
    : text
        .split(",")
        .map((part) => part.trim())
        .filter((part) => part !== "");

runScript("mutants", USAGE, async (flags) => {
  const root = process.cwd();
  const stop = new Stop();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (stop.requested) process.exit(130);
      process.stderr.write(`\n${signal}: stopping after restoring the scratch copy; --resume continues.\n`);
      stop.request();
    });
  }
  const results = await runMutants(
    {
      root,
      config: readConfig(resolve(root, flags.string("config", "test/mutation/config.json"))),
      out: resolve(root, flags.string("out", "test/mutation/results.json")),
      verdicts: resolve(root, flags.string("verdicts", "test/mutation/verdicts.json")),
      seed: flags.optional("seed"),
      sample: flags.ifGiven("sample", (name) => flags.int(name, undefined, 1)),
      contracts: list(flags.optional("contracts")),
      mutants: list(flags.optional("mutants")),
      resume: flags.values.resume === true,
      dryRun: flags.values["dry-run"] === true,
      command: `npm run mutants -- ${process.argv.slice(2).join(" ")}`.trim(),
      log: (line) => process.stdout.write(`${new Date().toISOString().slice(11, 19)}  ${line}\n`),
    },
    stop,
  );
  const t = results.totals;
  process.stdout.write(
    `\n${t.tested}/${t.sampled} tested: ${t.killed} killed (${t.timedOut} by timeout), ${t.survived} survived ` +
      `(${t.equivalent} equivalent, ${t.unjudged} unjudged), ${t.stillborn} stillborn; score ${t.score ?? "-"} %\n`,
  );
  if (stop.requested) process.exitCode = 130;
});
