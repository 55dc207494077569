/*
FiatGateway
├── constructor: zero admin -> FiatGatewayInvalidAdmin; zero master minter -> nobody holds the role
├── supportsInterface: IObligations, IFiatGateway, IAccessControl, IERC165; not others
├── configureMinter / removeMinter
│   ├── by anyone without MASTER_MINTER_ROLE: AccessControlUnauthorizedAccount
│   ├── zero minter: FiatGatewayInvalidMinter; allowance above 2^128-1: SafeCastOverflowedUintDowncast
│   ├── sets (not adds to) the allowance: MinterConfigured
│   └── remove: MinterRemoved; not a minter: FiatGatewayNotMinter
├── mint
│   ├── not a minter: FiatGatewayNotMinter; zero amount: FiatGatewayZeroAmount; zero reference: FiatGatewayZeroBankReference
│   ├── used reference (same or different deposit): FiatGatewayBankReferenceUsed
│   ├── above the allowance: FiatGatewayAllowanceExceeded; above the reserve: FiatGatewayReserveExceeded
│   └── success: allowance reduced, record kept, Minted with allowance left
├── attestReserve
│   ├── non-auditor: ConsortiumMissingRole; in the future: FiatGatewayAttestationInFuture
│   ├── not newer than the last: FiatGatewayAttestationOutdated
│   └── success: ReserveAttested with the supply; a lower reserve blocks further mints
├── requestRedemption (approve) / requestRedemptionWithPermit
│   ├── zero amount: FiatGatewayZeroAmount; zero payout reference: FiatGatewayZeroPayoutReference
│   ├── non-member: ConsortiumNotMember; suspended member: ConsortiumMemberSuspended
│   └── success: tokens locked, pendingTotal, openObligations, RedemptionRequested
├── markRedemptionPaid: operator only; zero bank tx ref: FiatGatewayZeroBankTxReference; burns; RedemptionPaid
├── rejectRedemption: operator only; refunds the requesting account, or the member's first account if that
│   account was removed; RedemptionRejected
└── settling: unknown id: FiatGatewayUnknownRedemption; twice: FiatGatewayRedemptionNotPending
*/
import { expect } from "chai";
import { network } from "hardhat";

import { Role } from "../../src/sdk/membership.js";
import { parseEuro } from "../../src/sdk/money.js";
import { referenceHash } from "../../src/sdk/references.js";
import { IFiatGateway__factory } from "../../typechain-types/index.js";
import { MINTER_ALLOWANCE, RESERVE, mintTo, settlementLayerFixture } from "../helpers/fixtures.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const layer = settlementLayerFixture(connection);

const Status = { None: 0, Pending: 1, Paid: 2, Rejected: 3 } as const;
const PAYOUT = referenceHash("Payout to DE89 3704 0044 0532 0130 00");
const BANK_TX = referenceHash("Bank tx OUT-0001");

async function funded() {
  const f = await layer();
  await mintTo(f, f.consumer.address, parseEuro("1000"));
  await f.token.connect(f.consumer).approve(await f.gateway.getAddress(), ethers.MaxUint256);
  return f;
}

async function pending() {
  const f = await funded();
  await f.gateway.connect(f.consumer).requestRedemption(parseEuro("300"), PAYOUT);
  return f;
}

