import { readFile } from "node:fs/promises";

import { expect } from "chai";

import { parameterProblems, parametersFileFor, readParameters } from "../../deploy/deploy.js";

const HASH = `0x${"ab".repeat(32)}`;

describe("deploy/deploy parameters", function () {
  for (const name of ["default", "poaSim", "localhost"]) {
    it(`accepts the committed parameters of ${name}`, async function () {
      const parameters = await readParameters(parametersFileFor(name));
      expect(parameters.SettlementLayer?.agreementHash).to.match(/^0x[0-9a-f]{64}$/);
    });
  }

  it("refuses the PoA template until its hashes and keys are filled in", async function () {
    const file = parametersFileFor("poa");
    const template = JSON.parse(await readFile(file, "utf8")) as Record<string, Record<string, unknown>>;
    const problems = parameterProblems(template, file);
    expect(problems.join("\n")).to.match(/agreementHash must be a nonzero 32-byte hash/);
    expect(problems.join("\n")).to.match(/founderMetadata must be a nonzero 32-byte hash/);
    expect(problems.join("\n")).to.match(/gatewayAdmin must be a nonzero address/);
    await readParameters(file).then(
      () => expect.fail("the PoA template deployed"),
      (error: Error) => expect(error.message).to.match(/^Cannot deploy with these parameters/),
    );
  });

  it("accepts filled-in parameters and leaves optional addresses to default", function () {
    const problems = parameterProblems(
      { SettlementLayer: { agreementHash: HASH, founderMetadata: HASH, noticePeriod: 3600 } },
      "p.json",
    );
    expect(problems).to.deep.equal([]);
  });

  it("names malformed values", function () {
    const problems = parameterProblems(
      {
        SettlementLayer: {
          agreementHash: "0x12",
          founderMetadata: HASH,
          masterMinter: "0xnot-an-address",
          noticePeriod: -5,
        },
      },
      "p.json",
    );
    expect(problems).to.have.length(3);
    expect(problems[0]).to.contain("agreementHash");
    expect(problems[1]).to.contain("masterMinter");
    expect(problems[2]).to.contain("noticePeriod");
  });

  it("needs the module's section", function () {
    expect(parameterProblems({ Other: {} }, "p.json")).to.deep.equal([`p.json has no "SettlementLayer" section.`]);
  });

  it("says how to create missing parameters", async function () {
    await readParameters(parametersFileFor("nowhere")).then(
      () => expect.fail("read a file that does not exist"),
      (error: Error) =>
        expect(error.message).to.match(/No Ignition parameters for this network: create .*nowhere\.json/),
    );
  });
});
