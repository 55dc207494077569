/*
SettlementToken
├── metadata: name, symbol, 6 decimals, MAX_SUPPLY, consortium, gateway
├── transfer
│   ├── between members: balances move, Transfer
│   ├── to a non-member: SettlementTokenNotMember(to)
│   ├── from a non-member: SettlementTokenNotMember(from)
│   ├── more than the balance: ERC20InsufficientBalance
│   ├── to the zero address: ERC20InvalidReceiver
│   ├── from a suspended member: SettlementTokenSenderFrozen; it still receives; reinstated it sends again
│   └── to a consortium contract: SettlementTokenUnsolicitedTransfer (direct and via transferFrom)
├── approve / transferFrom: Approval, allowance spent, ERC20InsufficientAllowance
├── mint / burn
│   ├── by anyone but the gateway: SettlementTokenNotGateway
│   ├── mint to a consortium contract: SettlementTokenMintToContract
│   └── above MAX_SUPPLY: SettlementTokenSupplyOverflow
├── setStanding
│   ├── by anyone but the Consortium: SettlementTokenNotConsortium
│   ├── None for an account holding tokens: SettlementTokenBalanceNotEmpty
│   └── pushed by the Consortium: StandingChanged
├── bindGateway: GatewayBound; again: SettlementTokenGatewayAlreadyBound; zero: SettlementTokenInvalidGateway;
│   by a non-operator: the Consortium's ConsortiumMissingRole / ConsortiumNotMember
└── pause / unpause: operators only; paused => no transfer, mint or burn (EnforcedPause); ExpectedPause
*/
import { expect } from "chai";
import { network } from "hardhat";

import { AccountStanding, Role } from "../../src/sdk/membership.js";
import { parseEuro } from "../../src/sdk/money.js";
import { referenceHash } from "../../src/sdk/references.js";
import { directGatewayFixture, mintTo, settlementLayerFixture } from "../helpers/fixtures.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const layer = settlementLayerFixture(connection);
const direct = directGatewayFixture(connection);

async function funded() {
  const f = await layer();
  await mintTo(f, f.consumer.address, parseEuro("1000"));
  await mintTo(f, f.provider.address, parseEuro("10"));
  return f;
}

