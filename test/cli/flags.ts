/**
 * The long-running scripts take the flags their usage text documents, and no others: src/cli/flags.ts
 * reads the flag lines of the usage (usageFlags), and runScript answers --help with it.
 */
import { readFile } from "node:fs/promises";

import { expect } from "chai";

import { readFlags, usageFlags, UsageError } from "../../src/cli/flags.js";
import { runToEnd } from "../helpers/agent-process.js";

const SCRIPTS = [
  "scripts/channel-payee.ts",
  "scripts/channel-payer.ts",
  "scripts/device-agent.ts",
  "scripts/gateway.ts",
];

const SAMPLE = `Usage: SAMPLE_KEY=0x... npx tsx scripts/sample.ts [flags]
       npx tsx scripts/sample.ts --store PATH --prove SPEC

  --rpc-url URL            JSON-RPC node (default: $SAMPLE_RPC_URL, else http://127.0.0.1:8545)
  --stream device|inspector  the stream
  --dry-run                say what would be done, and do nothing
  --store PATH             the SQLite file; continued on the next line, which names
                           --other-flag in its text and is no flag line
  --json

  SAMPLE_KEY               the signing key`;

describe("src/cli/flags: flags from the usage text", function () {
  it("reads a flag with a value placeholder as a string flag, one without as a boolean; --help always", function () {
    expect(usageFlags(SAMPLE)).to.deep.equal({
      help: { type: "boolean" },
      "rpc-url": { type: "string" },
      stream: { type: "string" },
      "dry-run": { type: "boolean" },
      store: { type: "string" },
      json: { type: "boolean" },
    });
  });

  it("parses a command line against them and refuses what the usage does not document", function () {
    const options = usageFlags(SAMPLE);
    expect(readFlags(options, ["--store", "a.sqlite", "--dry-run", "--stream=inspector"])).to.deep.equal({
      store: "a.sqlite",
      "dry-run": true,
      stream: "inspector",
    });
    for (const argv of [["--other-flag", "1"], ["--sample-key", "0x1"], ["stray"]]) {
      expect(() => readFlags(options, argv), argv.join(" ")).to.throw(UsageError);
    }
    expect(() => readFlags(options, ["--other-flag", "1"])).to.throw(/other-flag/);
  });

  it("refuses a usage that documents a flag twice", function () {
    expect(() => usageFlags(`${SAMPLE}\n  --store PATH             again`)).to.throw(/--store twice/);
  });

  describe("the scripts", function () {
    this.timeout(60_000);
    const runs = new Map<string, Awaited<ReturnType<typeof runToEnd>>>();
    before(async function () {
      const results = await Promise.all(SCRIPTS.map((script) => runToEnd(script, ["--help"])));
      for (const [i, run] of results.entries()) runs.set(SCRIPTS[i]!, run);
    });

    for (const script of SCRIPTS) {
      it(`${script}: --help prints the usage and exits 0; every flag the script reads is in it`, async function () {
        const help = runs.get(script)!;
        expect(help.code, help.stderr).to.equal(0);
        expect(help.stdout).to.match(/^Usage: /);
        const documented = new Set(Object.keys(usageFlags(help.stdout)));
        const source = await readFile(script, "utf8");
        // flags.<getter>("name", ...) and flags.values.name, as the scripts read them.
        const read = new Set(
          [
            ...source.matchAll(/flags\.(?!values\b)\w+\(\s*"([a-z][a-z0-9-]*)"/g),
            ...source.matchAll(/flags\.values\.(\w+)/g),
          ].map((m) => m[1]!),
        );
        expect(read.size, 'the scripts read flags as flags.<getter>("name")').to.be.above(3);
        for (const name of read) expect(documented, `--${name}`).to.include(name);
      });
    }

    it("each script refuses a flag its usage does not document, with exit 2 and the usage", async function () {
      const results = await Promise.all(SCRIPTS.map((script) => runToEnd(script, ["--no-such-flag", "1"])));
      for (const [i, run] of results.entries()) {
        expect(run.code, `${SCRIPTS[i]}: ${run.stderr}`).to.equal(2);
        expect(run.stderr).to.include("no-such-flag").and.include("Usage:");
      }
    });
  });
});
