/*
Consortium, constructor and admit — the branches, written down first; one `it` per leaf.

The member's lifecycle through these functions (admit, suspend, reinstate, ask to leave, complete the exit, remove
accounts) is also written down in member.tree, whose leaves are test titles checked by test/meta/trees.ts.

constructor
├── when the founder list is empty ─────────────────────── it reverts with ConsortiumNoAccounts
├── when the founder list is longer than MAX_ACCOUNTS ──── it reverts with ConsortiumTooManyAccounts
├── when the notice period is longer than MAX_NOTICE_PERIOD  it reverts with ConsortiumNoticePeriodTooLong
├── when the agreement hash is zero ────────────────────── it reverts with ConsortiumInvalidAgreement
└── when the parameters are valid
    ├── it admits the founder as member 1, active, with the Operator role only and all its accounts
    ├── it publishes agreement v1 and records the founder's acceptance
    ├── it sets the notice period
    ├── it starts with no token and no registered contract
    └── it emits AgreementPublished, NoticePeriodChanged, MemberAdmitted, AccountAdded, AgreementAccepted
admit
├── when the caller is not an operator in good standing ── it reverts with ConsortiumMissingRole / ConsortiumNotMember
├── when roles has bits that name no role ──────────────── it reverts with ConsortiumUnknownRoles
├── when no account is given ───────────────────────────── it reverts with ConsortiumNoAccounts
├── when more than MAX_ACCOUNTS accounts are given ─────── it reverts with ConsortiumTooManyAccounts
├── when an account is the zero address ────────────────── it reverts with ConsortiumInvalidAccount
├── when an account is a registered contract ───────────── it reverts with ConsortiumInvalidAccount
├── when an account appears twice ──────────────────────── it reverts with ConsortiumAccountTaken (the new id)
├── when an account belongs to another member ──────────── it reverts with ConsortiumAccountTaken (the owner)
├── when an account was removed from another member ───── it reverts with ConsortiumAccountTaken (the owner)
└── when the input is valid
    ├── it stores the member (roles bitmap, metadata, admission time, no agreement accepted, no exit)
    ├── it accepts exactly MAX_ACCOUNTS accounts
    ├── it emits MemberAdmitted and one AccountAdded per account
    ├── it gives every account the Member standing on the token
    ├── it records every account before the token hears of any (checks, effects, then interactions)
    ├── when the roles include Operator ── it counts one more operator, who can act as operator at once
    └── it requires the new member to accept the agreement before new business
*/
import { expect } from "chai";
import { ZeroAddress, ZeroHash } from "ethers";

import { AccountStanding, MemberStatus, Role, roleMask } from "../../../src/core/membership.js";
import { derivedAddress, derivedAddresses, minedAt, standingChanges } from "../../helpers/consortium.js";
import { AGREEMENT_V1, FOUNDER_METADATA, NOTICE_PERIOD } from "../../helpers/fixtures.js";
import {
  admitSecondOperator,
  AGREEMENT_V2,
  ethers,
  fixture,
  loadFixture,
  NEW_MEMBER_METADATA,
  NEXT_ID,
  spareSigner,
} from "./fixture.js";

