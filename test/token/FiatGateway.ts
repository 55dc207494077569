import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { id, ZeroAddress, ZeroHash, type ContractTransactionResponse } from "ethers";
import { network } from "hardhat";

import { parseEuro } from "../../src/core/money.js";
import { Role } from "../../src/core/membership.js";
import { referenceHash } from "../../src/core/references.js";
import { IFiatGateway__factory, IObligations__factory } from "../../typechain-types/index.js";
import {
  MINTER_ALLOWANCE,
  NOTICE_PERIOD,
  RESERVE,
  settlementLayerFixture,
  type SettlementLayerFixture,
} from "../helpers/fixtures.js";
import { funder } from "../helpers/funding.js";
import {
  functionSignatures,
  IACCESS_CONTROL_SIGNATURES,
  IERC165_SIGNATURES,
  interfaceIdOf,
  ownFunctions,
} from "../helpers/interfaceId.js";
import { signPermit } from "../helpers/permit.js";
import { spareKey } from "../helpers/signers.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { time } = networkHelpers;
const deploySettlementLayer = settlementLayerFixture(connection);

/** Mirror of IFiatGateway.RedemptionStatus. */
const RedemptionStatus = { None: 0n, Pending: 1n, Paid: 2n, Rejected: 3n } as const;

const MAX_UINT128 = 2n ** 128n - 1n;
const MAX_UINT96 = 2n ** 96n - 1n;
const BALANCE = parseEuro("1000");
const PAYOUT = referenceHash("IBAN DE00 0000 0000 0000 0000 00, remittance 'redemption'");
const BANK_TX = referenceHash("bank statement 2025-03-01 line 17");
const REASON = referenceHash("payout account not verified");

interface FundedFixture extends SettlementLayerFixture {
  fund: (to: string, amount: bigint) => Promise<void>;
  gatewayAddress: string;
}

/** The settlement layer with BALANCE minted to the consumer and to the provider. */
async function deployFunded(): Promise<FundedFixture> {
  const f = await networkHelpers.loadFixture(deploySettlementLayer);
  const fund = funder(f);
  await fund(f.consumer.address, BALANCE);
  await fund(f.provider.address, BALANCE);
  return { ...f, fund, gatewayAddress: await f.gateway.getAddress() };
}

async function funded(): Promise<FundedFixture> {
  return networkHelpers.loadFixture(deployFunded);
}

/** Approves the gateway and asks to redeem `amount` from `account`. */
async function request(
  f: FundedFixture,
  account: HardhatEthersSigner,
  amount: bigint,
  payoutRef: string = PAYOUT,
): Promise<ContractTransactionResponse> {
  await f.token.connect(account).approve(f.gatewayAddress, amount);
  return f.gateway.connect(account).requestRedemption(amount, payoutRef);
}

/** The consumer's redemption #1 of 400 units, pending. */
async function deployPending(): Promise<FundedFixture> {
  const f = await networkHelpers.loadFixture(deployFunded);
  await request(f, f.consumer, 400n);
  return f;
}

async function pending(): Promise<FundedFixture> {
  return networkHelpers.loadFixture(deployPending);
}

async function timestampOf(tx: Promise<ContractTransactionResponse>): Promise<bigint> {
  const receipt = await (await tx).wait();
  if (receipt === null) throw new Error("The transaction was not mined.");
  const block = await ethers.provider.getBlock(receipt.blockNumber);
  if (block === null) throw new Error(`Block ${receipt.blockNumber} is missing.`);
  return BigInt(block.timestamp);
}

