/**
 * The results file (test/mutation/results.json) and its arithmetic: outcomes merged run after run (a
 * resumed run adds to them, a re-tested mutant replaces its entry and remembers that it survived before),
 * the human verdicts carried over by mutant id, and the score over the mutants that are not equivalent.
 */
import type { Outcome, Status } from "./types.js";

/** A human verdict on a survivor: "equivalent: <why>" or "killed by <test>". */
export type Verdicts = Readonly<Record<string, { verdict: string; at?: string }>>;

export interface ContractSummary {
  file: string;
  generated: number;
  sampled: number;
  tested: number;
  killed: number;
  survived: number;
  stillborn: number;
}

export interface Totals {
  generated: number;
  sampled: number;
  tested: number;
  pending: number;
  stillborn: number;
  /** Killed by a failing test, timeouts included. */
  killed: number;
  timedOut: number;
  /** Alive after the latest run of each mutant. */
  survived: number;
  /** Survivors judged equivalent: not in the score. */
  equivalent: number;
  /** Survivors without a verdict yet. */
  unjudged: number;
  /** killed / (killed + survived - equivalent), in percent with one decimal; null before anything is scored. */
  score: number | null;
}

export type Survivor = Pick<Outcome, "id" | "at" | "operator" | "original" | "mutated" | "code" | "status"> & {
  verdict: string | null;
};

/** One invocation that tested mutants into the file. */
export interface RunRecord {
  command: string;
  startedAt: string;
  mutants: number;
}

export interface Results {
  tool: string;
  /** The invocations that made the file, oldest first (a resumed run adds one). */
  runs: RunRecord[];
  seed: string;
  sampleSize: number;
  minPerContract: number;
  operators: string[];
  contracts: Record<string, ContractSummary>;
  totals: Totals;
  /** Seconds spent testing mutants (the sum over the outcomes, across resumed runs). */
  testingSeconds: number;
  updatedAt: string;
  survivors: Survivor[];
  outcomes: Outcome[];
}

const isKill = (status: Status) => status === "killed" || status === "timeout";

/** The outcomes with `next` added: a mutant tested again keeps one entry, marked if it had survived before. */
export function mergeOutcomes(previous: readonly Outcome[], next: Outcome): Outcome[] {
  const before = previous.find((outcome) => outcome.id === next.id);
  const survivedBefore = before !== undefined && (before.status === "survived" || before.survivedBefore === true);
  const merged: Outcome = survivedBefore && next.status !== "survived" ? { ...next, survivedBefore: true } : next;
  const rest = previous.filter((outcome) => outcome.id !== next.id);
  return [...rest, merged];
}

/** Whether a verdict says the mutant is equivalent (and so leaves the score). */
export const isEquivalent = (verdict: string | undefined | null): boolean =>
  verdict !== undefined && verdict !== null && /^equivalent\b/i.test(verdict.trim());

/** The survivors (alive now, or alive before a new test killed them) with the verdict given to their id. */
export function survivors(outcomes: readonly Outcome[], verdicts: Verdicts): Survivor[] {
  return outcomes
    .filter((outcome) => outcome.status === "survived" || outcome.survivedBefore === true)
    .map((outcome) => ({
      id: outcome.id,
      at: outcome.at,
      operator: outcome.operator,
      original: outcome.original,
      mutated: outcome.mutated,
      code: outcome.code,
      status: outcome.status,
      verdict:
        verdicts[outcome.id]?.verdict ??
        (isKill(outcome.status) && outcome.detail !== undefined ? `killed by ${outcome.detail}` : null),
    }));
}

/** The totals over the sampled mutants' outcomes. */
export function totals(generated: number, sampled: number, outcomes: readonly Outcome[], verdicts: Verdicts): Totals {
  const count = (test: (outcome: Outcome) => boolean) => outcomes.filter(test).length;
  const killed = count((outcome) => isKill(outcome.status));
  const survived = count((outcome) => outcome.status === "survived");
  const equivalent = count((outcome) => outcome.status === "survived" && isEquivalent(verdicts[outcome.id]?.verdict));
  const judged = count((outcome) => outcome.status === "survived" && verdicts[outcome.id] !== undefined);
  const scored = killed + survived - equivalent;
  return {
    generated,
    sampled,
    tested: outcomes.length,
    pending: sampled - outcomes.length,
    stillborn: count((outcome) => outcome.status === "stillborn"),
    killed,
    timedOut: count((outcome) => outcome.status === "timeout"),
    survived,
    equivalent,
    unjudged: survived - judged,
    score: scored === 0 ? null : Math.round((killed / scored) * 1000) / 10,
  };
}

/** The per-contract counts. */
export function contractSummary(
  file: string,
  generated: number,
  sampled: number,
  outcomes: readonly Outcome[],
): ContractSummary {
  const count = (test: (outcome: Outcome) => boolean) => outcomes.filter(test).length;
  return {
    file,
    generated,
    sampled,
    tested: outcomes.length,
    killed: count((outcome) => isKill(outcome.status)),
    survived: count((outcome) => outcome.status === "survived"),
    stillborn: count((outcome) => outcome.status === "stillborn"),
  };
}

/**
 * The outcomes of an earlier results file that a resumed run keeps: same seed and sample size (else the
 * sample differs and resuming would mix two), and only mutants still in the sample.
 */
export function resumable(
  previous: Pick<Results, "seed" | "sampleSize" | "outcomes">,
  seed: string,
  sampleSize: number,
  sampledIds: ReadonlySet<string>,
): Outcome[] {
  if (previous.seed !== seed || previous.sampleSize !== sampleSize) {
    throw new Error(
      `The results file holds seed ${previous.seed} and sample ${previous.sampleSize}, this run seed ${seed} and ` +
        `sample ${sampleSize}: resume with those (or without --seed/--sample), or write to another --out.`,
    );
  }
  return previous.outcomes.filter((outcome) => sampledIds.has(outcome.id));
}
