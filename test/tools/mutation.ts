/**
 * The pure parts of the mutation run (tools/mutation): mutant ids that survive edits elsewhere, the
 * seeded stratified sample, the rebuild set from imports, resuming and re-testing outcomes, the score over
 * non-equivalent mutants and the verdicts carried over by id, and reading the failing test's name.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";

import { expandPattern, readConfig, testsOf } from "../../tools/mutation/config.js";
import { dependents, relativeImports } from "../../tools/mutation/imports.js";
import { applyMutation, mutantsOf } from "../../tools/mutation/mutants.js";
import { firstFailure } from "../../tools/mutation/report.js";
import { mergeOutcomes, resumable, survivors, totals, type Verdicts } from "../../tools/mutation/results.js";
import { allocate, pick, sample, seededRandom } from "../../tools/mutation/sample.js";
import type { Mutant, Outcome, RawMutation, Status } from "../../tools/mutation/types.js";

const SOURCE = "contract A {\n  function f(uint256 x) external pure returns (uint256) {\n    return x + 1;\n  }\n}\n";
const plus = SOURCE.indexOf("+");
const raw = (overrides: Partial<RawMutation> = {}): RawMutation => ({
  start: plus,
  end: plus + 1,
  line: 3,
  original: "+",
  replacement: "-",
  operator: "BOR",
  ...overrides,
});

/** `n` made-up mutants of a contract, ids m<contract>-<i>. */
const fakeMutants = (contract: string, n: number): Mutant[] =>
  Array.from({ length: n }, (_, i) => ({
    ...raw({ start: i, end: i + 1, line: i + 1 }),
    id: `m${contract}-${String(i).padStart(4, "0")}`,
    contract,
    file: `contracts/${contract}.sol`,
  }));

const outcome = (id: string, status: Status, extra: Partial<Outcome> = {}): Outcome => ({
  id,
  contract: "A",
  at: "contracts/A.sol:3",
  operator: "BOR",
  original: "+",
  mutated: "-",
  code: "return x + 1;",
  status,
  seconds: 1,
  ...extra,
});

