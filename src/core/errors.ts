/**
 * One base class for the errors a person has to act on, in the manner of viem's BaseError: a stable `code`
 * that scripts can branch on, a `shortMessage` that says what was wrong, the `input` that was wrong (a flag
 * and the value given, a file), and a `hint` that says what to do. `message` is the short message and the
 * hint together, as a person reads it; `kind` says who can fix it, and so the exit status of a command:
 *
 * - "usage": the command line itself (a typo, a malformed value, a file that is not there): exit 2.
 * - "input": well-formed input that the deployment refuses before anything is sent (no such member, not
 *   enough funds, the wrong store): exit 2.
 * - "refused": the chain refused a transaction (a custom error, decoded by name): exit 1.
 * - "failed": anything else that went wrong (a node out of reach): exit 1.
 */

export type ErrorKind = "usage" | "input" | "refused" | "failed";

/** What was wrong: the flag, argument or file, and the value given. */
export interface ErrorInput {
  name: string;
  value: string;
}

export interface CapacityErrorParameters {
  /** Default "input". */
  kind?: ErrorKind;
  /** A stable, dotted name for scripts, e.g. "address.checksum" or "store.payerGiven". */
  code?: string;
  input?: ErrorInput;
  /** What to do about it: one or two sentences. */
  hint?: string;
  /** More about it, for the curious (not part of `message`). */
  details?: string;
  cause?: unknown;
}

const EXIT_CODES: Record<ErrorKind, 1 | 2> = { usage: 2, input: 2, refused: 1, failed: 1 };

export class CapacityError extends Error {
  override name = "CapacityError";
  readonly kind: ErrorKind;
  readonly code: string;
  readonly shortMessage: string;
  readonly input: ErrorInput | undefined;
  readonly hint: string | undefined;
  readonly details: string | undefined;

  constructor(shortMessage: string, parameters: CapacityErrorParameters = {}) {
    const hint = parameters.hint;
    super(hint === undefined ? shortMessage : `${shortMessage} ${hint}`, { cause: parameters.cause });
    this.kind = parameters.kind ?? "input";
    this.code = parameters.code ?? this.kind;
    this.shortMessage = shortMessage;
    this.input = parameters.input;
    this.hint = hint;
    this.details = parameters.details;
  }

  /** 2 for input a person can correct, 1 for a refusal or failure. */
  get exitCode(): 1 | 2 {
    return EXIT_CODES[this.kind];
  }

  /** The error as data, for --json: kind, code, message, and the input and hint where there are. */
  toJSON(): Record<string, unknown> {
    return {
      kind: this.kind,
      code: this.code,
      message: this.message,
      ...(this.input === undefined ? {} : { input: this.input }),
      ...(this.hint === undefined ? {} : { hint: this.hint }),
    };
  }
}

/** The command line was wrong: exit status 2. */
export class UsageError extends CapacityError {
  override name = "UsageError";
  constructor(shortMessage: string, parameters: Omit<CapacityErrorParameters, "kind"> = {}) {
    super(shortMessage, { ...parameters, kind: "usage", code: parameters.code ?? "usage" });
  }
}

/** Lists choices for a message: `a, b or c`. */
export function listChoices(choices: readonly string[], last = "or"): string {
  if (choices.length <= 1) return choices.join("");
  return `${choices.slice(0, -1).join(", ")} ${last} ${choices[choices.length - 1]}`;
}

/** The choice nearest to `value` by edit distance, if it is near enough to be a typo of it. */
export function nearest(value: string, choices: readonly string[]): string | undefined {
  const target = value.toLowerCase();
  let best: { choice: string; distance: number } | undefined;
  for (const choice of choices) {
    const distance = editDistance(target, choice.toLowerCase());
    if (best === undefined || distance < best.distance) best = { choice, distance };
  }
  if (best === undefined) return undefined;
  return best.distance <= Math.max(2, Math.floor(target.length / 3)) ? best.choice : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
