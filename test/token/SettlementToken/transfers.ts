import { expect } from "chai";
import { ZeroAddress } from "ethers";

import { AccountStanding } from "../../../src/core/membership.js";
import { referenceHash } from "../../../src/core/references.js";
import { NOTICE_PERIOD } from "../../helpers/fixtures.js";
import { funder } from "../../helpers/funding.js";
import { shouldBehaveLikeMemberOnlyToken } from "../../helpers/memberOnlyToken.js";
import { spareKey } from "../../helpers/signers.js";
import { BALANCE, deploySettlementLayer, ethers, funded, handWired, MAX_SUPPLY, networkHelpers } from "./fixture.js";

describe("SettlementToken", function () {
  describe("metadata", function () {
    it("has the configured name and symbol", async function () {
      const { token } = await networkHelpers.loadFixture(deploySettlementLayer);
      expect(await token.name()).to.equal("Capacity Euro");
      expect(await token.symbol()).to.equal("CEUR");
    });

    it("counts in millionths of a euro (6 decimals)", async function () {
      const { token } = await networkHelpers.loadFixture(deploySettlementLayer);
      expect(await token.decimals()).to.equal(6n);
    });

    it("keeps at most 2^128 - 1 units", async function () {
      const { token } = await networkHelpers.loadFixture(deploySettlementLayer);
      expect(await token.MAX_SUPPLY()).to.equal(MAX_SUPPLY);
    });

    it("names its Consortium and its gateway", async function () {
      const { token, consortium, gateway } = await networkHelpers.loadFixture(deploySettlementLayer);
      expect(await token.consortium()).to.equal(await consortium.getAddress());
      expect(await token.gateway()).to.equal(await gateway.getAddress());
      expect(await consortium.token()).to.equal(await token.getAddress());
    });

    it("starts with no supply", async function () {
      const { token, consumer } = await networkHelpers.loadFixture(deploySettlementLayer);
      expect(await token.totalSupply()).to.equal(0n);
      expect(await token.balanceOf(consumer.address)).to.equal(0n);
    });

    describe("when no gateway is bound yet", function () {
      it("reports the zero address as gateway", async function () {
        const { token } = await handWired();
        expect(await token.gateway()).to.equal(ZeroAddress);
      });
    });
  });

  describe("standingOf", function () {
    it("is Member for the accounts of active members", async function () {
      const { token, operator, provider, consumer, licensor, auditor } =
        await networkHelpers.loadFixture(deploySettlementLayer);
      for (const account of [operator, provider, consumer, licensor, auditor]) {
        expect(await token.standingOf(account.address)).to.equal(AccountStanding.Member);
      }
    });

    it("is System for the registered gateway", async function () {
      const { token, gateway } = await networkHelpers.loadFixture(deploySettlementLayer);
      expect(await token.standingOf(await gateway.getAddress())).to.equal(AccountStanding.System);
    });

    it("is None for keys that never belonged to a member", async function () {
      const { token, outsider, minter } = await networkHelpers.loadFixture(deploySettlementLayer);
      expect(await token.standingOf(outsider.address)).to.equal(AccountStanding.None);
      expect(await token.standingOf(minter.address)).to.equal(AccountStanding.None);
    });
  });

  shouldBehaveLikeMemberOnlyToken(async () => {
    const f = await networkHelpers.loadFixture(deploySettlementLayer);
    return {
      ethers,
      token: f.token,
      consortium: f.consortium,
      operator: f.operator,
      holder: f.consumer,
      recipient: f.provider,
      outsider: f.outsider,
      spareKey: spareKey(f, 0),
      registeredContract: await f.gateway.getAddress(),
      fund: funder(f),
    };
  });

  describe("transfer", function () {
    describe("when the amount exceeds the balance", function () {
      it("reverts with ERC20InsufficientBalance", async function () {
        const { token, consumer, provider } = await funded();
        await expect(token.connect(consumer).transfer(provider.address, BALANCE + 1n))
          .to.be.revertedWithCustomError(token, "ERC20InsufficientBalance")
          .withArgs(consumer.address, BALANCE, BALANCE + 1n);
      });
    });

    describe("when the recipient is the zero address", function () {
      it("reverts with ERC20InvalidReceiver", async function () {
        const { token, consumer } = await funded();
        await expect(token.connect(consumer).transfer(ZeroAddress, 1n))
          .to.be.revertedWithCustomError(token, "ERC20InvalidReceiver")
          .withArgs(ZeroAddress);
      });
    });

    describe("when the whole balance moves", function () {
      it("returns true, empties the sender and keeps both standings", async function () {
        const { token, consumer, provider } = await funded();
        expect(await token.connect(consumer).transfer.staticCall(provider.address, BALANCE)).to.equal(true);
        await token.connect(consumer).transfer(provider.address, BALANCE);
        expect(await token.balanceOf(consumer.address)).to.equal(0n);
        expect(await token.balanceOf(provider.address)).to.equal(2n * BALANCE);
        expect(await token.standingOf(consumer.address)).to.equal(AccountStanding.Member);
        expect(await token.standingOf(provider.address)).to.equal(AccountStanding.Member);
        expect(await token.totalSupply()).to.equal(2n * BALANCE);
      });
    });

    describe("when the amount is zero", function () {
      it("emits Transfer and changes nothing", async function () {
        const { token, consumer, provider } = await funded();
        await expect(token.connect(consumer).transfer(provider.address, 0n))
          .to.emit(token, "Transfer")
          .withArgs(consumer.address, provider.address, 0n);
        expect(await token.balanceOf(consumer.address)).to.equal(BALANCE);
      });
    });

    describe("when the sender is also the recipient", function () {
      it("emits Transfer and keeps the balance and the standing", async function () {
        const { token, consumer } = await funded();
        await expect(token.connect(consumer).transfer(consumer.address, BALANCE))
          .to.emit(token, "Transfer")
          .withArgs(consumer.address, consumer.address, BALANCE);
        expect(await token.balanceOf(consumer.address)).to.equal(BALANCE);
        expect(await token.standingOf(consumer.address)).to.equal(AccountStanding.Member);
        expect(await token.totalSupply()).to.equal(2n * BALANCE);
      });
    });

    describe("when the recipient's member has exited", function () {
      it("reverts with SettlementTokenNotMember naming the former account", async function () {
        const { token, consortium, consumer, licensor, memberIds } = await funded();
        await consortium.connect(licensor).requestExit();
        await networkHelpers.time.increase(NOTICE_PERIOD);
        await expect(consortium.completeExit(memberIds.licensor))
          .to.emit(token, "StandingChanged")
          .withArgs(licensor.address, AccountStanding.None);
        await expect(token.connect(consumer).transfer(licensor.address, 1n))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotMember")
          .withArgs(licensor.address);
      });
    });
  });

  describe("approve and allowance", function () {
    it("sets the allowance and emits Approval", async function () {
      const { token, consumer, provider } = await funded();
      await expect(token.connect(consumer).approve(provider.address, 300n))
        .to.emit(token, "Approval")
        .withArgs(consumer.address, provider.address, 300n);
      expect(await token.allowance(consumer.address, provider.address)).to.equal(300n);
    });

    it("replaces, not adds to, an earlier allowance", async function () {
      const { token, consumer, provider } = await funded();
      await token.connect(consumer).approve(provider.address, 300n);
      await token.connect(consumer).approve(provider.address, 100n);
      expect(await token.allowance(consumer.address, provider.address)).to.equal(100n);
    });

    describe("when the spender is the zero address", function () {
      it("reverts with ERC20InvalidSpender", async function () {
        const { token, consumer } = await funded();
        await expect(token.connect(consumer).approve(ZeroAddress, 1n))
          .to.be.revertedWithCustomError(token, "ERC20InvalidSpender")
          .withArgs(ZeroAddress);
      });
    });
  });

  describe("transferFrom", function () {
    it("moves the tokens, emits Transfer and spends the allowance", async function () {
      const { token, consumer, provider, licensor } = await funded();
      await token.connect(consumer).approve(provider.address, 300n);
      const tx = token.connect(provider).transferFrom(consumer.address, licensor.address, 200n);
      await expect(tx).to.emit(token, "Transfer").withArgs(consumer.address, licensor.address, 200n);
      await expect(tx).to.changeTokenBalances(ethers, token, [consumer, licensor, provider], [-200n, 200n, 0n]);
      expect(await token.allowance(consumer.address, provider.address)).to.equal(100n);
    });

    describe("when the allowance is unlimited", function () {
      it("does not spend it", async function () {
        const { token, consumer, provider } = await funded();
        await token.connect(consumer).approve(provider.address, ethers.MaxUint256);
        await token.connect(provider).transferFrom(consumer.address, provider.address, 200n);
        expect(await token.allowance(consumer.address, provider.address)).to.equal(ethers.MaxUint256);
      });
    });

    describe("when the amount exceeds the allowance", function () {
      it("reverts with ERC20InsufficientAllowance", async function () {
        const { token, consumer, provider } = await funded();
        await token.connect(consumer).approve(provider.address, 300n);
        await expect(token.connect(provider).transferFrom(consumer.address, provider.address, 301n))
          .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
          .withArgs(provider.address, 300n, 301n);
      });
    });

    describe("when the amount exceeds the holder's balance", function () {
      it("reverts with ERC20InsufficientBalance", async function () {
        const { token, consumer, provider } = await funded();
        await token.connect(consumer).approve(provider.address, ethers.MaxUint256);
        await expect(token.connect(provider).transferFrom(consumer.address, provider.address, BALANCE + 1n))
          .to.be.revertedWithCustomError(token, "ERC20InsufficientBalance")
          .withArgs(consumer.address, BALANCE, BALANCE + 1n);
      });
    });

    describe("when the holder is the zero address", function () {
      // OpenZeppelin spends the (zero) allowance first, which names the zero address as approver.
      it("reverts with ERC20InvalidApprover", async function () {
        const { token, consumer, provider } = await funded();
        await expect(token.connect(provider).transferFrom(ZeroAddress, consumer.address, 0n))
          .to.be.revertedWithCustomError(token, "ERC20InvalidApprover")
          .withArgs(ZeroAddress);
      });
    });

    describe("when the spender is not a member's account", function () {
      // The spender moves money too: an approval cannot let an outsider move members' tokens.
      it("reverts with SettlementTokenNotMember naming the spender", async function () {
        const { token, consumer, provider, outsider } = await funded();
        await token.connect(consumer).approve(outsider.address, 200n);
        await expect(token.connect(outsider).transferFrom(consumer.address, provider.address, 200n))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotMember")
          .withArgs(outsider.address);
      });
    });

    describe("when the spender's member is suspended", function () {
      it("reverts with SettlementTokenSenderFrozen naming the spender", async function () {
        const { token, consortium, operator, consumer, provider, memberIds } = await funded();
        await token.connect(consumer).approve(provider.address, 200n);
        await consortium.connect(operator).suspend(memberIds.provider, referenceHash("decision"));
        await expect(token.connect(provider).transferFrom(consumer.address, provider.address, 200n))
          .to.be.revertedWithCustomError(token, "SettlementTokenSenderFrozen")
          .withArgs(provider.address);
      });
    });
  });

  describe("when a registered contract pulls tokens itself", function () {
    it("receives them (the gateway locking a redemption)", async function () {
      const { token, gateway, consumer } = await funded();
      const gatewayAddress = await gateway.getAddress();
      await token.connect(consumer).approve(gatewayAddress, 400n);
      const tx = gateway.connect(consumer).requestRedemption(400n, referenceHash("payout instructions"));
      await expect(tx).to.emit(token, "Transfer").withArgs(consumer.address, gatewayAddress, 400n);
      await expect(tx).to.changeTokenBalances(ethers, token, [consumer, gatewayAddress], [-400n, 400n]);
    });

    it("sends them back out (the gateway refunding a rejected redemption)", async function () {
      const { token, gateway, operator, consumer } = await funded();
      const gatewayAddress = await gateway.getAddress();
      await token.connect(consumer).approve(gatewayAddress, 400n);
      await gateway.connect(consumer).requestRedemption(400n, referenceHash("payout instructions"));
      const tx = gateway.connect(operator).rejectRedemption(1n, referenceHash("rejected"));
      await expect(tx).to.emit(token, "Transfer").withArgs(gatewayAddress, consumer.address, 400n);
      await expect(tx).to.changeTokenBalances(ethers, token, [gatewayAddress, consumer], [-400n, 400n]);
    });
  });
});
