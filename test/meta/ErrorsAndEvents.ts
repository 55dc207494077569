import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { expect } from "chai";
import hre from "hardhat";

/**
 * Keeps the promise that every custom error and every event a contract declares is asserted by a test:
 * an error in `revertedWithCustomError(..., "Name")` or as `Name.selector` in a Solidity test, an event
 * in `.to.emit(..., "Name")` or `emit I<Contract>.Name(` after `vm.expectEmit`.
 */
const INTERFACES = [
  "IConsortium",
  "ISettlementToken",
  "IFiatGateway",
  "ILicenseRegistry",
  "IMachineRegistry",
  "TariffMath",
  "IUsageMeter",
  "IPaymentChannels",
] as const;
const testRoot = fileURLToPath(new URL("..", import.meta.url));

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async (entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === "meta" ? [] : sources(path);
      return /\.(ts|sol)$/.test(entry.name) ? [await readFile(path, "utf8")] : [];
    }),
  );
  return nested.flat();
}

const escape = (name: string): string => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("every declared error and event is asserted by a test", function () {
  let text: string;
  before(async function () {
    text = (await sources(testRoot)).join("\n");
  });

  for (const name of INTERFACES) {
    it(`covers ${name}`, async function () {
      const { abi } = await hre.artifacts.readArtifact(name);
      const missing: string[] = [];
      for (const item of abi) {
        if (item.type !== "error" && item.type !== "event") continue;
        const id = escape(item.name);
        const asserted =
          item.type === "error"
            ? new RegExp(`revertedWithCustomError\\([^;]*?"${id}"|\\b${id}\\.selector`).test(text)
            : new RegExp(`\\.emit\\([^;]*?"${id}"|emit \\w+\\.${id}\\(`).test(text);
        if (!asserted) missing.push(`${item.type} ${item.name}`);
      }
      expect(missing, `not asserted by any test: ${missing.join(", ")}`).to.deep.equal([]);
    });
  }
});
