import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { ZeroAddress } from "ethers";
import { network } from "hardhat";

import { parseEuro } from "../../src/core/money.js";
import { AccountStanding, Role, roleMask } from "../../src/core/membership.js";
import { referenceHash } from "../../src/core/references.js";
import {
  actors,
  AGREEMENT_V1,
  FOUNDER_METADATA,
  NOTICE_PERIOD,
  settlementLayerFixture,
  type SettlementLayerFixture,
} from "../helpers/fixtures.js";
import { funder } from "../helpers/funding.js";
import { AGREEMENT_V2 } from "../helpers/registry.js";
import { shouldBehaveLikeMemberOnlyToken } from "../helpers/memberOnlyToken.js";
import { spareKey } from "../helpers/signers.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const deploySettlementLayer = settlementLayerFixture(connection);

const MAX_SUPPLY = 2n ** 128n - 1n;
const BALANCE = parseEuro("1000");

interface FundedFixture extends SettlementLayerFixture {
  fund: (to: string, amount: bigint) => Promise<void>;
}

/** The settlement layer with BALANCE minted to the consumer and to the provider. */
async function deployFunded(): Promise<FundedFixture> {
  const f = await networkHelpers.loadFixture(deploySettlementLayer);
  const fund = funder(f);
  await fund(f.consumer.address, BALANCE);
  await fund(f.provider.address, BALANCE);
  return { ...f, fund };
}

async function funded(): Promise<FundedFixture> {
  return networkHelpers.loadFixture(deployFunded);
}

/**
 * A Consortium and a token wired by hand, without a FiatGateway: `gatewayKey` is a plain test account
 * that an operator can bind as gateway, so that tests call `mint` and `burn` directly.
 */
async function deployHandWired() {
  const who = await actors(connection);
  const gatewayKey = spareKey(who, 0);
  const consortium = await ethers.deployContract(
    "Consortium",
    [[who.operator.address], FOUNDER_METADATA, AGREEMENT_V1, NOTICE_PERIOD],
    who.operator,
  );
  const token = await ethers.deployContract(
    "SettlementToken",
    [await consortium.getAddress(), "Capacity Euro", "CEUR"],
    who.operator,
  );
  await consortium.connect(who.operator).bindToken(await token.getAddress());
  await consortium
    .connect(who.operator)
    .admit([who.provider.address], roleMask(Role.Provider), referenceHash("provider record"));
  return { ...who, consortium, token, gatewayKey };
}

async function handWired() {
  return networkHelpers.loadFixture(deployHandWired);
}

async function deployHandWiredWithGateway() {
  const f = await networkHelpers.loadFixture(deployHandWired);
  await f.token.connect(f.operator).bindGateway(f.gatewayKey.address);
  return f;
}

async function handWiredWithGateway() {
  return networkHelpers.loadFixture(deployHandWiredWithGateway);
}

/** A signer for `address` (a contract's, here), impersonated and given ether for gas. */
async function impersonate(address: string): Promise<HardhatEthersSigner> {
  await networkHelpers.setBalance(address, 10n ** 20n);
  return ethers.getImpersonatedSigner(address);
}

interface HeldFixture extends FundedFixture {
  /** A registered contract (a MockObligations, System standing) whose address the tests sign for. */
  holder: HardhatEthersSigner;
  /** A second registered contract, to escrow from the first. */
  otherHolder: HardhatEthersSigner;
}

/** The funded layer with two registered contracts; the consumer approved the first for its whole balance. */
async function deployWithHolders() {
  const f = await networkHelpers.loadFixture(deployFunded);
  const addresses: string[] = [];
  for (let i = 0; i < 2; i++) {
    const mock = await ethers.deployContract("MockObligations");
    const address = await mock.getAddress();
    await f.consortium.connect(f.operator).registerContract(address);
    await networkHelpers.setBalance(address, 10n ** 20n);
    addresses.push(address);
  }
  await f.token.connect(f.consumer).approve(addresses[0]!, BALANCE);
  return { ...f, addresses };
}

