/**
 * The `capacity` bin (bin/capacity.js, package.json "bin"): run by Node 22 it runs the command line in its own
 * process; run by an older Node it runs it with the project's Node 22 as a child and exits with its status.
 * With --json, stdout holds nothing but JSON, also when the command fails.
 */
import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

import { expect } from "chai";
import { keccak256, stringToBytes } from "viem";

const ROOT = new URL("../..", import.meta.url).pathname;

function bin(node: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return new Promise((resolve) => {
    execFile(node, ["bin/capacity.js", ...args], { cwd: ROOT, env, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr }),
    );
  });
}

/** A Node older than 22 on the PATH, if the machine has one (the shim's other path). */
function olderNode(): string | undefined {
  for (const candidate of ["/usr/bin/node", "/usr/local/bin/node"]) {
    try {
      const version = execFileSync(candidate, ["--version"], { encoding: "utf8" }).trim();
      if (Number(version.slice(1).split(".")[0]) < 22) return candidate;
    } catch {
      // not there
    }
  }
  return undefined;
}

describe("the capacity bin", function () {
  this.timeout(120_000);

  it("is the package's bin, and npm run ops runs it", function () {
    const manifest = JSON.parse(readFileSync(`${ROOT}package.json`, "utf8")) as {
      bin: Record<string, string>;
      scripts: Record<string, string>;
    };
    expect(manifest.bin).to.deep.equal({ capacity: "bin/capacity.js" });
    expect(manifest.scripts.ops).to.equal("node bin/capacity.js");
  });

  it("runs a command under Node 22, with nothing but JSON on stdout", async function () {
    const out = await bin(process.execPath, ["hash", "--json", "--text", "SEPA 0001"]);
    expect(out.code, out.stderr).to.equal(0);
    expect(JSON.parse(out.stdout)).to.deep.equal([
      { input: "SEPA 0001", kind: "text", hash: keccak256(stringToBytes("SEPA 0001")) },
    ]);
    const failed = await bin(process.execPath, ["hash", "--json", "READMEE.md"]);
    expect(failed.code).to.equal(2);
    expect(JSON.parse(failed.stdout).error).to.include({ code: "file.missing" });
    expect(failed.stderr).to.equal("");
  });

  it("runs the project's Node 22 as a child under an older Node, and exits with its status", async function () {
    const node = olderNode();
    if (node === undefined) this.skip();
    const help = await bin(node, ["--help"]);
    expect(help.code, help.stderr).to.equal(0);
    expect(help.stdout).to.include("Usage: capacity <group> <command>").and.include("payout run");
    const refused = await bin(node, ["hash", "READMEE.md"]);
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.include("There is no file READMEE.md to hash.");
  });
});
