/** What a command prints: JSON for scripts (bigints as decimal strings), and the outcome of a run. */

/** JSON with bigints as decimal strings (token amounts in base units, ids). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
}

/** A run of the command line: its exit status (0 done or nothing to do, 1 refused or failed, 2 bad input) and output. */
export interface CliOutcome {
  exitCode: 0 | 1 | 2;
  stdout: string;
  stderr: string;
}