describe("tools/mutation", function () {
  describe("mutant ids", function () {
    it("applies a mutation to the source", function () {
      expect(applyMutation(SOURCE, raw())).to.contain("return x - 1;");
    });

    it("drops no-ops and duplicates and keeps source order", function () {
      const mutants = mutantsOf("A", "contracts/A.sol", SOURCE, [
        raw({ replacement: "*" }),
        raw(),
        raw(),
        raw({ replacement: "+" }),
      ]);
      expect(mutants.map((mutant) => mutant.replacement)).to.deep.equal(["*", "-"]);
      expect(new Set(mutants.map((mutant) => mutant.id)).size).to.equal(2);
    });

    it("keeps a mutant's id when code elsewhere in the file moves it", function () {
      const [before] = mutantsOf("A", "contracts/A.sol", SOURCE, [raw()]);
      const shifted = `// a comment above\n${SOURCE}`;
      const offset = "// a comment above\n".length;
      const [after] = mutantsOf("A", "contracts/A.sol", shifted, [
        raw({ start: plus + offset, end: plus + offset + 1, line: 4 }),
      ]);
      expect(after!.id).to.equal(before!.id);
    });

    it("gives identical mutations on identical lines different ids, and other contracts other ids", function () {
      const twice = `${SOURCE}${SOURCE}`;
      const second = twice.indexOf("+", plus + 1);
      const mutants = mutantsOf("A", "contracts/A.sol", twice, [raw(), raw({ start: second, end: second + 1 })]);
      expect(mutants[0]!.id).to.not.equal(mutants[1]!.id);
      expect(mutantsOf("B", "contracts/B.sol", SOURCE, [raw()])[0]!.id).to.not.equal(mutants[0]!.id);
    });
  });

  describe("the sample", function () {
    it("is the same for the same seed and differs for another", function () {
      const one = seededRandom("s");
      const two = seededRandom("s");
      const draws = Array.from({ length: 5 }, () => one());
      expect(Array.from({ length: 5 }, () => two())).to.deep.equal(draws);
      expect(seededRandom("t")()).to.not.equal(draws[0]);
      for (const draw of draws) expect(draw).to.be.within(0, 1);
    });

    it("gives each contract its floor and shares the rest in proportion to the mutants left", function () {
      const shares = allocate({ big: 1000, mid: 300, small: 20, tiny: 3 }, 100, 8);
      expect(shares).to.deep.equal({ big: 64, mid: 24, small: 9, tiny: 3 });
      expect(Object.values(shares).reduce((a, b) => a + b, 0)).to.equal(100);
    });

    it("never gives a contract more than it has, and takes everything when the sample is larger", function () {
      expect(allocate({ a: 5, b: 500 }, 400, 10)).to.deep.equal({ a: 5, b: 395 });
      expect(allocate({ a: 5, b: 7 }, 50, 10)).to.deep.equal({ a: 5, b: 7 });
    });

    it("refuses a sample too small for the floors", function () {
      expect(() => allocate({ a: 50, b: 50, c: 50 }, 20, 10)).to.throw(/cannot hold 10 mutants of each of 3/);
    });

    it("picks reproducibly from the seed, in source order, whatever order the mutants come in", function () {
      const mutants = fakeMutants("A", 50);
      const picked = pick(mutants, 10, "seed", "A");
      expect(pick([...mutants].reverse(), 10, "seed", "A")).to.deep.equal(picked);
      expect(picked.map((mutant) => mutant.start)).to.deep.equal(
        [...picked.map((mutant) => mutant.start)].sort((a, b) => a - b),
      );
      expect(pick(mutants, 10, "other", "A")).to.not.deep.equal(picked);
    });

    it("is stratified: each contract's pick does not move when another contract's mutants change", function () {
      const first = sample({ A: fakeMutants("A", 100), B: fakeMutants("B", 100), C: fakeMutants("C", 10) }, 40, 5, "s");
      const second = sample(
        { A: fakeMutants("A", 100), B: fakeMutants("B", 100), C: fakeMutants("C", 10) },
        40,
        5,
        "s",
      );
      expect(second).to.deep.equal(first);
      const count = (mutants: Mutant[], contract: string) => mutants.filter((m) => m.contract === contract).length;
      expect([count(first, "A"), count(first, "B"), count(first, "C")]).to.deep.equal([17, 17, 6]);
      const onlyC = (mutants: Mutant[]) => mutants.filter((m) => m.contract === "C").map((m) => m.id);
      const changedA = sample(
        { A: fakeMutants("A", 100).slice(1), B: fakeMutants("B", 100), C: fakeMutants("C", 10) },
        40,
        5,
        "s",
      );
      expect(onlyC(changedA)).to.deep.equal(onlyC(first));
    });
  });

  describe("the rebuild set", function () {
    const files: Record<string, string> = {
      "contracts/metering/MeterLedger.sol":
        'import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";\nlibrary MeterLedger {}',
      "contracts/metering/UsageMeter.sol":
        'import {MeterLedger} from "./MeterLedger.sol";\nimport "../types/Tariff.sol";',
      "contracts/types/Tariff.sol": "struct Tariff { uint256 x; }",
      "test/invariant/UsageMeterHandler.sol": 'import {UsageMeter} from "../../contracts/metering/UsageMeter.sol";',
      "test/invariant/UsageMeter.t.sol": 'import {UsageMeterHandler} from "./UsageMeterHandler.sol";',
      "test/token/SettlementToken.t.sol": 'import {Tariff} from "../../contracts/types/Tariff.sol";',
    };
    const read = (file: string) => files[file] ?? "";

    it("reads relative imports only", function () {
      expect(
        relativeImports("contracts/metering/UsageMeter.sol", files["contracts/metering/UsageMeter.sol"]!),
      ).to.deep.equal(["contracts/metering/MeterLedger.sol", "contracts/types/Tariff.sol"]);
      expect(
        relativeImports("contracts/metering/MeterLedger.sol", files["contracts/metering/MeterLedger.sol"]!),
      ).to.deep.equal([]);
    });

    it("holds the changed file and every file that reaches it through imports", function () {
      expect(dependents("contracts/metering/MeterLedger.sol", Object.keys(files), read)).to.deep.equal([
        "contracts/metering/MeterLedger.sol",
        "contracts/metering/UsageMeter.sol",
        "test/invariant/UsageMeterHandler.sol",
        "test/invariant/UsageMeter.t.sol",
      ]);
      expect(
        dependents("contracts/metering/MeterLedger.sol", ["test/token/SettlementToken.t.sol"], read),
      ).to.deep.equal([]);
    });
  });

  describe("outcomes, resume and score", function () {
    it("adds a new outcome and replaces a re-tested one, remembering it survived before", function () {
      let outcomes = mergeOutcomes([], outcome("m1", "killed"));
      outcomes = mergeOutcomes(outcomes, outcome("m2", "survived"));
      expect(outcomes.map((o) => o.id)).to.deep.equal(["m1", "m2"]);
      outcomes = mergeOutcomes(
        outcomes,
        outcome("m2", "killed", { detail: "UsageMeter > royalties > caps the budget" }),
      );
      expect(outcomes).to.have.length(2);
      expect(outcomes.find((o) => o.id === "m2")).to.include({ status: "killed", survivedBefore: true });
      outcomes = mergeOutcomes(outcomes, outcome("m2", "killed"));
      expect(outcomes.find((o) => o.id === "m2")!.survivedBefore).to.equal(true);
      expect(mergeOutcomes([outcome("m3", "killed")], outcome("m3", "survived"))[0]!.survivedBefore).to.equal(
        undefined,
      );
    });

    it("resumes only a run of the same seed and size, keeping the mutants still in the sample", function () {
      const previous = { seed: "s", sampleSize: 3, outcomes: [outcome("m1", "killed"), outcome("gone", "killed")] };
      expect(resumable(previous, "s", 3, new Set(["m1", "m2", "m3"])).map((o) => o.id)).to.deep.equal(["m1"]);
      expect(() => resumable(previous, "other", 3, new Set())).to.throw(/seed s and sample 3, this run seed other/);
      expect(() => resumable(previous, "s", 4, new Set())).to.throw(/--out/);
    });

    it("scores killed (timeouts too) over the mutants that are not equivalent; stillborn ones stay out", function () {
      const outcomes = [
        outcome("k1", "killed"),
        outcome("k2", "killed"),
        outcome("k3", "timeout"),
        outcome("s1", "survived"),
        outcome("s2", "survived"),
        outcome("b1", "stillborn"),
      ];
      const verdicts: Verdicts = { s1: { verdict: "equivalent: the budget is never read after this" } };
      expect(totals(100, 10, outcomes, verdicts)).to.deep.equal({
        generated: 100,
        sampled: 10,
        tested: 6,
        pending: 4,
        stillborn: 1,
        killed: 3,
        timedOut: 1,
        survived: 2,
        equivalent: 1,
        unjudged: 1,
        score: 75,
      });
      expect(totals(100, 10, [outcome("b1", "stillborn")], {}).score).to.equal(null);
      expect(
        totals(3, 3, [outcome("k", "killed"), outcome("s", "survived"), outcome("t", "survived")], {}).score,
      ).to.equal(33.3);
    });

    it("carries the verdicts over by id and lists mutants killed by a new test among the survivors", function () {
      const outcomes = [
        outcome("k1", "killed"),
        outcome("s1", "survived"),
        outcome("s2", "killed", { survivedBefore: true, detail: "edges > setStanding None clears the word" }),
        outcome("s3", "survived"),
      ];
      const verdicts: Verdicts = {
        s1: { verdict: "equivalent: tx.origin is msg.sender for every caller the tests can have" },
        gone: { verdict: "equivalent: a mutant no longer generated" },
      };
      expect(survivors(outcomes, verdicts).map((s) => [s.id, s.verdict])).to.deep.equal([
        ["s1", "equivalent: tx.origin is msg.sender for every caller the tests can have"],
        ["s2", "killed by edges > setStanding None clears the word"],
        ["s3", null],
      ]);
    });
  });

  describe("config and test output", function () {
    it("reads the config, expands test patterns and splits the tests by runner", function () {
      const root = mkdtempSync(join(tmpdir(), "mutation-"));
      mkdirSync(join(root, "test/token"), { recursive: true });
      for (const file of ["SettlementToken.ts", "Permit.ts", "SettlementToken.t.sol", "notes.md"]) {
        writeFileSync(join(root, "test/token", file), "");
      }
      expect(expandPattern(root, "test/token/*.ts")).to.deep.equal([
        "test/token/Permit.ts",
        "test/token/SettlementToken.ts",
      ]);
      expect(() => expandPattern(root, "test/token/*.js")).to.throw(/No test file matches/);
      expect(() => expandPattern(root, "test/token/Missing.ts")).to.throw(/does not exist/);
      expect(testsOf(root, { file: "contracts/token/SettlementToken.sol", tests: ["test/token/*"] })).to.deep.equal({
        mocha: ["test/token/Permit.ts", "test/token/SettlementToken.ts"],
        solidity: ["test/token/SettlementToken.t.sol"],
      });
      const path = join(root, "config.json");
      writeFileSync(
        path,
        JSON.stringify({ sample: 10, seed: 7, minPerContract: 1, timeoutSeconds: 60, contracts: {} }),
      );
      expect(() => readConfig(path)).to.throw(/"contracts" is empty/);
      const contracts = { A: { file: "contracts/A.sol", tests: ["test/A.ts"] } };
      writeFileSync(path, JSON.stringify({ sample: 10, seed: 7, minPerContract: 1, timeoutSeconds: 60, contracts }));
      expect(readConfig(path)).to.deep.include({ seed: "7", sample: 10 });
    });

    it("names the first failing mocha test", function () {
      const output = [
        "  UsageMeter",
        "    royalties",
        "      ✔ books them in licence order",
        "      1) caps a licence's royalty budget",
        "",
        "  142 passing (8s)",
        "  1 failing",
        "",
        "  1) UsageMeter",
        "       royalties",
        "         caps a licence's royalty budget:",
        "     AssertionError: expected 5 to equal 4",
      ].join("\n");
      expect(firstFailure(output)).to.equal("UsageMeter > royalties > caps a licence's royalty budget");
      expect(firstFailure("all good")).to.equal(undefined);
    });

    it("names the first failing Solidity test", function () {
      const output = [
        "  test/token/SettlementToken.t.sol:SettlementTokenFuzzTest",
        "    ✔ testFuzz_Transfer_MovesBalance(uint256) (runs: 256)",
        "    1) testFuzz_MintAndBurn_RevertWhen_CallerIsNotGateway(address,uint256)",
        "",
        "  22 passing",
        "  1 failing",
        "",
        "  1) SettlementTokenFuzzTest#testFuzz_MintAndBurn_RevertWhen_CallerIsNotGateway(address,uint256)",
        "    Error: Error != expected error: SettlementTokenNotGateway(0x18…) != SettlementTokenNotGateway(0x8e…)",
        "",
        "    Counterexample:",
      ].join("\n");
      expect(firstFailure(output)).to.equal(
        "SettlementTokenFuzzTest#testFuzz_MintAndBurn_RevertWhen_CallerIsNotGateway(address,uint256)",
      );
    });
  });
});
