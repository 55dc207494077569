/**
 * The off-chain layers import only downwards (README, Layout): core and generated <- codec, crypto <- chain,
 * store, transport <- contracts <- services, ops <- cli. A module that reaches up (a pure module into the chain
 * clients, a job into the command line) fails here with the import named.
 */
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

const SRC = "src";
const RANK: Record<string, number> = {
  core: 0,
  generated: 0,
  codec: 1,
  crypto: 1,
  chain: 2,
  store: 2,
  transport: 2,
  contracts: 3,
  services: 4,
  ops: 4,
  cli: 5,
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : [],
  );
}

const layerOf = (file: string): string => relative(SRC, file).split("/")[0]!;

/** Every relative import of src/ as "from -> to" where `to` sits in a higher layer than `from`. */
export function upwardImports(files: readonly string[], read: (file: string) => string): string[] {
  return files.flatMap((file) =>
    [...read(file).matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)].flatMap(([, spec]) => {
      const target = normalize(join(dirname(file), spec!));
      if (!target.startsWith(`${SRC}/`)) return [];
      const [from, to] = [layerOf(file), layerOf(target)];
      return RANK[to]! > RANK[from]! ? [`${file} -> ${target} (${from} imports ${to})`] : [];
    }),
  );
}

describe("src/ layers", function () {
  it("names every top-level folder of src/ in the layer order", function () {
    const folders = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory());
    expect(folders.map((e) => e.name).filter((name) => RANK[name] === undefined)).to.deep.equal([]);
  });

  it("imports only downwards", function () {
    expect(upwardImports(filesUnder(SRC), (file) => readFileSync(file, "utf8"))).to.deep.equal([]);
  });

  it("names an upward import", function () {
    const files = ["src/core/a.ts", "src/cli/b.ts"];
    const sources: Record<string, string> = {
      "src/core/a.ts": 'import { table } from "../cli/b.js";',
      "src/cli/b.ts": 'import { a } from "../core/a.js";',
    };
    expect(upwardImports(files, (file) => sources[file]!)).to.deep.equal([
      "src/core/a.ts -> src/cli/b.js (core imports cli)",
    ]);
  });
});
