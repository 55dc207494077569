import { expect } from "chai";

import { AccountStanding, Role } from "../../../src/core/membership.js";
import { referenceHash } from "../../../src/core/references.js";
import { ethers, funded, networkHelpers } from "./fixture.js";

describe("SettlementToken", function () {
  describe("pause and unpause", function () {
    describe("when the caller is a member without the operator role", function () {
      it("reverts pause with ConsortiumMissingRole", async function () {
        const { token, consortium, provider, memberIds } = await funded();
        await expect(token.connect(provider).pause())
          .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
          .withArgs(memberIds.provider, Role.Operator);
      });

      it("reverts unpause with ConsortiumMissingRole", async function () {
        const { token, consortium, operator, provider, memberIds } = await funded();
        await token.connect(operator).pause();
        await expect(token.connect(provider).unpause())
          .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
          .withArgs(memberIds.provider, Role.Operator);
      });
    });

    describe("when the caller is not a member", function () {
      it("reverts pause and unpause with ConsortiumNotMember", async function () {
        const { token, consortium, operator, outsider } = await funded();
        await expect(token.connect(outsider).pause())
          .to.be.revertedWithCustomError(consortium, "ConsortiumNotMember")
          .withArgs(outsider.address);
        await token.connect(operator).pause();
        await expect(token.connect(outsider).unpause())
          .to.be.revertedWithCustomError(consortium, "ConsortiumNotMember")
          .withArgs(outsider.address);
      });
    });

    describe("when the token is not paused", function () {
      it("pauses and emits Paused", async function () {
        const { token, operator } = await funded();
        expect(await token.paused()).to.equal(false);
        await expect(token.connect(operator).pause()).to.emit(token, "Paused").withArgs(operator.address);
        expect(await token.paused()).to.equal(true);
      });

      it("reverts unpause with ExpectedPause", async function () {
        const { token, operator } = await funded();
        await expect(token.connect(operator).unpause()).to.be.revertedWithCustomError(token, "ExpectedPause");
      });
    });

    describe("when the token is paused", function () {
      async function paused() {
        const f = await funded();
        const gatewayAddress = await f.gateway.getAddress();
        await f.token.connect(f.consumer).approve(gatewayAddress, ethers.MaxUint256);
        await f.gateway.connect(f.consumer).requestRedemption(100n, referenceHash("payout before the pause"));
        await f.token.connect(f.consumer).approve(f.provider.address, ethers.MaxUint256);
        await f.token.connect(f.operator).pause();
        return f;
      }

      it("reverts transfer with EnforcedPause", async function () {
        const { token, consumer, provider } = await paused();
        await expect(token.connect(consumer).transfer(provider.address, 1n)).to.be.revertedWithCustomError(
          token,
          "EnforcedPause",
        );
      });

      it("reverts transferFrom with EnforcedPause", async function () {
        const { token, consumer, provider } = await paused();
        await expect(
          token.connect(provider).transferFrom(consumer.address, provider.address, 1n),
        ).to.be.revertedWithCustomError(token, "EnforcedPause");
      });

      it("reverts mint with EnforcedPause", async function () {
        const { token, gateway, minter, consumer } = await paused();
        await expect(
          gateway.connect(minter).mint(consumer.address, 1n, referenceHash("deposit while paused")),
        ).to.be.revertedWithCustomError(token, "EnforcedPause");
      });

      it("reverts burn with EnforcedPause", async function () {
        const { token, gateway, operator } = await paused();
        await expect(
          gateway.connect(operator).markRedemptionPaid(1n, referenceHash("bank tx while paused")),
        ).to.be.revertedWithCustomError(token, "EnforcedPause");
      });

      it("reverts a redemption request and a refund with EnforcedPause", async function () {
        const { token, gateway, operator, consumer } = await paused();
        await expect(
          gateway.connect(consumer).requestRedemption(1n, referenceHash("payout while paused")),
        ).to.be.revertedWithCustomError(token, "EnforcedPause");
        await expect(
          gateway.connect(operator).rejectRedemption(1n, referenceHash("rejected while paused")),
        ).to.be.revertedWithCustomError(token, "EnforcedPause");
      });

      it("reverts pause with EnforcedPause", async function () {
        const { token, operator } = await paused();
        await expect(token.connect(operator).pause()).to.be.revertedWithCustomError(token, "EnforcedPause");
      });

      it("still takes approvals and standing changes", async function () {
        const { token, consortium, operator, consumer, licensor, memberIds } = await paused();
        await expect(token.connect(consumer).approve(licensor.address, 5n))
          .to.emit(token, "Approval")
          .withArgs(consumer.address, licensor.address, 5n);
        await expect(consortium.connect(operator).suspend(memberIds.licensor, referenceHash("suspension")))
          .to.emit(token, "StandingChanged")
          .withArgs(licensor.address, AccountStanding.Frozen);
      });

      describe("when an operator unpauses", function () {
        it("records the time in unpausedAt; a pause leaves it alone", async function () {
          const { token, operator } = await paused();
          expect(await token.unpausedAt()).to.equal(0n);
          const tx = await token.connect(operator).unpause();
          const at = BigInt((await tx.getBlock())!.timestamp);
          expect(await token.unpausedAt()).to.equal(at);
          await networkHelpers.time.increase(100);
          await token.connect(operator).pause();
          expect(await token.unpausedAt()).to.equal(at);
        });

        it("emits Unpaused and transfers resume", async function () {
          const { token, operator, consumer, provider } = await paused();
          await expect(token.connect(operator).unpause()).to.emit(token, "Unpaused").withArgs(operator.address);
          expect(await token.paused()).to.equal(false);
          await expect(token.connect(consumer).transfer(provider.address, 1n)).to.changeTokenBalances(
            ethers,
            token,
            [consumer, provider],
            [-1n, 1n],
          );
        });
      });
    });
  });
});