describe("FiatGateway", function () {
  describe("constructor", function () {
    describe("when the admin is the zero address", function () {
      it("reverts with FiatGatewayInvalidAdmin", async function () {
        const { consortium, token, gateway, masterMinter } = await networkHelpers.loadFixture(deploySettlementLayer);
        await expect(ethers.deployContract("FiatGateway", [consortium, token, ZeroAddress, masterMinter.address]))
          .to.be.revertedWithCustomError(gateway, "FiatGatewayInvalidAdmin")
          .withArgs(ZeroAddress);
      });
    });

    describe("when admin and master minter are given", function () {
      it("grants DEFAULT_ADMIN_ROLE to the admin and MASTER_MINTER_ROLE to the master minter", async function () {
        const { gateway, issuerAdmin, masterMinter, operator } =
          await networkHelpers.loadFixture(deploySettlementLayer);
        const master = await gateway.MASTER_MINTER_ROLE();
        expect(master).to.equal(id("MASTER_MINTER_ROLE"));
        expect(await gateway.hasRole(await gateway.DEFAULT_ADMIN_ROLE(), issuerAdmin.address)).to.equal(true);
        expect(await gateway.hasRole(master, masterMinter.address)).to.equal(true);
        expect(await gateway.hasRole(master, operator.address)).to.equal(false);
        expect(await gateway.getRoleAdmin(master)).to.equal(await gateway.DEFAULT_ADMIN_ROLE());
      });
    });

    describe("when the master minter is the zero address", function () {
      async function withoutMasterMinter() {
        const f = await networkHelpers.loadFixture(deploySettlementLayer);
        const bare = await ethers.deployContract("FiatGateway", [
          f.consortium,
          f.token,
          f.issuerAdmin.address,
          ZeroAddress,
        ]);
        return { ...f, bare };
      }

      it("grants MASTER_MINTER_ROLE to no one", async function () {
        const { bare, issuerAdmin, minter } = await withoutMasterMinter();
        const master = await bare.MASTER_MINTER_ROLE();
        expect(await bare.hasRole(master, ZeroAddress)).to.equal(false);
        expect(await bare.hasRole(master, issuerAdmin.address)).to.equal(false);
        await expect(bare.connect(issuerAdmin).configureMinter(minter.address, 1n))
          .to.be.revertedWithCustomError(bare, "AccessControlUnauthorizedAccount")
          .withArgs(issuerAdmin.address, master);
      });

      it("lets the admin appoint a master minter later", async function () {
        const { bare, issuerAdmin, masterMinter, minter } = await withoutMasterMinter();
        await bare.connect(issuerAdmin).grantRole(await bare.MASTER_MINTER_ROLE(), masterMinter.address);
        await expect(bare.connect(masterMinter).configureMinter(minter.address, 1n))
          .to.emit(bare, "MinterConfigured")
          .withArgs(minter.address, 1n);
      });

      it("starts with no reserve, no minter and no redemption", async function () {
        const { bare, minter } = await withoutMasterMinter();
        const [reserve, asOf] = await bare.attestedReserve();
        expect(reserve).to.equal(0n);
        expect(asOf).to.equal(0n);
        expect(await bare.isMinter(minter.address)).to.equal(false);
        expect(await bare.redemptionCount()).to.equal(0n);
        expect(await bare.pendingTotal()).to.equal(0n);
      });
    });
  });

  describe("supportsInterface", function () {
    const obligations = IObligations__factory.createInterface();
    const fiatGateway = IFiatGateway__factory.createInterface();

    it("supports IObligations", async function () {
      const { gateway } = await networkHelpers.loadFixture(deploySettlementLayer);
      const own = ownFunctions(obligations, IERC165_SIGNATURES);
      expect(own).to.deep.equal(["openObligations(uint64)"]);
      expect(await gateway.supportsInterface(interfaceIdOf(own))).to.equal(true);
    });

    it("supports IFiatGateway", async function () {
      const { gateway } = await networkHelpers.loadFixture(deploySettlementLayer);
      const own = ownFunctions(fiatGateway, functionSignatures(obligations));
      expect(await gateway.supportsInterface(interfaceIdOf(own))).to.equal(true);
    });

    it("supports IAccessControl and IERC165", async function () {
      const { gateway } = await networkHelpers.loadFixture(deploySettlementLayer);
      expect(await gateway.supportsInterface(interfaceIdOf(IACCESS_CONTROL_SIGNATURES))).to.equal(true);
      expect(await gateway.supportsInterface(interfaceIdOf(IERC165_SIGNATURES))).to.equal(true);
    });

    it("does not support other interfaces", async function () {
      const { gateway } = await networkHelpers.loadFixture(deploySettlementLayer);
      expect(await gateway.supportsInterface("0xdeadbeef")).to.equal(false);
      expect(await gateway.supportsInterface("0xffffffff")).to.equal(false);
      // IFiatGateway's id with the inherited functions wrongly included.
      expect(await gateway.supportsInterface(interfaceIdOf(functionSignatures(fiatGateway)))).to.equal(false);
    });
  });

  describe("configureMinter", function () {
    describe("when the caller lacks MASTER_MINTER_ROLE", function () {
      it("reverts with AccessControlUnauthorizedAccount", async function () {
        const { gateway, issuerAdmin, operator, outsider } = await networkHelpers.loadFixture(deploySettlementLayer);
        const master = await gateway.MASTER_MINTER_ROLE();
        for (const caller of [issuerAdmin, operator]) {
          await expect(gateway.connect(caller).configureMinter(outsider.address, 1n))
            .to.be.revertedWithCustomError(gateway, "AccessControlUnauthorizedAccount")
            .withArgs(caller.address, master);
        }
      });
    });

    describe("when the minter is the zero address", function () {
      it("reverts with FiatGatewayInvalidMinter", async function () {
        const { gateway, masterMinter } = await networkHelpers.loadFixture(deploySettlementLayer);
        await expect(gateway.connect(masterMinter).configureMinter(ZeroAddress, 1n))
          .to.be.revertedWithCustomError(gateway, "FiatGatewayInvalidMinter")
          .withArgs(ZeroAddress);
      });
    });

    describe("when the allowance exceeds 2^128 - 1", function () {
      it("reverts with SafeCastOverflowedUintDowncast", async function () {
        const { gateway, masterMinter, outsider } = await networkHelpers.loadFixture(deploySettlementLayer);
        await expect(gateway.connect(masterMinter).configureMinter(outsider.address, MAX_UINT128 + 1n))
          .to.be.revertedWithCustomError(gateway, "SafeCastOverflowedUintDowncast")
          .withArgs(128, MAX_UINT128 + 1n);
      });

      it("accepts exactly 2^128 - 1", async function () {
        const { gateway, masterMinter, outsider } = await networkHelpers.loadFixture(deploySettlementLayer);
        await gateway.connect(masterMinter).configureMinter(outsider.address, MAX_UINT128);
        expect(await gateway.minterAllowance(outsider.address)).to.equal(MAX_UINT128);
      });
    });

    describe("when the master minter configures a new minter", function () {
      it("makes it a minter with the allowance and emits MinterConfigured", async function () {
        const { gateway, masterMinter, outsider } = await networkHelpers.loadFixture(deploySettlementLayer);
        expect(await gateway.isMinter(outsider.address)).to.equal(false);
        expect(await gateway.minterAllowance(outsider.address)).to.equal(0n);
        await expect(gateway.connect(masterMinter).configureMinter(outsider.address, 250n))
          .to.emit(gateway, "MinterConfigured")
          .withArgs(outsider.address, 250n);
        expect(await gateway.isMinter(outsider.address)).to.equal(true);
        expect(await gateway.minterAllowance(outsider.address)).to.equal(250n);
      });

      it("accepts a zero allowance (a minter that cannot mint yet)", async function () {
        const { gateway, masterMinter, outsider, consumer } = await networkHelpers.loadFixture(deploySettlementLayer);
        await gateway.connect(masterMinter).configureMinter(outsider.address, 0n);
        expect(await gateway.isMinter(outsider.address)).to.equal(true);
        await expect(gateway.connect(outsider).mint(consumer.address, 1n, referenceHash("deposit")))
          .to.be.revertedWithCustomError(gateway, "FiatGatewayAllowanceExceeded")
          .withArgs(outsider.address, 1n, 0n);
      });
    });

    describe("when the minter already has an allowance", function () {
      it("replaces it rather than adding to it", async function () {
        const { gateway, masterMinter, minter } = await networkHelpers.loadFixture(deploySettlementLayer);
        expect(await gateway.minterAllowance(minter.address)).to.equal(MINTER_ALLOWANCE);
        await expect(gateway.connect(masterMinter).configureMinter(minter.address, 10n))
          .to.emit(gateway, "MinterConfigured")
          .withArgs(minter.address, 10n);
        expect(await gateway.minterAllowance(minter.address)).to.equal(10n);
      });
    });
  });

  describe("removeMinter", function () {
    describe("when the caller lacks MASTER_MINTER_ROLE", function () {
      it("reverts with AccessControlUnauthorizedAccount", async function () {
        const { gateway, issuerAdmin, minter } = await networkHelpers.loadFixture(deploySettlementLayer);
        await expect(gateway.connect(issuerAdmin).removeMinter(minter.address))
          .to.be.revertedWithCustomError(gateway, "AccessControlUnauthorizedAccount")
          .withArgs(issuerAdmin.address, await gateway.MASTER_MINTER_ROLE());
      });
    });

    describe("when the account is not a minter", function () {
      it("reverts with FiatGatewayNotMinter", async function () {
        const { gateway, masterMinter, outsider } = await networkHelpers.loadFixture(deploySettlementLayer);
        await expect(gateway.connect(masterMinter).removeMinter(outsider.address))
          .to.be.revertedWithCustomError(gateway, "FiatGatewayNotMinter")
          .withArgs(outsider.address);
      });
    });

    describe("when the account is a minter", function () {
      it("removes it with its allowance and emits MinterRemoved", async function () {
        const { gateway, masterMinter, minter, consumer } = await networkHelpers.loadFixture(deploySettlementLayer);
        await expect(gateway.connect(masterMinter).removeMinter(minter.address))
          .to.emit(gateway, "MinterRemoved")
          .withArgs(minter.address);
        expect(await gateway.isMinter(minter.address)).to.equal(false);
        expect(await gateway.minterAllowance(minter.address)).to.equal(0n);
        await expect(gateway.connect(minter).mint(consumer.address, 1n, referenceHash("deposit")))
          .to.be.revertedWithCustomError(gateway, "FiatGatewayNotMinter")
          .withArgs(minter.address);
        await expect(gateway.connect(masterMinter).removeMinter(minter.address))
          .to.be.revertedWithCustomError(gateway, "FiatGatewayNotMinter")
          .withArgs(minter.address);
      });
    });
  });

  describe("mint", function () {
    const DEPOSIT = referenceHash("bank deposit 2025-03-01 #4711");

    describe("when the caller is not a minter", function () {
      it("reverts with FiatGatewayNotMinter", async function () {
        const { gateway, masterMinter, consumer } = await networkHelpers.loadFixture(deploySettlementLayer);
        await expect(gateway.connect(masterMinter).mint(consumer.address, 1n, DEPOSIT))
          .to.be.revertedWithCustomError(gateway, "FiatGatewayNotMinter")
          .withArgs(masterMinter.address);
      });
    });

    describe("when the amount is zero", function () {
      it("reverts with FiatGatewayZeroAmount", async function () {
        const { gateway, minter, consumer } = await networkHelpers.loadFixture(deploySettlementLayer);
        await expect(gateway.connect(minter).mint(consumer.address, 0n, DEPOSIT)).to.be.revertedWithCustomError(
          gateway,
          "FiatGatewayZeroAmount",
        );
      });
    });

    describe("when the bank reference is zero", function () {
      it("reverts with FiatGatewayZeroBankReference", async function () {
        const { gateway, minter, consumer } = await networkHelpers.loadFixture(deploySettlementLayer);
        await expect(gateway.connect(minter).mint(consumer.address, 1n, ZeroHash)).to.be.revertedWithCustomError(
          gateway,
          "FiatGatewayZeroBankReference",
        );
      });
    });

    describe("when the bank reference has minted already", function () {
      async function minted() {
        const f = await networkHelpers.loadFixture(deploySettlementLayer);
        await f.gateway.connect(f.minter).mint(f.consumer.address, 100n, DEPOSIT);
        return f;
      }

      it("reverts a repeat with FiatGatewayBankReferenceUsed naming it", async function () {
        const { gateway, minter, consumer } = await minted();
        await expect(gateway.connect(minter).mint(consumer.address, 100n, DEPOSIT))
          .to.be.revertedWithCustomError(gateway, "FiatGatewayBankReferenceUsed")
          .withArgs(DEPOSIT);
      });

      it("reverts with another amount or recipient too", async function () {
        const { gateway, minter, consumer, provider } = await minted();
        await expect(gateway.connect(minter).mint(consumer.address, 101n, DEPOSIT))
          .to.be.revertedWithCustomError(gateway, "FiatGatewayBankReferenceUsed")
          .withArgs(DEPOSIT);
        await expect(gateway.connect(minter).mint(provider.address, 100n, DEPOSIT))
          .to.be.revertedWithCustomError(gateway, "FiatGatewayBankReferenceUsed")
          .withArgs(DEPOSIT);
      });

      it("reverts for another minter too", async function () {
        const f = await minted();
        const second = spareKey(f, 0);
        await f.gateway.connect(f.masterMinter).configureMinter(second.address, 1000n);
        await expect(f.gateway.connect(second).mint(f.consumer.address, 100n, DEPOSIT))
          .to.be.revertedWithCustomError(f.gateway, "FiatGatewayBankReferenceUsed")
          .withArgs(DEPOSIT);
      });
    });

    describe("when the amount exceeds the minter's allowance", function () {
      it("reverts with FiatGatewayAllowanceExceeded", async function () {
        const { gateway, masterMinter, minter, consumer } = await networkHelpers.loadFixture(deploySettlementLayer);
        await gateway.connect(masterMinter).configureMinter(minter.address, 100n);
        await expect(gateway.connect(minter).mint(consumer.address, 101n, DEPOSIT))
          .to.be.revertedWithCustomError(gateway, "FiatGatewayAllowanceExceeded")
          .withArgs(minter.address, 101n, 100n);
      });

      it("mints the whole allowance, then nothing more", async function () {
        const { gateway, masterMinter, minter, consumer } = await networkHelpers.loadFixture(deploySettlementLayer);
        await gateway.connect(masterMinter).configureMinter(minter.address, 100n);
        await expect(gateway.connect(minter).mint(consumer.address, 100n, DEPOSIT))
          .to.emit(gateway, "Minted")
          .withArgs(DEPOSIT, minter.address, consumer.address, 100n, 0n);
        await expect(gateway.connect(minter).mint(consumer.address, 1n, referenceHash("next deposit")))
          .to.be.revertedWithCustomError(gateway, "FiatGatewayAllowanceExceeded")
          .withArgs(minter.address, 1n, 0n);
      });
    });

    describe("when the supply after minting would exceed the attested reserve", function () {
      it("reverts with FiatGatewayReserveExceeded, and mints up to the reserve", async function () {
        const { token, gateway, auditor, minter, consumer } = await funded();
        const supply = await token.totalSupply();
        await time.increase(60);
        await gateway.connect(auditor).attestReserve(supply + 10n, await time.latest(), referenceHash("report 2"));
        await expect(gateway.connect(minter).mint(consumer.address, 11n, DEPOSIT))
          .to.be.revertedWithCustomError(gateway, "FiatGatewayReserveExceeded")
          .withArgs(supply + 11n, supply + 10n);
        await gateway.connect(minter).mint(consumer.address, 10n, DEPOSIT);
        expect(await token.totalSupply()).to.equal(supply + 10n);
      });

      it("reverts with FiatGatewayReserveExceeded against the fixture's reserve", async function () {
        const { gateway, masterMinter, minter, consumer } = await networkHelpers.loadFixture(deploySettlementLayer);
        await gateway.connect(masterMinter).configureMinter(minter.address, 2n * RESERVE);
        await expect(gateway.connect(minter).mint(consumer.address, RESERVE + 1n, DEPOSIT))
          .to.be.revertedWithCustomError(gateway, "FiatGatewayReserveExceeded")
          .withArgs(RESERVE + 1n, RESERVE);
      });
    });

    describe("when the attested reserve fell below the supply", function () {
      it("reverts any mint with FiatGatewayReserveExceeded", async function () {
        const { token, gateway, auditor, minter, consumer } = await funded();
        const supply = await token.totalSupply();
        await time.increase(60);
        await gateway.connect(auditor).attestReserve(supply - 1n, await time.latest(), referenceHash("report 2"));
        await expect(gateway.connect(minter).mint(consumer.address, 1n, DEPOSIT))
          .to.be.revertedWithCustomError(gateway, "FiatGatewayReserveExceeded")
          .withArgs(supply + 1n, supply - 1n);
      });
    });

    describe("when one deposit exceeds 2^96 - 1 units", function () {
      it("reverts with SafeCastOverflowedUintDowncast (a mint record keeps 96 bits)", async function () {
        const { gateway, auditor, masterMinter, minter, consumer } =
          await networkHelpers.loadFixture(deploySettlementLayer);
        await gateway.connect(masterMinter).configureMinter(minter.address, MAX_UINT128);
        await time.increase(60);
        await gateway.connect(auditor).attestReserve(MAX_UINT128, await time.latest(), referenceHash("report 2"));
        await expect(gateway.connect(minter).mint(consumer.address, MAX_UINT96 + 1n, DEPOSIT))
          .to.be.revertedWithCustomError(gateway, "SafeCastOverflowedUintDowncast")
          .withArgs(96, MAX_UINT96 + 1n);
        await gateway.connect(minter).mint(consumer.address, MAX_UINT96, DEPOSIT);
        const record = await gateway.mintOf(DEPOSIT);
        expect(record.amount).to.equal(MAX_UINT96);
      });
    });

    describe("when a minter mints against a new bank reference", function () {
      it("credits the recipient and emits Minted with the allowance left", async function () {
        const { token, gateway, minter, consumer } = await networkHelpers.loadFixture(deploySettlementLayer);
        const tx = gateway.connect(minter).mint(consumer.address, 300n, DEPOSIT);
        await expect(tx)
          .to.emit(gateway, "Minted")
          .withArgs(DEPOSIT, minter.address, consumer.address, 300n, MINTER_ALLOWANCE - 300n);
        await expect(tx).to.changeTokenBalance(ethers, token, consumer, 300n);
        expect(await token.totalSupply()).to.equal(300n);
      });

      it("reduces the minter's allowance", async function () {
        const { gateway, minter, consumer, provider } = await networkHelpers.loadFixture(deploySettlementLayer);
        await gateway.connect(minter).mint(consumer.address, 300n, DEPOSIT);
        expect(await gateway.minterAllowance(minter.address)).to.equal(MINTER_ALLOWANCE - 300n);
        await expect(gateway.connect(minter).mint(provider.address, 200n, referenceHash("second deposit")))
          .to.emit(gateway, "Minted")
          .withArgs(referenceHash("second deposit"), minter.address, provider.address, 200n, MINTER_ALLOWANCE - 500n);
        expect(await gateway.minterAllowance(minter.address)).to.equal(MINTER_ALLOWANCE - 500n);
        expect(await gateway.isMinter(minter.address)).to.equal(true);
      });

      it("records what the bank reference minted (mintOf)", async function () {
        const { gateway, minter, consumer } = await networkHelpers.loadFixture(deploySettlementLayer);
        const before = await gateway.mintOf(DEPOSIT);
        expect(before.to).to.equal(ZeroAddress);
        expect(before.amount).to.equal(0n);
        await gateway.connect(minter).mint(consumer.address, 300n, DEPOSIT);
        const record = await gateway.mintOf(DEPOSIT);
        expect(record.to).to.equal(consumer.address);
        expect(record.amount).to.equal(300n);
      });
    });

    describe("when the token refuses the recipient", function () {
      it("reverts and leaves the bank reference unused", async function () {
        const { token, gateway, minter, consumer, outsider } = await networkHelpers.loadFixture(deploySettlementLayer);
        await expect(gateway.connect(minter).mint(outsider.address, 300n, DEPOSIT))
          .to.be.revertedWithCustomError(token, "SettlementTokenNotMember")
          .withArgs(outsider.address);
        expect((await gateway.mintOf(DEPOSIT)).amount).to.equal(0n);
        expect(await gateway.minterAllowance(minter.address)).to.equal(MINTER_ALLOWANCE);
        await gateway.connect(minter).mint(consumer.address, 300n, DEPOSIT);
        expect((await gateway.mintOf(DEPOSIT)).to).to.equal(consumer.address);
      });
    });
  });

  describe("attestReserve", function () {
    describe("when the caller is a member without the auditor role", function () {
      it("reverts with ConsortiumMissingRole", async function () {
        const { gateway, consortium, operator, memberIds } = await networkHelpers.loadFixture(deploySettlementLayer);
        await expect(gateway.connect(operator).attestReserve(RESERVE, await time.latest(), ZeroHash))
          .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
          .withArgs(memberIds.operator, Role.Auditor);
      });
    });

    describe("when the caller is not a member", function () {
      it("reverts with ConsortiumNotMember", async function () {
        const { gateway, consortium, outsider } = await networkHelpers.loadFixture(deploySettlementLayer);
        await expect(gateway.connect(outsider).attestReserve(RESERVE, await time.latest(), ZeroHash))
          .to.be.revertedWithCustomError(consortium, "ConsortiumNotMember")
          .withArgs(outsider.address);
      });
    });

    describe("when the auditor is suspended", function () {
      it("reverts with ConsortiumMemberSuspended", async function () {
        const { gateway, consortium, operator, auditor, memberIds } =
          await networkHelpers.loadFixture(deploySettlementLayer);
        await consortium.connect(operator).suspend(memberIds.auditor, referenceHash("suspension"));
        await time.increase(60);
        await expect(gateway.connect(auditor).attestReserve(RESERVE, await time.latest(), ZeroHash))
          .to.be.revertedWithCustomError(consortium, "ConsortiumMemberSuspended")
          .withArgs(memberIds.auditor);
      });
    });

    describe("when the attestation is dated in the future", function () {
      it("reverts with FiatGatewayAttestationInFuture", async function () {
        const { gateway, auditor } = await networkHelpers.loadFixture(deploySettlementLayer);
        const now = BigInt(await time.latest()) + 10n;
        await time.setNextBlockTimestamp(now);
        await expect(gateway.connect(auditor).attestReserve(RESERVE, now + 1n, ZeroHash))
          .to.be.revertedWithCustomError(gateway, "FiatGatewayAttestationInFuture")
          .withArgs(now + 1n, now);
      });
    });

    describe("when the attestation is not newer than the last one", function () {
      it("reverts with FiatGatewayAttestationOutdated for the same date", async function () {
        const { gateway, auditor } = await networkHelpers.loadFixture(deploySettlementLayer);
        const [, last] = await gateway.attestedReserve();
        await expect(gateway.connect(auditor).attestReserve(RESERVE, last, ZeroHash))
          .to.be.revertedWithCustomError(gateway, "FiatGatewayAttestationOutdated")
          .withArgs(last, last);
      });

      it("reverts with FiatGatewayAttestationOutdated for an earlier date", async function () {
        const { gateway, auditor } = await networkHelpers.loadFixture(deploySettlementLayer);
        const [, last] = await gateway.attestedReserve();
        await expect(gateway.connect(auditor).attestReserve(RESERVE, last - 1n, ZeroHash))
          .to.be.revertedWithCustomError(gateway, "FiatGatewayAttestationOutdated")
          .withArgs(last - 1n, last);
      });
    });

    describe("when the reserve exceeds 2^128 - 1", function () {
      it("reverts with SafeCastOverflowedUintDowncast", async function () {
        const { gateway, auditor } = await networkHelpers.loadFixture(deploySettlementLayer);
        await time.increase(60);
        await expect(gateway.connect(auditor).attestReserve(MAX_UINT128 + 1n, await time.latest(), ZeroHash))
          .to.be.revertedWithCustomError(gateway, "SafeCastOverflowedUintDowncast")
          .withArgs(128, MAX_UINT128 + 1n);
      });
    });

    describe("when an auditor attests a newer reserve", function () {
      it("stores it and emits ReserveAttested with the current supply", async function () {
        const { token, gateway, auditor, memberIds } = await funded();
        const report = referenceHash("reserve report 2");
        const asOf = BigInt(await time.latest()) + 30n;
        await time.setNextBlockTimestamp(asOf);
        await expect(gateway.connect(auditor).attestReserve(RESERVE * 2n, asOf, report))
          .to.emit(gateway, "ReserveAttested")
          .withArgs(memberIds.auditor, RESERVE * 2n, asOf, report, await token.totalSupply());
        const [reserve, attestedAsOf] = await gateway.attestedReserve();
        expect(reserve).to.equal(RESERVE * 2n);
        expect(attestedAsOf).to.equal(asOf);
        expect(await token.totalSupply()).to.equal(2n * BALANCE);
      });

      it("accepts a date between the last attestation and now", async function () {
        const { gateway, auditor } = await networkHelpers.loadFixture(deploySettlementLayer);
        const [, last] = await gateway.attestedReserve();
        await time.increase(3600);
        await gateway.connect(auditor).attestReserve(RESERVE - 1n, last + 1n, ZeroHash);
        const [reserve, asOf] = await gateway.attestedReserve();
        expect(reserve).to.equal(RESERVE - 1n);
        expect(asOf).to.equal(last + 1n);
      });
    });
  });

  // The redemption's branches (request, then paid or rejected) are written down in FiatGateway.redemption.tree, whose
  // leaves are titles of the tests below (test/meta/trees.ts checks that each has one).
  describe("requestRedemption", function () {
    describe("when a member in good standing approved the amount", function () {
      it("locks the tokens in the gateway and emits RedemptionRequested", async function () {
        const f = await funded();
        const { token, gateway, consumer, memberIds, gatewayAddress } = f;
        await token.connect(consumer).approve(gatewayAddress, 400n);
        const tx = gateway.connect(consumer).requestRedemption(400n, PAYOUT);
        await expect(tx)
          .to.emit(gateway, "RedemptionRequested")
          .withArgs(1n, memberIds.consumer, consumer.address, 400n, PAYOUT);
        await expect(tx).to.changeTokenBalances(ethers, token, [consumer, gatewayAddress], [-400n, 400n]);
        expect(await token.allowance(consumer.address, gatewayAddress)).to.equal(0n);
      });

      it("returns the new redemption's id", async function () {
        const f = await pending();
        await f.token.connect(f.provider).approve(f.gatewayAddress, 1n);
        expect(await f.gateway.connect(f.provider).requestRedemption.staticCall(1n, PAYOUT)).to.equal(2n);
      });

      it("records the request", async function () {
        const f = await funded();
        const requestedAt = await timestampOf(request(f, f.consumer, 400n));
        const redemption = await f.gateway.getRedemption(1n);
        expect(redemption.account).to.equal(f.consumer.address);
        expect(redemption.memberId).to.equal(f.memberIds.consumer);
        expect(redemption.status).to.equal(RedemptionStatus.Pending);
        expect(redemption.amount).to.equal(400n);
        expect(redemption.requestedAt).to.equal(requestedAt);
        expect(redemption.settledAt).to.equal(0n);
        expect(redemption.payoutRef).to.equal(PAYOUT);
      });

      it("counts the request as pending and as an open obligation of the member", async function () {
        const f = await funded();
        await request(f, f.consumer, 400n);
        await request(f, f.consumer, 100n, referenceHash("other payout account"));
        await request(f, f.provider, 250n);
        expect(await f.gateway.redemptionCount()).to.equal(3n);
        expect(await f.gateway.pendingTotal()).to.equal(750n);
        expect(await f.token.balanceOf(f.gatewayAddress)).to.equal(750n);
        expect(await f.gateway.openObligations(f.memberIds.consumer)).to.equal(2n);
        expect(await f.gateway.openObligations(f.memberIds.provider)).to.equal(1n);
        expect(await f.gateway.openObligations(f.memberIds.licensor)).to.equal(0n);
        expect((await f.gateway.getRedemption(3n)).account).to.equal(f.provider.address);
      });

      it("blocks the member's exit while pending", async function () {
        const f = await pending();
        await f.consortium.connect(f.consumer).requestExit();
        await time.increase(NOTICE_PERIOD);
        await expect(f.consortium.completeExit(f.memberIds.consumer))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumOpenObligations")
          .withArgs(f.memberIds.consumer, f.gatewayAddress, 1n);
      });
    });

    describe("when the amount is zero", function () {
      it("reverts with FiatGatewayZeroAmount", async function () {
        const { gateway, consumer } = await funded();
        await expect(gateway.connect(consumer).requestRedemption(0n, PAYOUT)).to.be.revertedWithCustomError(
          gateway,
          "FiatGatewayZeroAmount",
        );
      });
    });

    describe("when the payout reference is zero", function () {
      it("reverts with FiatGatewayZeroPayoutReference", async function () {
        const { gateway, consumer } = await funded();
        await expect(gateway.connect(consumer).requestRedemption(1n, ZeroHash)).to.be.revertedWithCustomError(
          gateway,
          "FiatGatewayZeroPayoutReference",
        );
      });
    });

    describe("when the amount exceeds 2^128 - 1", function () {
      it("reverts with SafeCastOverflowedUintDowncast", async function () {
        const { gateway, consumer } = await funded();
        await expect(gateway.connect(consumer).requestRedemption(MAX_UINT128 + 1n, PAYOUT))
          .to.be.revertedWithCustomError(gateway, "SafeCastOverflowedUintDowncast")
          .withArgs(128, MAX_UINT128 + 1n);
      });
    });

    describe("when the caller's member asked to leave", function () {
      it("locks the tokens all the same: a leaving member cashes out before it exits", async function () {
        const f = await funded();
        await f.consortium.connect(f.consumer).requestExit();
        await expect(request(f, f.consumer, BALANCE))
          .to.emit(f.gateway, "RedemptionRequested")
          .withArgs(1n, f.memberIds.consumer, f.consumer.address, BALANCE, PAYOUT);
        expect(await f.token.balanceOf(f.consumer.address)).to.equal(0n);
        expect(await f.gateway.openObligations(f.memberIds.consumer)).to.equal(1n);
      });
    });

    describe("when the caller's member is suspended", function () {
      it("reverts with ConsortiumMemberSuspended", async function () {
        const { token, consortium, gateway, operator, consumer, memberIds, gatewayAddress } = await funded();
        await token.connect(consumer).approve(gatewayAddress, 400n);
        await consortium.connect(operator).suspend(memberIds.consumer, referenceHash("suspension"));
        await expect(gateway.connect(consumer).requestRedemption(400n, PAYOUT))
          .to.be.revertedWithCustomError(consortium, "ConsortiumMemberSuspended")
          .withArgs(memberIds.consumer);
      });
    });

    describe("when the caller is not a member's account", function () {
      it("reverts with ConsortiumNotMember", async function () {
        const { consortium, gateway, outsider } = await funded();
        await expect(gateway.connect(outsider).requestRedemption(1n, PAYOUT))
          .to.be.revertedWithCustomError(consortium, "ConsortiumNotMember")
          .withArgs(outsider.address);
      });
    });

    describe("when the caller's account was removed", function () {
      it("reverts with ConsortiumAccountRemoved", async function () {
        const f = await funded();
        const second = spareKey(f, 0);
        await f.consortium.connect(f.consumer).addAccount(second.address);
        await f.consortium.connect(f.consumer).removeAccount(second.address);
        await expect(f.gateway.connect(second).requestRedemption(1n, PAYOUT))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAccountRemoved")
          .withArgs(second.address, f.memberIds.consumer);
      });
    });

    describe("when the gateway was not approved", function () {
      it("reverts with ERC20InsufficientAllowance", async function () {
        const { token, gateway, consumer, gatewayAddress } = await funded();
        await expect(gateway.connect(consumer).requestRedemption(400n, PAYOUT))
          .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
          .withArgs(gatewayAddress, 0n, 400n);
      });
    });

    describe("when the amount exceeds the balance", function () {
      it("reverts with ERC20InsufficientBalance", async function () {
        const f = await funded();
        await f.token.connect(f.consumer).approve(f.gatewayAddress, ethers.MaxUint256);
        await expect(f.gateway.connect(f.consumer).requestRedemption(BALANCE + 1n, PAYOUT))
          .to.be.revertedWithCustomError(f.token, "ERC20InsufficientBalance")
          .withArgs(f.consumer.address, BALANCE, BALANCE + 1n);
      });
    });
  });

  describe("requestRedemptionWithPermit", function () {
    it("approves and requests in one transaction", async function () {
      const { token, gateway, consumer, memberIds, gatewayAddress } = await funded();
      const deadline = BigInt(await time.latest()) + 3600n;
      const { v, r, s } = await signPermit(token, consumer, gatewayAddress, 400n, deadline);
      const tx = gateway.connect(consumer).requestRedemptionWithPermit(400n, PAYOUT, deadline, v, r, s);
      await expect(tx)
        .to.emit(gateway, "RedemptionRequested")
        .withArgs(1n, memberIds.consumer, consumer.address, 400n, PAYOUT);
      await expect(tx).to.changeTokenBalances(ethers, token, [consumer, gatewayAddress], [-400n, 400n]);
      expect(await token.nonces(consumer.address)).to.equal(1n);
      expect(await gateway.pendingTotal()).to.equal(400n);
    });
  });

  describe("markRedemptionPaid", function () {
    describe("when the caller is a member without the operator role", function () {
      it("reverts with ConsortiumMissingRole", async function () {
        const { consortium, gateway, consumer, memberIds } = await pending();
        await expect(gateway.connect(consumer).markRedemptionPaid(1n, BANK_TX))
          .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
          .withArgs(memberIds.consumer, Role.Operator);
      });
    });

    describe("when the caller is not a member", function () {
      it("reverts with ConsortiumNotMember", async function () {
        const { consortium, gateway, minter } = await pending();
        await expect(gateway.connect(minter).markRedemptionPaid(1n, BANK_TX))
          .to.be.revertedWithCustomError(consortium, "ConsortiumNotMember")
          .withArgs(minter.address);
      });
    });

    describe("when the bank transaction reference is zero", function () {
      it("reverts with FiatGatewayZeroBankTxReference", async function () {
        const { gateway, operator } = await pending();
        await expect(gateway.connect(operator).markRedemptionPaid(1n, ZeroHash)).to.be.revertedWithCustomError(
          gateway,
          "FiatGatewayZeroBankTxReference",
        );
      });
    });

    describe("when no redemption has the id", function () {
      it("reverts with FiatGatewayUnknownRedemption", async function () {
        const { gateway, operator } = await pending();
        for (const unknown of [0n, 2n]) {
          await expect(gateway.connect(operator).markRedemptionPaid(unknown, BANK_TX))
            .to.be.revertedWithCustomError(gateway, "FiatGatewayUnknownRedemption")
            .withArgs(unknown);
        }
      });
    });

    describe("when the redemption is pending", function () {
      it("burns the locked tokens and emits RedemptionPaid with every reference", async function () {
        const { token, gateway, operator, memberIds, gatewayAddress } = await pending();
        const supply = await token.totalSupply();
        const tx = gateway.connect(operator).markRedemptionPaid(1n, BANK_TX);
        await expect(tx).to.emit(gateway, "RedemptionPaid").withArgs(1n, memberIds.consumer, 400n, PAYOUT, BANK_TX);
        await expect(tx).to.changeTokenBalance(ethers, token, gatewayAddress, -400n);
        expect(await token.totalSupply()).to.equal(supply - 400n);
      });

      it("marks it paid and releases it from the pending totals", async function () {
        const f = await pending();
        await request(f, f.consumer, 100n);
        const settledAt = await timestampOf(f.gateway.connect(f.operator).markRedemptionPaid(1n, BANK_TX));
        const redemption = await f.gateway.getRedemption(1n);
        expect(redemption.status).to.equal(RedemptionStatus.Paid);
        expect(redemption.settledAt).to.equal(settledAt);
        expect(redemption.amount).to.equal(400n);
        expect(await f.gateway.pendingTotal()).to.equal(100n);
        expect(await f.token.balanceOf(f.gatewayAddress)).to.equal(100n);
        expect(await f.gateway.openObligations(f.memberIds.consumer)).to.equal(1n);
        expect((await f.gateway.getRedemption(2n)).status).to.equal(RedemptionStatus.Pending);
      });

      it("lets the member exit once every redemption is settled and its balance is gone", async function () {
        const f = await funded();
        await request(f, f.consumer, BALANCE);
        await f.consortium.connect(f.consumer).requestExit();
        await time.increase(NOTICE_PERIOD);
        await f.gateway.connect(f.operator).markRedemptionPaid(1n, BANK_TX);
        expect(await f.gateway.openObligations(f.memberIds.consumer)).to.equal(0n);
        await expect(f.consortium.completeExit(f.memberIds.consumer))
          .to.emit(f.consortium, "MemberExited")
          .withArgs(f.memberIds.consumer);
      });
    });

    describe("when the redemption is no longer pending", function () {
      it("reverts with FiatGatewayRedemptionNotPending once paid", async function () {
        const { gateway, operator } = await pending();
        await gateway.connect(operator).markRedemptionPaid(1n, BANK_TX);
        await expect(gateway.connect(operator).markRedemptionPaid(1n, BANK_TX))
          .to.be.revertedWithCustomError(gateway, "FiatGatewayRedemptionNotPending")
          .withArgs(1n, RedemptionStatus.Paid);
        await expect(gateway.connect(operator).rejectRedemption(1n, REASON))
          .to.be.revertedWithCustomError(gateway, "FiatGatewayRedemptionNotPending")
          .withArgs(1n, RedemptionStatus.Paid);
      });

      it("reverts with FiatGatewayRedemptionNotPending once rejected", async function () {
        const { gateway, operator } = await pending();
        await gateway.connect(operator).rejectRedemption(1n, REASON);
        await expect(gateway.connect(operator).markRedemptionPaid(1n, BANK_TX))
          .to.be.revertedWithCustomError(gateway, "FiatGatewayRedemptionNotPending")
          .withArgs(1n, RedemptionStatus.Rejected);
      });
    });
  });

  describe("rejectRedemption", function () {
    describe("when the caller is a member without the operator role", function () {
      it("reverts with ConsortiumMissingRole", async function () {
        const { consortium, gateway, auditor, memberIds } = await pending();
        await expect(gateway.connect(auditor).rejectRedemption(1n, REASON))
          .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
          .withArgs(memberIds.auditor, Role.Operator);
      });
    });

    describe("when no redemption has the id", function () {
      it("reverts with FiatGatewayUnknownRedemption", async function () {
        const { gateway, operator } = await pending();
        await expect(gateway.connect(operator).rejectRedemption(7n, REASON))
          .to.be.revertedWithCustomError(gateway, "FiatGatewayUnknownRedemption")
          .withArgs(7n);
      });
    });

    describe("when the redemption is pending", function () {
      it("refunds the requesting account and emits RedemptionRejected with the reason", async function () {
        const { token, gateway, operator, consumer, memberIds, gatewayAddress } = await pending();
        const supply = await token.totalSupply();
        const tx = gateway.connect(operator).rejectRedemption(1n, REASON);
        await expect(tx)
          .to.emit(gateway, "RedemptionRejected")
          .withArgs(1n, memberIds.consumer, consumer.address, 400n, REASON);
        await expect(tx).to.changeTokenBalances(ethers, token, [gatewayAddress, consumer], [-400n, 400n]);
        expect(await token.totalSupply()).to.equal(supply);
      });

      it("marks it rejected and releases it from the pending totals", async function () {
        const f = await pending();
        const settledAt = await timestampOf(f.gateway.connect(f.operator).rejectRedemption(1n, REASON));
        const redemption = await f.gateway.getRedemption(1n);
        expect(redemption.status).to.equal(RedemptionStatus.Rejected);
        expect(redemption.settledAt).to.equal(settledAt);
        expect(await f.gateway.pendingTotal()).to.equal(0n);
        expect(await f.gateway.openObligations(f.memberIds.consumer)).to.equal(0n);
      });
    });

    describe("when the redemption was paid", function () {
      it("reverts with FiatGatewayRedemptionNotPending once paid", async function () {
        const { gateway, operator } = await pending();
        await gateway.connect(operator).markRedemptionPaid(1n, BANK_TX);
        await expect(gateway.connect(operator).rejectRedemption(1n, REASON))
          .to.be.revertedWithCustomError(gateway, "FiatGatewayRedemptionNotPending")
          .withArgs(1n, RedemptionStatus.Paid);
      });
    });

    describe("when the redemption was rejected already", function () {
      it("reverts with FiatGatewayRedemptionNotPending", async function () {
        const { gateway, operator } = await pending();
        await gateway.connect(operator).rejectRedemption(1n, REASON);
        await expect(gateway.connect(operator).rejectRedemption(1n, REASON))
          .to.be.revertedWithCustomError(gateway, "FiatGatewayRedemptionNotPending")
          .withArgs(1n, RedemptionStatus.Rejected);
      });
    });

    describe("when the requesting account was removed since", function () {
      it("refunds the member's first active account", async function () {
        const f = await funded();
        const second = spareKey(f, 0);
        await f.consortium.connect(f.consumer).addAccount(second.address);
        await f.fund(second.address, 300n);
        await request(f, second, 300n);
        await f.consortium.connect(f.consumer).removeAccount(second.address);
        expect(await f.consortium.accountsOf(f.memberIds.consumer)).to.deep.equal([f.consumer.address]);
        const tx = f.gateway.connect(f.operator).rejectRedemption(1n, REASON);
        await expect(tx)
          .to.emit(f.gateway, "RedemptionRejected")
          .withArgs(1n, f.memberIds.consumer, f.consumer.address, 300n, REASON);
        await expect(tx).to.changeTokenBalances(
          ethers,
          f.token,
          [f.gatewayAddress, f.consumer, second],
          [-300n, 300n, 0n],
        );
      });
    });

    describe("when the requesting member was suspended since", function () {
      it("refunds the requesting account, which may receive though frozen", async function () {
        const f = await pending();
        await f.consortium.connect(f.operator).suspend(f.memberIds.consumer, referenceHash("suspension"));
        const tx = f.gateway.connect(f.operator).rejectRedemption(1n, REASON);
        await expect(tx)
          .to.emit(f.gateway, "RedemptionRejected")
          .withArgs(1n, f.memberIds.consumer, f.consumer.address, 400n, REASON);
        await expect(tx).to.changeTokenBalance(ethers, f.token, f.consumer, 400n);
      });
    });
  });

  describe("read-only functions", function () {
    it("report nothing for unknown ids, references and members", async function () {
      const { gateway, outsider } = await pending();
      const unknown = await gateway.getRedemption(99n);
      expect(unknown.account).to.equal(ZeroAddress);
      expect(unknown.memberId).to.equal(0n);
      expect(unknown.status).to.equal(RedemptionStatus.None);
      expect(unknown.amount).to.equal(0n);
      expect(unknown.payoutRef).to.equal(ZeroHash);
      expect(await gateway.openObligations(99n)).to.equal(0n);
      expect(await gateway.isMinter(outsider.address)).to.equal(false);
      expect(await gateway.minterAllowance(outsider.address)).to.equal(0n);
      expect((await gateway.mintOf(referenceHash("never deposited"))).to).to.equal(ZeroAddress);
    });

    it("keep the gateway's token balance equal to pendingTotal", async function () {
      const f = await funded();
      await request(f, f.consumer, 400n);
      await request(f, f.provider, 300n);
      await request(f, f.consumer, 50n);
      expect(await f.gateway.pendingTotal()).to.equal(await f.token.balanceOf(f.gatewayAddress));
      await f.gateway.connect(f.operator).markRedemptionPaid(2n, BANK_TX);
      expect(await f.gateway.pendingTotal()).to.equal(450n);
      await f.gateway.connect(f.operator).rejectRedemption(1n, REASON);
      expect(await f.gateway.pendingTotal()).to.equal(50n);
      expect(await f.token.balanceOf(f.gatewayAddress)).to.equal(50n);
      expect(await f.gateway.redemptionCount()).to.equal(3n);
    });
  });
});
