/** Which Solidity files must be rebuilt when one changes: those whose relative imports reach it. */
import { dirname, join, normalize } from "node:path";

const IMPORT = /^\s*import\s+(?:[^"';]*?from\s+)?["']([^"']+)["']/gm;

/** The project files a source imports directly (relative imports only; npm packages never change). */
export function relativeImports(file: string, source: string): string[] {
  const out: string[] = [];
  for (const match of source.matchAll(IMPORT)) {
    const target = match[1]!;
    if (target.startsWith(".")) out.push(normalize(join(dirname(file), target)));
  }
  return out;
}

/**
 * The files among `files` (paths relative to the project) that are `changed` or import it, directly or
 * through other files; `read` gives a file's source.
 */
export function dependents(changed: string, files: readonly string[], read: (file: string) => string): string[] {
  const imports = new Map(files.map((file) => [file, relativeImports(file, read(file))]));
  const reaches = new Map<string, boolean>();
  const visit = (file: string, path: Set<string>): boolean => {
    if (file === changed) return true;
    const known = reaches.get(file);
    if (known !== undefined) return known;
    if (path.has(file)) return false;
    path.add(file);
    const next = imports.get(file) ?? relativeImports(file, read(file));
    const result = next.some((target) => visit(target, path));
    path.delete(file);
    reaches.set(file, result);
    return result;
  };
  return files.filter((file) => visit(file, new Set()));
}
