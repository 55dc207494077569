/*
Consortium
├── constructor: founder = member 1, operator, agreement v1 published and accepted, notice period set;
│   reverts: no founder accounts (ConsortiumNoAccounts), zero agreement (ConsortiumInvalidAgreement),
│   notice period too long (ConsortiumNoticePeriodTooLong)
├── admit (operator): MemberAdmitted, AccountAdded, standing Member
│   ├── unknown role bits: ConsortiumUnknownRoles; no accounts: ConsortiumNoAccounts
│   ├── more than MAX_ACCOUNTS: ConsortiumTooManyAccounts
│   ├── zero address or a registered contract: ConsortiumInvalidAccount
│   └── an account of any member, or twice in the list: ConsortiumAccountTaken
├── suspend / reinstate (operator): MemberSuspended / MemberReinstated, standing Frozen / Member
│   ├── suspend a member that is not active: ConsortiumMemberNotActive; reinstate one that is not suspended:
│   │   ConsortiumMemberNotSuspended; unknown id: ConsortiumUnknownMember
│   └── the last operator: ConsortiumLastOperator
├── grantMemberRole / revokeMemberRole (operator): MemberRoleGranted / MemberRoleRevoked
│   ├── already held: ConsortiumRoleAlreadyHeld; not held: ConsortiumMissingRole; exited: ConsortiumMemberExited
│   └── revoking the last operator: ConsortiumLastOperator
├── publishAgreement (operator): AgreementPublished; zero or unchanged: ConsortiumInvalidAgreement
├── acceptAgreement (member): AgreementAccepted; wrong hash: ConsortiumAgreementMismatch;
│   twice: ConsortiumAgreementAlreadyAccepted; a new version gates requireNewBusiness
├── setNoticePeriod (operator): NoticePeriodChanged; too long: ConsortiumNoticePeriodTooLong
├── registerContract (operator): ContractRegistered, standing System
│   ├── no IObligations: ConsortiumNotObligationsContract; twice: ConsortiumContractAlreadyRegistered
│   ├── a member's account: ConsortiumAccountTaken; more than MAX_CONTRACTS: ConsortiumTooManyContracts
├── bindToken (operator): TokenBound and pushes every known standing; twice: ConsortiumTokenAlreadyBound;
│   a token of another Consortium or no contract: ConsortiumInvalidToken
├── addAccount / removeAccount (member): AccountAdded / AccountRemoved
│   ├── not its own account: ConsortiumNotOwnAccount; the last one: ConsortiumLastAccount
│   └── a removed account is refused everywhere: ConsortiumAccountRemoved
├── updateMetadata (member): MetadataUpdated
├── requestExit / cancelExit / completeExit: ExitRequested / ExitCancelled / MemberExited
│   ├── twice: ConsortiumExitPending; cancel or complete without request: ConsortiumExitNotRequested
│   ├── too early: ConsortiumNoticePeriodRunning; open obligations: ConsortiumOpenObligations
│   ├── tokens left: SettlementTokenBalanceNotEmpty; the last operator: ConsortiumLastOperator
│   └── after exit: standing None, ConsortiumMemberExited everywhere
└── queries: memberOf, getMember, accountsOf, memberCount, operatorCount, hasRole, requireMember,
    requireRole, requireNewBusiness, currentAgreement, agreementHash, noticePeriod, registeredContracts, token
*/
import { expect } from "chai";
import { network } from "hardhat";

import { AccountStanding, MemberStatus, Role, roleMask } from "../../src/sdk/membership.js";
import { parseEuro } from "../../src/sdk/money.js";
import { referenceHash } from "../../src/sdk/references.js";
import {
  AGREEMENT_V1,
  FOUNDER_METADATA,
  NOTICE_PERIOD,
  actors,
  mintTo,
  settlementLayerFixture,
} from "../helpers/fixtures.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const layer = settlementLayerFixture(connection);

const AGREEMENT_V2 = referenceHash("framework agreement v2");
const META = referenceHash("company record");

async function withObligations() {
  const f = await layer();
  const obligations = await ethers.deployContract("MockObligations");
  await f.consortium.connect(f.operator).registerContract(await obligations.getAddress());
  return { ...f, obligations };
}