describe("FiatGateway", function () {
  describe("constructor", function () {
    it("reverts with FiatGatewayInvalidAdmin for a zero admin", async function () {
      const { consortium, token, gateway, masterMinter } = await networkHelpers.loadFixture(layer);
      await expect(
        ethers.deployContract("FiatGateway", [
          await consortium.getAddress(),
          await token.getAddress(),
          ethers.ZeroAddress,
          masterMinter.address,
        ]),
      )
        .to.be.revertedWithCustomError(gateway, "FiatGatewayInvalidAdmin")
        .withArgs(ethers.ZeroAddress);
    });

    it("leaves the master minter role empty when no master minter is given", async function () {
      const { consortium, token, issuerAdmin } = await networkHelpers.loadFixture(layer);
      const bare = await ethers.deployContract("FiatGateway", [
        await consortium.getAddress(),
        await token.getAddress(),
        issuerAdmin.address,
        ethers.ZeroAddress,
      ]);
      expect(await bare.hasRole(await bare.MASTER_MINTER_ROLE(), ethers.ZeroAddress)).to.equal(false);
      expect(await bare.hasRole(await bare.DEFAULT_ADMIN_ROLE(), issuerAdmin.address)).to.equal(true);
    });
  });

  describe("supportsInterface", function () {
    it("reports IObligations, IFiatGateway, IAccessControl and IERC165", async function () {
      const { gateway } = await networkHelpers.loadFixture(layer);
      const interfaceId = (fragments: string[]): string => {
        const iface = new ethers.Interface(fragments.map((f) => `function ${f}`));
        let id = 0n;
        iface.forEachFunction((fn) => (id ^= BigInt(fn.selector)));
        return ethers.toBeHex(id, 4);
      };
      const obligationsId = interfaceId(["openObligations(uint64)"]);
      expect(await gateway.supportsInterface(obligationsId)).to.equal(true);
      expect(await gateway.supportsInterface("0x01ffc9a7")).to.equal(true); // IERC165
      expect(await gateway.supportsInterface("0x7965db0b")).to.equal(true); // IAccessControl
      expect(await gateway.supportsInterface("0xffffffff")).to.equal(false);
      expect(await gateway.supportsInterface("0x12345678")).to.equal(false);
      const gatewayFunctions = IFiatGateway__factory.createInterface();
      let own = 0n;
      gatewayFunctions.forEachFunction((fn) => {
        if (fn.name !== "openObligations" && fn.name !== "supportsInterface") own ^= BigInt(fn.selector);
      });
      expect(await gateway.supportsInterface(ethers.toBeHex(own, 4))).to.equal(true);
    });
  });

  describe("configureMinter and removeMinter", function () {
    it("refuses accounts without MASTER_MINTER_ROLE", async function () {
      const { gateway, operator, outsider } = await networkHelpers.loadFixture(layer);
      await expect(gateway.connect(operator).configureMinter(outsider.address, 1n))
        .to.be.revertedWithCustomError(gateway, "AccessControlUnauthorizedAccount")
        .withArgs(operator.address, await gateway.MASTER_MINTER_ROLE());
      await expect(gateway.connect(outsider).removeMinter(outsider.address))
        .to.be.revertedWithCustomError(gateway, "AccessControlUnauthorizedAccount")
        .withArgs(outsider.address, await gateway.MASTER_MINTER_ROLE());
    });

    it("reverts with FiatGatewayInvalidMinter for the zero address", async function () {
      const { gateway, masterMinter } = await networkHelpers.loadFixture(layer);
      await expect(gateway.connect(masterMinter).configureMinter(ethers.ZeroAddress, 1n))
        .to.be.revertedWithCustomError(gateway, "FiatGatewayInvalidMinter")
        .withArgs(ethers.ZeroAddress);
    });

    it("reverts with SafeCastOverflowedUintDowncast for an allowance above 2^128 - 1", async function () {
      const { gateway, masterMinter, outsider } = await networkHelpers.loadFixture(layer);
      await expect(gateway.connect(masterMinter).configureMinter(outsider.address, 2n ** 128n))
        .to.be.revertedWithCustomError(gateway, "SafeCastOverflowedUintDowncast")
        .withArgs(128, 2n ** 128n);
    });

    it("sets the remaining allowance instead of adding to it, with MinterConfigured", async function () {
      const { gateway, masterMinter, minter } = await networkHelpers.loadFixture(layer);
      expect(await gateway.minterAllowance(minter.address)).to.equal(MINTER_ALLOWANCE);
      await expect(gateway.connect(masterMinter).configureMinter(minter.address, 42n))
        .to.emit(gateway, "MinterConfigured")
        .withArgs(minter.address, 42n);
      expect(await gateway.minterAllowance(minter.address)).to.equal(42n);
      expect(await gateway.isMinter(minter.address)).to.equal(true);
    });

    it("removes a minter with MinterRemoved, after which it cannot mint", async function () {
      const f = await networkHelpers.loadFixture(layer);
      await expect(f.gateway.connect(f.masterMinter).removeMinter(f.minter.address))
        .to.emit(f.gateway, "MinterRemoved")
        .withArgs(f.minter.address);
      expect(await f.gateway.isMinter(f.minter.address)).to.equal(false);
      expect(await f.gateway.minterAllowance(f.minter.address)).to.equal(0n);
      await expect(f.gateway.connect(f.minter).mint(f.consumer.address, 1n, referenceHash("d")))
        .to.be.revertedWithCustomError(f.gateway, "FiatGatewayNotMinter")
        .withArgs(f.minter.address);
    });

    it("reverts with FiatGatewayNotMinter when removing an account that is no minter", async function () {
      const { gateway, masterMinter, outsider } = await networkHelpers.loadFixture(layer);
      await expect(gateway.connect(masterMinter).removeMinter(outsider.address))
        .to.be.revertedWithCustomError(gateway, "FiatGatewayNotMinter")
        .withArgs(outsider.address);
    });

    it("lets the issuer's admin grant the master minter role to another key", async function () {
      const { gateway, issuerAdmin, outsider, minter } = await networkHelpers.loadFixture(layer);
      await gateway.connect(issuerAdmin).grantRole(await gateway.MASTER_MINTER_ROLE(), outsider.address);
      await gateway.connect(outsider).configureMinter(minter.address, 7n);
      expect(await gateway.minterAllowance(minter.address)).to.equal(7n);
    });
  });

  describe("mint", function () {
    const REF = referenceHash("SEPA 2026-11-25 0001");

    it("mints, reduces the allowance, keeps the record and emits Minted with the allowance left", async function () {
      const { gateway, token, minter, consumer } = await networkHelpers.loadFixture(layer);
      await expect(gateway.connect(minter).mint(consumer.address, parseEuro("100"), REF))
        .to.emit(gateway, "Minted")
        .withArgs(REF, minter.address, consumer.address, parseEuro("100"), MINTER_ALLOWANCE - parseEuro("100"));
      expect(await token.balanceOf(consumer.address)).to.equal(parseEuro("100"));
      expect(await gateway.minterAllowance(minter.address)).to.equal(MINTER_ALLOWANCE - parseEuro("100"));
      const record = await gateway.mintOf(REF);
      expect([record.to, record.amount]).to.deep.equal([consumer.address, parseEuro("100")]);
    });

    it("reverts with FiatGatewayNotMinter for accounts that are no minter", async function () {
      const { gateway, operator, consumer } = await networkHelpers.loadFixture(layer);
      await expect(gateway.connect(operator).mint(consumer.address, 1n, REF))
        .to.be.revertedWithCustomError(gateway, "FiatGatewayNotMinter")
        .withArgs(operator.address);
    });

    it("reverts with FiatGatewayZeroAmount for a zero amount", async function () {
      const { gateway, minter, consumer } = await networkHelpers.loadFixture(layer);
      await expect(gateway.connect(minter).mint(consumer.address, 0n, REF)).to.be.revertedWithCustomError(
        gateway,
        "FiatGatewayZeroAmount",
      );
    });

    it("reverts with FiatGatewayZeroBankReference without a bank reference", async function () {
      const { gateway, minter, consumer } = await networkHelpers.loadFixture(layer);
      await expect(gateway.connect(minter).mint(consumer.address, 1n, ethers.ZeroHash)).to.be.revertedWithCustomError(
        gateway,
        "FiatGatewayZeroBankReference",
      );
    });

    describe("when the bank reference already minted", function () {
      it("reverts with FiatGatewayBankReferenceUsed naming it, whatever the amount or recipient", async function () {
        const { gateway, minter, consumer, provider } = await networkHelpers.loadFixture(layer);
        await gateway.connect(minter).mint(consumer.address, 5n, REF);
        for (const [to, amount] of [
          [consumer.address, 5n],
          [provider.address, 5n],
          [consumer.address, 6n],
        ] as const) {
          await expect(gateway.connect(minter).mint(to, amount, REF))
            .to.be.revertedWithCustomError(gateway, "FiatGatewayBankReferenceUsed")
            .withArgs(REF);
        }
      });
    });

    it("reverts with FiatGatewayAllowanceExceeded above the minter's allowance", async function () {
      const { gateway, masterMinter, minter, consumer } = await networkHelpers.loadFixture(layer);
      await gateway.connect(masterMinter).configureMinter(minter.address, 10n);
      await expect(gateway.connect(minter).mint(consumer.address, 11n, REF))
        .to.be.revertedWithCustomError(gateway, "FiatGatewayAllowanceExceeded")
        .withArgs(minter.address, 11n, 10n);
    });

    it("reverts with FiatGatewayReserveExceeded when the supply would pass the attested reserve", async function () {
      const { gateway, masterMinter, minter, consumer } = await networkHelpers.loadFixture(layer);
      await gateway.connect(masterMinter).configureMinter(minter.address, RESERVE * 2n);
      await gateway.connect(minter).mint(consumer.address, RESERVE - 1n, referenceHash("first"));
      await expect(gateway.connect(minter).mint(consumer.address, 2n, REF))
        .to.be.revertedWithCustomError(gateway, "FiatGatewayReserveExceeded")
        .withArgs(RESERVE + 1n, RESERVE);
      await gateway.connect(minter).mint(consumer.address, 1n, REF);
    });

    it("reverts with SafeCastOverflowedUintDowncast for a single mint above 2^96 - 1", async function () {
      const { gateway, masterMinter, auditor, minter, consumer } = await networkHelpers.loadFixture(layer);
      const huge = 2n ** 96n;
      await gateway.connect(masterMinter).configureMinter(minter.address, huge);
      await gateway.connect(auditor).attestReserve(huge, await networkHelpers.time.latest(), referenceHash("r"));
      await expect(gateway.connect(minter).mint(consumer.address, huge, REF))
        .to.be.revertedWithCustomError(gateway, "SafeCastOverflowedUintDowncast")
        .withArgs(96, huge);
    });

    it("refuses recipients that may not hold the token, with the token's error", async function () {
      const { gateway, token, minter, outsider } = await networkHelpers.loadFixture(layer);
      await expect(gateway.connect(minter).mint(outsider.address, 1n, REF))
        .to.be.revertedWithCustomError(token, "SettlementTokenNotMember")
        .withArgs(outsider.address);
      await expect(gateway.connect(minter).mint(await gateway.getAddress(), 1n, REF))
        .to.be.revertedWithCustomError(token, "SettlementTokenMintToContract")
        .withArgs(await gateway.getAddress());
    });
  });

  describe("attestReserve", function () {
    it("records the reserve and emits ReserveAttested with the auditor and the supply", async function () {
      const { gateway, auditor, memberIds } = await networkHelpers.loadFixture(funded);
      const asOf = await networkHelpers.time.latest();
      const report = referenceHash("reserve report 2");
      await networkHelpers.time.increase(10);
      await expect(gateway.connect(auditor).attestReserve(parseEuro("2000"), asOf + 5, report))
        .to.emit(gateway, "ReserveAttested")
        .withArgs(memberIds.auditor, parseEuro("2000"), asOf + 5, report, parseEuro("1000"));
      expect(await gateway.attestedReserve()).to.deep.equal([parseEuro("2000"), BigInt(asOf + 5)]);
    });

    it("accepts a reserve below the supply, which then blocks minting", async function () {
      const { gateway, auditor, minter, consumer } = await networkHelpers.loadFixture(funded);
      await gateway
        .connect(auditor)
        .attestReserve(parseEuro("900"), await networkHelpers.time.latest(), referenceHash("low"));
      await expect(gateway.connect(minter).mint(consumer.address, 1n, referenceHash("more")))
        .to.be.revertedWithCustomError(gateway, "FiatGatewayReserveExceeded")
        .withArgs(parseEuro("1000") + 1n, parseEuro("900"));
    });

    it("refuses members that are not auditors", async function () {
      const { gateway, consortium, operator, memberIds } = await networkHelpers.loadFixture(layer);
      await expect(gateway.connect(operator).attestReserve(1n, 1, referenceHash("r")))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
        .withArgs(memberIds.operator, Role.Auditor);
    });

    it("reverts with FiatGatewayAttestationInFuture for a date after the current block", async function () {
      const { gateway, auditor } = await networkHelpers.loadFixture(layer);
      const future = (await networkHelpers.time.latest()) + 3600;
      await expect(gateway.connect(auditor).attestReserve(1n, future, referenceHash("r")))
        .to.be.revertedWithCustomError(gateway, "FiatGatewayAttestationInFuture")
        .withArgs(future, (await networkHelpers.time.latest()) + 1);
    });

    it("reverts with FiatGatewayAttestationOutdated unless it is newer than the last", async function () {
      const { gateway, auditor } = await networkHelpers.loadFixture(layer);
      const [, last] = await gateway.attestedReserve();
      await expect(gateway.connect(auditor).attestReserve(1n, last, referenceHash("r")))
        .to.be.revertedWithCustomError(gateway, "FiatGatewayAttestationOutdated")
        .withArgs(last, last);
      await expect(gateway.connect(auditor).attestReserve(1n, last - 1n, referenceHash("r")))
        .to.be.revertedWithCustomError(gateway, "FiatGatewayAttestationOutdated")
        .withArgs(last - 1n, last);
    });
  });

  describe("requestRedemption", function () {
    it("locks the tokens, counts the obligation and emits RedemptionRequested", async function () {
      const { gateway, token, consumer, memberIds } = await networkHelpers.loadFixture(funded);
      await expect(gateway.connect(consumer).requestRedemption(parseEuro("300"), PAYOUT))
        .to.emit(gateway, "RedemptionRequested")
        .withArgs(1n, memberIds.consumer, consumer.address, parseEuro("300"), PAYOUT);
      expect(await token.balanceOf(consumer.address)).to.equal(parseEuro("700"));
      expect(await token.balanceOf(await gateway.getAddress())).to.equal(parseEuro("300"));
      expect(await gateway.pendingTotal()).to.equal(parseEuro("300"));
      expect(await gateway.openObligations(memberIds.consumer)).to.equal(1n);
      expect(await gateway.openObligations(memberIds.provider)).to.equal(0n);
      expect(await gateway.redemptionCount()).to.equal(1n);
      const redemption = await gateway.getRedemption(1n);
      expect(redemption.account).to.equal(consumer.address);
      expect(redemption.memberId).to.equal(memberIds.consumer);
      expect(redemption.status).to.equal(BigInt(Status.Pending));
      expect(redemption.amount).to.equal(parseEuro("300"));
      expect(redemption.requestedAt).to.equal(BigInt(await networkHelpers.time.latest()));
      expect(redemption.settledAt).to.equal(0n);
      expect(redemption.payoutRef).to.equal(PAYOUT);
    });

    it("reverts with FiatGatewayZeroAmount for a zero amount", async function () {
      const { gateway, consumer } = await networkHelpers.loadFixture(funded);
      await expect(gateway.connect(consumer).requestRedemption(0n, PAYOUT)).to.be.revertedWithCustomError(
        gateway,
        "FiatGatewayZeroAmount",
      );
    });

    it("reverts with FiatGatewayZeroPayoutReference without payout instructions", async function () {
      const { gateway, consumer } = await networkHelpers.loadFixture(funded);
      await expect(gateway.connect(consumer).requestRedemption(1n, ethers.ZeroHash)).to.be.revertedWithCustomError(
        gateway,
        "FiatGatewayZeroPayoutReference",
      );
    });

    it("refuses non-members and suspended members with the Consortium's errors", async function () {
      const { gateway, consortium, operator, consumer, outsider, memberIds } = await networkHelpers.loadFixture(funded);
      await expect(gateway.connect(outsider).requestRedemption(1n, PAYOUT))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotMember")
        .withArgs(outsider.address);
      await consortium.connect(operator).suspend(memberIds.consumer, referenceHash("d"));
      await expect(gateway.connect(consumer).requestRedemption(1n, PAYOUT))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMemberSuspended")
        .withArgs(memberIds.consumer);
    });

    it("needs the tokens approved (or a permit)", async function () {
      const f = await networkHelpers.loadFixture(funded);
      await mintTo(f, f.provider.address, 10n);
      await expect(f.gateway.connect(f.provider).requestRedemption(1n, PAYOUT))
        .to.be.revertedWithCustomError(f.token, "ERC20InsufficientAllowance")
        .withArgs(await f.gateway.getAddress(), 0n, 1n);
    });
  });

  describe("markRedemptionPaid", function () {
    it("burns the locked tokens, releases the obligation and emits RedemptionPaid", async function () {
      const { gateway, token, operator, memberIds } = await networkHelpers.loadFixture(pending);
      await expect(gateway.connect(operator).markRedemptionPaid(1n, BANK_TX))
        .to.emit(gateway, "RedemptionPaid")
        .withArgs(1n, memberIds.consumer, parseEuro("300"), PAYOUT, BANK_TX)
        .and.to.emit(token, "Transfer")
        .withArgs(await gateway.getAddress(), ethers.ZeroAddress, parseEuro("300"));
      expect(await token.totalSupply()).to.equal(parseEuro("700"));
      expect(await gateway.pendingTotal()).to.equal(0n);
      expect(await gateway.openObligations(memberIds.consumer)).to.equal(0n);
      const redemption = await gateway.getRedemption(1n);
      expect(redemption.status).to.equal(BigInt(Status.Paid));
      expect(redemption.settledAt).to.equal(BigInt(await networkHelpers.time.latest()));
    });

    it("reverts with FiatGatewayZeroBankTxReference without the bank's reference", async function () {
      const { gateway, operator } = await networkHelpers.loadFixture(pending);
      await expect(gateway.connect(operator).markRedemptionPaid(1n, ethers.ZeroHash)).to.be.revertedWithCustomError(
        gateway,
        "FiatGatewayZeroBankTxReference",
      );
    });

    it("refuses members that are not operators", async function () {
      const { gateway, consortium, auditor, memberIds } = await networkHelpers.loadFixture(pending);
      await expect(gateway.connect(auditor).markRedemptionPaid(1n, BANK_TX))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
        .withArgs(memberIds.auditor, Role.Operator);
    });
  });

  describe("rejectRedemption", function () {
    it("returns the tokens to the requesting account and emits RedemptionRejected", async function () {
      const { gateway, token, operator, consumer, memberIds } = await networkHelpers.loadFixture(pending);
      const reason = referenceHash("payee name mismatch");
      await expect(gateway.connect(operator).rejectRedemption(1n, reason))
        .to.emit(gateway, "RedemptionRejected")
        .withArgs(1n, memberIds.consumer, consumer.address, parseEuro("300"), reason);
      expect(await token.balanceOf(consumer.address)).to.equal(parseEuro("1000"));
      expect(await gateway.pendingTotal()).to.equal(0n);
      expect(await gateway.openObligations(memberIds.consumer)).to.equal(0n);
      expect((await gateway.getRedemption(1n)).status).to.equal(BigInt(Status.Rejected));
    });

    it("refunds the member's first active account when the requesting account was removed", async function () {
      const f = await networkHelpers.loadFixture(pending);
      const [second] = f.spare;
      await f.consortium.connect(f.consumer).addAccount(second!.address);
      await f.token.connect(f.consumer).transfer(second!.address, await f.token.balanceOf(f.consumer.address));
      await f.consortium.connect(second!).removeAccount(f.consumer.address);
      await expect(f.gateway.connect(f.operator).rejectRedemption(1n, referenceHash("r")))
        .to.emit(f.gateway, "RedemptionRejected")
        .withArgs(1n, f.memberIds.consumer, second!.address, parseEuro("300"), referenceHash("r"));
      expect(await f.token.balanceOf(second!.address)).to.equal(parseEuro("1000"));
    });

    it("refunds a member that was suspended meanwhile", async function () {
      const f = await networkHelpers.loadFixture(pending);
      await f.consortium.connect(f.operator).suspend(f.memberIds.consumer, referenceHash("d"));
      await f.gateway.connect(f.operator).rejectRedemption(1n, referenceHash("r"));
      expect(await f.token.balanceOf(f.consumer.address)).to.equal(parseEuro("1000"));
    });
  });

  describe("settling a redemption that is not pending", function () {
    it("reverts with FiatGatewayUnknownRedemption for an id never issued", async function () {
      const { gateway, operator } = await networkHelpers.loadFixture(pending);
      await expect(gateway.connect(operator).markRedemptionPaid(2n, BANK_TX))
        .to.be.revertedWithCustomError(gateway, "FiatGatewayUnknownRedemption")
        .withArgs(2n);
      await expect(gateway.connect(operator).rejectRedemption(0n, BANK_TX))
        .to.be.revertedWithCustomError(gateway, "FiatGatewayUnknownRedemption")
        .withArgs(0n);
    });

    it("reverts with FiatGatewayRedemptionNotPending once paid or rejected", async function () {
      const { gateway, consumer, operator } = await networkHelpers.loadFixture(pending);
      await gateway.connect(consumer).requestRedemption(1n, PAYOUT);
      await gateway.connect(operator).markRedemptionPaid(1n, BANK_TX);
      await gateway.connect(operator).rejectRedemption(2n, BANK_TX);
      await expect(gateway.connect(operator).markRedemptionPaid(1n, BANK_TX))
        .to.be.revertedWithCustomError(gateway, "FiatGatewayRedemptionNotPending")
        .withArgs(1n, Status.Paid);
      await expect(gateway.connect(operator).rejectRedemption(2n, BANK_TX))
        .to.be.revertedWithCustomError(gateway, "FiatGatewayRedemptionNotPending")
        .withArgs(2n, Status.Rejected);
    });
  });
});
