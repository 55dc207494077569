/*
SettlementToken.edges.tree — edges the main suite (SettlementToken/) leaves out, found by mutation testing
(docs/MUTATION.md).

escrowFrom, releaseTo
└── when the caller is a Leaving member's account ────────── it reverts with SettlementTokenNotSystemContract naming it
*/
import { expect } from "chai";
import { network } from "hardhat";

import { parseEuro } from "../../src/core/money.js";
import { AccountStanding, Role } from "../../src/core/membership.js";
import { settlementLayerFixture } from "../helpers/fixtures.js";
import { funder } from "../helpers/funding.js";

const connection = await network.create();
const { networkHelpers } = connection;
const deploySettlementLayer = settlementLayerFixture(connection);

/** The settlement layer with 10 EUR minted to the consumer, and the provider's member asking to leave. */
async function deployLeaving() {
  const f = await networkHelpers.loadFixture(deploySettlementLayer);
  await funder(f)(f.consumer.address, parseEuro("10"));
  await f.consortium.connect(f.provider).requestExit();
  return f;
}

describe("SettlementToken (edges)", function () {
  describe("escrowFrom and releaseTo", function () {
    describe("when the caller is a Leaving member's account", function () {
      it("reverts with SettlementTokenNotSystemContract naming it", async function () {
        const { token, consumer, provider } = await networkHelpers.loadFixture(deployLeaving);
        expect(await token.standingOf(provider.address)).to.equal(AccountStanding.Leaving);
        await token.connect(consumer).approve(provider.address, 10n);
        await expect(token.connect(provider).escrowFrom(consumer.address, 10n, Role.Consumer))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotSystemContract")
          .withArgs(provider.address);
        for (const value of [0n, 1n]) {
          await expect(token.connect(provider).releaseTo(consumer.address, value))
            .to.be.revertedWithCustomError(token, "SettlementTokenNotSystemContract")
            .withArgs(provider.address);
        }
      });
    });
  });
});