describe("SettlementToken", function () {
  describe("metadata", function () {
    it("has the deployment's name and symbol, 6 decimals and a 128-bit supply cap", async function () {
      const { token, consortium, gateway } = await networkHelpers.loadFixture(layer);
      expect(await token.name()).to.equal("Capacity Euro");
      expect(await token.symbol()).to.equal("CEUR");
      expect(await token.decimals()).to.equal(6n);
      expect(await token.MAX_SUPPLY()).to.equal(2n ** 128n - 1n);
      expect(await token.consortium()).to.equal(await consortium.getAddress());
      expect(await token.gateway()).to.equal(await gateway.getAddress());
      expect(await token.totalSupply()).to.equal(0n);
    });
  });

  describe("transfer", function () {
    describe("between members", function () {
      it("moves the balance and emits Transfer", async function () {
        const { token, consumer, provider } = await networkHelpers.loadFixture(funded);
        await expect(token.connect(consumer).transfer(provider.address, parseEuro("250")))
          .to.emit(token, "Transfer")
          .withArgs(consumer.address, provider.address, parseEuro("250"));
        expect(await token.balanceOf(consumer.address)).to.equal(parseEuro("750"));
        expect(await token.balanceOf(provider.address)).to.equal(parseEuro("260"));
        expect(await token.totalSupply()).to.equal(parseEuro("1010"));
      });

      it("allows a transfer to oneself", async function () {
        const { token, consumer } = await networkHelpers.loadFixture(funded);
        await token.connect(consumer).transfer(consumer.address, parseEuro("1"));
        expect(await token.balanceOf(consumer.address)).to.equal(parseEuro("1000"));
      });
    });

    describe("when the recipient is not a member", function () {
      it("reverts with SettlementTokenNotMember naming the recipient", async function () {
        const { token, consumer, outsider } = await networkHelpers.loadFixture(funded);
        await expect(token.connect(consumer).transfer(outsider.address, 1n))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotMember")
          .withArgs(outsider.address);
      });
    });

    describe("when the sender is not a member", function () {
      it("reverts with SettlementTokenNotMember naming the sender", async function () {
        const { token, provider, outsider } = await networkHelpers.loadFixture(funded);
        await expect(token.connect(outsider).transfer(provider.address, 0n))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotMember")
          .withArgs(outsider.address);
      });
    });

    describe("when the amount exceeds the balance", function () {
      it("reverts with ERC20InsufficientBalance", async function () {
        const { token, provider, consumer } = await networkHelpers.loadFixture(funded);
        await expect(token.connect(provider).transfer(consumer.address, parseEuro("10") + 1n))
          .to.be.revertedWithCustomError(token, "ERC20InsufficientBalance")
          .withArgs(provider.address, parseEuro("10"), parseEuro("10") + 1n);
      });
    });

    describe("when the recipient is the zero address", function () {
      it("reverts with ERC20InvalidReceiver", async function () {
        const { token, consumer } = await networkHelpers.loadFixture(funded);
        await expect(token.connect(consumer).transfer(ethers.ZeroAddress, 1n))
          .to.be.revertedWithCustomError(token, "ERC20InvalidReceiver")
          .withArgs(ethers.ZeroAddress);
      });
    });

    describe("when the sender's member is suspended", function () {
      async function suspendedConsumer() {
        const f = await funded();
        await f.consortium.connect(f.operator).suspend(f.memberIds.consumer, referenceHash("decision"));
        return f;
      }

      it("reverts with SettlementTokenSenderFrozen", async function () {
        const { token, consumer, provider } = await networkHelpers.loadFixture(suspendedConsumer);
        await expect(token.connect(consumer).transfer(provider.address, 1n))
          .to.be.revertedWithCustomError(token, "SettlementTokenSenderFrozen")
          .withArgs(consumer.address);
      });

      it("still receives, so payouts and refunds owed to it never fail", async function () {
        const { token, consumer, provider } = await networkHelpers.loadFixture(suspendedConsumer);
        await token.connect(provider).transfer(consumer.address, parseEuro("5"));
        expect(await token.balanceOf(consumer.address)).to.equal(parseEuro("1005"));
      });

      it("sends again once reinstated", async function () {
        const { token, consortium, operator, consumer, provider, memberIds } =
          await networkHelpers.loadFixture(suspendedConsumer);
        await consortium.connect(operator).reinstate(memberIds.consumer);
        await expect(token.connect(consumer).transfer(provider.address, 1n)).to.emit(token, "Transfer");
      });
    });

    describe("when the recipient is a consortium contract", function () {
      it("reverts with SettlementTokenUnsolicitedTransfer on a direct transfer", async function () {
        const { token, gateway, consumer } = await networkHelpers.loadFixture(funded);
        await expect(token.connect(consumer).transfer(await gateway.getAddress(), 1n))
          .to.be.revertedWithCustomError(token, "SettlementTokenUnsolicitedTransfer")
          .withArgs(await gateway.getAddress());
      });

      it("reverts with SettlementTokenUnsolicitedTransfer when a third party pushes it there", async function () {
        const { token, gateway, consumer, provider } = await networkHelpers.loadFixture(funded);
        await token.connect(consumer).approve(provider.address, 1n);
        await expect(token.connect(provider).transferFrom(consumer.address, await gateway.getAddress(), 1n))
          .to.be.revertedWithCustomError(token, "SettlementTokenUnsolicitedTransfer")
          .withArgs(await gateway.getAddress());
      });

      it("accepts what the contract pulls itself", async function () {
        const { token, gateway, consumer } = await networkHelpers.loadFixture(funded);
        await token.connect(consumer).approve(await gateway.getAddress(), parseEuro("3"));
        await gateway.connect(consumer).requestRedemption(parseEuro("3"), referenceHash("payout"));
        expect(await token.balanceOf(await gateway.getAddress())).to.equal(parseEuro("3"));
      });
    });
  });

  describe("approve and transferFrom", function () {
    it("emits Approval and spends the allowance", async function () {
      const { token, consumer, provider } = await networkHelpers.loadFixture(funded);
      await expect(token.connect(consumer).approve(provider.address, parseEuro("100")))
        .to.emit(token, "Approval")
        .withArgs(consumer.address, provider.address, parseEuro("100"));
      await token.connect(provider).transferFrom(consumer.address, provider.address, parseEuro("40"));
      expect(await token.allowance(consumer.address, provider.address)).to.equal(parseEuro("60"));
      expect(await token.balanceOf(provider.address)).to.equal(parseEuro("50"));
    });

    it("reverts with ERC20InsufficientAllowance beyond the allowance", async function () {
      const { token, consumer, provider } = await networkHelpers.loadFixture(funded);
      await token.connect(consumer).approve(provider.address, 5n);
      await expect(token.connect(provider).transferFrom(consumer.address, provider.address, 6n))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
        .withArgs(provider.address, 5n, 6n);
    });

    it("still refuses a suspended owner's tokens to an approved spender", async function () {
      const { token, consortium, operator, consumer, provider, memberIds } = await networkHelpers.loadFixture(funded);
      await token.connect(consumer).approve(provider.address, 5n);
      await consortium.connect(operator).suspend(memberIds.consumer, referenceHash("decision"));
      await expect(token.connect(provider).transferFrom(consumer.address, provider.address, 5n))
        .to.be.revertedWithCustomError(token, "SettlementTokenSenderFrozen")
        .withArgs(consumer.address);
    });
  });

  describe("mint and burn", function () {
    it("reverts with SettlementTokenNotGateway for anyone but the gateway", async function () {
      const { token, operator, minter } = await networkHelpers.loadFixture(funded);
      await expect(token.connect(minter).mint(operator.address, 1n))
        .to.be.revertedWithCustomError(token, "SettlementTokenNotGateway")
        .withArgs(minter.address);
      await expect(token.connect(operator).burn(1n))
        .to.be.revertedWithCustomError(token, "SettlementTokenNotGateway")
        .withArgs(operator.address);
    });

    it("mints to members with a Transfer from the zero address", async function () {
      const { token, minter, consumer } = await networkHelpers.loadFixture(direct);
      await expect(token.connect(minter).mint(consumer.address, 500n))
        .to.emit(token, "Transfer")
        .withArgs(ethers.ZeroAddress, consumer.address, 500n);
      expect(await token.totalSupply()).to.equal(500n);
    });

    it("mints to a suspended member's account, which may receive", async function () {
      const { token, consortium, operator, minter, consumer } = await networkHelpers.loadFixture(direct);
      await consortium.connect(operator).suspend(3n, referenceHash("decision"));
      await token.connect(minter).mint(consumer.address, 7n);
      expect(await token.balanceOf(consumer.address)).to.equal(7n);
    });

    it("reverts with SettlementTokenMintToContract when minting to a consortium contract", async function () {
      const { token, minter, obligations } = await networkHelpers.loadFixture(direct);
      await expect(token.connect(minter).mint(await obligations.getAddress(), 1n))
        .to.be.revertedWithCustomError(token, "SettlementTokenMintToContract")
        .withArgs(await obligations.getAddress());
    });

    it("reverts with SettlementTokenNotMember when minting to a non-member", async function () {
      const { token, minter, outsider } = await networkHelpers.loadFixture(direct);
      await expect(token.connect(minter).mint(outsider.address, 1n))
        .to.be.revertedWithCustomError(token, "SettlementTokenNotMember")
        .withArgs(outsider.address);
    });

    it("reverts with SettlementTokenSupplyOverflow above MAX_SUPPLY", async function () {
      const { token, minter, consumer, provider } = await networkHelpers.loadFixture(direct);
      const max = await token.MAX_SUPPLY();
      await token.connect(minter).mint(consumer.address, max);
      expect(await token.balanceOf(consumer.address)).to.equal(max);
      await expect(token.connect(minter).mint(provider.address, 1n))
        .to.be.revertedWithCustomError(token, "SettlementTokenSupplyOverflow")
        .withArgs(max, 1n);
      await token.connect(consumer).transfer(provider.address, max);
      expect(await token.balanceOf(provider.address)).to.equal(max);
      expect(await token.standingOf(provider.address)).to.equal(BigInt(AccountStanding.Member));
    });
  });

  describe("setStanding", function () {
    it("reverts with SettlementTokenNotConsortium for anyone but the Consortium", async function () {
      const { token, operator, outsider } = await networkHelpers.loadFixture(layer);
      await expect(token.connect(operator).setStanding(outsider.address, AccountStanding.Member))
        .to.be.revertedWithCustomError(token, "SettlementTokenNotConsortium")
        .withArgs(operator.address);
    });

    it("reverts with SettlementTokenBalanceNotEmpty when clearing an account that holds tokens", async function () {
      const { token, consortium, consumer, spare } = await networkHelpers.loadFixture(funded);
      await consortium.connect(consumer).addAccount(spare[0]!.address);
      await expect(consortium.connect(spare[0]!).removeAccount(consumer.address))
        .to.be.revertedWithCustomError(token, "SettlementTokenBalanceNotEmpty")
        .withArgs(consumer.address, parseEuro("1000"));
    });

    it("emits StandingChanged for every change the Consortium pushes", async function () {
      const { token, consortium, operator, spare, memberIds } = await networkHelpers.loadFixture(layer);
      const newcomer = spare[0]!;
      await expect(consortium.connect(operator).admit([newcomer.address], 0, referenceHash("m")))
        .to.emit(token, "StandingChanged")
        .withArgs(newcomer.address, AccountStanding.Member);
      const provider = (await consortium.accountsOf(memberIds.provider))[0]!;
      await expect(consortium.connect(operator).suspend(memberIds.provider, referenceHash("d")))
        .to.emit(token, "StandingChanged")
        .withArgs(provider, AccountStanding.Frozen);
      expect(await token.standingOf(provider)).to.equal(BigInt(AccountStanding.Frozen));
    });
  });

  describe("bindGateway", function () {
    async function unbound() {
      const f = await layer();
      const token = await ethers.deployContract("SettlementToken", [await f.consortium.getAddress(), "T", "T"]);
      return { ...f, fresh: token };
    }

    it("binds once and emits GatewayBound", async function () {
      const { fresh, operator, minter } = await networkHelpers.loadFixture(unbound);
      await expect(fresh.connect(operator).bindGateway(minter.address))
        .to.emit(fresh, "GatewayBound")
        .withArgs(minter.address);
      expect(await fresh.gateway()).to.equal(minter.address);
    });

    it("reverts with SettlementTokenGatewayAlreadyBound the second time", async function () {
      const { token, gateway, operator, minter } = await networkHelpers.loadFixture(layer);
      await expect(token.connect(operator).bindGateway(minter.address))
        .to.be.revertedWithCustomError(token, "SettlementTokenGatewayAlreadyBound")
        .withArgs(await gateway.getAddress());
    });

    it("reverts with SettlementTokenInvalidGateway for the zero address", async function () {
      const { fresh, operator } = await networkHelpers.loadFixture(unbound);
      await expect(fresh.connect(operator).bindGateway(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(fresh, "SettlementTokenInvalidGateway")
        .withArgs(ethers.ZeroAddress);
    });

    it("refuses callers that are not operators with the Consortium's error", async function () {
      const { fresh, consortium, provider, outsider, memberIds } = await networkHelpers.loadFixture(unbound);
      await expect(fresh.connect(provider).bindGateway(provider.address))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
        .withArgs(memberIds.provider, Role.Operator);
      await expect(fresh.connect(outsider).bindGateway(outsider.address))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotMember")
        .withArgs(outsider.address);
    });
  });

  describe("pause and unpause", function () {
    async function paused() {
      const f = await funded();
      await f.token.connect(f.operator).pause();
      return f;
    }

    it("lets operators pause and unpause, with events", async function () {
      const { token, operator } = await networkHelpers.loadFixture(funded);
      await expect(token.connect(operator).pause()).to.emit(token, "Paused").withArgs(operator.address);
      expect(await token.paused()).to.equal(true);
      await expect(token.connect(operator).unpause()).to.emit(token, "Unpaused").withArgs(operator.address);
    });

    it("refuses members without the operator role", async function () {
      const { token, consortium, auditor, memberIds } = await networkHelpers.loadFixture(funded);
      await expect(token.connect(auditor).pause())
        .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
        .withArgs(memberIds.auditor, Role.Operator);
    });

    describe("when paused", function () {
      it("reverts transfers, mints and burns with EnforcedPause", async function () {
        const f = await networkHelpers.loadFixture(paused);
        await expect(f.token.connect(f.consumer).transfer(f.provider.address, 1n)).to.be.revertedWithCustomError(
          f.token,
          "EnforcedPause",
        );
        await expect(
          f.gateway.connect(f.minter).mint(f.consumer.address, 1n, referenceHash("while paused")),
        ).to.be.revertedWithCustomError(f.token, "EnforcedPause");
      });

      it("reverts pausing again with EnforcedPause", async function () {
        const { token, operator } = await networkHelpers.loadFixture(paused);
        await expect(token.connect(operator).pause()).to.be.revertedWithCustomError(token, "EnforcedPause");
      });
    });

    it("reverts unpausing an unpaused token with ExpectedPause", async function () {
      const { token, operator } = await networkHelpers.loadFixture(funded);
      await expect(token.connect(operator).unpause()).to.be.revertedWithCustomError(token, "ExpectedPause");
    });

    it("blocks burning a paid redemption while paused", async function () {
      const f = await networkHelpers.loadFixture(funded);
      await f.token.connect(f.consumer).approve(await f.gateway.getAddress(), 10n);
      await f.gateway.connect(f.consumer).requestRedemption(10n, referenceHash("payout"));
      await f.token.connect(f.operator).pause();
      await expect(
        f.gateway.connect(f.operator).markRedemptionPaid(1n, referenceHash("bank tx")),
      ).to.be.revertedWithCustomError(f.token, "EnforcedPause");
    });
  });
});
