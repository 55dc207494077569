import { expect } from "chai";
import { network } from "hardhat";
import { settlementLayerFixture, mintTo } from "./helpers/fixtures.js";

const connection = await network.create();
const fixture = settlementLayerFixture(connection);

describe("smoke", function () {
  it("deploys and moves money", async function () {
    const f = await connection.networkHelpers.loadFixture(fixture);
    await mintTo(f, f.consumer.address, 1000n);
    await f.token.connect(f.consumer).transfer(f.provider.address, 400n);
    expect(await f.token.balanceOf(f.provider.address)).to.equal(400n);
    await expect(f.token.connect(f.consumer).transfer(f.outsider.address, 1n))
      .to.be.revertedWithCustomError(f.token, "SettlementTokenNotMember")
      .withArgs(f.outsider.address);
  });
});