describe("Consortium", function () {
  describe("constructor", function () {
    it("admits the founder as member 1 and only operator, with agreement v1 accepted", async function () {
      const { consortium, operator } = await networkHelpers.loadFixture(layer);
      const founder = await consortium.getMember(1n);
      expect(founder.status).to.equal(BigInt(MemberStatus.Active));
      expect(founder.roles).to.equal(BigInt(roleMask(Role.Operator)));
      expect(founder.agreementVersion).to.equal(1n);
      expect(founder.metadataHash).to.equal(FOUNDER_METADATA);
      expect(founder.exitEffectiveAt).to.equal(0n);
      expect(await consortium.accountsOf(1n)).to.deep.equal([operator.address]);
      expect(await consortium.currentAgreement()).to.deep.equal([1n, AGREEMENT_V1]);
      expect(await consortium.agreementHash(1n)).to.equal(AGREEMENT_V1);
      expect(await consortium.agreementHash(2n)).to.equal(ethers.ZeroHash);
      expect(await consortium.noticePeriod()).to.equal(NOTICE_PERIOD);
    });

    it("emits the founding events", async function () {
      const { operator } = await actors(connection);
      const consortium = await ethers.deployContract("Consortium", [
        [operator.address],
        FOUNDER_METADATA,
        AGREEMENT_V1,
        NOTICE_PERIOD,
      ]);
      const tx = consortium.deploymentTransaction()!;
      await expect(tx).to.emit(consortium, "AgreementPublished").withArgs(1n, AGREEMENT_V1);
      await expect(tx).to.emit(consortium, "NoticePeriodChanged").withArgs(NOTICE_PERIOD);
      await expect(tx)
        .to.emit(consortium, "MemberAdmitted")
        .withArgs(1n, roleMask(Role.Operator), FOUNDER_METADATA, [operator.address]);
      await expect(tx).to.emit(consortium, "AccountAdded").withArgs(1n, operator.address);
      await expect(tx).to.emit(consortium, "AgreementAccepted").withArgs(1n, 1n, AGREEMENT_V1, operator.address);
    });

    it("reverts without founder accounts, with a zero agreement or a too long notice period", async function () {
      const { consortium, operator } = await networkHelpers.loadFixture(layer);
      const deploy = (accounts: string[], agreement: string, notice: bigint) =>
        ethers.deployContract("Consortium", [accounts, FOUNDER_METADATA, agreement, notice]);
      await expect(deploy([], AGREEMENT_V1, NOTICE_PERIOD)).to.be.revertedWithCustomError(
        consortium,
        "ConsortiumNoAccounts",
      );
      await expect(deploy([operator.address], ethers.ZeroHash, NOTICE_PERIOD))
        .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidAgreement")
        .withArgs(ethers.ZeroHash);
      const max = await consortium.MAX_NOTICE_PERIOD();
      await expect(deploy([operator.address], AGREEMENT_V1, max + 1n))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNoticePeriodTooLong")
        .withArgs(max + 1n, max);
    });
  });

  describe("admit", function () {
    it("admits a company with its accounts and roles", async function () {
      const { consortium, token, operator, spare } = await networkHelpers.loadFixture(layer);
      const [a, b] = [spare[0]!.address, spare[1]!.address];
      const roles = roleMask(Role.Provider, Role.Licensor);
      await expect(consortium.connect(operator).admit([a, b], roles, META))
        .to.emit(consortium, "MemberAdmitted")
        .withArgs(6n, roles, META, [a, b])
        .and.to.emit(consortium, "AccountAdded")
        .withArgs(6n, b);
      expect(await consortium.memberCount()).to.equal(6n);
      expect(await consortium.memberOf(a)).to.deep.equal([6n, true]);
      expect(await consortium.accountsOf(6n)).to.deep.equal([a, b]);
      expect(await consortium.hasRole(b, Role.Licensor)).to.equal(true);
      expect(await consortium.hasRole(b, Role.Consumer)).to.equal(false);
      expect(await token.standingOf(a)).to.equal(BigInt(AccountStanding.Member));
      const member = await consortium.getMember(6n);
      expect(member.agreementVersion).to.equal(0n);
      expect(member.admittedAt).to.equal(BigInt(await networkHelpers.time.latest()));
    });

    it("reverts with ConsortiumUnknownRoles for bits that name no role", async function () {
      const { consortium, operator, spare } = await networkHelpers.loadFixture(layer);
      await expect(consortium.connect(operator).admit([spare[0]!.address], 0x20, META))
        .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownRoles")
        .withArgs(0x20);
    });

    it("reverts with ConsortiumNoAccounts for an empty list", async function () {
      const { consortium, operator } = await networkHelpers.loadFixture(layer);
      await expect(consortium.connect(operator).admit([], 0, META)).to.be.revertedWithCustomError(
        consortium,
        "ConsortiumNoAccounts",
      );
    });

    it("reverts with ConsortiumTooManyAccounts above MAX_ACCOUNTS", async function () {
      const { consortium, operator } = await networkHelpers.loadFixture(layer);
      const max = await consortium.MAX_ACCOUNTS();
      const many = Array.from({ length: Number(max) + 1 }, () => ethers.Wallet.createRandom().address);
      await expect(consortium.connect(operator).admit(many, 0, META))
        .to.be.revertedWithCustomError(consortium, "ConsortiumTooManyAccounts")
        .withArgs(6n, max);
      await consortium.connect(operator).admit(many.slice(0, Number(max)), 0, META);
    });

    it("reverts with ConsortiumInvalidAccount for the zero address or a registered contract", async function () {
      const { consortium, gateway, operator } = await networkHelpers.loadFixture(layer);
      await expect(consortium.connect(operator).admit([ethers.ZeroAddress], 0, META))
        .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidAccount")
        .withArgs(ethers.ZeroAddress);
      await expect(consortium.connect(operator).admit([await gateway.getAddress()], 0, META))
        .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidAccount")
        .withArgs(await gateway.getAddress());
    });

    it("reverts with ConsortiumAccountTaken for another member's account or a repeated one", async function () {
      const { consortium, operator, provider, spare, memberIds } = await networkHelpers.loadFixture(layer);
      await expect(consortium.connect(operator).admit([provider.address], 0, META))
        .to.be.revertedWithCustomError(consortium, "ConsortiumAccountTaken")
        .withArgs(provider.address, memberIds.provider);
      await expect(consortium.connect(operator).admit([spare[0]!.address, spare[0]!.address], 0, META))
        .to.be.revertedWithCustomError(consortium, "ConsortiumAccountTaken")
        .withArgs(spare[0]!.address, 6n);
    });
  });

  describe("suspend and reinstate", function () {
    it("suspends: accounts frozen in the token, refused by requireMember; reinstates", async function () {
      const { consortium, token, operator, consumer, memberIds } = await networkHelpers.loadFixture(layer);
      const reason = referenceHash("payment default");
      await expect(consortium.connect(operator).suspend(memberIds.consumer, reason))
        .to.emit(consortium, "MemberSuspended")
        .withArgs(memberIds.consumer, reason, operator.address);
      expect((await consortium.getMember(memberIds.consumer)).status).to.equal(BigInt(MemberStatus.Suspended));
      expect(await token.standingOf(consumer.address)).to.equal(BigInt(AccountStanding.Frozen));
      expect(await consortium.hasRole(consumer.address, Role.Consumer)).to.equal(false);
      await expect(consortium.requireMember(consumer.address))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMemberSuspended")
        .withArgs(memberIds.consumer);

      await expect(consortium.connect(operator).reinstate(memberIds.consumer))
        .to.emit(consortium, "MemberReinstated")
        .withArgs(memberIds.consumer, operator.address);
      expect(await token.standingOf(consumer.address)).to.equal(BigInt(AccountStanding.Member));
      expect(await consortium.requireMember(consumer.address)).to.equal(memberIds.consumer);
    });

    it("reverts with ConsortiumMemberNotActive / ConsortiumMemberNotSuspended out of turn", async function () {
      const { consortium, operator, memberIds } = await networkHelpers.loadFixture(layer);
      await expect(consortium.connect(operator).reinstate(memberIds.consumer))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMemberNotSuspended")
        .withArgs(memberIds.consumer);
      await consortium.connect(operator).suspend(memberIds.consumer, ethers.ZeroHash);
      await expect(consortium.connect(operator).suspend(memberIds.consumer, ethers.ZeroHash))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMemberNotActive")
        .withArgs(memberIds.consumer);
    });

    it("reverts with ConsortiumUnknownMember for an id never issued", async function () {
      const { consortium, operator } = await networkHelpers.loadFixture(layer);
      for (const id of [0n, 99n]) {
        await expect(consortium.connect(operator).suspend(id, ethers.ZeroHash))
          .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownMember")
          .withArgs(id);
      }
    });

    it("reverts with ConsortiumLastOperator when suspending the only operator", async function () {
      const { consortium, operator } = await networkHelpers.loadFixture(layer);
      await expect(consortium.connect(operator).suspend(1n, ethers.ZeroHash))
        .to.be.revertedWithCustomError(consortium, "ConsortiumLastOperator")
        .withArgs(1n);
    });

    it("lets one of two operators suspend the other", async function () {
      const { consortium, operator, memberIds } = await networkHelpers.loadFixture(layer);
      await consortium.connect(operator).grantMemberRole(memberIds.auditor, Role.Operator);
      expect(await consortium.operatorCount()).to.equal(2n);
      await consortium.connect(operator).suspend(memberIds.auditor, ethers.ZeroHash);
      expect(await consortium.operatorCount()).to.equal(1n);
      await consortium.connect(operator).reinstate(memberIds.auditor);
      expect(await consortium.operatorCount()).to.equal(2n);
    });
  });

  describe("grantMemberRole and revokeMemberRole", function () {
    it("grants and revokes with events", async function () {
      const { consortium, operator, provider, memberIds } = await networkHelpers.loadFixture(layer);
      await expect(consortium.connect(operator).grantMemberRole(memberIds.provider, Role.Licensor))
        .to.emit(consortium, "MemberRoleGranted")
        .withArgs(memberIds.provider, Role.Licensor, operator.address);
      expect(await consortium.hasRole(provider.address, Role.Licensor)).to.equal(true);
      await expect(consortium.connect(operator).revokeMemberRole(memberIds.provider, Role.Provider))
        .to.emit(consortium, "MemberRoleRevoked")
        .withArgs(memberIds.provider, Role.Provider, operator.address);
      await expect(consortium.requireRole(provider.address, Role.Provider))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
        .withArgs(memberIds.provider, Role.Provider);
    });

    it("reverts with ConsortiumRoleAlreadyHeld / ConsortiumMissingRole", async function () {
      const { consortium, operator, memberIds } = await networkHelpers.loadFixture(layer);
      await expect(consortium.connect(operator).grantMemberRole(memberIds.provider, Role.Provider))
        .to.be.revertedWithCustomError(consortium, "ConsortiumRoleAlreadyHeld")
        .withArgs(memberIds.provider, Role.Provider);
      await expect(consortium.connect(operator).revokeMemberRole(memberIds.provider, Role.Auditor))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
        .withArgs(memberIds.provider, Role.Auditor);
    });

    it("reverts with ConsortiumLastOperator when revoking the only operator", async function () {
      const { consortium, operator } = await networkHelpers.loadFixture(layer);
      await expect(consortium.connect(operator).revokeMemberRole(1n, Role.Operator))
        .to.be.revertedWithCustomError(consortium, "ConsortiumLastOperator")
        .withArgs(1n);
    });

    it("counts a suspended member granted the operator role only once reinstated", async function () {
      const { consortium, operator, memberIds } = await networkHelpers.loadFixture(layer);
      await consortium.connect(operator).suspend(memberIds.auditor, ethers.ZeroHash);
      await consortium.connect(operator).grantMemberRole(memberIds.auditor, Role.Operator);
      expect(await consortium.operatorCount()).to.equal(1n);
      await consortium.connect(operator).reinstate(memberIds.auditor);
      expect(await consortium.operatorCount()).to.equal(2n);
    });
  });

  describe("framework agreement", function () {
    it("publishes a new version; members must accept it before new business", async function () {
      const { consortium, operator, provider, memberIds } = await networkHelpers.loadFixture(layer);
      expect(await consortium.requireNewBusiness(provider.address, Role.Provider)).to.equal(memberIds.provider);
      await expect(consortium.connect(operator).publishAgreement(AGREEMENT_V2))
        .to.emit(consortium, "AgreementPublished")
        .withArgs(2n, AGREEMENT_V2);
      expect(await consortium.currentAgreement()).to.deep.equal([2n, AGREEMENT_V2]);
      await expect(consortium.requireNewBusiness(provider.address, Role.Provider))
        .to.be.revertedWithCustomError(consortium, "ConsortiumAgreementNotAccepted")
        .withArgs(memberIds.provider, 1n, 2n);
      // Settling existing business still works.
      expect(await consortium.requireRole(provider.address, Role.Provider)).to.equal(memberIds.provider);
      await expect(consortium.connect(provider).acceptAgreement(AGREEMENT_V2))
        .to.emit(consortium, "AgreementAccepted")
        .withArgs(memberIds.provider, 2n, AGREEMENT_V2, provider.address);
      expect(await consortium.requireNewBusiness(provider.address, Role.Provider)).to.equal(memberIds.provider);
    });

    it("reverts with ConsortiumInvalidAgreement for a zero or unchanged hash", async function () {
      const { consortium, operator } = await networkHelpers.loadFixture(layer);
      await expect(consortium.connect(operator).publishAgreement(ethers.ZeroHash))
        .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidAgreement")
        .withArgs(ethers.ZeroHash);
      await expect(consortium.connect(operator).publishAgreement(AGREEMENT_V1))
        .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidAgreement")
        .withArgs(AGREEMENT_V1);
    });

    it("reverts with ConsortiumAgreementMismatch when accepting another text than the current one", async function () {
      const { consortium, operator, provider } = await networkHelpers.loadFixture(layer);
      await consortium.connect(operator).publishAgreement(AGREEMENT_V2);
      await expect(consortium.connect(provider).acceptAgreement(AGREEMENT_V1))
        .to.be.revertedWithCustomError(consortium, "ConsortiumAgreementMismatch")
        .withArgs(AGREEMENT_V1, AGREEMENT_V2);
    });

    it("reverts with ConsortiumAgreementAlreadyAccepted the second time", async function () {
      const { consortium, provider, memberIds } = await networkHelpers.loadFixture(layer);
      await expect(consortium.connect(provider).acceptAgreement(AGREEMENT_V1))
        .to.be.revertedWithCustomError(consortium, "ConsortiumAgreementAlreadyAccepted")
        .withArgs(memberIds.provider, 1n);
    });

    it("lets a newly admitted member start business only after accepting", async function () {
      const { consortium, operator, spare } = await networkHelpers.loadFixture(layer);
      const newcomer = spare[0]!;
      await consortium.connect(operator).admit([newcomer.address], roleMask(Role.Consumer), META);
      await expect(consortium.requireNewBusiness(newcomer.address, Role.Consumer))
        .to.be.revertedWithCustomError(consortium, "ConsortiumAgreementNotAccepted")
        .withArgs(6n, 0n, 1n);
      await consortium.connect(newcomer).acceptAgreement(AGREEMENT_V1);
      expect(await consortium.requireNewBusiness(newcomer.address, Role.Consumer)).to.equal(6n);
    });
  });

  describe("setNoticePeriod", function () {
    it("sets it for exits requested from now on", async function () {
      const { consortium, operator, provider, memberIds } = await networkHelpers.loadFixture(layer);
      await consortium.connect(provider).requestExit();
      const effective = (await consortium.getMember(memberIds.provider)).exitEffectiveAt;
      await expect(consortium.connect(operator).setNoticePeriod(60))
        .to.emit(consortium, "NoticePeriodChanged")
        .withArgs(60);
      expect(await consortium.noticePeriod()).to.equal(60n);
      expect((await consortium.getMember(memberIds.provider)).exitEffectiveAt).to.equal(effective);
    });

    it("reverts with ConsortiumNoticePeriodTooLong above MAX_NOTICE_PERIOD", async function () {
      const { consortium, operator } = await networkHelpers.loadFixture(layer);
      const max = await consortium.MAX_NOTICE_PERIOD();
      await expect(consortium.connect(operator).setNoticePeriod(max + 1n))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNoticePeriodTooLong")
        .withArgs(max + 1n, max);
      await consortium.connect(operator).setNoticePeriod(max);
    });
  });

  describe("registerContract", function () {
    it("registers an obligations contract with System standing", async function () {
      const { consortium, token, gateway, operator } = await networkHelpers.loadFixture(layer);
      const obligations = await ethers.deployContract("MockObligations");
      const address = await obligations.getAddress();
      await expect(consortium.connect(operator).registerContract(address))
        .to.emit(consortium, "ContractRegistered")
        .withArgs(address);
      expect(await consortium.registeredContracts()).to.deep.equal([await gateway.getAddress(), address]);
      expect(await token.standingOf(address)).to.equal(BigInt(AccountStanding.System));
    });

    it("reverts with ConsortiumNotObligationsContract without IObligations (ERC-165)", async function () {
      const { consortium, operator, spare } = await networkHelpers.loadFixture(layer);
      const plain = await ethers.deployContract("PlainERC20", ["P", "P", operator.address, 1n]);
      await expect(consortium.connect(operator).registerContract(await plain.getAddress()))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotObligationsContract")
        .withArgs(await plain.getAddress());
      await expect(consortium.connect(operator).registerContract(spare[0]!.address))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotObligationsContract")
        .withArgs(spare[0]!.address);
    });

    it("reverts with ConsortiumContractAlreadyRegistered the second time", async function () {
      const { consortium, gateway, operator } = await networkHelpers.loadFixture(layer);
      await expect(consortium.connect(operator).registerContract(await gateway.getAddress()))
        .to.be.revertedWithCustomError(consortium, "ConsortiumContractAlreadyRegistered")
        .withArgs(await gateway.getAddress());
    });

    it("reverts with ConsortiumAccountTaken for a member's account", async function () {
      const { consortium, operator, provider, memberIds } = await networkHelpers.loadFixture(layer);
      await expect(consortium.connect(operator).registerContract(provider.address))
        .to.be.revertedWithCustomError(consortium, "ConsortiumAccountTaken")
        .withArgs(provider.address, memberIds.provider);
    });

    it("reverts with ConsortiumTooManyContracts above MAX_CONTRACTS", async function () {
      const { consortium, operator } = await networkHelpers.loadFixture(layer);
      const max = await consortium.MAX_CONTRACTS();
      for (let i = 1n; i < max; i++) {
        const mock = await ethers.deployContract("MockObligations");
        await consortium.connect(operator).registerContract(await mock.getAddress());
      }
      const oneTooMany = await ethers.deployContract("MockObligations");
      await expect(consortium.connect(operator).registerContract(await oneTooMany.getAddress()))
        .to.be.revertedWithCustomError(consortium, "ConsortiumTooManyContracts")
        .withArgs(max);
    });
  });

  describe("bindToken", function () {
    async function unbound() {
      const who = await actors(connection);
      const consortium = await ethers.deployContract("Consortium", [
        [who.operator.address],
        FOUNDER_METADATA,
        AGREEMENT_V1,
        NOTICE_PERIOD,
      ]);
      const token = await ethers.deployContract("SettlementToken", [await consortium.getAddress(), "T", "T"]);
      return { ...who, consortium, token };
    }

    it("pushes the standing of every account and contract known before binding", async function () {
      const { consortium, token, operator, provider, consumer, spare } = await networkHelpers.loadFixture(unbound);
      await consortium.connect(operator).admit([provider.address, spare[0]!.address], 0, META);
      await consortium.connect(operator).admit([consumer.address], 0, META);
      await consortium.connect(operator).suspend(3n, ethers.ZeroHash);
      await consortium.connect(provider).removeAccount(spare[0]!.address);
      const obligations = await ethers.deployContract("MockObligations");
      await consortium.connect(operator).registerContract(await obligations.getAddress());

      await expect(consortium.connect(operator).bindToken(await token.getAddress()))
        .to.emit(consortium, "TokenBound")
        .withArgs(await token.getAddress())
        .and.to.emit(token, "StandingChanged")
        .withArgs(consumer.address, AccountStanding.Frozen);
      expect(await consortium.token()).to.equal(await token.getAddress());
      expect(await token.standingOf(operator.address)).to.equal(BigInt(AccountStanding.Member));
      expect(await token.standingOf(provider.address)).to.equal(BigInt(AccountStanding.Member));
      expect(await token.standingOf(consumer.address)).to.equal(BigInt(AccountStanding.Frozen));
      expect(await token.standingOf(spare[0]!.address)).to.equal(BigInt(AccountStanding.None));
      expect(await token.standingOf(await obligations.getAddress())).to.equal(BigInt(AccountStanding.System));
    });

    it("reverts with ConsortiumAccountTaken for a token already used as a member's account", async function () {
      const { consortium, token, operator } = await networkHelpers.loadFixture(unbound);
      await consortium.connect(operator).addAccount(await token.getAddress());
      await expect(consortium.connect(operator).bindToken(await token.getAddress()))
        .to.be.revertedWithCustomError(consortium, "ConsortiumAccountTaken")
        .withArgs(await token.getAddress(), 1n);
    });

    it("reverts with ConsortiumTokenAlreadyBound the second time", async function () {
      const { consortium, token, operator } = await networkHelpers.loadFixture(layer);
      await expect(consortium.connect(operator).bindToken(await token.getAddress()))
        .to.be.revertedWithCustomError(consortium, "ConsortiumTokenAlreadyBound")
        .withArgs(await token.getAddress());
    });

    it("reverts with ConsortiumInvalidToken for another Consortium's token or an account", async function () {
      const { consortium, operator, outsider } = await networkHelpers.loadFixture(unbound);
      const other = await ethers.deployContract("Consortium", [[operator.address], META, AGREEMENT_V1, 0]);
      const foreign = await ethers.deployContract("SettlementToken", [await other.getAddress(), "F", "F"]);
      await expect(consortium.connect(operator).bindToken(await foreign.getAddress()))
        .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidToken")
        .withArgs(await foreign.getAddress());
      await expect(consortium.connect(operator).bindToken(outsider.address))
        .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidToken")
        .withArgs(outsider.address);
    });
  });

  describe("addAccount and removeAccount", function () {
    it("rotates a key: the new account acts for the member, the old one is refused", async function () {
      const { consortium, token, provider, spare, memberIds } = await networkHelpers.loadFixture(layer);
      const next = spare[0]!;
      await expect(consortium.connect(provider).addAccount(next.address))
        .to.emit(consortium, "AccountAdded")
        .withArgs(memberIds.provider, next.address);
      expect(await token.standingOf(next.address)).to.equal(BigInt(AccountStanding.Member));
      await expect(consortium.connect(next).removeAccount(provider.address))
        .to.emit(consortium, "AccountRemoved")
        .withArgs(memberIds.provider, provider.address);
      expect(await consortium.accountsOf(memberIds.provider)).to.deep.equal([next.address]);
      expect(await consortium.memberOf(provider.address)).to.deep.equal([memberIds.provider, false]);
      expect(await token.standingOf(provider.address)).to.equal(BigInt(AccountStanding.None));
      expect(await consortium.hasRole(provider.address, Role.Provider)).to.equal(false);
      await expect(consortium.requireMember(provider.address))
        .to.be.revertedWithCustomError(consortium, "ConsortiumAccountRemoved")
        .withArgs(provider.address, memberIds.provider);
      await expect(consortium.connect(provider).updateMetadata(META))
        .to.be.revertedWithCustomError(consortium, "ConsortiumAccountRemoved")
        .withArgs(provider.address, memberIds.provider);
      // A removed account is never given to anyone again.
      await expect(consortium.connect(next).addAccount(provider.address))
        .to.be.revertedWithCustomError(consortium, "ConsortiumAccountTaken")
        .withArgs(provider.address, memberIds.provider);
    });

    it("gives a suspended member's new account the Frozen standing", async function () {
      const { consortium, token, operator, provider, spare, memberIds } = await networkHelpers.loadFixture(layer);
      await consortium.connect(operator).suspend(memberIds.provider, ethers.ZeroHash);
      await consortium.connect(provider).addAccount(spare[0]!.address);
      expect(await token.standingOf(spare[0]!.address)).to.equal(BigInt(AccountStanding.Frozen));
    });

    it("reverts with ConsortiumTooManyAccounts when the member is full", async function () {
      const { consortium, provider, memberIds } = await networkHelpers.loadFixture(layer);
      const max = await consortium.MAX_ACCOUNTS();
      for (let i = 1n; i < max; i++)
        await consortium.connect(provider).addAccount(ethers.Wallet.createRandom().address);
      await expect(consortium.connect(provider).addAccount(ethers.Wallet.createRandom().address))
        .to.be.revertedWithCustomError(consortium, "ConsortiumTooManyAccounts")
        .withArgs(memberIds.provider, max);
    });

    it("reverts with ConsortiumInvalidAccount for the Consortium itself or its token", async function () {
      const { consortium, token, provider } = await networkHelpers.loadFixture(layer);
      for (const address of [await consortium.getAddress(), await token.getAddress()]) {
        await expect(consortium.connect(provider).addAccount(address))
          .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidAccount")
          .withArgs(address);
      }
    });

    it("reverts with ConsortiumInvalidAccount for the zero address or a registered contract", async function () {
      const { consortium, gateway, provider } = await networkHelpers.loadFixture(layer);
      await expect(consortium.connect(provider).addAccount(ethers.ZeroAddress))
        .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidAccount")
        .withArgs(ethers.ZeroAddress);
      await expect(consortium.connect(provider).addAccount(await gateway.getAddress()))
        .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidAccount")
        .withArgs(await gateway.getAddress());
    });

    it("reverts with ConsortiumNotOwnAccount for another member's or an unknown account", async function () {
      const { consortium, provider, consumer, outsider, memberIds } = await networkHelpers.loadFixture(layer);
      await expect(consortium.connect(provider).removeAccount(consumer.address))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotOwnAccount")
        .withArgs(consumer.address, memberIds.provider);
      await expect(consortium.connect(provider).removeAccount(outsider.address))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotOwnAccount")
        .withArgs(outsider.address, memberIds.provider);
    });

    it("reverts with ConsortiumLastAccount for the member's only account", async function () {
      const { consortium, provider, memberIds } = await networkHelpers.loadFixture(layer);
      await expect(consortium.connect(provider).removeAccount(provider.address))
        .to.be.revertedWithCustomError(consortium, "ConsortiumLastAccount")
        .withArgs(memberIds.provider, provider.address);
    });

    it("refuses self-service to accounts that never belonged to a member", async function () {
      const { consortium, outsider } = await networkHelpers.loadFixture(layer);
      await expect(consortium.connect(outsider).addAccount(outsider.address))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotMember")
        .withArgs(outsider.address);
    });
  });

  describe("updateMetadata", function () {
    it("updates the member's record hash", async function () {
      const { consortium, consumer, memberIds } = await networkHelpers.loadFixture(layer);
      const record = referenceHash("new register entry");
      await expect(consortium.connect(consumer).updateMetadata(record))
        .to.emit(consortium, "MetadataUpdated")
        .withArgs(memberIds.consumer, record);
      expect((await consortium.getMember(memberIds.consumer)).metadataHash).to.equal(record);
    });
  });

  describe("exit", function () {
    it("requests, waits out the notice period and completes; accounts lose their standing", async function () {
      const { consortium, token, provider, outsider, memberIds } = await networkHelpers.loadFixture(layer);
      const requestedAt = (await networkHelpers.time.latest()) + 10;
      await networkHelpers.time.setNextBlockTimestamp(requestedAt);
      const effectiveAt = BigInt(requestedAt) + NOTICE_PERIOD;
      await expect(consortium.connect(provider).requestExit())
        .to.emit(consortium, "ExitRequested")
        .withArgs(memberIds.provider, effectiveAt);
      await expect(consortium.requireNewBusiness(provider.address, Role.Provider))
        .to.be.revertedWithCustomError(consortium, "ConsortiumExitPending")
        .withArgs(memberIds.provider, effectiveAt);
      await expect(consortium.completeExit(memberIds.provider))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNoticePeriodRunning")
        .withArgs(memberIds.provider, effectiveAt);

      await networkHelpers.time.increaseTo(effectiveAt);
      await expect(consortium.connect(outsider).completeExit(memberIds.provider))
        .to.emit(consortium, "MemberExited")
        .withArgs(memberIds.provider)
        .and.to.emit(token, "StandingChanged")
        .withArgs(provider.address, AccountStanding.None);
      expect((await consortium.getMember(memberIds.provider)).status).to.equal(BigInt(MemberStatus.Exited));
      expect(await consortium.hasRole(provider.address, Role.Provider)).to.equal(false);
      await expect(consortium.requireMember(provider.address))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMemberExited")
        .withArgs(memberIds.provider);
      await expect(consortium.connect(provider).updateMetadata(META))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMemberExited")
        .withArgs(memberIds.provider);
      await expect(consortium.completeExit(memberIds.provider))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMemberExited")
        .withArgs(memberIds.provider);
    });

    it("can be cancelled, after which business can start again", async function () {
      const { consortium, provider, memberIds } = await networkHelpers.loadFixture(layer);
      await consortium.connect(provider).requestExit();
      await expect(consortium.connect(provider).cancelExit())
        .to.emit(consortium, "ExitCancelled")
        .withArgs(memberIds.provider);
      expect(await consortium.requireNewBusiness(provider.address, Role.Provider)).to.equal(memberIds.provider);
      await expect(consortium.connect(provider).cancelExit())
        .to.be.revertedWithCustomError(consortium, "ConsortiumExitNotRequested")
        .withArgs(memberIds.provider);
    });

    it("reverts with ConsortiumExitPending when requested twice", async function () {
      const { consortium, provider, memberIds } = await networkHelpers.loadFixture(layer);
      await consortium.connect(provider).requestExit();
      const { exitEffectiveAt } = await consortium.getMember(memberIds.provider);
      await expect(consortium.connect(provider).requestExit())
        .to.be.revertedWithCustomError(consortium, "ConsortiumExitPending")
        .withArgs(memberIds.provider, exitEffectiveAt);
    });

    it("reverts with ConsortiumExitNotRequested / ConsortiumUnknownMember without a request", async function () {
      const { consortium, memberIds } = await networkHelpers.loadFixture(layer);
      await expect(consortium.completeExit(memberIds.consumer))
        .to.be.revertedWithCustomError(consortium, "ConsortiumExitNotRequested")
        .withArgs(memberIds.consumer);
      await expect(consortium.completeExit(42n))
        .to.be.revertedWithCustomError(consortium, "ConsortiumUnknownMember")
        .withArgs(42n);
    });

    it("reverts with ConsortiumOpenObligations while a registered contract reports some", async function () {
      const { consortium, obligations, consumer, memberIds } = await networkHelpers.loadFixture(withObligations);
      await obligations.setOpen(memberIds.consumer, 3n);
      await consortium.connect(consumer).requestExit();
      await networkHelpers.time.increase(NOTICE_PERIOD);
      await expect(consortium.completeExit(memberIds.consumer))
        .to.be.revertedWithCustomError(consortium, "ConsortiumOpenObligations")
        .withArgs(memberIds.consumer, await obligations.getAddress(), 3n);
      await obligations.setOpen(memberIds.consumer, 0n);
      await expect(consortium.completeExit(memberIds.consumer)).to.emit(consortium, "MemberExited");
    });

    it("counts pending redemptions in the gateway as obligations", async function () {
      const f = await networkHelpers.loadFixture(layer);
      await mintTo(f, f.consumer.address, parseEuro("10"));
      await f.token.connect(f.consumer).approve(await f.gateway.getAddress(), parseEuro("10"));
      await f.gateway.connect(f.consumer).requestRedemption(parseEuro("10"), referenceHash("payout"));
      await f.consortium.connect(f.consumer).requestExit();
      await networkHelpers.time.increase(NOTICE_PERIOD);
      await expect(f.consortium.completeExit(f.memberIds.consumer))
        .to.be.revertedWithCustomError(f.consortium, "ConsortiumOpenObligations")
        .withArgs(f.memberIds.consumer, await f.gateway.getAddress(), 1n);
      await f.gateway.connect(f.operator).markRedemptionPaid(1n, referenceHash("bank tx"));
      await expect(f.consortium.completeExit(f.memberIds.consumer)).to.emit(f.consortium, "MemberExited");
    });

    it("is refused while an account still holds tokens, naming it", async function () {
      const f = await networkHelpers.loadFixture(layer);
      await mintTo(f, f.consumer.address, 5n);
      await f.consortium.connect(f.consumer).requestExit();
      await networkHelpers.time.increase(NOTICE_PERIOD);
      await expect(f.consortium.completeExit(f.memberIds.consumer))
        .to.be.revertedWithCustomError(f.token, "SettlementTokenBalanceNotEmpty")
        .withArgs(f.consumer.address, 5n);
    });

    it("lets a suspended member leave", async function () {
      const { consortium, operator, consumer, memberIds } = await networkHelpers.loadFixture(layer);
      await consortium.connect(operator).suspend(memberIds.consumer, ethers.ZeroHash);
      await consortium.connect(consumer).requestExit();
      await networkHelpers.time.increase(NOTICE_PERIOD);
      await expect(consortium.completeExit(memberIds.consumer)).to.emit(consortium, "MemberExited");
    });

    it("reverts with ConsortiumLastOperator for the only operator", async function () {
      const { consortium, operator } = await networkHelpers.loadFixture(layer);
      await consortium.connect(operator).requestExit();
      await networkHelpers.time.increase(NOTICE_PERIOD);
      await expect(consortium.completeExit(1n))
        .to.be.revertedWithCustomError(consortium, "ConsortiumLastOperator")
        .withArgs(1n);
    });

    it("refuses role changes for an exited member", async function () {
      const { consortium, operator, provider, memberIds } = await networkHelpers.loadFixture(layer);
      await consortium.connect(provider).requestExit();
      await networkHelpers.time.increase(NOTICE_PERIOD);
      await consortium.completeExit(memberIds.provider);
      await expect(consortium.connect(operator).grantMemberRole(memberIds.provider, Role.Consumer))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMemberExited")
        .withArgs(memberIds.provider);
      await expect(consortium.connect(operator).reinstate(memberIds.provider))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMemberNotSuspended")
        .withArgs(memberIds.provider);
    });
  });

  describe("queries", function () {
    it("requireMember / requireRole / requireNewBusiness name what is missing", async function () {
      const { consortium, provider, outsider, memberIds } = await networkHelpers.loadFixture(layer);
      await expect(consortium.requireMember(outsider.address))
        .to.be.revertedWithCustomError(consortium, "ConsortiumNotMember")
        .withArgs(outsider.address);
      await expect(consortium.requireRole(provider.address, Role.Auditor))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
        .withArgs(memberIds.provider, Role.Auditor);
      await expect(consortium.requireNewBusiness(provider.address, Role.Consumer))
        .to.be.revertedWithCustomError(consortium, "ConsortiumMissingRole")
        .withArgs(memberIds.provider, Role.Consumer);
      expect(await consortium.requireRole(provider.address, Role.Provider)).to.equal(memberIds.provider);
    });

    it("hasRole answers false for outsiders", async function () {
      const { consortium, outsider } = await networkHelpers.loadFixture(layer);
      expect(await consortium.hasRole(outsider.address, Role.Operator)).to.equal(false);
      expect(await consortium.memberOf(outsider.address)).to.deep.equal([0n, false]);
      expect((await consortium.getMember(99n)).status).to.equal(BigInt(MemberStatus.None));
      expect(await consortium.accountsOf(99n)).to.deep.equal([]);
    });
  });
});
