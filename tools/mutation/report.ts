/** Reading test output and writing progress: the first failing test's name, one table line per mutant. */
import type { Outcome } from "./types.js";

/**
 * The name of the first failing test in mocha's or Hardhat's Solidity runner's output: the lines after
 * "1) " after "N failing" up to the one that ends with ":" (mocha), else the first line marked as a failure.
 */
export function firstFailure(output: string): string | undefined {
  const lines = output.replace(/\r/g, "").split("\n");
  // The spec reporter marks a failing test "1) title" where it runs, then lists it with its suites after
  // "N failing": read that list.
  const summary = lines.findIndex((line) => /^\s*\d+ failing/.test(line));
  const first = lines.findIndex((line, i) => i > summary && /^\s*1\) \S/.test(line));
  if (first !== -1) {
    // Hardhat's Solidity runner names a failure on one line: "1) Contract#test(args)".
    const solidity = /^\s*1\) (\S+#\S.*)$/.exec(lines[first]!);
    if (solidity !== null) return solidity[1]!.trim();
    const title: string[] = [];
    for (let i = first; i < lines.length && title.length < 8; i++) {
      const line = lines[i]!.trim().replace(/^1\) /, "");
      title.push(line.replace(/:$/, ""));
      if (line.endsWith(":")) break;
    }
    return title.join(" > ");
  }
  const marked = lines.find((line) => /^\s*(✘|×|\[FAIL)/.test(line) || /\bFAIL(ED)?\b/.test(line));
  return marked?.trim();
}

/** The first line of a build failure that says what is wrong. */
export function buildError(output: string): string {
  const lines = output.replace(/\r/g, "").split("\n");
  const error = lines.find((line) => /Error|error/.test(line) && !/^\s*at /.test(line));
  return (error ?? lines.find((line) => line.trim() !== "") ?? "build failed").trim().slice(0, 300);
}

/** One progress line: position, status, time, where, operator and the change. */
export function progressLine(index: number, count: number, outcome: Outcome): string {
  const position = `${String(index).padStart(String(count).length)}/${count}`;
  const change = `${outcome.original.replace(/\s+/g, " ")} -> ${outcome.mutated.replace(/\s+/g, " ")}`.slice(0, 70);
  return `${position}  ${outcome.status.padEnd(9)} ${outcome.seconds.toFixed(0).padStart(4)} s  ${outcome.at.padEnd(42)} ${outcome.operator.padEnd(5)} ${change}`;
}
