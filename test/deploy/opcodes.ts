import { readFile } from "node:fs/promises";

import { expect } from "chai";
import hre from "hardhat";

import { countOpcodes, newerOpcodesIn, stripMetadata } from "../../deploy/opcodes.js";

describe("deploy/opcodes", function () {
  it("counts instructions and skips PUSH data", function () {
    // PUSH2 0x5f5f (data, not PUSH0), PUSH0, MCOPY, STOP; no metadata (last two bytes give length 0x5e00 > code).
    const counts = countOpcodes("0x615f5f5f5e00");
    expect(counts.get(0x61)).to.equal(1);
    expect(counts.get(0x5f)).to.equal(1);
    expect(counts.get(0x5e)).to.equal(1);
    expect(counts.get(0x00)).to.equal(1);
  });

  it("strips the metadata solc appends", function () {
    // code 0x00, metadata 0x5f5f (would look like two PUSH0), length 0x0002.
    const code = Buffer.from("005f5f0002", "hex");
    expect(Buffer.from(stripMetadata(code)).toString("hex")).to.equal("00");
    expect(newerOpcodesIn("0x005f5f0002")).to.deep.equal({});
  });

  it("finds PUSH0 in the default build, which targets prague", async function () {
    const artifact = await hre.artifacts.readArtifact("SettlementToken");
    const buildInfoPath = await hre.artifacts.getBuildInfoPath(artifact.buildInfoId!);
    const buildInfo = JSON.parse(await readFile(buildInfoPath!, "utf8")) as {
      input: { settings: { evmVersion: string } };
    };
    expect(buildInfo.input.settings.evmVersion).to.equal("prague");
    expect(newerOpcodesIn(artifact.deployedBytecode).PUSH0).to.be.greaterThan(0);
  });
});
