import { expect } from "chai";
import { ZeroAddress } from "ethers";

import { AccountStanding, Role, roleMask } from "../../../src/core/membership.js";
import { referenceHash } from "../../../src/core/references.js";
import { BALANCE, deployHandWired, ethers, funded, handWired, MAX_SUPPLY, networkHelpers } from "./fixture.js";

async function deployHandWiredWithGateway() {
  const f = await networkHelpers.loadFixture(deployHandWired);
  await f.token.connect(f.operator).bindGateway(f.gatewayKey.address);
  return f;
}

async function handWiredWithGateway() {
  return networkHelpers.loadFixture(deployHandWiredWithGateway);
}

describe("SettlementToken", function () {
  describe("mint", function () {
    describe("when the caller is not the gateway", function () {
      it("reverts with SettlementTokenNotGateway", async function () {
        const { token, operator, consumer } = await funded();
        await expect(token.connect(operator).mint(consumer.address, 1n))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotGateway")
          .withArgs(operator.address);
      });
    });

    describe("when the recipient is a consortium contract", function () {
      it("reverts with SettlementTokenMintToContract", async function () {
        const { token, gateway, minter } = await funded();
        const gatewayAddress = await gateway.getAddress();
        await expect(gateway.connect(minter).mint(gatewayAddress, 1n, referenceHash("deposit to a contract")))
          .to.be.revertedWithCustomError(token, "SettlementTokenMintToContract")
          .withArgs(gatewayAddress);
      });
    });

    describe("when the recipient is not a member's account", function () {
      it("reverts with SettlementTokenNotMember", async function () {
        const { token, gateway, minter, outsider } = await funded();
        await expect(gateway.connect(minter).mint(outsider.address, 1n, referenceHash("deposit to an outsider")))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotMember")
          .withArgs(outsider.address);
      });
    });

    describe("when the recipient is the zero address", function () {
      it("reverts with ERC20InvalidReceiver", async function () {
        const { token, gateway, minter } = await funded();
        await expect(gateway.connect(minter).mint(ZeroAddress, 1n, referenceHash("deposit to nobody")))
          .to.be.revertedWithCustomError(token, "ERC20InvalidReceiver")
          .withArgs(ZeroAddress);
      });
    });

    describe("when the recipient's member is suspended", function () {
      it("credits the frozen account", async function () {
        const { token, consortium, gateway, operator, minter, consumer, memberIds } = await funded();
        await consortium.connect(operator).suspend(memberIds.consumer, referenceHash("suspension"));
        await expect(
          gateway.connect(minter).mint(consumer.address, 5n, referenceHash("deposit while suspended")),
        ).to.changeTokenBalance(ethers, token, consumer, 5n);
      });
    });

    describe("when the recipient's member asked to leave", function () {
      it("credits the leaving account: a bank deposit is owed to it", async function () {
        const { token, consortium, gateway, minter, consumer } = await funded();
        await consortium.connect(consumer).requestExit();
        expect(await token.standingOf(consumer.address)).to.equal(AccountStanding.Leaving);
        await expect(
          gateway.connect(minter).mint(consumer.address, 5n, referenceHash("deposit while leaving")),
        ).to.changeTokenBalance(ethers, token, consumer, 5n);
      });
    });

    describe("when the gateway mints to a member's account", function () {
      it("credits it, raises the supply and emits Transfer from the zero address", async function () {
        const { token, gateway, minter, licensor } = await funded();
        const tx = gateway.connect(minter).mint(licensor.address, 70n, referenceHash("licensor deposit"));
        await expect(tx).to.emit(token, "Transfer").withArgs(ZeroAddress, licensor.address, 70n);
        await expect(tx).to.changeTokenBalance(ethers, token, licensor, 70n);
        expect(await token.totalSupply()).to.equal(2n * BALANCE + 70n);
      });
    });

    describe("when the supply would pass MAX_SUPPLY", function () {
      it("mints up to MAX_SUPPLY without touching the account's standing", async function () {
        const { token, gatewayKey, provider } = await handWiredWithGateway();
        await token.connect(gatewayKey).mint(provider.address, MAX_SUPPLY);
        expect(await token.totalSupply()).to.equal(MAX_SUPPLY);
        expect(await token.balanceOf(provider.address)).to.equal(MAX_SUPPLY);
        expect(await token.standingOf(provider.address)).to.equal(AccountStanding.Member);
      });

      it("moves a balance of MAX_SUPPLY whole without touching either standing", async function () {
        const { token, gatewayKey, provider, operator } = await handWiredWithGateway();
        await token.connect(gatewayKey).mint(provider.address, MAX_SUPPLY);
        await token.connect(provider).transfer(operator.address, MAX_SUPPLY);
        expect(await token.balanceOf(operator.address)).to.equal(MAX_SUPPLY);
        expect(await token.balanceOf(provider.address)).to.equal(0n);
        expect(await token.standingOf(operator.address)).to.equal(AccountStanding.Member);
        expect(await token.standingOf(provider.address)).to.equal(AccountStanding.Member);
      });

      it("reverts with SettlementTokenSupplyOverflow when the supply is full", async function () {
        const { token, gatewayKey, provider } = await handWiredWithGateway();
        await token.connect(gatewayKey).mint(provider.address, MAX_SUPPLY);
        await expect(token.connect(gatewayKey).mint(provider.address, 1n))
          .to.be.revertedWithCustomError(token, "SettlementTokenSupplyOverflow")
          .withArgs(MAX_SUPPLY, 1n);
      });

      it("reverts with SettlementTokenSupplyOverflow one unit past the limit", async function () {
        const { token, gatewayKey, provider } = await handWiredWithGateway();
        await token.connect(gatewayKey).mint(provider.address, 5n);
        await expect(token.connect(gatewayKey).mint(provider.address, MAX_SUPPLY - 4n))
          .to.be.revertedWithCustomError(token, "SettlementTokenSupplyOverflow")
          .withArgs(5n, MAX_SUPPLY - 4n);
        await token.connect(gatewayKey).mint(provider.address, MAX_SUPPLY - 5n);
        expect(await token.totalSupply()).to.equal(MAX_SUPPLY);
      });

      it("reverts with SettlementTokenSupplyOverflow for an amount above 128 bits", async function () {
        const { token, gatewayKey, provider } = await handWiredWithGateway();
        await expect(token.connect(gatewayKey).mint(provider.address, MAX_SUPPLY + 1n))
          .to.be.revertedWithCustomError(token, "SettlementTokenSupplyOverflow")
          .withArgs(0n, MAX_SUPPLY + 1n);
      });
    });
  });

  describe("burn", function () {
    describe("when the caller is not the gateway", function () {
      it("reverts with SettlementTokenNotGateway", async function () {
        const { token, consumer } = await funded();
        await expect(token.connect(consumer).burn(1n))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotGateway")
          .withArgs(consumer.address);
      });
    });

    describe("when the gateway burns a paid redemption", function () {
      it("destroys its own tokens, lowers the supply and emits Transfer to the zero address", async function () {
        const { token, gateway, operator, consumer } = await funded();
        const gatewayAddress = await gateway.getAddress();
        await token.connect(consumer).approve(gatewayAddress, 400n);
        await gateway.connect(consumer).requestRedemption(400n, referenceHash("payout instructions"));
        const tx = gateway.connect(operator).markRedemptionPaid(1n, referenceHash("bank tx"));
        await expect(tx).to.emit(token, "Transfer").withArgs(gatewayAddress, ZeroAddress, 400n);
        await expect(tx).to.changeTokenBalance(ethers, token, gatewayAddress, -400n);
        expect(await token.totalSupply()).to.equal(2n * BALANCE - 400n);
      });
    });

    describe("when a bound gateway holds fewer tokens than it burns", function () {
      it("reverts with ERC20InsufficientBalance", async function () {
        const { token, consortium, operator, gatewayKey } = await handWiredWithGateway();
        await consortium
          .connect(operator)
          .admit([gatewayKey.address], roleMask(Role.Consumer), referenceHash("gateway key as member"));
        await token.connect(gatewayKey).mint(gatewayKey.address, 10n);
        await expect(token.connect(gatewayKey).burn(11n))
          .to.be.revertedWithCustomError(token, "ERC20InsufficientBalance")
          .withArgs(gatewayKey.address, 10n, 11n);
        await token.connect(gatewayKey).burn(10n);
        expect(await token.totalSupply()).to.equal(0n);
      });
    });
  });

  describe("bindGateway", function () {
    describe("when a gateway is already bound", function () {
      it("reverts with SettlementTokenGatewayAlreadyBound naming it", async function () {
        const { token, gateway, operator, outsider } = await funded();
        await expect(token.connect(operator).bindGateway(outsider.address))
          .to.be.revertedWithCustomError(token, "SettlementTokenGatewayAlreadyBound")
          .withArgs(await gateway.getAddress());
      });
    });

    describe("when the caller is a member without the operator role", function () {
      it("reverts with ConsortiumMissingRole", async function () {
        const { token, consortium, provider } = await handWired();
        const [providerId] = await consortium.memberOf(provider.address);
        expect(providerId).to.equal(2n);
        await expect(token.connect(provider).bindGateway(provider.address))
          .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
          .withArgs(providerId, Role.Operator);
      });
    });

    describe("when the caller is not a member", function () {
      it("reverts with ConsortiumNotMember", async function () {
        const { token, consortium, outsider } = await handWired();
        await expect(token.connect(outsider).bindGateway(outsider.address))
          .to.be.revertedWithCustomError(consortium, "ConsortiumNotMember")
          .withArgs(outsider.address);
      });
    });

    describe("when the gateway is the zero address", function () {
      it("reverts with SettlementTokenInvalidGateway", async function () {
        const { token, operator } = await handWired();
        await expect(token.connect(operator).bindGateway(ZeroAddress))
          .to.be.revertedWithCustomError(token, "SettlementTokenInvalidGateway")
          .withArgs(ZeroAddress);
      });
    });

    describe("when an operator binds a gateway", function () {
      it("binds it once and emits GatewayBound", async function () {
        const { token, operator, gatewayKey, outsider } = await handWired();
        await expect(token.connect(operator).bindGateway(gatewayKey.address))
          .to.emit(token, "GatewayBound")
          .withArgs(gatewayKey.address);
        expect(await token.gateway()).to.equal(gatewayKey.address);
        await expect(token.connect(operator).bindGateway(outsider.address))
          .to.be.revertedWithCustomError(token, "SettlementTokenGatewayAlreadyBound")
          .withArgs(gatewayKey.address);
      });
    });
  });
});
