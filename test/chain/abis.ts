import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

import { expect } from "chai";

import { renderAbiModule } from "../../src/chain/abi-module.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("src/generated/abis.ts", function () {
  it("matches the compiled contracts (run npm run abis after changing a contract)", async function () {
    const committed = await readFile(`${root}src/generated/abis.ts`, "utf8");
    const fresh = await renderAbiModule(root);
    expect(committed === fresh, "src/generated/abis.ts is stale: run `npm run abis` and commit it").to.equal(true);
  });

  it("lists every custom error once, including those that bubble up from other contracts", async function () {
    const { settlementErrorsAbi } = await import("../../src/generated/abis.js");
    const names = settlementErrorsAbi.map((item) => item.name);
    expect(names).to.include.members(["ConsortiumMissingRole", "SettlementTokenNotMember", "FiatGatewayNotMinter"]);
    expect(new Set(names).size).to.equal(names.length);
  });
});
