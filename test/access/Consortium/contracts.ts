/*
Consortium, registerContract and bindToken — the branches, written down first; one `it` per leaf.

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
*/
import { expect } from "chai";
import { ZeroAddress } from "ethers";

import { AccountStanding, Role, roleMask } from "../../../src/core/membership.js";
import { admitCast, deployUnboundLayer, standingChanges } from "../../helpers/consortium.js";
import { connection, ethers, fixture, loadFixture, NEW_MEMBER_METADATA, REASON, spareSigner } from "./fixture.js";

describe("Consortium", function () {
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
});
