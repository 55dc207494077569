/*
Consortium.tree — the branches, written down first; one `it` per leaf.

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
suspend
├── when the caller is not an operator ─────────────────── it reverts with ConsortiumMissingRole
├── when the member does not exist ─────────────────────── it reverts with ConsortiumUnknownMember
├── when the member is already suspended ───────────────── it reverts with ConsortiumMemberNotActive
├── when the member has exited ─────────────────────────── it reverts with ConsortiumMemberNotActive
├── when the member is the last operator ───────────────── it reverts with ConsortiumLastOperator
└── when the member is active
    ├── it marks the member suspended and emits MemberSuspended
    ├── it freezes every account of the member on the token
    ├── its accounts receive what is owed to them (mints, contract payments) but no transfers from members
    │   (SettlementTokenRecipientRestricted), and cannot send
    ├── its accounts fail requireMember with ConsortiumMemberSuspended and hasRole is false
    └── when the member is one of two operators ── it counts one operator less; the member cannot act as operator
reinstate
├── when the caller is not an operator ─────────────────── it reverts with ConsortiumMissingRole
├── when the member does not exist ─────────────────────── it reverts with ConsortiumUnknownMember
├── when the member is active ──────────────────────────── it reverts with ConsortiumMemberNotSuspended
├── when the member has exited ─────────────────────────── it reverts with ConsortiumMemberNotSuspended
└── when the member is suspended
    ├── it marks the member active, emits MemberReinstated and gives every account the Member standing back
    └── when the member holds the Operator role ── it counts the operator again
grantMemberRole
├── when the caller is not an operator ─────────────────── it reverts with ConsortiumMissingRole
├── when the member does not exist ─────────────────────── it reverts with ConsortiumUnknownMember
├── when the member has exited ─────────────────────────── it reverts with ConsortiumMemberExited
├── when the member already holds the role ─────────────── it reverts with ConsortiumRoleAlreadyHeld
└── when the member lacks the role
    ├── it adds the role, emits MemberRoleGranted and leaves the token standing alone
    ├── when the role is Operator and the member is active ── it counts one more operator
    └── when the role is Operator and the member is suspended ── it counts the operator only once reinstated
revokeMemberRole
├── when the caller is not an operator ─────────────────── it reverts with ConsortiumMissingRole
├── when the member does not exist ─────────────────────── it reverts with ConsortiumUnknownMember
├── when the member has exited ─────────────────────────── it reverts with ConsortiumMemberExited
├── when the member lacks the role ─────────────────────── it reverts with ConsortiumMissingRole
├── when the role is Operator of the last operator ─────── it reverts with ConsortiumLastOperator
└── when the member holds the role
    ├── it removes the role and emits MemberRoleRevoked; requireRole then reverts with ConsortiumMissingRole
    ├── when the role is Operator of one of two operators ── it counts one operator less
    └── when the role is Operator of a suspended member ── it leaves the operator count alone
publishAgreement
├── when the caller is not an operator ─────────────────── it reverts with ConsortiumMissingRole
├── when the hash is zero ──────────────────────────────── it reverts with ConsortiumInvalidAgreement
├── when the hash is the current one ───────────────────── it reverts with ConsortiumInvalidAgreement
└── when the hash is new
    ├── it publishes the next version, emits AgreementPublished and keeps the earlier versions readable
    ├── it makes requireNewBusiness revert with ConsortiumAgreementNotAccepted until the member accepts
    ├── it pushes the new version to the token (CurrentAgreementChanged): no active roles until members accept
    └── when the hash is an earlier version's ── it publishes it again as a new version
acceptAgreement
├── when the caller is not an active account of a member ── it reverts with ConsortiumNotMember / ConsortiumAccountRemoved / ConsortiumMemberExited
├── when the hash is not the current agreement ─────────── it reverts with ConsortiumAgreementMismatch
├── when the hash is an earlier version's ──────────────── it reverts with ConsortiumAgreementMismatch
├── when the member already accepted the current version ── it reverts with ConsortiumAgreementAlreadyAccepted
└── when the member accepts the current version
    ├── it records the version and emits AgreementAccepted naming the accepting account
    ├── it pushes the member's roles and the version to every account on the token (RolesChanged)
    └── when the member is suspended ── it still records the acceptance (self-service)
setNoticePeriod
├── when the caller is not an operator ─────────────────── it reverts with ConsortiumMissingRole
├── when the period is longer than MAX_NOTICE_PERIOD ───── it reverts with ConsortiumNoticePeriodTooLong
└── when the period is at most MAX_NOTICE_PERIOD
    ├── it sets the period and emits NoticePeriodChanged (MAX_NOTICE_PERIOD and zero included)
    └── it applies to exit requests made from then on only
registerContract
├── when the caller is not an operator ─────────────────── it reverts with ConsortiumMissingRole
├── when the contract is already registered ────────────── it reverts with ConsortiumContractAlreadyRegistered
├── when MAX_CONTRACTS are registered ──────────────────── it reverts with ConsortiumTooManyContracts
├── when the address is a member's account ─────────────── it reverts with ConsortiumAccountTaken
├── when the contract does not implement IObligations ──── it reverts with ConsortiumNotObligationsContract (PlainERC20)
├── when the address has no code ───────────────────────── it reverts with ConsortiumNotObligationsContract
└── when the contract implements IObligations
    ├── it lists the contract, emits ContractRegistered and gives it the System standing
    └── its obligations then block exits (see completeExit)
bindToken
├── when the caller is not an operator ─────────────────── it reverts with ConsortiumMissingRole
├── when a token is already bound ──────────────────────── it reverts with ConsortiumTokenAlreadyBound
├── when no token is bound
│   ├── when the address has no code ───────────────────── it reverts with ConsortiumInvalidToken
│   ├── when the token names another Consortium ────────── it reverts with ConsortiumInvalidToken
│   ├── when the contract has no consortium() ──────────── it reverts with ConsortiumInvalidToken
│   ├── when the token is already a member's account ───── it reverts with ConsortiumAccountTaken
│   ├── when members changed before binding ────────────── the token heard nothing (no standing pushed)
│   └── when the token names this Consortium
│       ├── it binds the token and emits TokenBound
│       ├── it pushes the agreement in force (CurrentAgreementChanged)
│       ├── it pushes the standing of every active account (Member / Frozen / None) and registered contract (System)
│       └── it pushes every member's roles and accepted version; a member whose exit is pending is Leaving
addAccount
├── when the caller is not a member's account ──────────── it reverts with ConsortiumNotMember
├── when the caller's account was removed ──────────────── it reverts with ConsortiumAccountRemoved
├── when the caller's member has exited ────────────────── it reverts with ConsortiumMemberExited
├── when the account is the zero address ───────────────── it reverts with ConsortiumInvalidAccount
├── when the account is a registered contract ──────────── it reverts with ConsortiumInvalidAccount
├── when the account is this Consortium or its token ───── it reverts with ConsortiumInvalidAccount
├── when the account belongs to another member ─────────── it reverts with ConsortiumAccountTaken
├── when the account was removed from the caller's member ── it reverts with ConsortiumAccountTaken
├── when the member has MAX_ACCOUNTS accounts ──────────── it reverts with ConsortiumTooManyAccounts
└── when the account is new
    ├── it adds the account, emits AccountAdded and gives it the Member standing; the account can act
    ├── when the member is suspended ── it adds the account with the Frozen standing
    └── key rotation: the new key removes the old one, which requireMember then refuses
removeAccount
├── when the caller is not a member's account ──────────── it reverts with ConsortiumNotMember
├── when the caller's member has exited ────────────────── it reverts with ConsortiumMemberExited
├── when the account belongs to another member ─────────── it reverts with ConsortiumNotOwnAccount
├── when the account never belonged to a member ────────── it reverts with ConsortiumNotOwnAccount
├── when the account was already removed ───────────────── it reverts with ConsortiumNotOwnAccount
├── when the account is the member's last ──────────────── it reverts with ConsortiumLastAccount
├── when the account holds tokens
│   ├── it sweeps them to the caller (Transfer) and removes the account: no balance blocks a removal
│   ├── when the account removes itself ── they go to the member's first remaining account
│   └── when the token is paused ── it reverts with the token's EnforcedPause (an empty account is removed)
├── when no token is bound ─────────────────────────────── it removes the account; nothing is swept
└── when the account is another active account of the member, holding nothing
    ├── it removes it, emits AccountRemoved and clears its standing on the token
    ├── requireMember then reverts with ConsortiumAccountRemoved and hasRole is false
    ├── when the caller removes its own account ── it is allowed while another account remains
    └── when the removed account holds an allowance from another account of the member
        └── it can no longer spend it: the token refuses the spender with SettlementTokenNotMember
updateMetadata
├── when the caller is not a member's account ──────────── it reverts with ConsortiumNotMember
├── when the caller's member has exited ────────────────── it reverts with ConsortiumMemberExited
└── when the caller acts for a member ──────────────────── it stores the hash and emits MetadataUpdated (suspended too)
requestExit
├── when the caller is not a member's account ──────────── it reverts with ConsortiumNotMember
├── when the caller's member has exited ────────────────── it reverts with ConsortiumMemberExited
├── when an exit is already requested ──────────────────── it reverts with ConsortiumExitPending
└── when no exit is requested
    ├── it records effectiveAt = now + notice period and emits ExitRequested
    ├── requireNewBusiness then reverts with ConsortiumExitPending, requireRole still passes
    ├── every account of the member is Leaving on the token: it keeps its roles, none active; it sends, and
    │   receives only what is owed to it
    ├── when the member is suspended ── it records the request (self-service); the accounts stay Frozen
    └── while the exit is pending
        ├── granting or revoking a role reaches the token's record (RolesChanged), not its active roles
        ├── a suspension freezes the accounts; reinstatement makes them Leaving again, not Member
        └── an account added meanwhile is Leaving
cancelExit
├── when the caller is not a member's account ──────────── it reverts with ConsortiumNotMember
├── when no exit is requested ──────────────────────────── it reverts with ConsortiumExitNotRequested
└── when an exit is requested
    ├── it clears it, emits ExitCancelled; new business is allowed again
    └── every account is Member again; the token reports the roles, as changed while the exit was pending, active
completeExit
├── when the member does not exist ─────────────────────── it reverts with ConsortiumUnknownMember
├── when the member has already exited ─────────────────── it reverts with ConsortiumMemberExited
├── when the caller is neither an account of the member nor of an operator in good standing
│   └── it reverts with ConsortiumNotExitingMember(caller, member): an outsider, another member, a removed
│       account of the member, a suspended or an exited operator; before the exit's own conditions are read
├── when no exit is requested ──────────────────────────── it reverts with ConsortiumExitNotRequested
├── when the notice period is running ──────────────────── it reverts with ConsortiumNoticePeriodRunning
├── when a registered contract reports open obligations ── it reverts with ConsortiumOpenObligations (mock, count)
├── when the member has pending redemptions ────────────── it reverts with ConsortiumOpenObligations (gateway, count)
│   ├── when another registered contract reports obligations too ── it names the gateway, registered first
│   └── when the redemptions are settled ── the exit completes
├── when an account of the member holds tokens ─────────── it reverts with SettlementTokenBalanceNotEmpty (from the token)
├── when the member is the last operator ───────────────── it reverts with ConsortiumLastOperator
└── when the conditions hold
    ├── the member completes it (any of its accounts), at effectiveAt exactly; it emits MemberExited
    ├── an operator completes it for the member
    ├── when another member sends dust to the leaving member ── it is refused (SettlementTokenRecipientRestricted),
    │   so no one can keep the exit from completing
    ├── every account of the member gets the None standing
    ├── the exited member cannot act any more and operators cannot suspend, reinstate or grant it roles
    ├── its accounts stay on record: memberOf names the member but reports them inactive, accountsOf lists them
    ├── when the member was one of two operators ── it counts one operator less
    └── when the member is suspended ── it completes too, clearing the Frozen standing
views
├── memberOf / getMember / accountsOf ── known, removed and unknown accounts and ids
├── memberCount / operatorCount
├── hasRole ── true for an active account holding the role; false for a missing role, a suspended
│   member, a removed account, an exited member and a non-member
├── requireMember ── the member id, or ConsortiumNotMember / ConsortiumAccountRemoved /
│   ConsortiumMemberSuspended / ConsortiumMemberExited
├── requireRole ── the member id, or ConsortiumMissingRole (after the requireMember checks)
├── requireNewBusiness ── the member id, or ConsortiumMissingRole / ConsortiumMemberSuspended /
│   ConsortiumAgreementNotAccepted / ConsortiumExitPending
├── requireAccount ── the member id, also for a suspended member or one leaving; or ConsortiumNotMember /
│   ConsortiumAccountRemoved / ConsortiumMemberExited
├── inBusiness ── true for a member in good standing with the role, the current agreement and no exit
│   requested; false for each of: missing role, suspended, exited, unknown id, agreement not
│   accepted, exit requested
└── currentAgreement / agreementHash / noticePeriod / registeredContracts / token / limits
*/
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { ZeroAddress, ZeroHash } from "ethers";
import { network } from "hardhat";

