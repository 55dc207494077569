/** The shapes the mutation run passes around: mutants, their outcomes and the committed results file. */

/** One mutation as SuMo makes it: replace source[start, end) by `replacement`. */
export interface RawMutation {
  start: number;
  end: number;
  line: number;
  original: string;
  replacement: string;
  operator: string;
}

/** A mutant of one contract, with an id that stays the same while the code around it does not change. */
export interface Mutant extends RawMutation {
  id: string;
  contract: string;
  file: string;
}

export type Status = "killed" | "survived" | "stillborn" | "timeout";

/** What testing one mutant found. */
export interface Outcome {
  id: string;
  contract: string;
  at: string;
  operator: string;
  original: string;
  mutated: string;
  /** The source line the mutation is on, before it, whitespace collapsed. */
  code: string;
  status: Status;
  /** The first failing test (killed), or why it did not build (stillborn), or the command that timed out. */
  detail?: string;
  /** Set when the mutant survived a run before a test was added that kills it. */
  survivedBefore?: boolean;
  seconds: number;
}