/** {deployWithHolders}, with signers for the two registered contracts (impersonated). */
async function withHolders(): Promise<HeldFixture> {
  const { addresses, ...f } = await networkHelpers.loadFixture(deployWithHolders);
  const holder = await ethers.getImpersonatedSigner(addresses[0]!);
  const otherHolder = await ethers.getImpersonatedSigner(addresses[1]!);
  return { ...f, holder, otherHolder };
}

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

  describe("setStanding", function () {
    describe("when the caller is not the Consortium", function () {
      it("reverts with SettlementTokenNotConsortium", async function () {
        const { token, operator, outsider } = await funded();
        await expect(token.connect(operator).setStanding(outsider.address, AccountStanding.Member))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotConsortium")
          .withArgs(operator.address);
      });
    });

    describe("when the Consortium clears an account that holds tokens", function () {
      // A removal sweeps the balance first (see sweep), so only an exit can ask to clear a funded account.
      it("reverts completeExit with SettlementTokenBalanceNotEmpty", async function () {
        const { token, consortium, consumer, memberIds } = await funded();
        await consortium.connect(consumer).requestExit();
        await networkHelpers.time.increase(NOTICE_PERIOD);
        await expect(consortium.connect(consumer).completeExit(memberIds.consumer))
          .to.be.revertedWithCustomError(token, "SettlementTokenBalanceNotEmpty")
          .withArgs(consumer.address, BALANCE);
      });

      it("reverts a direct setStanding(None) with SettlementTokenBalanceNotEmpty", async function () {
        const { token, consortium, consumer } = await funded();
        const asConsortium = await impersonate(await consortium.getAddress());
        await expect(token.connect(asConsortium).setStanding(consumer.address, AccountStanding.None))
          .to.be.revertedWithCustomError(token, "SettlementTokenBalanceNotEmpty")
          .withArgs(consumer.address, BALANCE);
      });
    });

    describe("when the Consortium clears an account that contracts hold", function () {
      it("reverts removeAccount with SettlementTokenAccountHeld, even with an empty balance", async function () {
        const f = await withHolders();
        const { token, consortium, consumer, holder, fund } = f;
        const second = spareKey(f, 0);
        await consortium.connect(consumer).addAccount(second.address);
        await fund(second.address, 42n);
        await token.connect(second).approve(holder.address, 42n);
        await token.connect(holder).escrowFrom(second.address, 21n, Role.Consumer);
        await token.connect(holder).escrowFrom(second.address, 21n, Role.Consumer);
        await expect(consortium.connect(consumer).removeAccount(second.address))
          .to.be.revertedWithCustomError(token, "SettlementTokenAccountHeld")
          .withArgs(second.address, 2n);
        await token.connect(holder).releaseTo(second.address, 0n);
        await expect(consortium.connect(consumer).removeAccount(second.address))
          .to.be.revertedWithCustomError(token, "SettlementTokenAccountHeld")
          .withArgs(second.address, 1n);
        await token.connect(holder).releaseTo(second.address, 0n);
        await expect(consortium.connect(consumer).removeAccount(second.address))
          .to.emit(token, "StandingChanged")
          .withArgs(second.address, AccountStanding.None);
      });

      it("reverts completeExit with SettlementTokenAccountHeld; the balance is checked first", async function () {
        const f = await withHolders();
        const { token, consortium, operator, holder, fund } = f;
        const leaver = spareKey(f, 0);
        await consortium.connect(operator).admit([leaver.address], roleMask(Role.Consumer), referenceHash("leaver"));
        await consortium.connect(leaver).acceptAgreement(AGREEMENT_V1);
        const id = await consortium.memberCount();
        await fund(leaver.address, 42n);
        await token.connect(leaver).approve(holder.address, 40n);
        await token.connect(holder).escrowFrom(leaver.address, 40n, Role.Consumer);
        await consortium.connect(leaver).requestExit();
        await networkHelpers.time.increase(NOTICE_PERIOD);
        // The holder reports no obligations, as a contract that forgot to would.
        await expect(consortium.connect(leaver).completeExit(id))
          .to.be.revertedWithCustomError(token, "SettlementTokenBalanceNotEmpty")
          .withArgs(leaver.address, 2n);
        await token.connect(leaver).transfer(f.consumer.address, 2n);
        await expect(consortium.connect(leaver).completeExit(id))
          .to.be.revertedWithCustomError(token, "SettlementTokenAccountHeld")
          .withArgs(leaver.address, 1n);
        await token.connect(holder).releaseTo(leaver.address, 0n);
        await expect(consortium.connect(leaver).completeExit(id)).to.emit(consortium, "MemberExited").withArgs(id);
        expect(await token.standingOf(leaver.address)).to.equal(AccountStanding.None);
      });
    });

    describe("when the Consortium clears an empty account", function () {
      it("sets None and emits StandingChanged", async function () {
        const f = await funded();
        const { token, consortium, consumer } = f;
        const second = spareKey(f, 0);
        await consortium.connect(consumer).addAccount(second.address);
        await expect(consortium.connect(consumer).removeAccount(second.address))
          .to.emit(token, "StandingChanged")
          .withArgs(second.address, AccountStanding.None);
        expect(await token.standingOf(second.address)).to.equal(AccountStanding.None);
      });
    });

    describe("when the Consortium admits a member", function () {
      it("sets Member for each account and emits StandingChanged", async function () {
        const f = await funded();
        const { token, consortium, operator } = f;
        const [first, second] = [spareKey(f, 0), spareKey(f, 1)];
        const tx = consortium
          .connect(operator)
          .admit([first.address, second.address], roleMask(Role.Provider), referenceHash("new member"));
        await expect(tx).to.emit(token, "StandingChanged").withArgs(first.address, AccountStanding.Member);
        await expect(tx).to.emit(token, "StandingChanged").withArgs(second.address, AccountStanding.Member);
        expect(await token.standingOf(second.address)).to.equal(AccountStanding.Member);
      });
    });

    describe("when the Consortium registers a contract", function () {
      it("sets System and emits StandingChanged", async function () {
        const { token, consortium, operator } = await funded();
        const registry = await ethers.deployContract("MockObligations");
        const address = await registry.getAddress();
        await expect(consortium.connect(operator).registerContract(address))
          .to.emit(token, "StandingChanged")
          .withArgs(address, AccountStanding.System);
        expect(await token.standingOf(address)).to.equal(AccountStanding.System);
      });
    });

    describe("when the Consortium suspends and reinstates a member holding tokens", function () {
      it("keeps the balance next to the changing standing", async function () {
        const { token, consortium, operator, consumer, memberIds } = await funded();
        await consortium.connect(operator).suspend(memberIds.consumer, referenceHash("suspension"));
        expect(await token.standingOf(consumer.address)).to.equal(AccountStanding.Frozen);
        expect(await token.balanceOf(consumer.address)).to.equal(BALANCE);
        await consortium.connect(operator).reinstate(memberIds.consumer);
        expect(await token.standingOf(consumer.address)).to.equal(AccountStanding.Member);
        expect(await token.balanceOf(consumer.address)).to.equal(BALANCE);
        expect(await token.totalSupply()).to.equal(2n * BALANCE);
      });
    });
  });

  describe("setRoles, activeRolesOf and agreementOf", function () {
    describe("when the caller is not the Consortium", function () {
      it("reverts with SettlementTokenNotConsortium", async function () {
        const { token, operator, outsider } = await funded();
        await expect(token.connect(operator).setRoles(outsider.address, roleMask(Role.Consumer), 1))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotConsortium")
          .withArgs(operator.address);
      });
    });

    describe("when the Consortium admits a member", function () {
      it("sets the member's roles and agreement version 0 on each account and emits RolesChanged", async function () {
        const f = await funded();
        const { token, consortium, operator } = f;
        const [first, second] = [spareKey(f, 0), spareKey(f, 1)];
        const roles = roleMask(Role.Provider, Role.Consumer);
        const tx = consortium.connect(operator).admit([first.address, second.address], roles, referenceHash("new"));
        await expect(tx).to.emit(token, "RolesChanged").withArgs(first.address, roles, 0);
        await expect(tx).to.emit(token, "RolesChanged").withArgs(second.address, roles, 0);
        expect(await token.agreementOf(first.address)).to.equal(0n);
      });

      describe("until the member accepts the current agreement", function () {
        it("reports no active roles; accepting pushes the version to every account", async function () {
          const f = await funded();
          const { token, consortium, operator } = f;
          const [first, second] = [spareKey(f, 0), spareKey(f, 1)];
          const roles = roleMask(Role.Provider, Role.Consumer);
          await consortium.connect(operator).admit([first.address, second.address], roles, referenceHash("new"));
          expect(await token.activeRolesOf(first.address)).to.equal(0n);
          expect(await token.activeRolesOf(second.address)).to.equal(0n);
          const accepted = consortium.connect(second).acceptAgreement(AGREEMENT_V1);
          await expect(accepted).to.emit(token, "RolesChanged").withArgs(first.address, roles, 1);
          await expect(accepted).to.emit(token, "RolesChanged").withArgs(second.address, roles, 1);
          for (const account of [first.address, second.address]) {
            expect(await token.activeRolesOf(account)).to.equal(BigInt(roles));
            expect(await token.agreementOf(account)).to.equal(1n);
          }
        });
      });
    });

    describe("when operators publish a new agreement", function () {
      it("reports no active roles for members still on the old one, until each accepts it", async function () {
        const { token, consortium, operator, consumer, provider } = await funded();
        await consortium.connect(operator).publishAgreement(AGREEMENT_V2);
        for (const account of [consumer, provider]) {
          expect(await token.activeRolesOf(account.address)).to.equal(0n);
          expect(await token.agreementOf(account.address)).to.equal(1n);
          // Standing and money are untouched: old business goes on.
          expect(await token.standingOf(account.address)).to.equal(AccountStanding.Member);
        }
        await expect(consortium.connect(consumer).acceptAgreement(AGREEMENT_V2))
          .to.emit(token, "RolesChanged")
          .withArgs(consumer.address, roleMask(Role.Consumer), 2);
        expect(await token.activeRolesOf(consumer.address)).to.equal(BigInt(roleMask(Role.Consumer)));
        expect(await token.activeRolesOf(provider.address)).to.equal(0n);
        await token.connect(consumer).transfer(provider.address, 1n);
      });
    });

    describe("when the member asked to leave", function () {
      it("reports no active roles while Leaving, and its roles again once it cancels", async function () {
        const { token, consortium, consumer } = await funded();
        await consortium.connect(consumer).requestExit();
        expect(await token.standingOf(consumer.address)).to.equal(AccountStanding.Leaving);
        expect(await token.activeRolesOf(consumer.address)).to.equal(0n);
        expect(await token.agreementOf(consumer.address)).to.equal(1n);
        await consortium.connect(consumer).cancelExit();
        expect(await token.activeRolesOf(consumer.address)).to.equal(BigInt(roleMask(Role.Consumer)));
      });
    });

    describe("when the member exits", function () {
      it("clears the roles and the agreement version with the standing", async function () {
        const { token, consortium, licensor, memberIds } = await funded();
        await consortium.connect(licensor).requestExit();
        await networkHelpers.time.increase(NOTICE_PERIOD);
        await consortium.connect(licensor).completeExit(memberIds.licensor);
        expect(await token.activeRolesOf(licensor.address)).to.equal(0n);
        expect(await token.agreementOf(licensor.address)).to.equal(0n);
      });
    });

    describe("when operators grant and revoke a role", function () {
      it("changes the roles of every account of the member", async function () {
        const f = await funded();
        const { token, consortium, operator, consumer, memberIds } = f;
        const second = spareKey(f, 0);
        await consortium.connect(consumer).addAccount(second.address);
        expect(await token.activeRolesOf(second.address)).to.equal(BigInt(roleMask(Role.Consumer)));
        const both = roleMask(Role.Consumer, Role.Provider);
        const granted = consortium.connect(operator).grantMemberRole(memberIds.consumer, Role.Provider);
        await expect(granted).to.emit(token, "RolesChanged").withArgs(consumer.address, both, 1);
        await expect(granted).to.emit(token, "RolesChanged").withArgs(second.address, both, 1);
        await consortium.connect(operator).revokeMemberRole(memberIds.consumer, Role.Consumer);
        for (const account of [consumer.address, second.address]) {
          expect(await token.activeRolesOf(account)).to.equal(BigInt(roleMask(Role.Provider)));
        }
        expect(await token.balanceOf(consumer.address)).to.equal(BALANCE);
      });
    });

    describe("when the member is suspended", function () {
      it("reports no active roles until it is reinstated", async function () {
        const { token, consortium, operator, consumer, memberIds } = await funded();
        await consortium.connect(operator).suspend(memberIds.consumer, referenceHash("suspension"));
        expect(await token.activeRolesOf(consumer.address)).to.equal(0n);
        await consortium.connect(operator).reinstate(memberIds.consumer);
        expect(await token.activeRolesOf(consumer.address)).to.equal(BigInt(roleMask(Role.Consumer)));
      });
    });

    describe("when an account is removed", function () {
      it("clears its roles with its standing", async function () {
        const f = await funded();
        const { token, consortium, consumer } = f;
        const second = spareKey(f, 0);
        await consortium.connect(consumer).addAccount(second.address);
        await consortium.connect(consumer).removeAccount(second.address);
        expect(await token.activeRolesOf(second.address)).to.equal(0n);
        await consortium.connect(consumer).addAccount(spareKey(f, 1).address);
        expect(await token.activeRolesOf(second.address)).to.equal(0n);
      });
    });

    describe("when tokens move", function () {
      it("keeps the roles next to the changing balance", async function () {
        const { token, consumer, provider } = await funded();
        await token.connect(consumer).transfer(provider.address, 5n);
        expect(await token.activeRolesOf(consumer.address)).to.equal(BigInt(roleMask(Role.Consumer)));
        expect(await token.activeRolesOf(provider.address)).to.equal(BigInt(roleMask(Role.Provider)));
      });
    });

    describe("when the account is a consortium contract or an outsider", function () {
      it("reports no roles", async function () {
        const { token, gateway, outsider } = await funded();
        expect(await token.activeRolesOf(await gateway.getAddress())).to.equal(0n);
        expect(await token.activeRolesOf(outsider.address)).to.equal(0n);
      });
    });
  });

  describe("setCurrentAgreement and currentAgreement", function () {
    describe("when the caller is not the Consortium", function () {
      it("reverts with SettlementTokenNotConsortium", async function () {
        const { token, operator } = await funded();
        await expect(token.connect(operator).setCurrentAgreement(2))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotConsortium")
          .withArgs(operator.address);
        expect(await token.currentAgreement()).to.equal(1n);
      });
    });

    describe("when the Consortium binds the token", function () {
      it("pushes the agreement in force with CurrentAgreementChanged", async function () {
        const who = await actors(connection);
        const consortium = await ethers.deployContract(
          "Consortium",
          [[who.operator.address], FOUNDER_METADATA, AGREEMENT_V1, NOTICE_PERIOD],
          who.operator,
        );
        await consortium.connect(who.operator).publishAgreement(AGREEMENT_V2);
        const token = await ethers.deployContract(
          "SettlementToken",
          [await consortium.getAddress(), "Capacity Euro", "CEUR"],
          who.operator,
        );
        expect(await token.currentAgreement()).to.equal(0n);
        await expect(consortium.connect(who.operator).bindToken(await token.getAddress()))
          .to.emit(token, "CurrentAgreementChanged")
          .withArgs(2);
        expect(await token.currentAgreement()).to.equal(2n);
        // The founder accepted v1 only: bound, it records that version and starts no new business.
        expect(await token.agreementOf(who.operator.address)).to.equal(1n);
        expect(await token.activeRolesOf(who.operator.address)).to.equal(0n);
      });
    });

    describe("when operators publish a new agreement", function () {
      it("sets it with CurrentAgreementChanged", async function () {
        const { token, consortium, operator } = await funded();
        await expect(consortium.connect(operator).publishAgreement(AGREEMENT_V2))
          .to.emit(token, "CurrentAgreementChanged")
          .withArgs(2);
        expect(await token.currentAgreement()).to.equal(2n);
      });
    });
  });

  describe("escrowFrom", function () {
    describe("when the caller is not a consortium contract", function () {
      it("reverts with SettlementTokenNotSystemContract naming the caller (members, outsiders, the Consortium)", async function () {
        const { token, consortium, consumer, provider, outsider } = await withHolders();
        await token.connect(consumer).approve(provider.address, 10n);
        for (const caller of [consumer, provider, outsider]) {
          await expect(token.connect(caller).escrowFrom(consumer.address, 10n, Role.Consumer))
            .to.be.revertedWithCustomError(token, "SettlementTokenNotSystemContract")
            .withArgs(caller.address);
        }
        const consortiumAddress = await consortium.getAddress();
        const asConsortium = await impersonate(consortiumAddress);
        await expect(token.connect(asConsortium).escrowFrom(consumer.address, 10n, Role.Consumer))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotSystemContract")
          .withArgs(consortiumAddress);
        expect(await token.holdsOf(consumer.address)).to.equal(0n);
      });
    });

    describe("when the account did not allow the caller the value", function () {
      it("reverts with ERC20InsufficientAllowance", async function () {
        const { token, consumer, otherHolder } = await withHolders();
        await token.connect(consumer).approve(otherHolder.address, 9n);
        await expect(token.connect(otherHolder).escrowFrom(consumer.address, 10n, Role.Consumer))
          .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
          .withArgs(otherHolder.address, 9n, 10n);
        expect(await token.holdsOf(consumer.address)).to.equal(0n);
      });
    });

    describe("when the account holds less than the value", function () {
      it("reverts with ERC20InsufficientBalance", async function () {
        const { token, consumer, holder } = await withHolders();
        await token.connect(consumer).approve(holder.address, BALANCE + 1n);
        await expect(token.connect(holder).escrowFrom(consumer.address, BALANCE + 1n, Role.Consumer))
          .to.be.revertedWithCustomError(token, "ERC20InsufficientBalance")
          .withArgs(consumer.address, BALANCE, BALANCE + 1n);
        expect(await token.holdsOf(consumer.address)).to.equal(0n);
      });
    });

    describe("when the account is not a member's", function () {
      it("reverts with SettlementTokenNotMember naming the account", async function () {
        const { token, outsider, holder } = await withHolders();
        await token.connect(outsider).approve(holder.address, 1n);
        await expect(token.connect(holder).escrowFrom(outsider.address, 1n, Role.Consumer))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotMember")
          .withArgs(outsider.address);
      });
    });

    describe("when the account's member is suspended", function () {
      it("reverts with SettlementTokenSenderFrozen: a frozen account cannot send", async function () {
        const { token, consortium, operator, consumer, memberIds, holder } = await withHolders();
        await consortium.connect(operator).suspend(memberIds.consumer, referenceHash("suspension"));
        await expect(token.connect(holder).escrowFrom(consumer.address, 10n, Role.Consumer))
          .to.be.revertedWithCustomError(token, "SettlementTokenSenderFrozen")
          .withArgs(consumer.address);
        expect(await token.holdsOf(consumer.address)).to.equal(0n);
      });
    });

    describe("when the token is paused", function () {
      it("reverts with EnforcedPause", async function () {
        const { token, operator, consumer, holder } = await withHolders();
        await token.connect(operator).pause();
        await expect(
          token.connect(holder).escrowFrom(consumer.address, 10n, Role.Consumer),
        ).to.be.revertedWithCustomError(token, "EnforcedPause");
      });
    });

    describe("when a consortium contract escrows within the allowance", function () {
      it("moves the value to the caller, spends the allowance and takes a hold; emits Transfer", async function () {
        const { token, consumer, holder } = await withHolders();
        const tx = token.connect(holder).escrowFrom(consumer.address, 300n, Role.Consumer);
        await expect(tx).to.emit(token, "Transfer").withArgs(consumer.address, holder.address, 300n);
        await expect(tx).to.changeTokenBalances(ethers, token, [consumer, holder], [-300n, 300n]);
        expect(await token.allowance(consumer.address, holder.address)).to.equal(BALANCE - 300n);
        expect(await token.holdsOf(consumer.address)).to.equal(1n);
        expect(await token.holdsOf(holder.address)).to.equal(0n);
      });

      it("takes one hold per escrow and leaves the account's standing and roles alone", async function () {
        const { token, consumer, holder } = await withHolders();
        for (let i = 1n; i <= 3n; i++) {
          await token.connect(holder).escrowFrom(consumer.address, 1n, Role.Consumer);
          expect(await token.holdsOf(consumer.address)).to.equal(i);
        }
        expect(await token.balanceOf(consumer.address)).to.equal(BALANCE - 3n);
        expect(await token.standingOf(consumer.address)).to.equal(AccountStanding.Member);
        expect(await token.activeRolesOf(consumer.address)).to.equal(BigInt(roleMask(Role.Consumer)));
      });

      it("checks the role asked for against the roles read with the transfer", async function () {
        const { token, consortium, operator, consumer, memberIds, holder } = await withHolders();
        await expect(token.connect(holder).escrowFrom(consumer.address, 1n, Role.Provider))
          .to.be.revertedWithCustomError(token, "SettlementTokenMissingRole")
          .withArgs(consumer.address, Role.Provider);
        await consortium.connect(operator).grantMemberRole(memberIds.consumer, Role.Provider);
        await token.connect(holder).escrowFrom(consumer.address, 1n, Role.Provider);
        expect(await token.holdsOf(consumer.address)).to.equal(1n);
      });
    });

    describe("when the account may not start business in the role", function () {
      /** Escrowing 1 as `role` from `account` reverts with SettlementTokenMissingRole; nothing moves, no hold. */
      async function refused(f: HeldFixture, account: string, role: Role) {
        const before = await f.token.balanceOf(account);
        await expect(f.token.connect(f.holder).escrowFrom(account, 1n, role))
          .to.be.revertedWithCustomError(f.token, "SettlementTokenMissingRole")
          .withArgs(account, role);
        expect(await f.token.balanceOf(account)).to.equal(before);
        expect(await f.token.holdsOf(account)).to.equal(0n);
      }

      describe("when its member lacks the role", function () {
        it("reverts with SettlementTokenMissingRole(account, role)", async function () {
          const f = await withHolders();
          for (const role of [Role.Operator, Role.Provider, Role.Licensor, Role.Auditor]) {
            await refused(f, f.consumer.address, role);
          }
        });
      });

      describe("when its member asked to leave", function () {
        it("reverts with SettlementTokenMissingRole: a Leaving account sends, but starts no new business", async function () {
          const f = await withHolders();
          await f.consortium.connect(f.consumer).requestExit();
          await refused(f, f.consumer.address, Role.Consumer);
        });
      });

      describe("when its member has not accepted the current agreement", function () {
        it("reverts with SettlementTokenMissingRole until the member accepts it", async function () {
          const f = await withHolders();
          await f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V2);
          await refused(f, f.consumer.address, Role.Consumer);
          await f.consortium.connect(f.consumer).acceptAgreement(AGREEMENT_V2);
          await f.token.connect(f.holder).escrowFrom(f.consumer.address, 1n, Role.Consumer);
          expect(await f.token.holdsOf(f.consumer.address)).to.equal(1n);
        });
      });

      describe("when the account is a consortium contract", function () {
        it("reverts with SettlementTokenMissingRole: a contract holds no role", async function () {
          const f = await withHolders();
          await f.token.connect(f.holder).escrowFrom(f.consumer.address, 50n, Role.Consumer);
          await f.token.connect(f.holder).approve(f.otherHolder.address, 50n);
          await expect(f.token.connect(f.otherHolder).escrowFrom(f.holder.address, 50n, Role.Consumer))
            .to.be.revertedWithCustomError(f.token, "SettlementTokenMissingRole")
            .withArgs(f.holder.address, Role.Consumer);
          expect(await f.token.balanceOf(f.holder.address)).to.equal(50n);
        });
      });
    });
  });

  describe("releaseTo", function () {
    /** The consumer's 300 escrowed with the first holder: one hold. */
    async function escrowed() {
      const f = await withHolders();
      await f.token.connect(f.holder).escrowFrom(f.consumer.address, 300n, Role.Consumer);
      return f;
    }

    describe("when the caller is not a consortium contract", function () {
      it("reverts with SettlementTokenNotSystemContract naming the caller", async function () {
        const { token, consumer, provider, outsider } = await escrowed();
        for (const caller of [consumer, provider, outsider]) {
          for (const value of [0n, 1n]) {
            await expect(token.connect(caller).releaseTo(consumer.address, value))
              .to.be.revertedWithCustomError(token, "SettlementTokenNotSystemContract")
              .withArgs(caller.address);
          }
        }
        expect(await token.holdsOf(consumer.address)).to.equal(1n);
      });
    });

    describe("when the account has no hold", function () {
      it("reverts with SettlementTokenNotHeld, paying (value > 0) or not (value 0)", async function () {
        const { token, provider, holder } = await escrowed();
        for (const value of [0n, 100n]) {
          await expect(token.connect(holder).releaseTo(provider.address, value))
            .to.be.revertedWithCustomError(token, "SettlementTokenNotHeld")
            .withArgs(provider.address);
        }
        expect(await token.balanceOf(provider.address)).to.equal(BALANCE);
      });
    });

    describe("when the account is not a member's", function () {
      it("reverts with SettlementTokenNotMember for a payment, SettlementTokenNotHeld without one", async function () {
        const { token, outsider, holder } = await escrowed();
        await expect(token.connect(holder).releaseTo(outsider.address, 1n))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotMember")
          .withArgs(outsider.address);
        await expect(token.connect(holder).releaseTo(outsider.address, 0n))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotHeld")
          .withArgs(outsider.address);
      });
    });

    describe("when the caller holds less than the value", function () {
      it("reverts with ERC20InsufficientBalance", async function () {
        const { token, consumer, holder } = await escrowed();
        await expect(token.connect(holder).releaseTo(consumer.address, 301n))
          .to.be.revertedWithCustomError(token, "ERC20InsufficientBalance")
          .withArgs(holder.address, 300n, 301n);
        expect(await token.holdsOf(consumer.address)).to.equal(1n);
      });
    });

    describe("when the token is paused", function () {
      it("reverts a payment with EnforcedPause, but releases a hold without one", async function () {
        const { token, operator, consumer, holder } = await escrowed();
        await token.connect(operator).pause();
        await expect(token.connect(holder).releaseTo(consumer.address, 1n)).to.be.revertedWithCustomError(
          token,
          "EnforcedPause",
        );
        // Nothing moves: an order or channel that ends with no refund can still end.
        await expect(token.connect(holder).releaseTo(consumer.address, 0n)).not.to.emit(token, "Transfer");
        expect(await token.holdsOf(consumer.address)).to.equal(0n);
      });
    });

    describe("when a consortium contract pays an account it holds", function () {
      it("pays the value back and releases one hold; emits Transfer", async function () {
        const { token, consumer, holder } = await escrowed();
        await token.connect(holder).escrowFrom(consumer.address, 100n, Role.Consumer);
        const tx = token.connect(holder).releaseTo(consumer.address, 250n);
        await expect(tx).to.emit(token, "Transfer").withArgs(holder.address, consumer.address, 250n);
        await expect(tx).to.changeTokenBalances(ethers, token, [holder, consumer], [-250n, 250n]);
        expect(await token.holdsOf(consumer.address)).to.equal(1n);
        await token.connect(holder).releaseTo(consumer.address, 150n);
        expect(await token.holdsOf(consumer.address)).to.equal(0n);
        expect(await token.balanceOf(consumer.address)).to.equal(BALANCE);
        expect(await token.activeRolesOf(consumer.address)).to.equal(BigInt(roleMask(Role.Consumer)));
      });

      describe("with value 0", function () {
        it("only releases the hold: no Transfer, no balance change", async function () {
          const { token, consumer, holder } = await escrowed();
          const tx = token.connect(holder).releaseTo(consumer.address, 0n);
          await expect(tx).not.to.emit(token, "Transfer");
          await expect(tx).to.changeTokenBalances(ethers, token, [holder, consumer], [0n, 0n]);
          expect(await token.holdsOf(consumer.address)).to.equal(0n);
          await expect(token.connect(holder).releaseTo(consumer.address, 0n))
            .to.be.revertedWithCustomError(token, "SettlementTokenNotHeld")
            .withArgs(consumer.address);
        });
      });

      describe("when the account's member was suspended meanwhile", function () {
        it("pays the frozen account and releases its hold", async function () {
          const { token, consortium, operator, consumer, memberIds, holder } = await escrowed();
          await consortium.connect(operator).suspend(memberIds.consumer, referenceHash("suspension"));
          await expect(token.connect(holder).releaseTo(consumer.address, 300n))
            .to.emit(token, "Transfer")
            .withArgs(holder.address, consumer.address, 300n);
          expect(await token.holdsOf(consumer.address)).to.equal(0n);
          expect(await token.standingOf(consumer.address)).to.equal(AccountStanding.Frozen);
        });
      });

      describe("when the account's member asked to leave meanwhile", function () {
        it("pays the leaving account and releases its hold: a refund is owed to it", async function () {
          const { token, consortium, consumer, holder } = await escrowed();
          await consortium.connect(consumer).requestExit();
          await expect(token.connect(holder).releaseTo(consumer.address, 300n))
            .to.emit(token, "Transfer")
            .withArgs(holder.address, consumer.address, 300n);
          expect(await token.holdsOf(consumer.address)).to.equal(0n);
          expect(await token.standingOf(consumer.address)).to.equal(AccountStanding.Leaving);
        });
      });

      describe("when another consortium contract releases the hold", function () {
        it("releases it: holds are counted per account, for all contracts together", async function () {
          const { token, consumer, otherHolder } = await escrowed();
          await token.connect(otherHolder).releaseTo(consumer.address, 0n);
          expect(await token.holdsOf(consumer.address)).to.equal(0n);
        });
      });
    });
  });

  describe("sweep", function () {
    /** The consumer's member with a second account holding 42. */
    async function twoAccounts() {
      const f = await withHolders();
      const second = spareKey(f, 0);
      await f.consortium.connect(f.consumer).addAccount(second.address);
      await f.fund(second.address, 42n);
      return { ...f, second };
    }

    describe("when the caller is not the Consortium", function () {
      it("reverts with SettlementTokenNotConsortium", async function () {
        const { token, consumer, second, holder } = await twoAccounts();
        for (const caller of [consumer, second, holder]) {
          await expect(token.connect(caller).sweep(second.address, consumer.address))
            .to.be.revertedWithCustomError(token, "SettlementTokenNotConsortium")
            .withArgs(caller.address);
        }
        expect(await token.balanceOf(second.address)).to.equal(42n);
      });
    });

    describe("when the Consortium removes an account that holds tokens", function () {
      it("moves the whole balance to the member's account that removes it; emits Transfer", async function () {
        const { token, consortium, consumer, second, memberIds } = await twoAccounts();
        const tx = consortium.connect(consumer).removeAccount(second.address);
        await expect(tx).to.emit(token, "Transfer").withArgs(second.address, consumer.address, 42n);
        await expect(tx).to.emit(consortium, "AccountRemoved").withArgs(memberIds.consumer, second.address);
        await expect(tx).to.changeTokenBalances(ethers, token, [second, consumer], [-42n, 42n]);
        expect(await token.standingOf(second.address)).to.equal(AccountStanding.None);
        expect(await token.standingOf(consumer.address)).to.equal(AccountStanding.Member);
        expect(await token.activeRolesOf(consumer.address)).to.equal(BigInt(roleMask(Role.Consumer)));
        expect(await token.totalSupply()).to.equal(2n * BALANCE + 42n);
      });

      describe("when the account removes itself", function () {
        it("moves the balance to the member's first remaining account", async function () {
          const { token, consortium, consumer, second } = await twoAccounts();
          await expect(consortium.connect(second).removeAccount(second.address))
            .to.emit(token, "Transfer")
            .withArgs(second.address, consumer.address, 42n);
          expect(await token.balanceOf(consumer.address)).to.equal(BALANCE + 42n);
        });
      });

      describe("when the member is suspended or leaving", function () {
        it("moves the balance to its Frozen or Leaving account all the same: it stays the member's", async function () {
          const f = await twoAccounts();
          const { token, consortium, operator, consumer, second, memberIds, fund } = f;
          await consortium.connect(operator).suspend(memberIds.consumer, referenceHash("suspension"));
          await expect(consortium.connect(consumer).removeAccount(second.address))
            .to.emit(token, "Transfer")
            .withArgs(second.address, consumer.address, 42n);
          expect(await token.standingOf(consumer.address)).to.equal(AccountStanding.Frozen);
          await consortium.connect(operator).reinstate(memberIds.consumer);

          const third = spareKey(f, 1);
          await consortium.connect(consumer).addAccount(third.address);
          await fund(third.address, 8n);
          await consortium.connect(consumer).requestExit();
          await expect(consortium.connect(consumer).removeAccount(third.address))
            .to.emit(token, "Transfer")
            .withArgs(third.address, consumer.address, 8n);
          expect(await token.standingOf(consumer.address)).to.equal(AccountStanding.Leaving);
          expect(await token.balanceOf(consumer.address)).to.equal(BALANCE + 50n);
        });
      });

      describe("when the token is paused", function () {
        it("reverts with EnforcedPause: the tokens wait for the unpause, and so does the removal", async function () {
          const { token, consortium, operator, consumer, second } = await twoAccounts();
          await token.connect(operator).pause();
          await expect(consortium.connect(consumer).removeAccount(second.address)).to.be.revertedWithCustomError(
            token,
            "EnforcedPause",
          );
          await token.connect(operator).unpause();
          await expect(consortium.connect(consumer).removeAccount(second.address))
            .to.emit(token, "Transfer")
            .withArgs(second.address, consumer.address, 42n);
        });
      });
    });

    describe("when the Consortium removes an empty account", function () {
      it("moves nothing and emits no Transfer, even while the token is paused", async function () {
        const { token, consortium, operator, consumer, second } = await twoAccounts();
        await token.connect(second).transfer(consumer.address, 42n);
        await token.connect(operator).pause();
        const tx = consortium.connect(consumer).removeAccount(second.address);
        await expect(tx).not.to.emit(token, "Transfer");
        await expect(tx).to.emit(token, "StandingChanged").withArgs(second.address, AccountStanding.None);
        expect(await token.balanceOf(consumer.address)).to.equal(BALANCE + 42n);
      });
    });

    // The Consortium only ever sweeps to another active account of the same member; the token still refuses a
    // destination that could never send the tokens on, and moving an account onto itself.
    describe("when the destination is not a member's account", function () {
      it("reverts with SettlementTokenNotMember naming it: an outsider or a consortium contract", async function () {
        const { token, consortium, outsider, second, holder } = await twoAccounts();
        const asConsortium = await impersonate(await consortium.getAddress());
        for (const to of [outsider.address, holder.address]) {
          await expect(token.connect(asConsortium).sweep(second.address, to))
            .to.be.revertedWithCustomError(token, "SettlementTokenNotMember")
            .withArgs(to);
        }
        expect(await token.balanceOf(second.address)).to.equal(42n);
      });
    });

    describe("when the destination is the account itself", function () {
      it("moves nothing and emits no Transfer", async function () {
        const { token, consortium, second } = await twoAccounts();
        const asConsortium = await impersonate(await consortium.getAddress());
        await expect(token.connect(asConsortium).sweep(second.address, second.address)).not.to.emit(token, "Transfer");
        expect(await token.balanceOf(second.address)).to.equal(42n);
      });
    });
  });

  describe("holdsOf", function () {
    it("is 0 for accounts no contract holds and for unknown addresses", async function () {
      const { token, consumer, outsider, holder } = await withHolders();
      for (const account of [consumer.address, outsider.address, holder.address]) {
        expect(await token.holdsOf(account)).to.equal(0n);
      }
    });

    it("survives transfers, suspension and reinstatement next to the balance", async function () {
      const { token, consortium, operator, consumer, provider, memberIds, holder } = await withHolders();
      await token.connect(holder).escrowFrom(consumer.address, 10n, Role.Consumer);
      await token.connect(consumer).transfer(provider.address, 5n);
      await consortium.connect(operator).suspend(memberIds.consumer, referenceHash("suspension"));
      await consortium.connect(operator).reinstate(memberIds.consumer);
      expect(await token.holdsOf(consumer.address)).to.equal(1n);
      expect(await token.balanceOf(consumer.address)).to.equal(BALANCE - 15n);
      expect(await token.activeRolesOf(consumer.address)).to.equal(BigInt(roleMask(Role.Consumer)));
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