describe("Consortium", function () {
  describe("constructor", function () {
    const deploy = (founders: string[], agreement: string = AGREEMENT_V1, noticePeriod: bigint = NOTICE_PERIOD) =>
      ethers.deployContract("Consortium", [founders, FOUNDER_METADATA, agreement, noticePeriod]);

    describe("when the founder list is empty", function () {
      it("reverts with ConsortiumNoAccounts", async function () {
        const factory = await ethers.getContractFactory("Consortium");
        await expect(deploy([])).to.be.revertedWithCustomError(factory, "ConsortiumNoAccounts").withArgs();
      });
    });

    describe("when the founder list is longer than MAX_ACCOUNTS", function () {
      it("reverts with ConsortiumTooManyAccounts", async function () {
        const f = await loadFixture(fixture);
        const max = await f.consortium.MAX_ACCOUNTS();
        await expect(deploy(derivedAddresses("founder", Number(max) + 1)))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumTooManyAccounts")
          .withArgs(1n, max);
      });
    });

    describe("when the notice period is longer than MAX_NOTICE_PERIOD", function () {
      it("reverts with ConsortiumNoticePeriodTooLong", async function () {
        const f = await loadFixture(fixture);
        const max = await f.consortium.MAX_NOTICE_PERIOD();
        await expect(deploy([f.operator.address], AGREEMENT_V1, max + 1n))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNoticePeriodTooLong")
          .withArgs(max + 1n, max);
      });
    });

    describe("when the agreement hash is zero", function () {
      it("reverts with ConsortiumInvalidAgreement", async function () {
        const f = await loadFixture(fixture);
        await expect(deploy([f.operator.address], ZeroHash))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidAgreement")
          .withArgs(ZeroHash);
      });
    });

    describe("when the parameters are valid", function () {
      async function deployed() {
        const f = await loadFixture(fixture);
        const founders = [f.operator.address, spareSigner(f, 0).address];
        const consortium = await deploy(founders);
        const tx = consortium.deploymentTransaction();
        if (tx === null) throw new Error("The Consortium was not deployed by a transaction.");
        return { f, founders, consortium, tx };
      }

      it("admits the founder as member 1, active, with the Operator role only and all its accounts", async function () {
        const { f, founders, consortium, tx } = await deployed();
        const founder = await consortium.getMember(1n);
        expect(founder.status).to.equal(MemberStatus.Active);
        expect(founder.roles).to.equal(roleMask(Role.Operator));
        expect(founder.metadataHash).to.equal(FOUNDER_METADATA);
        expect(founder.admittedAt).to.equal(await minedAt(tx));
        expect(founder.exitEffectiveAt).to.equal(0n);
        expect(await consortium.memberCount()).to.equal(1n);
        expect(await consortium.operatorCount()).to.equal(1n);
        expect(await consortium.accountsOf(1n)).to.deep.equal(founders);
        for (const account of founders) {
          expect(await consortium.memberOf(account)).to.deep.equal([1n, true]);
          expect(await consortium.requireRole(account, Role.Operator)).to.equal(1n);
        }
        expect(await consortium.hasRole(f.operator.address, Role.Provider)).to.equal(false);
      });

      it("publishes agreement v1 and records the founder's acceptance", async function () {
        const { f, consortium } = await deployed();
        expect(await consortium.currentAgreement()).to.deep.equal([1n, AGREEMENT_V1]);
        expect(await consortium.agreementHash(1)).to.equal(AGREEMENT_V1);
        expect((await consortium.getMember(1n)).agreementVersion).to.equal(1n);
        expect(await consortium.requireNewBusiness(f.operator.address, Role.Operator)).to.equal(1n);
      });

      it("sets the notice period", async function () {
        const { consortium } = await deployed();
        expect(await consortium.noticePeriod()).to.equal(NOTICE_PERIOD);
      });

      it("starts with no token and no registered contract", async function () {
        const { consortium } = await deployed();
        expect(await consortium.token()).to.equal(ZeroAddress);
        expect(await consortium.registeredContracts()).to.deep.equal([]);
      });

      it("emits AgreementPublished, NoticePeriodChanged, MemberAdmitted, AccountAdded and AgreementAccepted", async function () {
        const { f, founders, consortium, tx } = await deployed();
        await expect(tx).to.emit(consortium, "AgreementPublished").withArgs(1n, AGREEMENT_V1);
        await expect(tx).to.emit(consortium, "NoticePeriodChanged").withArgs(NOTICE_PERIOD);
        await expect(tx)
          .to.emit(consortium, "MemberAdmitted")
          .withArgs(1n, roleMask(Role.Operator), FOUNDER_METADATA, founders);
        for (const account of founders) await expect(tx).to.emit(consortium, "AccountAdded").withArgs(1n, account);
        await expect(tx).to.emit(consortium, "AgreementAccepted").withArgs(1n, 1n, AGREEMENT_V1, f.operator.address);
      });
    });
  });

  describe("admit", function () {
    describe("when the caller is not an operator in good standing", function () {
      it("reverts with ConsortiumMissingRole for a member without the Operator role", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.provider).admit([derivedAddress("new")], 0, NEW_MEMBER_METADATA))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMissingRole")
          .withArgs(f.memberIds.provider, Role.Operator);
      });

      it("reverts with ConsortiumNotMember for an outsider", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.outsider).admit([derivedAddress("new")], 0, NEW_MEMBER_METADATA))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotMember")
          .withArgs(f.outsider.address);
      });
    });

    describe("when roles has bits that name no role", function () {
      for (const roles of [1 << 5, 0xff]) {
        it(`reverts with ConsortiumUnknownRoles (roles 0x${roles.toString(16)})`, async function () {
          const f = await loadFixture(fixture);
          await expect(f.consortium.connect(f.operator).admit([derivedAddress("new")], roles, NEW_MEMBER_METADATA))
            .to.be.revertedWithCustomError(f.consortium, "ConsortiumUnknownRoles")
            .withArgs(roles);
        });
      }
    });

    describe("when no account is given", function () {
      it("reverts with ConsortiumNoAccounts", async function () {
        const f = await loadFixture(fixture);
        await expect(
          f.consortium.connect(f.operator).admit([], roleMask(Role.Consumer), NEW_MEMBER_METADATA),
        ).to.be.revertedWithCustomError(f.consortium, "ConsortiumNoAccounts");
      });
    });

    describe("when more than MAX_ACCOUNTS accounts are given", function () {
      it("reverts with ConsortiumTooManyAccounts", async function () {
        const f = await loadFixture(fixture);
        const max = await f.consortium.MAX_ACCOUNTS();
        const accounts = derivedAddresses("new member", Number(max) + 1);
        await expect(f.consortium.connect(f.operator).admit(accounts, roleMask(Role.Consumer), NEW_MEMBER_METADATA))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumTooManyAccounts")
          .withArgs(NEXT_ID, max);
      });
    });

    describe("when an account is the zero address", function () {
      it("reverts with ConsortiumInvalidAccount", async function () {
        const f = await loadFixture(fixture);
        await expect(
          f.consortium.connect(f.operator).admit([derivedAddress("new"), ZeroAddress], 0, NEW_MEMBER_METADATA),
        )
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidAccount")
          .withArgs(ZeroAddress);
      });
    });

    describe("when an account is a registered contract", function () {
      it("reverts with ConsortiumInvalidAccount", async function () {
        const f = await loadFixture(fixture);
        const gateway = await f.gateway.getAddress();
        await expect(f.consortium.connect(f.operator).admit([gateway], 0, NEW_MEMBER_METADATA))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidAccount")
          .withArgs(gateway);
      });
    });

    describe("when an account appears twice", function () {
      it("reverts with ConsortiumAccountTaken naming the new member", async function () {
        const f = await loadFixture(fixture);
        const account = derivedAddress("twice");
        await expect(f.consortium.connect(f.operator).admit([account, account], 0, NEW_MEMBER_METADATA))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAccountTaken")
          .withArgs(account, NEXT_ID);
      });
    });

    describe("when an account belongs to another member", function () {
      it("reverts with ConsortiumAccountTaken naming the owner", async function () {
        const f = await loadFixture(fixture);
        await expect(
          f.consortium.connect(f.operator).admit([derivedAddress("new"), f.provider.address], 0, NEW_MEMBER_METADATA),
        )
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAccountTaken")
          .withArgs(f.provider.address, f.memberIds.provider);
      });
    });

    describe("when an account was removed from another member", function () {
      it("reverts with ConsortiumAccountTaken naming the former owner", async function () {
        const f = await loadFixture(fixture);
        const old = spareSigner(f, 0).address;
        await f.consortium.connect(f.provider).addAccount(old);
        await f.consortium.connect(f.provider).removeAccount(old);
        await expect(f.consortium.connect(f.operator).admit([old], 0, NEW_MEMBER_METADATA))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAccountTaken")
          .withArgs(old, f.memberIds.provider);
      });
    });

    describe("when the input is valid", function () {
      const roles = roleMask(Role.Provider, Role.Consumer);

      it("returns the new id and stores the member with its roles bitmap", async function () {
        const f = await loadFixture(fixture);
        const accounts = derivedAddresses("new member", 2);
        const admit = f.consortium.connect(f.operator).admit;
        expect(await admit.staticCall(accounts, roles, NEW_MEMBER_METADATA)).to.equal(NEXT_ID);
        const tx = await admit(accounts, roles, NEW_MEMBER_METADATA);
        const member = await f.consortium.getMember(NEXT_ID);
        expect(member.status).to.equal(MemberStatus.Active);
        expect(member.roles).to.equal(roles);
        expect(member.agreementVersion).to.equal(0n);
        expect(member.admittedAt).to.equal(await minedAt(tx));
        expect(member.exitEffectiveAt).to.equal(0n);
        expect(member.metadataHash).to.equal(NEW_MEMBER_METADATA);
        expect(await f.consortium.memberCount()).to.equal(NEXT_ID);
        expect(await f.consortium.accountsOf(NEXT_ID)).to.deep.equal(accounts);
        for (const account of accounts) {
          expect(await f.consortium.memberOf(account)).to.deep.equal([NEXT_ID, true]);
          expect(await f.consortium.hasRole(account, Role.Provider)).to.equal(true);
          expect(await f.consortium.hasRole(account, Role.Consumer)).to.equal(true);
          expect(await f.consortium.hasRole(account, Role.Licensor)).to.equal(false);
        }
        expect(await f.consortium.operatorCount()).to.equal(1n);
      });

      it("accepts exactly MAX_ACCOUNTS accounts", async function () {
        const f = await loadFixture(fixture);
        const max = await f.consortium.MAX_ACCOUNTS();
        const accounts = derivedAddresses("new member", Number(max));
        await f.consortium.connect(f.operator).admit(accounts, roles, NEW_MEMBER_METADATA);
        expect(await f.consortium.accountsOf(NEXT_ID)).to.deep.equal(accounts);
      });

      it("emits MemberAdmitted and one AccountAdded per account", async function () {
        const f = await loadFixture(fixture);
        const accounts = derivedAddresses("new member", 2);
        const tx = await f.consortium.connect(f.operator).admit(accounts, roles, NEW_MEMBER_METADATA);
        await expect(tx)
          .to.emit(f.consortium, "MemberAdmitted")
          .withArgs(NEXT_ID, roles, NEW_MEMBER_METADATA, accounts);
        for (const account of accounts) {
          await expect(tx).to.emit(f.consortium, "AccountAdded").withArgs(NEXT_ID, account);
        }
      });

      it("gives every account the Member standing on the token", async function () {
        const f = await loadFixture(fixture);
        const accounts = derivedAddresses("new member", 2);
        const tx = await f.consortium.connect(f.operator).admit(accounts, roles, NEW_MEMBER_METADATA);
        expect(await standingChanges(f.token, tx)).to.deep.equal(
          accounts.map((account) => [account, BigInt(AccountStanding.Member)]),
        );
        for (const account of accounts) expect(await f.token.standingOf(account)).to.equal(AccountStanding.Member);
      });

      it("records every account before the token hears of any (checks, effects, then interactions)", async function () {
        const f = await loadFixture(fixture);
        const accounts = derivedAddresses("new member", 3);
        const tx = await f.consortium.connect(f.operator).admit(accounts, roles, NEW_MEMBER_METADATA);
        const receipt = (await tx.wait())!;
        const consortium = (await f.consortium.getAddress()).toLowerCase();
        const added = receipt.logs
          .filter((log) => log.address.toLowerCase() === consortium)
          .filter((log) => f.consortium.interface.parseLog(log)?.name === "AccountAdded")
          .map((log) => log.index);
        const firstTokenLog = receipt.logs.find((log) => log.address.toLowerCase() !== consortium)!.index;
        expect(added).to.have.length(3);
        expect(Math.max(...added)).to.be.lessThan(firstTokenLog);
      });

      describe("when the roles include Operator", function () {
        it("counts one more operator, who can act as operator at once", async function () {
          const f = await loadFixture(fixture);
          const id = await admitSecondOperator(f);
          expect(await f.consortium.operatorCount()).to.equal(2n);
          await expect(f.consortium.connect(spareSigner(f, 0)).publishAgreement(AGREEMENT_V2))
            .to.emit(f.consortium, "AgreementPublished")
            .withArgs(2n, AGREEMENT_V2);
          expect(await f.consortium.requireRole(spareSigner(f, 0).address, Role.Operator)).to.equal(id);
        });
      });

      it("requires the new member to accept the agreement before new business", async function () {
        const f = await loadFixture(fixture);
        const account = spareSigner(f, 0);
        await f.consortium.connect(f.operator).admit([account.address], roles, NEW_MEMBER_METADATA);
        expect(await f.consortium.requireRole(account.address, Role.Provider)).to.equal(NEXT_ID);
        await expect(f.consortium.requireNewBusiness(account.address, Role.Provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAgreementNotAccepted")
          .withArgs(NEXT_ID, 0n, 1n);
        await f.consortium.connect(account).acceptAgreement(AGREEMENT_V1);
        expect(await f.consortium.requireNewBusiness(account.address, Role.Provider)).to.equal(NEXT_ID);
      });
    });
  });
});