import { AccountStanding, MemberStatus, Role, roleMask } from "../../src/core/membership.js";
import { parseEuro } from "../../src/core/money.js";
import { referenceHash } from "../../src/core/references.js";
import {
  admitCast,
  deployUnboundLayer,
  derivedAddress,
  derivedAddresses,
  minedAt,
  standingChanges,
} from "../helpers/consortium.js";
import {
  AGREEMENT_V1,
  FOUNDER_METADATA,
  NOTICE_PERIOD,
  mintTo,
  settlementLayerFixture,
  type SettlementLayerFixture,
} from "../helpers/fixtures.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { loadFixture, time } = networkHelpers;
const fixture = settlementLayerFixture(connection);

const AGREEMENT_V2 = referenceHash("Capacity consortium framework agreement v2 (development)");
const NEW_MEMBER_METADATA = referenceHash("New member record");
const UPDATED_METADATA = referenceHash("Updated member record");
const REASON = referenceHash("Suspension decision 2025-01");
const PAYOUT_REF = referenceHash("payout instructions IBAN DE00 0000");
const BANK_TX_REF = referenceHash("bank transaction 4711");
const AMOUNT = parseEuro("250");
/** The id the next admitted member gets: the fixture admits members 1 to 5. */
const NEXT_ID = 6n;

function spareSigner(f: SettlementLayerFixture, index: number): HardhatEthersSigner {
  const signer = f.spare[index];
  if (signer === undefined)
    throw new Error(`The test network has no spare account #${index}; configure more accounts.`);
  return signer;
}

/** Admits a new member (id NEXT_ID and up) with the given accounts and roles; returns its id. */
async function admitMember(
  f: SettlementLayerFixture,
  accounts: string[],
  roles: number = roleMask(Role.Consumer),
): Promise<bigint> {
  await f.consortium.connect(f.operator).admit(accounts, roles, NEW_MEMBER_METADATA);
  return f.consortium.memberCount();
}

/** Admits a second operator on spare account #0; returns its id. */
async function admitSecondOperator(f: SettlementLayerFixture): Promise<bigint> {
  const id = await admitMember(f, [spareSigner(f, 0).address], roleMask(Role.Operator));
  await f.consortium.connect(spareSigner(f, 0)).acceptAgreement(AGREEMENT_V1);
  return id;
}

/** Requests the exit of `signer`'s member and lets the notice period pass; returns effectiveAt. */
async function requestExitAndWait(f: SettlementLayerFixture, signer: HardhatEthersSigner): Promise<bigint> {
  await f.consortium.connect(signer).requestExit();
  const [id] = await f.consortium.memberOf(signer.address);
  const effectiveAt = (await f.consortium.getMember(id)).exitEffectiveAt;
  await time.increaseTo(effectiveAt);
  return effectiveAt;
}

