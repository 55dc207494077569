/**
 * The field tables (src/core/message.ts) against the contracts: each message's fields and types are the
 * Solidity struct's (compiled AST) and its EIP-712 type string is the one the contract hashes; the TypeScript
 * shapes and wire forms follow from the Solidity types.
 */
import { fileURLToPath } from "node:url";

import { expect } from "chai";

import { compiledSources, nodesOf } from "../../src/chain/abi-module.js";
import { usageIncrementFields } from "../../src/core/increment.js";
import { messageToJson, shapeOf, typeString, type Field } from "../../src/core/message.js";
import { usageReportFields } from "../../src/core/report.js";
import { closeAuthorizationFields, voucherFields } from "../../src/core/voucher.js";
import { channelUsageTypes, usageReportTypes, voucherTypes } from "../../src/core/typed-data.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

interface StructNode {
  canonicalName: string;
  members: { name: string; typeDescriptions: { typeString: string } }[];
}
interface ConstantNode {
  name: string;
  value?: { arguments?: { value?: string }[] };
}

async function contracts() {
  const sources = await compiledSources(root);
  const structs = new Map<string, StructNode>();
  const typeStrings = new Map<string, string>();
  for (const ast of sources.values()) {
    for (const node of nodesOf<StructNode>(ast, "StructDefinition")) structs.set(node.canonicalName, node);
    for (const node of nodesOf<ConstantNode>(ast, "VariableDeclaration")) {
      const literal = node.value?.arguments?.[0]?.value;
      if (node.name.endsWith("_TYPEHASH") && literal !== undefined) typeStrings.set(node.name, literal);
    }
  }
  return { structs, typeStrings };
}

const pairs = (fields: readonly Field[]) => fields.map((f) => `${f.type} ${f.name}`);

describe("message field tables (src/core/message.ts)", function () {
  it("a usage report has the fields and types of the Solidity struct UsageReport, in its order", async function () {
    const { structs } = await contracts();
    const struct = structs.get("UsageReport")!;
    expect(pairs(usageReportFields)).to.deep.equal(
      struct.members.map((m) => `${m.typeDescriptions.typeString} ${m.name}`),
    );
  });

  it("each message's EIP-712 type string is the one its contract hashes", async function () {
    const { typeStrings } = await contracts();
    expect(typeString("UsageReport", usageReportFields)).to.equal(typeStrings.get("USAGE_REPORT_TYPEHASH"));
    expect(typeString("Voucher", voucherFields)).to.equal(typeStrings.get("VOUCHER_TYPEHASH"));
    expect(typeString("CloseAuthorization", closeAuthorizationFields)).to.equal(typeStrings.get("CLOSE_TYPEHASH"));
    // ChannelUsage is signed by devices and named by vouchers; no contract hashes it.
    expect(typeString("ChannelUsage", usageIncrementFields)).to.equal(
      "ChannelUsage(bytes32 channel,uint32 sequence,uint40 periodStart,uint40 periodEnd,uint64 machineSeconds," +
        "uint64 units,bytes32 readingsRoot)",
    );
  });

  it("gives wallets the typed data with names and types only", function () {
    expect(usageReportTypes.UsageReport.map((f) => Object.keys(f))).to.deep.equal(
      usageReportFields.map(() => ["name", "type"]),
    );
    expect(channelUsageTypes.ChannelUsage[0]).to.deep.equal({ name: "channel", type: "bytes32" });
    expect(voucherTypes.Voucher.map((f) => f.name)).to.deep.equal(["payee", "nonce", "amount", "usage"]);
  });

  it("derives width, TypeScript type and wire form from the Solidity type", function () {
    expect(shapeOf("uint40")).to.deep.equal({ kind: "uint", bits: 40, number: true, array: false });
    expect(shapeOf("uint64")).to.deep.equal({ kind: "uint", bits: 64, number: false, array: false });
    expect(shapeOf("uint64[]")).to.deep.equal({ kind: "uint", bits: 64, number: false, array: true });
    expect(shapeOf("address")).to.deep.equal({ kind: "address", bits: 160, number: false, array: false });
    expect(() => shapeOf("uint7" as never)).to.throw(TypeError, "not a message field type");
    const json = messageToJson(usageIncrementFields, {
      channelId: `0x${"01".repeat(32)}`,
      sequence: 3,
      periodStart: 10,
      periodEnd: 20,
      machineSeconds: 2n ** 63n,
      units: 0n,
      readingsRoot: `0x${"02".repeat(32)}`,
    });
    expect(json).to.deep.equal({
      channelId: `0x${"01".repeat(32)}`,
      sequence: 3,
      periodStart: 10,
      periodEnd: 20,
      machineSeconds: "9223372036854775808",
      units: "0",
      readingsRoot: `0x${"02".repeat(32)}`,
    });
  });
});
