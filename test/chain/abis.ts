import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

import { expect } from "chai";

import { compiledEnums, GENERATED_MODULES, renderAbiModule } from "../../src/chain/abi-module.js";
import { RejectReason } from "../../src/contracts/meter.js";
import { KeyKind, MachineStatus } from "../../src/core/listing.js";
import { Role } from "../../src/core/membership.js";
import { KeyKind as gatewayKeyKind } from "../../src/services/gateway/chain.js";

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

describe("src/generated/enums.ts", function () {
  it("matches the compiler's AST, as every generated module does (run npm run abis after changing an enum)", async function () {
    for (const [path, render] of Object.entries(GENERATED_MODULES)) {
      const committed = await readFile(`${root}${path}`, "utf8");
      expect(committed === (await render(root)), `${path} is stale: run \`npm run abis\` and commit it`).to.equal(true);
    }
  });

  it("holds every enum of the contracts, members in declaration order, under the names src/core re-exports", async function () {
    const enums = await compiledEnums(root);
    expect([...enums.keys()]).to.include.members([
      "AccountStanding",
      "IFiatGateway.RedemptionStatus",
      "ILicenseRegistry.LicenseStatus",
      "IUsageMeter.OrderStatus",
      "IUsageMeter.RejectReason",
      "IUsageMeter.ReportOutcome",
      "KeyKind",
      "MachineKind",
      "MachineStatus",
      "MemberStatus",
      "Role",
    ]);
    const generated = (await import("../../src/generated/enums.js")) as Record<string, unknown>;
    for (const { node } of enums.values()) {
      const names = node.members.map((member) => member.name);
      expect(generated[`${node.name}Names`], node.name).to.deep.equal(names);
      expect(generated[node.name], node.name).to.deep.equal(Object.fromEntries(names.map((name, i) => [name, i])));
    }
    expect([KeyKind.Inspector, MachineStatus.Retired, Role.Auditor, gatewayKeyKind]).to.deep.equal([1, 3, 4, KeyKind]);
    expect(RejectReason[15]).to.equal("PeriodOverlapsPrevious");
  });
});