/** Admits a member on spare account #1 and lets it leave; returns its id. */
async function exitedMember(f: SettlementLayerFixture): Promise<bigint> {
  const signer = spareSigner(f, 1);
  const id = await admitMember(f, [signer.address]);
  await requestExitAndWait(f, signer);
  await f.consortium.connect(signer).completeExit(id);
  return id;
}

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

  describe("suspend", function () {
    describe("when the caller is not an operator", function () {
      it("reverts with ConsortiumMissingRole", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.auditor).suspend(f.memberIds.consumer, REASON))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMissingRole")
          .withArgs(f.memberIds.auditor, Role.Operator);
      });
    });

    describe("when the member does not exist", function () {
      for (const id of [0n, NEXT_ID]) {
        it(`reverts with ConsortiumUnknownMember (id ${id})`, async function () {
          const f = await loadFixture(fixture);
          await expect(f.consortium.connect(f.operator).suspend(id, REASON))
            .to.be.revertedWithCustomError(f.consortium, "ConsortiumUnknownMember")
            .withArgs(id);
        });
      }
    });

    describe("when the member is already suspended", function () {
      it("reverts with ConsortiumMemberNotActive", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON);
        await expect(f.consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberNotActive")
          .withArgs(f.memberIds.consumer);
      });
    });

    describe("when the member has exited", function () {
      it("reverts with ConsortiumMemberNotActive", async function () {
        const f = await loadFixture(fixture);
        const id = await exitedMember(f);
        await expect(f.consortium.connect(f.operator).suspend(id, REASON))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberNotActive")
          .withArgs(id);
      });
    });

    describe("when the member is the last operator", function () {
      it("reverts with ConsortiumLastOperator", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).suspend(f.memberIds.operator, REASON))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumLastOperator")
          .withArgs(f.memberIds.operator);
      });
    });

    describe("when the member is active", function () {
      it("marks the member suspended and emits MemberSuspended", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON))
          .to.emit(f.consortium, "MemberSuspended")
          .withArgs(f.memberIds.consumer, REASON, f.operator.address);
        expect((await f.consortium.getMember(f.memberIds.consumer)).status).to.equal(MemberStatus.Suspended);
        expect(await f.consortium.operatorCount()).to.equal(1n);
      });

      it("freezes every account of the member on the token", async function () {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0).address;
        await f.consortium.connect(f.consumer).addAccount(second);
        const tx = await f.consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON);
        expect(await standingChanges(f.token, tx)).to.deep.equal([
          [f.consumer.address, BigInt(AccountStanding.Frozen)],
          [second, BigInt(AccountStanding.Frozen)],
        ]);
        expect(await f.token.standingOf(f.consumer.address)).to.equal(AccountStanding.Frozen);
        expect(await f.token.standingOf(second)).to.equal(AccountStanding.Frozen);
      });

      it("leaves its accounts receiving what is owed to them but no members' transfers, and not sending", async function () {
        const f = await loadFixture(fixture);
        await mintTo(f, f.provider.address, AMOUNT);
        await mintTo(f, f.consumer.address, AMOUNT);
        await f.token.connect(f.consumer).approve(f.gateway, AMOUNT);
        await f.gateway.connect(f.consumer).requestRedemption(AMOUNT, PAYOUT_REF);
        await f.consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON);
        await expect(f.token.connect(f.provider).transfer(f.consumer.address, AMOUNT))
          .to.be.revertedWithCustomError(f.token, "SettlementTokenRecipientRestricted")
          .withArgs(f.consumer.address, AccountStanding.Frozen);
        // A rejected redemption's refund and a bank deposit are owed to it.
        await f.gateway.connect(f.operator).rejectRedemption(1n, REASON);
        await mintTo(f, f.consumer.address, AMOUNT, "deposit while suspended");
        expect(await f.token.balanceOf(f.consumer.address)).to.equal(2n * AMOUNT);
        await expect(f.token.connect(f.consumer).transfer(f.provider.address, 1n))
          .to.be.revertedWithCustomError(f.token, "SettlementTokenSenderFrozen")
          .withArgs(f.consumer.address);
      });

      it("makes requireMember revert with ConsortiumMemberSuspended and hasRole return false", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON);
        await expect(f.consortium.requireMember(f.consumer.address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberSuspended")
          .withArgs(f.memberIds.consumer);
        expect(await f.consortium.hasRole(f.consumer.address, Role.Consumer)).to.equal(false);
      });

      describe("when the member is one of two operators", function () {
        it("counts one operator less and the member can no longer act as operator", async function () {
          const f = await loadFixture(fixture);
          const id = await admitSecondOperator(f);
          await f.consortium.connect(f.operator).suspend(id, REASON);
          expect(await f.consortium.operatorCount()).to.equal(1n);
          await expect(f.consortium.connect(spareSigner(f, 0)).suspend(f.memberIds.consumer, REASON))
            .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberSuspended")
            .withArgs(id);
          await expect(f.consortium.connect(spareSigner(f, 0)).suspend(f.memberIds.operator, REASON))
            .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberSuspended")
            .withArgs(id);
        });

        it("lets an operator suspend itself while another operator remains", async function () {
          const f = await loadFixture(fixture);
          const id = await admitSecondOperator(f);
          await expect(f.consortium.connect(spareSigner(f, 0)).suspend(id, REASON))
            .to.emit(f.consortium, "MemberSuspended")
            .withArgs(id, REASON, spareSigner(f, 0).address);
          await expect(f.consortium.connect(f.operator).suspend(f.memberIds.operator, REASON))
            .to.be.revertedWithCustomError(f.consortium, "ConsortiumLastOperator")
            .withArgs(f.memberIds.operator);
        });
      });
    });
  });

  describe("reinstate", function () {
    describe("when the caller is not an operator", function () {
      it("reverts with ConsortiumMissingRole", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON);
        await expect(f.consortium.connect(f.licensor).reinstate(f.memberIds.consumer))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMissingRole")
          .withArgs(f.memberIds.licensor, Role.Operator);
      });
    });

    describe("when the member does not exist", function () {
      it("reverts with ConsortiumUnknownMember", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).reinstate(NEXT_ID))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumUnknownMember")
          .withArgs(NEXT_ID);
      });
    });

    describe("when the member is active", function () {
      it("reverts with ConsortiumMemberNotSuspended", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).reinstate(f.memberIds.consumer))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberNotSuspended")
          .withArgs(f.memberIds.consumer);
      });
    });

    describe("when the member has exited", function () {
      it("reverts with ConsortiumMemberNotSuspended", async function () {
        const f = await loadFixture(fixture);
        const id = await exitedMember(f);
        await expect(f.consortium.connect(f.operator).reinstate(id))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberNotSuspended")
          .withArgs(id);
      });
    });

    describe("when the member is suspended", function () {
      it("marks the member active, emits MemberReinstated and gives every account the Member standing back", async function () {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0).address;
        await f.consortium.connect(f.consumer).addAccount(second);
        await mintTo(f, f.consumer.address, AMOUNT);
        await f.consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON);
        const tx = await f.consortium.connect(f.operator).reinstate(f.memberIds.consumer);
        await expect(tx).to.emit(f.consortium, "MemberReinstated").withArgs(f.memberIds.consumer, f.operator.address);
        expect(await standingChanges(f.token, tx)).to.deep.equal([
          [f.consumer.address, BigInt(AccountStanding.Member)],
          [second, BigInt(AccountStanding.Member)],
        ]);
        expect((await f.consortium.getMember(f.memberIds.consumer)).status).to.equal(MemberStatus.Active);
        expect(await f.consortium.requireMember(f.consumer.address)).to.equal(f.memberIds.consumer);
        await expect(f.token.connect(f.consumer).transfer(f.provider.address, AMOUNT)).to.changeTokenBalance(
          ethers,
          f.token,
          f.consumer,
          -AMOUNT,
        );
      });

      describe("when the member holds the Operator role", function () {
        it("counts the operator again", async function () {
          const f = await loadFixture(fixture);
          const id = await admitSecondOperator(f);
          await f.consortium.connect(f.operator).suspend(id, REASON);
          await f.consortium.connect(f.operator).reinstate(id);
          expect(await f.consortium.operatorCount()).to.equal(2n);
          expect(await f.consortium.hasRole(spareSigner(f, 0).address, Role.Operator)).to.equal(true);
        });
      });
    });
  });

  describe("grantMemberRole", function () {
    describe("when the caller is not an operator", function () {
      it("reverts with ConsortiumMissingRole", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.provider).grantMemberRole(f.memberIds.provider, Role.Operator))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMissingRole")
          .withArgs(f.memberIds.provider, Role.Operator);
      });
    });

    describe("when the member does not exist", function () {
      it("reverts with ConsortiumUnknownMember", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).grantMemberRole(NEXT_ID, Role.Provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumUnknownMember")
          .withArgs(NEXT_ID);
      });
    });

    describe("when the member has exited", function () {
      it("reverts with ConsortiumMemberExited", async function () {
        const f = await loadFixture(fixture);
        const id = await exitedMember(f);
        await expect(f.consortium.connect(f.operator).grantMemberRole(id, Role.Provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberExited")
          .withArgs(id);
      });
    });

    describe("when the member already holds the role", function () {
      it("reverts with ConsortiumRoleAlreadyHeld", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).grantMemberRole(f.memberIds.provider, Role.Provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumRoleAlreadyHeld")
          .withArgs(f.memberIds.provider, Role.Provider);
      });
    });

    describe("when the member lacks the role", function () {
      it("adds the role, emits MemberRoleGranted and leaves the token standing alone", async function () {
        const f = await loadFixture(fixture);
        const tx = await f.consortium.connect(f.operator).grantMemberRole(f.memberIds.provider, Role.Licensor);
        await expect(tx)
          .to.emit(f.consortium, "MemberRoleGranted")
          .withArgs(f.memberIds.provider, Role.Licensor, f.operator.address);
        await expect(tx).not.to.emit(f.token, "StandingChanged");
        expect((await f.consortium.getMember(f.memberIds.provider)).roles).to.equal(
          roleMask(Role.Provider, Role.Licensor),
        );
        expect(await f.consortium.hasRole(f.provider.address, Role.Licensor)).to.equal(true);
        expect(await f.consortium.operatorCount()).to.equal(1n);
      });

      describe("when the role is Operator and the member is active", function () {
        it("counts one more operator", async function () {
          const f = await loadFixture(fixture);
          await f.consortium.connect(f.operator).grantMemberRole(f.memberIds.provider, Role.Operator);
          expect(await f.consortium.operatorCount()).to.equal(2n);
          expect(await f.consortium.requireRole(f.provider.address, Role.Operator)).to.equal(f.memberIds.provider);
        });
      });

      describe("when the role is Operator and the member is suspended", function () {
        it("counts the operator only once the member is reinstated", async function () {
          const f = await loadFixture(fixture);
          await f.consortium.connect(f.operator).suspend(f.memberIds.provider, REASON);
          await f.consortium.connect(f.operator).grantMemberRole(f.memberIds.provider, Role.Operator);
          expect(await f.consortium.operatorCount()).to.equal(1n);
          await f.consortium.connect(f.operator).reinstate(f.memberIds.provider);
          expect(await f.consortium.operatorCount()).to.equal(2n);
        });
      });
    });
  });

  describe("revokeMemberRole", function () {
    describe("when the caller is not an operator", function () {
      it("reverts with ConsortiumMissingRole", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.consumer).revokeMemberRole(f.memberIds.provider, Role.Provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMissingRole")
          .withArgs(f.memberIds.consumer, Role.Operator);
      });
    });

    describe("when the member does not exist", function () {
      it("reverts with ConsortiumUnknownMember", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).revokeMemberRole(NEXT_ID, Role.Provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumUnknownMember")
          .withArgs(NEXT_ID);
      });
    });

    describe("when the member has exited", function () {
      it("reverts with ConsortiumMemberExited: an exited member's record stays as it was", async function () {
        const f = await loadFixture(fixture);
        const id = await exitedMember(f);
        await expect(f.consortium.connect(f.operator).revokeMemberRole(id, Role.Consumer))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberExited")
          .withArgs(id);
      });
    });

    describe("when the member lacks the role", function () {
      it("reverts with ConsortiumMissingRole", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).revokeMemberRole(f.memberIds.provider, Role.Consumer))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMissingRole")
          .withArgs(f.memberIds.provider, Role.Consumer);
      });
    });

    describe("when the role is Operator of the last operator", function () {
      it("reverts with ConsortiumLastOperator", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).revokeMemberRole(f.memberIds.operator, Role.Operator))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumLastOperator")
          .withArgs(f.memberIds.operator);
      });
    });

    describe("when the member holds the role", function () {
      it("removes the role and emits MemberRoleRevoked; requireRole then reverts with ConsortiumMissingRole", async function () {
        const f = await loadFixture(fixture);
        const tx = await f.consortium.connect(f.operator).revokeMemberRole(f.memberIds.provider, Role.Provider);
        await expect(tx)
          .to.emit(f.consortium, "MemberRoleRevoked")
          .withArgs(f.memberIds.provider, Role.Provider, f.operator.address);
        await expect(tx).not.to.emit(f.token, "StandingChanged");
        expect((await f.consortium.getMember(f.memberIds.provider)).roles).to.equal(0n);
        expect(await f.consortium.hasRole(f.provider.address, Role.Provider)).to.equal(false);
        await expect(f.consortium.requireRole(f.provider.address, Role.Provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMissingRole")
          .withArgs(f.memberIds.provider, Role.Provider);
        expect(await f.consortium.requireMember(f.provider.address)).to.equal(f.memberIds.provider);
      });

      describe("when the role is Operator of one of two operators", function () {
        it("counts one operator less", async function () {
          const f = await loadFixture(fixture);
          const id = await admitSecondOperator(f);
          await expect(f.consortium.connect(spareSigner(f, 0)).revokeMemberRole(f.memberIds.operator, Role.Operator))
            .to.emit(f.consortium, "MemberRoleRevoked")
            .withArgs(f.memberIds.operator, Role.Operator, spareSigner(f, 0).address);
          expect(await f.consortium.operatorCount()).to.equal(1n);
          await expect(f.consortium.connect(spareSigner(f, 0)).revokeMemberRole(id, Role.Operator))
            .to.be.revertedWithCustomError(f.consortium, "ConsortiumLastOperator")
            .withArgs(id);
        });
      });

      describe("when the role is Operator of a suspended member", function () {
        it("leaves the operator count alone", async function () {
          const f = await loadFixture(fixture);
          const id = await admitSecondOperator(f);
          await f.consortium.connect(f.operator).suspend(id, REASON);
          await f.consortium.connect(f.operator).revokeMemberRole(id, Role.Operator);
          expect(await f.consortium.operatorCount()).to.equal(1n);
          expect((await f.consortium.getMember(id)).roles).to.equal(0n);
        });
      });
    });
  });

  describe("publishAgreement", function () {
    describe("when the caller is not an operator", function () {
      it("reverts with ConsortiumMissingRole", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.auditor).publishAgreement(AGREEMENT_V2))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMissingRole")
          .withArgs(f.memberIds.auditor, Role.Operator);
      });
    });

    describe("when the hash is zero", function () {
      it("reverts with ConsortiumInvalidAgreement", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).publishAgreement(ZeroHash))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidAgreement")
          .withArgs(ZeroHash);
      });
    });

    describe("when the hash is the current one", function () {
      it("reverts with ConsortiumInvalidAgreement", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V1))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidAgreement")
          .withArgs(AGREEMENT_V1);
      });
    });

    describe("when the hash is new", function () {
      it("publishes the next version, emits AgreementPublished and keeps the earlier versions readable", async function () {
        const f = await loadFixture(fixture);
        const publish = f.consortium.connect(f.operator).publishAgreement;
        expect(await publish.staticCall(AGREEMENT_V2)).to.equal(2n);
        await expect(publish(AGREEMENT_V2)).to.emit(f.consortium, "AgreementPublished").withArgs(2n, AGREEMENT_V2);
        expect(await f.consortium.currentAgreement()).to.deep.equal([2n, AGREEMENT_V2]);
        expect(await f.consortium.agreementHash(1)).to.equal(AGREEMENT_V1);
        expect(await f.consortium.agreementHash(2)).to.equal(AGREEMENT_V2);
      });

      it("makes requireNewBusiness revert with ConsortiumAgreementNotAccepted until the member accepts", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V2);
        await expect(f.consortium.requireNewBusiness(f.provider.address, Role.Provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAgreementNotAccepted")
          .withArgs(f.memberIds.provider, 1n, 2n);
        expect(await f.consortium.requireRole(f.provider.address, Role.Provider)).to.equal(f.memberIds.provider);
        await f.consortium.connect(f.provider).acceptAgreement(AGREEMENT_V2);
        expect(await f.consortium.requireNewBusiness(f.provider.address, Role.Provider)).to.equal(f.memberIds.provider);
      });

      it("pushes the new version to the token: no active roles until the member accepts", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V2))
          .to.emit(f.token, "CurrentAgreementChanged")
          .withArgs(2);
        expect(await f.token.currentAgreement()).to.equal(2n);
        expect(await f.token.agreementOf(f.provider.address)).to.equal(1n);
        expect(await f.token.activeRolesOf(f.provider.address)).to.equal(0n);
        await f.consortium.connect(f.provider).acceptAgreement(AGREEMENT_V2);
        expect(await f.token.activeRolesOf(f.provider.address)).to.equal(BigInt(roleMask(Role.Provider)));
      });

      describe("when the hash is an earlier version's", function () {
        it("publishes it again as a new version", async function () {
          const f = await loadFixture(fixture);
          await f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V2);
          await expect(f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V1))
            .to.emit(f.consortium, "AgreementPublished")
            .withArgs(3n, AGREEMENT_V1);
          expect(await f.consortium.currentAgreement()).to.deep.equal([3n, AGREEMENT_V1]);
          await expect(f.consortium.requireNewBusiness(f.provider.address, Role.Provider))
            .to.be.revertedWithCustomError(f.consortium, "ConsortiumAgreementNotAccepted")
            .withArgs(f.memberIds.provider, 1n, 3n);
        });
      });
    });
  });

  describe("acceptAgreement", function () {
    describe("when the caller is not an active account of a member", function () {
      it("reverts with ConsortiumNotMember for an outsider", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.outsider).acceptAgreement(AGREEMENT_V1))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotMember")
          .withArgs(f.outsider.address);
      });

      it("reverts with ConsortiumAccountRemoved for a removed account", async function () {
        const f = await loadFixture(fixture);
        const old = spareSigner(f, 0);
        await f.consortium.connect(f.provider).addAccount(old.address);
        await f.consortium.connect(f.provider).removeAccount(old.address);
        await f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V2);
        await expect(f.consortium.connect(old).acceptAgreement(AGREEMENT_V2))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAccountRemoved")
          .withArgs(old.address, f.memberIds.provider);
      });

      it("reverts with ConsortiumMemberExited for an exited member", async function () {
        const f = await loadFixture(fixture);
        const id = await exitedMember(f);
        await f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V2);
        await expect(f.consortium.connect(spareSigner(f, 1)).acceptAgreement(AGREEMENT_V2))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberExited")
          .withArgs(id);
      });
    });

    describe("when the hash is not the current agreement", function () {
      it("reverts with ConsortiumAgreementMismatch", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.provider).acceptAgreement(AGREEMENT_V2))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAgreementMismatch")
          .withArgs(AGREEMENT_V2, AGREEMENT_V1);
      });
    });

    describe("when the hash is an earlier version's", function () {
      it("reverts with ConsortiumAgreementMismatch", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V2);
        await expect(f.consortium.connect(f.provider).acceptAgreement(AGREEMENT_V1))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAgreementMismatch")
          .withArgs(AGREEMENT_V1, AGREEMENT_V2);
      });
    });

    describe("when the member already accepted the current version", function () {
      it("reverts with ConsortiumAgreementAlreadyAccepted", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.provider).acceptAgreement(AGREEMENT_V1))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAgreementAlreadyAccepted")
          .withArgs(f.memberIds.provider, 1n);
      });

      it("reverts with ConsortiumAgreementAlreadyAccepted from another account of the member", async function () {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0);
        await f.consortium.connect(f.provider).addAccount(second.address);
        await expect(f.consortium.connect(second).acceptAgreement(AGREEMENT_V1))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAgreementAlreadyAccepted")
          .withArgs(f.memberIds.provider, 1n);
      });
    });

    describe("when the member accepts the current version", function () {
      it("records the version and emits AgreementAccepted naming the accepting account", async function () {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0);
        await f.consortium.connect(f.provider).addAccount(second.address);
        await f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V2);
        await expect(f.consortium.connect(second).acceptAgreement(AGREEMENT_V2))
          .to.emit(f.consortium, "AgreementAccepted")
          .withArgs(f.memberIds.provider, 2n, AGREEMENT_V2, second.address);
        expect((await f.consortium.getMember(f.memberIds.provider)).agreementVersion).to.equal(2n);
      });

      it("pushes the member's roles and the version to every account on the token", async function () {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0);
        await f.consortium.connect(f.provider).addAccount(second.address);
        await f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V2);
        const accepted = f.consortium.connect(f.provider).acceptAgreement(AGREEMENT_V2);
        for (const account of [f.provider.address, second.address]) {
          await expect(accepted).to.emit(f.token, "RolesChanged").withArgs(account, roleMask(Role.Provider), 2);
        }
        for (const account of [f.provider.address, second.address]) {
          expect(await f.token.agreementOf(account)).to.equal(2n);
          expect(await f.token.activeRolesOf(account)).to.equal(BigInt(roleMask(Role.Provider)));
        }
      });

      describe("when the member is suspended", function () {
        it("still records the acceptance (self-service)", async function () {
          const f = await loadFixture(fixture);
          await f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V2);
          await f.consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON);
          await expect(f.consortium.connect(f.consumer).acceptAgreement(AGREEMENT_V2))
            .to.emit(f.consortium, "AgreementAccepted")
            .withArgs(f.memberIds.consumer, 2n, AGREEMENT_V2, f.consumer.address);
          expect((await f.consortium.getMember(f.memberIds.consumer)).agreementVersion).to.equal(2n);
        });
      });
    });
  });

  describe("setNoticePeriod", function () {
    const THIRTY_DAYS = 30n * 24n * 60n * 60n;

    describe("when the caller is not an operator", function () {
      it("reverts with ConsortiumMissingRole", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.consumer).setNoticePeriod(THIRTY_DAYS))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMissingRole")
          .withArgs(f.memberIds.consumer, Role.Operator);
      });
    });

    describe("when the period is longer than MAX_NOTICE_PERIOD", function () {
      it("reverts with ConsortiumNoticePeriodTooLong", async function () {
        const f = await loadFixture(fixture);
        const max = await f.consortium.MAX_NOTICE_PERIOD();
        await expect(f.consortium.connect(f.operator).setNoticePeriod(max + 1n))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNoticePeriodTooLong")
          .withArgs(max + 1n, max);
      });
    });

    describe("when the period is at most MAX_NOTICE_PERIOD", function () {
      it("sets the period and emits NoticePeriodChanged, MAX_NOTICE_PERIOD and zero included", async function () {
        const f = await loadFixture(fixture);
        const max = await f.consortium.MAX_NOTICE_PERIOD();
        for (const period of [THIRTY_DAYS, max, 0n]) {
          await expect(f.consortium.connect(f.operator).setNoticePeriod(period))
            .to.emit(f.consortium, "NoticePeriodChanged")
            .withArgs(period);
          expect(await f.consortium.noticePeriod()).to.equal(period);
        }
      });

      it("applies to exit requests made from then on only", async function () {
        const f = await loadFixture(fixture);
        const before = await minedAt(await f.consortium.connect(f.consumer).requestExit());
        await f.consortium.connect(f.operator).setNoticePeriod(THIRTY_DAYS);
        const after = await minedAt(await f.consortium.connect(f.licensor).requestExit());
        expect((await f.consortium.getMember(f.memberIds.consumer)).exitEffectiveAt).to.equal(before + NOTICE_PERIOD);
        expect((await f.consortium.getMember(f.memberIds.licensor)).exitEffectiveAt).to.equal(after + THIRTY_DAYS);
      });
    });
  });

  describe("registerContract", function () {
    const deployMock = () => ethers.deployContract("MockObligations");

    describe("when the caller is not an operator", function () {
      it("reverts with ConsortiumMissingRole", async function () {
        const f = await loadFixture(fixture);
        const mock = await deployMock();
        await expect(f.consortium.connect(f.licensor).registerContract(mock))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMissingRole")
          .withArgs(f.memberIds.licensor, Role.Operator);
      });
    });

    describe("when the contract is already registered", function () {
      it("reverts with ConsortiumContractAlreadyRegistered", async function () {
        const f = await loadFixture(fixture);
        const gateway = await f.gateway.getAddress();
        await expect(f.consortium.connect(f.operator).registerContract(gateway))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumContractAlreadyRegistered")
          .withArgs(gateway);
      });
    });

    describe("when MAX_CONTRACTS are registered", function () {
      it("reverts with ConsortiumTooManyContracts", async function () {
        const f = await loadFixture(fixture);
        const max = await f.consortium.MAX_CONTRACTS();
        while (BigInt((await f.consortium.registeredContracts()).length) < max) {
          await f.consortium.connect(f.operator).registerContract(await deployMock());
        }
        await expect(f.consortium.connect(f.operator).registerContract(await deployMock()))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumTooManyContracts")
          .withArgs(max);
      });
    });

    describe("when the address is a member's account", function () {
      it("reverts with ConsortiumAccountTaken", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).registerContract(f.provider.address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAccountTaken")
          .withArgs(f.provider.address, f.memberIds.provider);
      });
    });

    describe("when the contract does not implement IObligations", function () {
      it("reverts with ConsortiumNotObligationsContract for a plain ERC-20 without ERC-165", async function () {
        const f = await loadFixture(fixture);
        const plain = await ethers.deployContract("PlainERC20", ["Plain", "PLN", f.operator.address, 1n]);
        const address = await plain.getAddress();
        await expect(f.consortium.connect(f.operator).registerContract(address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotObligationsContract")
          .withArgs(address);
      });
    });

    describe("when the address has no code", function () {
      it("reverts with ConsortiumNotObligationsContract", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).registerContract(f.outsider.address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotObligationsContract")
          .withArgs(f.outsider.address);
      });
    });

    describe("when the contract implements IObligations", function () {
      it("lists the contract, emits ContractRegistered and gives it the System standing", async function () {
        const f = await loadFixture(fixture);
        const mock = await deployMock();
        const address = await mock.getAddress();
        const tx = await f.consortium.connect(f.operator).registerContract(address);
        await expect(tx).to.emit(f.consortium, "ContractRegistered").withArgs(address);
        expect(await standingChanges(f.token, tx)).to.deep.equal([[address, BigInt(AccountStanding.System)]]);
        expect(await f.consortium.registeredContracts()).to.deep.equal([await f.gateway.getAddress(), address]);
        expect(await f.token.standingOf(address)).to.equal(AccountStanding.System);
      });
    });
  });

  describe("bindToken", function () {
    describe("when the caller is not an operator", function () {
      it("reverts with ConsortiumMissingRole", async function () {
        const f = await loadFixture(fixture);
        const layer = await deployUnboundLayer(connection, f.operator);
        await admitCast(layer.consortium, f);
        await expect(layer.consortium.connect(f.provider).bindToken(layer.token))
          .to.be.revertedWithCustomError(layer.consortium, "ConsortiumMissingRole")
          .withArgs(f.memberIds.provider, Role.Operator);
      });
    });

    describe("when a token is already bound", function () {
      it("reverts with ConsortiumTokenAlreadyBound", async function () {
        const f = await loadFixture(fixture);
        const bound = await f.token.getAddress();
        const other = await ethers.deployContract("SettlementToken", [f.consortium, "Other Euro", "OEUR"]);
        await expect(f.consortium.connect(f.operator).bindToken(other))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumTokenAlreadyBound")
          .withArgs(bound);
      });
    });

    describe("when no token is bound", function () {
      describe("when the address has no code", function () {
        it("reverts with ConsortiumInvalidToken", async function () {
          const f = await loadFixture(fixture);
          const { consortium } = await deployUnboundLayer(connection, f.operator);
          await expect(consortium.connect(f.operator).bindToken(f.outsider.address))
            .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidToken")
            .withArgs(f.outsider.address);
        });
      });

      describe("when the token names another Consortium", function () {
        it("reverts with ConsortiumInvalidToken", async function () {
          const f = await loadFixture(fixture);
          const { consortium } = await deployUnboundLayer(connection, f.operator);
          const foreign = await f.token.getAddress();
          await expect(consortium.connect(f.operator).bindToken(foreign))
            .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidToken")
            .withArgs(foreign);
        });
      });

      describe("when the contract has no consortium() function", function () {
        it("reverts with ConsortiumInvalidToken and binds nothing", async function () {
          const f = await loadFixture(fixture);
          const { consortium } = await deployUnboundLayer(connection, f.operator);
          const mock = await ethers.deployContract("MockObligations");
          await expect(consortium.connect(f.operator).bindToken(mock))
            .to.be.revertedWithCustomError(consortium, "ConsortiumInvalidToken")
            .withArgs(await mock.getAddress());
          expect(await consortium.token()).to.equal(ZeroAddress);
        });
      });

      describe("when the token is already a member's account", function () {
        it("reverts with ConsortiumAccountTaken", async function () {
          const f = await loadFixture(fixture);
          const { consortium, token } = await deployUnboundLayer(connection, f.operator);
          await consortium.connect(f.operator).addAccount(token);
          await expect(consortium.connect(f.operator).bindToken(token))
            .to.be.revertedWithCustomError(consortium, "ConsortiumAccountTaken")
            .withArgs(await token.getAddress(), 1n);
        });
      });

      describe("when members change before binding", function () {
        it("pushes nothing to the token", async function () {
          const f = await loadFixture(fixture);
          const { consortium, token } = await deployUnboundLayer(connection, f.operator);
          await admitCast(consortium, f);
          const tx = await consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON);
          expect(await standingChanges(token, tx)).to.deep.equal([]);
          expect(await token.standingOf(f.provider.address)).to.equal(AccountStanding.None);
          expect(await consortium.token()).to.equal(ZeroAddress);
        });
      });

      describe("when the token names this Consortium", function () {
        /**
         * A fresh Consortium (no notice period) where, before the token is bound: provider has two
         * accounts, consumer is suspended, licensor has exited, auditor removed a second account, and
         * a MockObligations contract is registered.
         */
        async function boundAfterAdmissions() {
          const f = await loadFixture(fixture);
          const { consortium, token } = await deployUnboundLayer(connection, f.operator, 0n);
          await admitCast(consortium, f);
          const providerSecond = spareSigner(f, 0).address;
          const auditorRemoved = spareSigner(f, 1).address;
          await consortium.connect(f.provider).addAccount(providerSecond);
          await consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON);
          await consortium.connect(f.licensor).requestExit();
          await consortium.connect(f.licensor).completeExit(f.memberIds.licensor);
          await consortium.connect(f.auditor).addAccount(auditorRemoved);
          await consortium.connect(f.auditor).removeAccount(auditorRemoved);
          const mock = await ethers.deployContract("MockObligations");
          await consortium.connect(f.operator).registerContract(mock);
          const tx = await consortium.connect(f.operator).bindToken(token);
          return { f, consortium, token, tx, providerSecond, auditorRemoved, mock: await mock.getAddress() };
        }

        it("binds the token and emits TokenBound", async function () {
          const { consortium, token, tx } = await boundAfterAdmissions();
          const address = await token.getAddress();
          await expect(tx).to.emit(consortium, "TokenBound").withArgs(address);
          expect(await consortium.token()).to.equal(address);
        });

        it("pushes the agreement in force", async function () {
          const { token, tx } = await boundAfterAdmissions();
          await expect(tx).to.emit(token, "CurrentAgreementChanged").withArgs(1);
          expect(await token.currentAgreement()).to.equal(1n);
        });

        it("pushes the standing of every active account and every registered contract", async function () {
          const { f, token, tx, providerSecond, auditorRemoved, mock } = await boundAfterAdmissions();
          const expected: [string, bigint][] = [
            [f.operator.address, BigInt(AccountStanding.Member)],
            [f.provider.address, BigInt(AccountStanding.Member)],
            [providerSecond, BigInt(AccountStanding.Member)],
            [f.consumer.address, BigInt(AccountStanding.Frozen)],
            [f.licensor.address, BigInt(AccountStanding.None)],
            [f.auditor.address, BigInt(AccountStanding.Member)],
            [mock, BigInt(AccountStanding.System)],
          ];
          expect(await standingChanges(token, tx)).to.deep.equal(expected);
          for (const [account, standing] of expected) expect(await token.standingOf(account)).to.equal(standing);
          expect(await token.standingOf(auditorRemoved)).to.equal(AccountStanding.None);
        });

        it("pushes every member's roles and accepted version; a member whose exit is pending is Leaving", async function () {
          const f = await loadFixture(fixture);
          const { consortium, token } = await deployUnboundLayer(connection, f.operator);
          await admitCast(consortium, f);
          const late = spareSigner(f, 0);
          await consortium.connect(f.operator).admit([late.address], roleMask(Role.Consumer), NEW_MEMBER_METADATA);
          await consortium.connect(f.auditor).requestExit();
          const tx = consortium.connect(f.operator).bindToken(token);
          await expect(tx).to.emit(token, "RolesChanged").withArgs(f.auditor.address, roleMask(Role.Auditor), 1);
          await expect(tx).to.emit(token, "RolesChanged").withArgs(f.provider.address, roleMask(Role.Provider), 1);
          await expect(tx).to.emit(token, "RolesChanged").withArgs(late.address, roleMask(Role.Consumer), 0);
          await expect(tx).to.emit(token, "StandingChanged").withArgs(f.auditor.address, AccountStanding.Leaving);
          expect(await token.activeRolesOf(f.auditor.address)).to.equal(0n);
          expect(await token.activeRolesOf(late.address)).to.equal(0n);
          expect(await token.activeRolesOf(f.consumer.address)).to.equal(BigInt(roleMask(Role.Consumer)));
          await consortium.connect(f.auditor).cancelExit();
          expect(await token.standingOf(f.auditor.address)).to.equal(AccountStanding.Member);
          expect(await token.activeRolesOf(f.auditor.address)).to.equal(BigInt(roleMask(Role.Auditor)));
        });
      });
    });
  });

  describe("addAccount", function () {
    describe("when the caller is not a member's account", function () {
      it("reverts with ConsortiumNotMember", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.outsider).addAccount(derivedAddress("new")))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotMember")
          .withArgs(f.outsider.address);
      });
    });

    describe("when the caller's account was removed", function () {
      it("reverts with ConsortiumAccountRemoved", async function () {
        const f = await loadFixture(fixture);
        const old = spareSigner(f, 0);
        await f.consortium.connect(f.provider).addAccount(old.address);
        await f.consortium.connect(f.provider).removeAccount(old.address);
        await expect(f.consortium.connect(old).addAccount(derivedAddress("new")))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAccountRemoved")
          .withArgs(old.address, f.memberIds.provider);
      });
    });

    describe("when the caller's member has exited", function () {
      it("reverts with ConsortiumMemberExited", async function () {
        const f = await loadFixture(fixture);
        const id = await exitedMember(f);
        await expect(f.consortium.connect(spareSigner(f, 1)).addAccount(derivedAddress("new")))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberExited")
          .withArgs(id);
      });
    });

    describe("when the account is the zero address", function () {
      it("reverts with ConsortiumInvalidAccount", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.provider).addAccount(ZeroAddress))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidAccount")
          .withArgs(ZeroAddress);
      });
    });

    describe("when the account is a registered contract", function () {
      it("reverts with ConsortiumInvalidAccount", async function () {
        const f = await loadFixture(fixture);
        const gateway = await f.gateway.getAddress();
        await expect(f.consortium.connect(f.provider).addAccount(gateway))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidAccount")
          .withArgs(gateway);
      });
    });

    describe("when the account is this Consortium or its token", function () {
      it("reverts with ConsortiumInvalidAccount, since tokens sent there could never move", async function () {
        const f = await loadFixture(fixture);
        for (const address of [await f.consortium.getAddress(), await f.token.getAddress()]) {
          await expect(f.consortium.connect(f.provider).addAccount(address))
            .to.be.revertedWithCustomError(f.consortium, "ConsortiumInvalidAccount")
            .withArgs(address);
        }
      });
    });

    describe("when the account belongs to another member", function () {
      it("reverts with ConsortiumAccountTaken", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.provider).addAccount(f.consumer.address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAccountTaken")
          .withArgs(f.consumer.address, f.memberIds.consumer);
      });
    });

    describe("when the account was removed from the caller's member", function () {
      it("reverts with ConsortiumAccountTaken", async function () {
        const f = await loadFixture(fixture);
        const old = spareSigner(f, 0).address;
        await f.consortium.connect(f.provider).addAccount(old);
        await f.consortium.connect(f.provider).removeAccount(old);
        await expect(f.consortium.connect(f.provider).addAccount(old))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAccountTaken")
          .withArgs(old, f.memberIds.provider);
      });
    });

    describe("when the member has MAX_ACCOUNTS accounts", function () {
      it("reverts with ConsortiumTooManyAccounts", async function () {
        const f = await loadFixture(fixture);
        const max = await f.consortium.MAX_ACCOUNTS();
        for (const account of derivedAddresses("provider key", Number(max) - 1)) {
          await f.consortium.connect(f.provider).addAccount(account);
        }
        expect(BigInt((await f.consortium.accountsOf(f.memberIds.provider)).length)).to.equal(max);
        await expect(f.consortium.connect(f.provider).addAccount(derivedAddress("one too many")))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumTooManyAccounts")
          .withArgs(f.memberIds.provider, max);
      });
    });

    describe("when the account is new", function () {
      it("adds the account, emits AccountAdded and gives it the Member standing; the account can act", async function () {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0);
        const tx = await f.consortium.connect(f.provider).addAccount(second.address);
        await expect(tx).to.emit(f.consortium, "AccountAdded").withArgs(f.memberIds.provider, second.address);
        expect(await standingChanges(f.token, tx)).to.deep.equal([[second.address, BigInt(AccountStanding.Member)]]);
        expect(await f.consortium.accountsOf(f.memberIds.provider)).to.deep.equal([f.provider.address, second.address]);
        expect(await f.consortium.memberOf(second.address)).to.deep.equal([f.memberIds.provider, true]);
        expect(await f.consortium.requireNewBusiness(second.address, Role.Provider)).to.equal(f.memberIds.provider);
      });

      describe("when the member is suspended", function () {
        it("adds the account with the Frozen standing", async function () {
          const f = await loadFixture(fixture);
          const second = spareSigner(f, 0).address;
          await f.consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON);
          const tx = await f.consortium.connect(f.consumer).addAccount(second);
          await expect(tx).to.emit(f.consortium, "AccountAdded").withArgs(f.memberIds.consumer, second);
          expect(await standingChanges(f.token, tx)).to.deep.equal([[second, BigInt(AccountStanding.Frozen)]]);
        });
      });

      describe("when the new key replaces the old one (key rotation)", function () {
        it("lets the new key remove the old one, which requireMember then refuses", async function () {
          const f = await loadFixture(fixture);
          const newKey = spareSigner(f, 0);
          await f.consortium.connect(f.provider).addAccount(newKey.address);
          await f.consortium.connect(newKey).removeAccount(f.provider.address);
          expect(await f.consortium.accountsOf(f.memberIds.provider)).to.deep.equal([newKey.address]);
          await expect(f.consortium.requireMember(f.provider.address))
            .to.be.revertedWithCustomError(f.consortium, "ConsortiumAccountRemoved")
            .withArgs(f.provider.address, f.memberIds.provider);
          expect(await f.consortium.requireRole(newKey.address, Role.Provider)).to.equal(f.memberIds.provider);
        });
      });
    });
  });

  describe("removeAccount", function () {
    describe("when the caller is not a member's account", function () {
      it("reverts with ConsortiumNotMember", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.outsider).removeAccount(f.provider.address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotMember")
          .withArgs(f.outsider.address);
      });
    });

    describe("when the caller's member has exited", function () {
      it("reverts with ConsortiumMemberExited", async function () {
        const f = await loadFixture(fixture);
        const id = await exitedMember(f);
        await expect(f.consortium.connect(spareSigner(f, 1)).removeAccount(spareSigner(f, 1).address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberExited")
          .withArgs(id);
      });
    });

    describe("when the account belongs to another member", function () {
      it("reverts with ConsortiumNotOwnAccount", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.provider).removeAccount(f.consumer.address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotOwnAccount")
          .withArgs(f.consumer.address, f.memberIds.provider);
      });
    });

    describe("when the account never belonged to a member", function () {
      it("reverts with ConsortiumNotOwnAccount", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.provider).removeAccount(f.outsider.address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotOwnAccount")
          .withArgs(f.outsider.address, f.memberIds.provider);
      });
    });

    describe("when the account was already removed", function () {
      it("reverts with ConsortiumNotOwnAccount", async function () {
        const f = await loadFixture(fixture);
        const old = spareSigner(f, 0).address;
        await f.consortium.connect(f.provider).addAccount(old);
        await f.consortium.connect(f.provider).removeAccount(old);
        await expect(f.consortium.connect(f.provider).removeAccount(old))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotOwnAccount")
          .withArgs(old, f.memberIds.provider);
      });
    });

    describe("when the account is the member's last", function () {
      it("reverts with ConsortiumLastAccount", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.provider).removeAccount(f.provider.address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumLastAccount")
          .withArgs(f.memberIds.provider, f.provider.address);
      });
    });

    describe("when the account holds tokens", function () {
      async function funded() {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0);
        await f.consortium.connect(f.provider).addAccount(second.address);
        await mintTo(f, second.address, AMOUNT);
        return { f, second };
      }

      it("sweeps them to the caller and removes the account: no balance blocks a removal", async function () {
        const { f, second } = await funded();
        const tx = f.consortium.connect(f.provider).removeAccount(second.address);
        await expect(tx).to.emit(f.token, "Transfer").withArgs(second.address, f.provider.address, AMOUNT);
        await expect(tx).to.emit(f.consortium, "AccountRemoved").withArgs(f.memberIds.provider, second.address);
        expect(await f.token.balanceOf(second.address)).to.equal(0n);
        expect(await f.token.balanceOf(f.provider.address)).to.equal(AMOUNT);
        expect(await f.consortium.memberOf(second.address)).to.deep.equal([f.memberIds.provider, false]);
      });

      it("sweeps one base unit another member sent, which no longer blocks the removal", async function () {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0).address;
        await f.consortium.connect(f.provider).addAccount(second);
        await mintTo(f, f.consumer.address, AMOUNT);
        await f.token.connect(f.consumer).transfer(second, 1n);
        await expect(f.consortium.connect(f.provider).removeAccount(second))
          .to.emit(f.consortium, "AccountRemoved")
          .withArgs(f.memberIds.provider, second);
        expect(await f.token.balanceOf(f.provider.address)).to.equal(1n);
      });

      describe("when the account removes itself", function () {
        it("sweeps them to the member's first remaining account", async function () {
          const { f, second } = await funded();
          await expect(f.consortium.connect(second).removeAccount(second.address))
            .to.emit(f.token, "Transfer")
            .withArgs(second.address, f.provider.address, AMOUNT);
          expect(await f.token.balanceOf(f.provider.address)).to.equal(AMOUNT);
        });
      });

      describe("when the token is paused", function () {
        it("reverts with the token's EnforcedPause; an empty account is removed all the same", async function () {
          const { f, second } = await funded();
          const empty = spareSigner(f, 1).address;
          await f.consortium.connect(f.provider).addAccount(empty);
          await f.token.connect(f.operator).pause();
          await expect(f.consortium.connect(f.provider).removeAccount(second.address)).to.be.revertedWithCustomError(
            f.token,
            "EnforcedPause",
          );
          expect(await f.consortium.memberOf(second.address)).to.deep.equal([f.memberIds.provider, true]);
          await expect(f.consortium.connect(f.provider).removeAccount(empty))
            .to.emit(f.consortium, "AccountRemoved")
            .withArgs(f.memberIds.provider, empty);
        });
      });
    });

    describe("when no token is bound", function () {
      it("removes the account; nothing is swept", async function () {
        const f = await loadFixture(fixture);
        const { consortium } = await deployUnboundLayer(connection, f.operator);
        const second = spareSigner(f, 0).address;
        await consortium.connect(f.operator).addAccount(second);
        await expect(consortium.connect(f.operator).removeAccount(second))
          .to.emit(consortium, "AccountRemoved")
          .withArgs(1n, second);
        expect(await consortium.accountsOf(1n)).to.deep.equal([f.operator.address]);
      });
    });

    describe("when the account is another active account of the member, holding nothing", function () {
      async function removed() {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0).address;
        await f.consortium.connect(f.provider).addAccount(second);
        const tx = await f.consortium.connect(f.provider).removeAccount(second);
        return { f, second, tx };
      }

      it("removes it, emits AccountRemoved and clears its standing on the token", async function () {
        const { f, second, tx } = await removed();
        await expect(tx).to.emit(f.consortium, "AccountRemoved").withArgs(f.memberIds.provider, second);
        expect(await standingChanges(f.token, tx)).to.deep.equal([[second, BigInt(AccountStanding.None)]]);
        expect(await f.consortium.accountsOf(f.memberIds.provider)).to.deep.equal([f.provider.address]);
        expect(await f.consortium.memberOf(second)).to.deep.equal([f.memberIds.provider, false]);
      });

      it("makes requireMember revert with ConsortiumAccountRemoved and hasRole return false", async function () {
        const { f, second } = await removed();
        await expect(f.consortium.requireMember(second))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAccountRemoved")
          .withArgs(second, f.memberIds.provider);
        expect(await f.consortium.hasRole(second, Role.Provider)).to.equal(false);
      });

      describe("when the caller removes its own account", function () {
        it("is allowed while another account remains", async function () {
          const f = await loadFixture(fixture);
          const second = spareSigner(f, 0);
          await f.consortium.connect(f.provider).addAccount(second.address);
          await expect(f.consortium.connect(second).removeAccount(second.address))
            .to.emit(f.consortium, "AccountRemoved")
            .withArgs(f.memberIds.provider, second.address);
        });
      });

      describe("when the removed account holds an allowance from another account of the member", function () {
        it("can no longer spend it: the token refuses the spender with SettlementTokenNotMember", async function () {
          const f = await loadFixture(fixture);
          const hotKey = spareSigner(f, 0);
          await f.consortium.connect(f.provider).addAccount(hotKey.address);
          await mintTo(f, f.provider.address, AMOUNT);
          await f.token.connect(f.provider).approve(hotKey.address, AMOUNT);
          await f.consortium.connect(f.provider).removeAccount(hotKey.address);
          await expect(f.consortium.requireMember(hotKey.address))
            .to.be.revertedWithCustomError(f.consortium, "ConsortiumAccountRemoved")
            .withArgs(hotKey.address, f.memberIds.provider);
          await expect(f.token.connect(hotKey).transferFrom(f.provider.address, f.consumer.address, AMOUNT))
            .to.be.revertedWithCustomError(f.token, "SettlementTokenNotMember")
            .withArgs(hotKey.address);
        });
      });
    });
  });

  describe("updateMetadata", function () {
    describe("when the caller is not a member's account", function () {
      it("reverts with ConsortiumNotMember", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.outsider).updateMetadata(UPDATED_METADATA))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotMember")
          .withArgs(f.outsider.address);
      });
    });

    describe("when the caller's member has exited", function () {
      it("reverts with ConsortiumMemberExited", async function () {
        const f = await loadFixture(fixture);
        const id = await exitedMember(f);
        await expect(f.consortium.connect(spareSigner(f, 1)).updateMetadata(UPDATED_METADATA))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberExited")
          .withArgs(id);
      });
    });

    describe("when the caller acts for a member", function () {
      it("stores the hash and emits MetadataUpdated", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.licensor).updateMetadata(UPDATED_METADATA))
          .to.emit(f.consortium, "MetadataUpdated")
          .withArgs(f.memberIds.licensor, UPDATED_METADATA);
        expect((await f.consortium.getMember(f.memberIds.licensor)).metadataHash).to.equal(UPDATED_METADATA);
      });

      it("stores the hash for a suspended member too (self-service)", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).suspend(f.memberIds.licensor, REASON);
        await expect(f.consortium.connect(f.licensor).updateMetadata(UPDATED_METADATA))
          .to.emit(f.consortium, "MetadataUpdated")
          .withArgs(f.memberIds.licensor, UPDATED_METADATA);
      });
    });
  });

  describe("requestExit", function () {
    describe("when the caller is not a member's account", function () {
      it("reverts with ConsortiumNotMember", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.outsider).requestExit())
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotMember")
          .withArgs(f.outsider.address);
      });
    });

    describe("when the caller's member has exited", function () {
      it("reverts with ConsortiumMemberExited", async function () {
        const f = await loadFixture(fixture);
        const id = await exitedMember(f);
        await expect(f.consortium.connect(spareSigner(f, 1)).requestExit())
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberExited")
          .withArgs(id);
      });
    });

    describe("when an exit is already requested", function () {
      it("reverts with ConsortiumExitPending", async function () {
        const f = await loadFixture(fixture);
        const effectiveAt = (await minedAt(await f.consortium.connect(f.consumer).requestExit())) + NOTICE_PERIOD;
        await expect(f.consortium.connect(f.consumer).requestExit())
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumExitPending")
          .withArgs(f.memberIds.consumer, effectiveAt);
      });
    });

    describe("when no exit is requested", function () {
      it("records effectiveAt = now + notice period and emits ExitRequested", async function () {
        const f = await loadFixture(fixture);
        const now = BigInt(await time.latest()) + 10n;
        await time.setNextBlockTimestamp(now);
        await expect(f.consortium.connect(f.consumer).requestExit())
          .to.emit(f.consortium, "ExitRequested")
          .withArgs(f.memberIds.consumer, now + NOTICE_PERIOD);
        expect((await f.consortium.getMember(f.memberIds.consumer)).exitEffectiveAt).to.equal(now + NOTICE_PERIOD);
      });

      it("makes requireNewBusiness revert with ConsortiumExitPending while requireRole still passes", async function () {
        const f = await loadFixture(fixture);
        const effectiveAt = (await minedAt(await f.consortium.connect(f.consumer).requestExit())) + NOTICE_PERIOD;
        await expect(f.consortium.requireNewBusiness(f.consumer.address, Role.Consumer))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumExitPending")
          .withArgs(f.memberIds.consumer, effectiveAt);
        expect(await f.consortium.requireRole(f.consumer.address, Role.Consumer)).to.equal(f.memberIds.consumer);
      });

      it("makes every account of the member Leaving on the token: roles kept, none active", async function () {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0).address;
        await f.consortium.connect(f.consumer).addAccount(second);
        const tx = await f.consortium.connect(f.consumer).requestExit();
        expect(await standingChanges(f.token, tx)).to.deep.equal([
          [f.consumer.address, BigInt(AccountStanding.Leaving)],
          [second, BigInt(AccountStanding.Leaving)],
        ]);
        await expect(tx).not.to.emit(f.token, "RolesChanged");
        for (const account of [f.consumer.address, second]) {
          expect(await f.token.activeRolesOf(account)).to.equal(0n);
          expect(await f.token.standingOf(account)).to.equal(AccountStanding.Leaving);
        }
        // The Consortium keeps the roles: existing business goes on, only new business stops.
        expect((await f.consortium.getMember(f.memberIds.consumer)).roles).to.equal(BigInt(roleMask(Role.Consumer)));
        expect(await f.consortium.hasRole(f.consumer.address, Role.Consumer)).to.equal(true);
        expect(await f.token.activeRolesOf(f.provider.address)).to.equal(BigInt(roleMask(Role.Provider)));
      });

      it("lets the Leaving accounts send, and receive only what is owed to them", async function () {
        const f = await loadFixture(fixture);
        await mintTo(f, f.consumer.address, AMOUNT);
        await mintTo(f, f.provider.address, AMOUNT);
        await f.consortium.connect(f.consumer).requestExit();
        await expect(f.token.connect(f.consumer).transfer(f.provider.address, AMOUNT)).to.changeTokenBalances(
          ethers,
          f.token,
          [f.consumer, f.provider],
          [-AMOUNT, AMOUNT],
        );
        await expect(f.token.connect(f.provider).transfer(f.consumer.address, 1n))
          .to.be.revertedWithCustomError(f.token, "SettlementTokenRecipientRestricted")
          .withArgs(f.consumer.address, AccountStanding.Leaving);
        await mintTo(f, f.consumer.address, AMOUNT, "deposit while leaving");
        expect(await f.token.balanceOf(f.consumer.address)).to.equal(AMOUNT);
      });

      describe("when the member is suspended", function () {
        it("records the request (self-service); the accounts stay Frozen", async function () {
          const f = await loadFixture(fixture);
          await f.consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON);
          await expect(f.consortium.connect(f.consumer).requestExit()).to.emit(f.consortium, "ExitRequested");
          expect((await f.consortium.getMember(f.memberIds.consumer)).exitEffectiveAt).to.not.equal(0n);
          expect(await f.token.standingOf(f.consumer.address)).to.equal(AccountStanding.Frozen);
        });
      });

      describe("while the exit is pending", function () {
        it("granting or revoking a role reaches the token's record (RolesChanged), not its active roles", async function () {
          const f = await loadFixture(fixture);
          await f.consortium.connect(f.consumer).requestExit();
          const both = roleMask(Role.Consumer, Role.Provider);
          const granted = f.consortium.connect(f.operator).grantMemberRole(f.memberIds.consumer, Role.Provider);
          await expect(granted).to.emit(f.token, "RolesChanged").withArgs(f.consumer.address, both, 1);
          expect((await f.consortium.getMember(f.memberIds.consumer)).roles).to.equal(BigInt(both));
          expect(await f.token.activeRolesOf(f.consumer.address)).to.equal(0n);
          const revoked = f.consortium.connect(f.operator).revokeMemberRole(f.memberIds.consumer, Role.Consumer);
          await expect(revoked)
            .to.emit(f.token, "RolesChanged")
            .withArgs(f.consumer.address, roleMask(Role.Provider), 1);
          expect((await f.consortium.getMember(f.memberIds.consumer)).roles).to.equal(BigInt(roleMask(Role.Provider)));
          expect(await f.token.activeRolesOf(f.consumer.address)).to.equal(0n);
        });

        it("a suspension freezes the accounts; reinstatement makes them Leaving again, not Member", async function () {
          const f = await loadFixture(fixture);
          await f.consortium.connect(f.consumer).requestExit();
          await f.consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON);
          expect(await f.token.standingOf(f.consumer.address)).to.equal(AccountStanding.Frozen);
          await f.consortium.connect(f.operator).reinstate(f.memberIds.consumer);
          expect(await f.token.standingOf(f.consumer.address)).to.equal(AccountStanding.Leaving);
          expect(await f.token.activeRolesOf(f.consumer.address)).to.equal(0n);
        });

        it("an account added meanwhile is Leaving", async function () {
          const f = await loadFixture(fixture);
          await f.consortium.connect(f.consumer).requestExit();
          const second = spareSigner(f, 0).address;
          const added = f.consortium.connect(f.consumer).addAccount(second);
          await expect(added).to.emit(f.token, "RolesChanged").withArgs(second, roleMask(Role.Consumer), 1);
          await expect(added).to.emit(f.token, "StandingChanged").withArgs(second, AccountStanding.Leaving);
          expect(await f.token.activeRolesOf(second)).to.equal(0n);
        });
      });
    });
  });

  describe("cancelExit", function () {
    describe("when the caller is not a member's account", function () {
      it("reverts with ConsortiumNotMember", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.outsider).cancelExit())
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotMember")
          .withArgs(f.outsider.address);
      });
    });

    describe("when no exit is requested", function () {
      it("reverts with ConsortiumExitNotRequested", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.consumer).cancelExit())
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumExitNotRequested")
          .withArgs(f.memberIds.consumer);
      });
    });

    describe("when an exit is requested", function () {
      it("clears it and emits ExitCancelled; new business is allowed again", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.consumer).requestExit();
        await expect(f.consortium.connect(f.consumer).cancelExit())
          .to.emit(f.consortium, "ExitCancelled")
          .withArgs(f.memberIds.consumer);
        expect((await f.consortium.getMember(f.memberIds.consumer)).exitEffectiveAt).to.equal(0n);
        expect(await f.consortium.requireNewBusiness(f.consumer.address, Role.Consumer)).to.equal(f.memberIds.consumer);
        await expect(f.consortium.connect(f.consumer).completeExit(f.memberIds.consumer))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumExitNotRequested")
          .withArgs(f.memberIds.consumer);
      });

      it("makes every account Member again, with the roles as changed while the exit was pending active", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.consumer).requestExit();
        const second = spareSigner(f, 0).address;
        await f.consortium.connect(f.consumer).addAccount(second);
        await f.consortium.connect(f.operator).grantMemberRole(f.memberIds.consumer, Role.Provider);
        const both = roleMask(Role.Consumer, Role.Provider);
        const cancelled = await f.consortium.connect(f.consumer).cancelExit();
        expect(await standingChanges(f.token, cancelled)).to.deep.equal([
          [f.consumer.address, BigInt(AccountStanding.Member)],
          [second, BigInt(AccountStanding.Member)],
        ]);
        for (const account of [f.consumer.address, second]) {
          expect(await f.token.activeRolesOf(account)).to.equal(BigInt(both));
        }
      });
    });
  });

  describe("completeExit", function () {
    describe("when the member does not exist", function () {
      it("reverts with ConsortiumUnknownMember", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.operator).completeExit(NEXT_ID))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumUnknownMember")
          .withArgs(NEXT_ID);
      });
    });

    describe("when the member has already exited", function () {
      it("reverts with ConsortiumMemberExited", async function () {
        const f = await loadFixture(fixture);
        const id = await exitedMember(f);
        await expect(f.consortium.connect(f.operator).completeExit(id))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberExited")
          .withArgs(id);
      });
    });

    describe("when the caller is neither an account of the member nor of an operator in good standing", function () {
      async function leaving() {
        const f = await loadFixture(fixture);
        await requestExitAndWait(f, f.consumer);
        return f;
      }

      const refused = async (f: SettlementLayerFixture, caller: HardhatEthersSigner, memberId: bigint) =>
        expect(f.consortium.connect(caller).completeExit(memberId))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotExitingMember")
          .withArgs(caller.address, memberId);

      it("reverts with ConsortiumNotExitingMember for an outsider and for another member", async function () {
        const f = await leaving();
        for (const caller of [f.outsider, f.provider, f.auditor]) await refused(f, caller, f.memberIds.consumer);
      });

      it("reverts with ConsortiumNotExitingMember for a removed account of the member", async function () {
        const f = await loadFixture(fixture);
        const old = spareSigner(f, 0);
        await f.consortium.connect(f.consumer).addAccount(old.address);
        await f.consortium.connect(f.consumer).removeAccount(old.address);
        await requestExitAndWait(f, f.consumer);
        await refused(f, old, f.memberIds.consumer);
      });

      it("reverts with ConsortiumNotExitingMember for a suspended operator", async function () {
        const f = await leaving();
        const id = await admitSecondOperator(f);
        await f.consortium.connect(f.operator).suspend(id, REASON);
        await refused(f, spareSigner(f, 0), f.memberIds.consumer);
      });

      it("reverts with ConsortiumNotExitingMember for an exited operator", async function () {
        const f = await loadFixture(fixture);
        const id = await admitSecondOperator(f);
        await f.consortium.connect(f.consumer).requestExit();
        await requestExitAndWait(f, spareSigner(f, 0));
        await f.consortium.connect(spareSigner(f, 0)).completeExit(id);
        await refused(f, spareSigner(f, 0), f.memberIds.consumer);
      });

      it("is checked before the exit's own conditions: an outsider learns nothing of them", async function () {
        const f = await loadFixture(fixture);
        await refused(f, f.outsider, f.memberIds.consumer);
        await f.consortium.connect(f.consumer).requestExit();
        await refused(f, f.outsider, f.memberIds.consumer);
      });
    });

    describe("when no exit is requested", function () {
      it("reverts with ConsortiumExitNotRequested", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.connect(f.consumer).completeExit(f.memberIds.consumer))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumExitNotRequested")
          .withArgs(f.memberIds.consumer);
      });
    });

    describe("when the notice period is running", function () {
      it("reverts with ConsortiumNoticePeriodRunning until the second before effectiveAt", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.consumer).requestExit();
        const effectiveAt = (await f.consortium.getMember(f.memberIds.consumer)).exitEffectiveAt;
        await time.setNextBlockTimestamp(effectiveAt - 1n);
        await expect(f.consortium.connect(f.consumer).completeExit(f.memberIds.consumer))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNoticePeriodRunning")
          .withArgs(f.memberIds.consumer, effectiveAt);
      });
    });

    describe("when a registered contract reports open obligations", function () {
      it("reverts with ConsortiumOpenObligations naming the contract and the count", async function () {
        const f = await loadFixture(fixture);
        const mock = await ethers.deployContract("MockObligations");
        await f.consortium.connect(f.operator).registerContract(mock);
        await mock.setOpen(f.memberIds.consumer, 3n);
        await requestExitAndWait(f, f.consumer);
        await expect(f.consortium.connect(f.consumer).completeExit(f.memberIds.consumer))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumOpenObligations")
          .withArgs(f.memberIds.consumer, await mock.getAddress(), 3n);
        await mock.setOpen(f.memberIds.consumer, 0n);
        await expect(f.consortium.connect(f.consumer).completeExit(f.memberIds.consumer))
          .to.emit(f.consortium, "MemberExited")
          .withArgs(f.memberIds.consumer);
      });
    });

    describe("when the member has pending redemptions at the gateway", function () {
      async function pendingRedemptions() {
        const f = await loadFixture(fixture);
        await mintTo(f, f.consumer.address, 2n * AMOUNT);
        await f.token.connect(f.consumer).approve(f.gateway, 2n * AMOUNT);
        await f.gateway.connect(f.consumer).requestRedemption(AMOUNT, PAYOUT_REF);
        await f.gateway.connect(f.consumer).requestRedemption(AMOUNT, PAYOUT_REF);
        await requestExitAndWait(f, f.consumer);
        return f;
      }

      it("reverts with ConsortiumOpenObligations naming the gateway and the count", async function () {
        const f = await pendingRedemptions();
        await expect(f.consortium.connect(f.consumer).completeExit(f.memberIds.consumer))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumOpenObligations")
          .withArgs(f.memberIds.consumer, await f.gateway.getAddress(), 2n);
      });

      it("names the gateway first when another registered contract reports obligations too", async function () {
        const f = await pendingRedemptions();
        const mock = await ethers.deployContract("MockObligations");
        await f.consortium.connect(f.operator).registerContract(mock);
        await mock.setOpen(f.memberIds.consumer, 1n);
        await expect(f.consortium.connect(f.consumer).completeExit(f.memberIds.consumer))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumOpenObligations")
          .withArgs(f.memberIds.consumer, await f.gateway.getAddress(), 2n);
      });

      describe("when the redemptions are settled", function () {
        it("completes the exit", async function () {
          const f = await pendingRedemptions();
          await f.gateway.connect(f.operator).markRedemptionPaid(1n, BANK_TX_REF);
          await expect(f.consortium.connect(f.consumer).completeExit(f.memberIds.consumer))
            .to.be.revertedWithCustomError(f.consortium, "ConsortiumOpenObligations")
            .withArgs(f.memberIds.consumer, await f.gateway.getAddress(), 1n);
          await f.gateway.connect(f.operator).markRedemptionPaid(2n, BANK_TX_REF);
          await expect(f.consortium.connect(f.consumer).completeExit(f.memberIds.consumer))
            .to.emit(f.consortium, "MemberExited")
            .withArgs(f.memberIds.consumer);
        });
      });
    });

    describe("when an account of the member holds tokens", function () {
      it("reverts with SettlementTokenBalanceNotEmpty from the token", async function () {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0).address;
        await f.consortium.connect(f.consumer).addAccount(second);
        await mintTo(f, second, AMOUNT);
        await requestExitAndWait(f, f.consumer);
        await expect(f.consortium.connect(f.consumer).completeExit(f.memberIds.consumer))
          .to.be.revertedWithCustomError(f.token, "SettlementTokenBalanceNotEmpty")
          .withArgs(second, AMOUNT);
      });
    });

    describe("when the member is the last operator", function () {
      it("reverts with ConsortiumLastOperator", async function () {
        const f = await loadFixture(fixture);
        await requestExitAndWait(f, f.operator);
        await expect(f.consortium.connect(f.operator).completeExit(f.memberIds.operator))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumLastOperator")
          .withArgs(f.memberIds.operator);
      });
    });

    describe("when the conditions hold", function () {
      /** The consumer, with a second account, leaves; the second account completes the exit at effectiveAt. */
      async function exited() {
        const f = await loadFixture(fixture);
        const secondSigner = spareSigner(f, 0);
        const second = secondSigner.address;
        await f.consortium.connect(f.consumer).addAccount(second);
        await f.consortium.connect(f.consumer).requestExit();
        const effectiveAt = (await f.consortium.getMember(f.memberIds.consumer)).exitEffectiveAt;
        await time.setNextBlockTimestamp(effectiveAt);
        const tx = await f.consortium.connect(secondSigner).completeExit(f.memberIds.consumer);
        return { f, second, effectiveAt, tx };
      }

      it("lets the member complete it from any of its accounts at effectiveAt exactly; emits MemberExited", async function () {
        const { f, effectiveAt, tx } = await exited();
        await expect(tx).to.emit(f.consortium, "MemberExited").withArgs(f.memberIds.consumer);
        expect(await minedAt(tx)).to.equal(effectiveAt);
        expect((await f.consortium.getMember(f.memberIds.consumer)).status).to.equal(MemberStatus.Exited);
      });

      it("lets an operator complete it for the member", async function () {
        const f = await loadFixture(fixture);
        const id = await admitSecondOperator(f);
        await requestExitAndWait(f, f.consumer);
        await expect(f.consortium.connect(spareSigner(f, 0)).completeExit(f.memberIds.consumer))
          .to.emit(f.consortium, "MemberExited")
          .withArgs(f.memberIds.consumer);
        expect(await f.consortium.requireRole(spareSigner(f, 0).address, Role.Operator)).to.equal(id);
      });

      describe("when another member sends dust to the leaving member", function () {
        it("is refused with SettlementTokenRecipientRestricted, so no one can keep the exit from completing", async function () {
          const f = await loadFixture(fixture);
          await mintTo(f, f.provider.address, AMOUNT);
          await requestExitAndWait(f, f.consumer);
          await expect(f.token.connect(f.provider).transfer(f.consumer.address, 1n))
            .to.be.revertedWithCustomError(f.token, "SettlementTokenRecipientRestricted")
            .withArgs(f.consumer.address, AccountStanding.Leaving);
          await expect(f.consortium.connect(f.consumer).completeExit(f.memberIds.consumer))
            .to.emit(f.consortium, "MemberExited")
            .withArgs(f.memberIds.consumer);
        });
      });

      it("gives every account of the member the None standing", async function () {
        const { f, second, tx } = await exited();
        expect(await standingChanges(f.token, tx)).to.deep.equal([
          [f.consumer.address, BigInt(AccountStanding.None)],
          [second, BigInt(AccountStanding.None)],
        ]);
        expect(await f.token.standingOf(f.consumer.address)).to.equal(AccountStanding.None);
        expect(await f.token.standingOf(second)).to.equal(AccountStanding.None);
      });

      it("leaves the exited member unable to act and to be suspended, reinstated or granted roles", async function () {
        const { f } = await exited();
        const id = f.memberIds.consumer;
        await expect(f.consortium.requireMember(f.consumer.address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberExited")
          .withArgs(id);
        expect(await f.consortium.hasRole(f.consumer.address, Role.Consumer)).to.equal(false);
        await expect(f.consortium.connect(f.consumer).cancelExit())
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberExited")
          .withArgs(id);
        await expect(f.consortium.connect(f.operator).suspend(id, REASON))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberNotActive")
          .withArgs(id);
        await expect(f.consortium.connect(f.operator).reinstate(id))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberNotSuspended")
          .withArgs(id);
        await expect(f.consortium.connect(f.operator).grantMemberRole(id, Role.Provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberExited")
          .withArgs(id);
        await expect(f.token.connect(f.provider).transfer(f.consumer.address, 0n))
          .to.be.revertedWithCustomError(f.token, "SettlementTokenNotMember")
          .withArgs(f.consumer.address);
      });

      it("keeps its accounts on record: memberOf names the member but reports them inactive", async function () {
        const { f, second } = await exited();
        expect(await f.consortium.memberOf(f.consumer.address)).to.deep.equal([f.memberIds.consumer, false]);
        expect(await f.consortium.accountsOf(f.memberIds.consumer)).to.deep.equal([f.consumer.address, second]);
      });

      describe("when the member was one of two operators", function () {
        it("counts one operator less", async function () {
          const f = await loadFixture(fixture);
          const id = await admitSecondOperator(f);
          await requestExitAndWait(f, spareSigner(f, 0));
          await expect(f.consortium.connect(spareSigner(f, 0)).completeExit(id))
            .to.emit(f.consortium, "MemberExited")
            .withArgs(id);
          expect(await f.consortium.operatorCount()).to.equal(1n);
        });
      });

      describe("when the member is suspended", function () {
        it("completes too, clearing the Frozen standing", async function () {
          const f = await loadFixture(fixture);
          await f.consortium.connect(f.consumer).requestExit();
          await f.consortium.connect(f.operator).suspend(f.memberIds.consumer, REASON);
          await time.increase(NOTICE_PERIOD);
          const tx = await f.consortium.connect(f.consumer).completeExit(f.memberIds.consumer);
          await expect(tx).to.emit(f.consortium, "MemberExited").withArgs(f.memberIds.consumer);
          expect(await standingChanges(f.token, tx)).to.deep.equal([
            [f.consumer.address, BigInt(AccountStanding.None)],
          ]);
          expect((await f.consortium.getMember(f.memberIds.consumer)).status).to.equal(MemberStatus.Exited);
        });
      });
    });
  });

  describe("views", function () {
    describe("memberOf, getMember and accountsOf", function () {
      it("describe a member's accounts, and a removed account as inactive", async function () {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0).address;
        await f.consortium.connect(f.provider).addAccount(second);
        await f.consortium.connect(f.provider).removeAccount(f.provider.address);
        expect(await f.consortium.memberOf(second)).to.deep.equal([f.memberIds.provider, true]);
        expect(await f.consortium.memberOf(f.provider.address)).to.deep.equal([f.memberIds.provider, false]);
        expect(await f.consortium.accountsOf(f.memberIds.provider)).to.deep.equal([second]);
      });

      it("return zeros and an empty list for unknown accounts and ids", async function () {
        const f = await loadFixture(fixture);
        expect(await f.consortium.memberOf(f.outsider.address)).to.deep.equal([0n, false]);
        expect(await f.consortium.accountsOf(NEXT_ID)).to.deep.equal([]);
        expect(await f.consortium.accountsOf(0n)).to.deep.equal([]);
        const unknown = await f.consortium.getMember(NEXT_ID);
        expect(unknown.status).to.equal(MemberStatus.None);
        expect(unknown.roles).to.equal(0n);
        expect(unknown.agreementVersion).to.equal(0n);
        expect(unknown.admittedAt).to.equal(0n);
        expect(unknown.exitEffectiveAt).to.equal(0n);
        expect(unknown.metadataHash).to.equal(ZeroHash);
      });
    });

    describe("memberCount and operatorCount", function () {
      it("count the members ever admitted and the operators in good standing", async function () {
        const f = await loadFixture(fixture);
        expect(await f.consortium.memberCount()).to.equal(f.memberIds.auditor);
        expect(await f.consortium.operatorCount()).to.equal(1n);
        await exitedMember(f);
        expect(await f.consortium.memberCount()).to.equal(NEXT_ID);
      });
    });

    describe("hasRole", function () {
      it("is true for an active account of an active member holding the role", async function () {
        const f = await loadFixture(fixture);
        expect(await f.consortium.hasRole(f.operator.address, Role.Operator)).to.equal(true);
        expect(await f.consortium.hasRole(f.auditor.address, Role.Auditor)).to.equal(true);
      });

      it("is false for a role the member does not hold", async function () {
        const f = await loadFixture(fixture);
        expect(await f.consortium.hasRole(f.auditor.address, Role.Operator)).to.equal(false);
      });

      it("is false for a suspended member", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).suspend(f.memberIds.auditor, REASON);
        expect(await f.consortium.hasRole(f.auditor.address, Role.Auditor)).to.equal(false);
      });

      it("is false for a removed account", async function () {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0).address;
        await f.consortium.connect(f.auditor).addAccount(second);
        await f.consortium.connect(f.auditor).removeAccount(second);
        expect(await f.consortium.hasRole(second, Role.Auditor)).to.equal(false);
      });

      it("is false for an exited member", async function () {
        const f = await loadFixture(fixture);
        await exitedMember(f);
        expect(await f.consortium.hasRole(spareSigner(f, 1).address, Role.Consumer)).to.equal(false);
      });

      it("is false for a non-member", async function () {
        const f = await loadFixture(fixture);
        expect(await f.consortium.hasRole(f.outsider.address, Role.Operator)).to.equal(false);
        expect(await f.consortium.hasRole(ZeroAddress, Role.Operator)).to.equal(false);
      });
    });

    describe("requireMember", function () {
      it("returns the member id for an active account of a member in good standing", async function () {
        const f = await loadFixture(fixture);
        expect(await f.consortium.requireMember(f.licensor.address)).to.equal(f.memberIds.licensor);
      });

      it("returns the member id while an exit is pending", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.licensor).requestExit();
        expect(await f.consortium.requireMember(f.licensor.address)).to.equal(f.memberIds.licensor);
      });

      it("reverts with ConsortiumNotMember for an account that never belonged to a member", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.requireMember(f.outsider.address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotMember")
          .withArgs(f.outsider.address);
      });

      it("reverts with ConsortiumAccountRemoved for a removed account", async function () {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0).address;
        await f.consortium.connect(f.licensor).addAccount(second);
        await f.consortium.connect(f.licensor).removeAccount(second);
        await expect(f.consortium.requireMember(second))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAccountRemoved")
          .withArgs(second, f.memberIds.licensor);
      });

      it("reverts with ConsortiumMemberSuspended for a suspended member", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).suspend(f.memberIds.licensor, REASON);
        await expect(f.consortium.requireMember(f.licensor.address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberSuspended")
          .withArgs(f.memberIds.licensor);
      });

      it("reverts with ConsortiumMemberExited for an exited member", async function () {
        const f = await loadFixture(fixture);
        const id = await exitedMember(f);
        await expect(f.consortium.requireMember(spareSigner(f, 1).address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberExited")
          .withArgs(id);
      });
    });

    describe("requireRole", function () {
      it("returns the member id when the member holds the role", async function () {
        const f = await loadFixture(fixture);
        expect(await f.consortium.requireRole(f.licensor.address, Role.Licensor)).to.equal(f.memberIds.licensor);
      });

      it("reverts with ConsortiumMissingRole when the member lacks the role", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.requireRole(f.licensor.address, Role.Provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMissingRole")
          .withArgs(f.memberIds.licensor, Role.Provider);
      });

      it("reverts with ConsortiumNotMember before looking at roles", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.requireRole(f.outsider.address, Role.Provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotMember")
          .withArgs(f.outsider.address);
      });

      it("reverts with ConsortiumMemberSuspended for a suspended member holding the role", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).suspend(f.memberIds.licensor, REASON);
        await expect(f.consortium.requireRole(f.licensor.address, Role.Licensor))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberSuspended")
          .withArgs(f.memberIds.licensor);
      });
    });

    describe("requireNewBusiness", function () {
      it("returns the member id for a member that accepted the current agreement and is not leaving", async function () {
        const f = await loadFixture(fixture);
        expect(await f.consortium.requireNewBusiness(f.provider.address, Role.Provider)).to.equal(f.memberIds.provider);
      });

      it("reverts with ConsortiumMissingRole when the member lacks the role", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.requireNewBusiness(f.provider.address, Role.Consumer))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMissingRole")
          .withArgs(f.memberIds.provider, Role.Consumer);
      });

      it("reverts with ConsortiumMemberSuspended for a suspended member", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).suspend(f.memberIds.provider, REASON);
        await expect(f.consortium.requireNewBusiness(f.provider.address, Role.Provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberSuspended")
          .withArgs(f.memberIds.provider);
      });

      it("reverts with ConsortiumAgreementNotAccepted when a newer agreement is not accepted", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V2);
        await expect(f.consortium.requireNewBusiness(f.operator.address, Role.Operator))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAgreementNotAccepted")
          .withArgs(f.memberIds.operator, 1n, 2n);
      });

      it("reverts with ConsortiumExitPending when the member asked to leave", async function () {
        const f = await loadFixture(fixture);
        const effectiveAt = (await minedAt(await f.consortium.connect(f.provider).requestExit())) + NOTICE_PERIOD;
        await expect(f.consortium.requireNewBusiness(f.provider.address, Role.Provider))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumExitPending")
          .withArgs(f.memberIds.provider, effectiveAt);
      });
    });

    describe("requireAccount", function () {
      it("returns the member id for an active account of a member in good standing", async function () {
        const f = await loadFixture(fixture);
        expect(await f.consortium.requireAccount(f.provider.address)).to.equal(f.memberIds.provider);
      });

      it("returns the member id for a suspended member, which may still protect itself", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).suspend(f.memberIds.provider, REASON);
        expect(await f.consortium.requireAccount(f.provider.address)).to.equal(f.memberIds.provider);
      });

      it("returns the member id while an exit is pending", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.provider).requestExit();
        expect(await f.consortium.requireAccount(f.provider.address)).to.equal(f.memberIds.provider);
      });

      it("reverts with ConsortiumNotMember for an account that never belonged to a member", async function () {
        const f = await loadFixture(fixture);
        await expect(f.consortium.requireAccount(f.outsider.address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumNotMember")
          .withArgs(f.outsider.address);
      });

      it("reverts with ConsortiumAccountRemoved for a removed account", async function () {
        const f = await loadFixture(fixture);
        const second = spareSigner(f, 0).address;
        await f.consortium.connect(f.provider).addAccount(second);
        await f.consortium.connect(f.provider).removeAccount(second);
        await expect(f.consortium.requireAccount(second))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumAccountRemoved")
          .withArgs(second, f.memberIds.provider);
      });

      it("reverts with ConsortiumMemberExited for an exited member", async function () {
        const f = await loadFixture(fixture);
        const id = await exitedMember(f);
        await expect(f.consortium.requireAccount(spareSigner(f, 1).address))
          .to.be.revertedWithCustomError(f.consortium, "ConsortiumMemberExited")
          .withArgs(id);
      });
    });

    describe("inBusiness", function () {
      it("is true for a member in good standing with the role, the current agreement and no exit requested", async function () {
        const f = await loadFixture(fixture);
        expect(await f.consortium.inBusiness(f.memberIds.provider, Role.Provider)).to.equal(true);
        expect(await f.consortium.inBusiness(f.memberIds.operator, Role.Operator)).to.equal(true);
      });

      it("is false for a role the member lacks", async function () {
        const f = await loadFixture(fixture);
        expect(await f.consortium.inBusiness(f.memberIds.provider, Role.Consumer)).to.equal(false);
      });

      it("is false while the member is suspended, and true again once reinstated", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).suspend(f.memberIds.provider, REASON);
        expect(await f.consortium.inBusiness(f.memberIds.provider, Role.Provider)).to.equal(false);
        await f.consortium.connect(f.operator).reinstate(f.memberIds.provider);
        expect(await f.consortium.inBusiness(f.memberIds.provider, Role.Provider)).to.equal(true);
      });

      it("is false until the member accepts a newer agreement", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.operator).publishAgreement(AGREEMENT_V2);
        expect(await f.consortium.inBusiness(f.memberIds.provider, Role.Provider)).to.equal(false);
        await f.consortium.connect(f.provider).acceptAgreement(AGREEMENT_V2);
        expect(await f.consortium.inBusiness(f.memberIds.provider, Role.Provider)).to.equal(true);
      });

      it("is false once the member asked to leave, and true again when it cancels", async function () {
        const f = await loadFixture(fixture);
        await f.consortium.connect(f.provider).requestExit();
        expect(await f.consortium.inBusiness(f.memberIds.provider, Role.Provider)).to.equal(false);
        await f.consortium.connect(f.provider).cancelExit();
        expect(await f.consortium.inBusiness(f.memberIds.provider, Role.Provider)).to.equal(true);
      });

      it("is false for an exited member and for an id never issued", async function () {
        const f = await loadFixture(fixture);
        const id = await exitedMember(f);
        expect(await f.consortium.inBusiness(id, Role.Consumer)).to.equal(false);
        expect(await f.consortium.inBusiness(99n, Role.Consumer)).to.equal(false);
        expect(await f.consortium.inBusiness(0n, Role.Operator)).to.equal(false);
      });
    });

    describe("currentAgreement, agreementHash, noticePeriod, registeredContracts and token", function () {
      it("report the deployed configuration", async function () {
        const f = await loadFixture(fixture);
        expect(await f.consortium.currentAgreement()).to.deep.equal([1n, AGREEMENT_V1]);
        expect(await f.consortium.agreementHash(0)).to.equal(ZeroHash);
        expect(await f.consortium.agreementHash(1)).to.equal(AGREEMENT_V1);
        expect(await f.consortium.agreementHash(2)).to.equal(ZeroHash);
        expect(await f.consortium.noticePeriod()).to.equal(NOTICE_PERIOD);
        expect(await f.consortium.registeredContracts()).to.deep.equal([await f.gateway.getAddress()]);
        expect(await f.consortium.token()).to.equal(await f.token.getAddress());
      });

      it("expose the documented limits", async function () {
        const f = await loadFixture(fixture);
        expect(await f.consortium.MAX_ACCOUNTS()).to.equal(16n);
        expect(await f.consortium.MAX_CONTRACTS()).to.equal(16n);
        expect(await f.consortium.MAX_NOTICE_PERIOD()).to.equal(730n * 24n * 60n * 60n);
      });
    });
  });
});
