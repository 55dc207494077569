import { expect } from "chai";
import { network } from "hardhat";
import { getAddress, type Address } from "viem";

import { viemChain, type ViemChain } from "../../src/chain/hardhat.js";
import { Role, roleMask } from "../../src/core/membership.js";
import { parseEuro } from "../../src/core/money.js";
import { renderBalances, renderReconciliation } from "../../src/cli/render/reconciliation.js";
import { memberBalances, reconcile } from "../../src/ops/reconciliation.js";
import { referenceHash } from "../../src/core/references.js";
import { SettlementLayer } from "../../src/contracts/settlement.js";
import { TransactionRefusedError } from "../../src/chain/transact.js";
import { mintTo, settlementLayerFixture, type SettlementLayerFixture } from "../helpers/fixtures.js";

const connection = await network.create();
const fixture = settlementLayerFixture(connection);

describe("SettlementLayer (viem SDK)", function () {
  let f: SettlementLayerFixture;
  let chain: ViemChain;
  let layer: SettlementLayer;
  const at = (signer: { address: string }): Address => getAddress(signer.address);

  beforeEach(async function () {
    f = await connection.networkHelpers.loadFixture(fixture);
    chain = await viemChain(connection);
    layer = new SettlementLayer(chain, {
      consortium: getAddress(await f.consortium.getAddress()),
      token: getAddress(await f.token.getAddress()),
      gateway: getAddress(await f.gateway.getAddress()),
    });
  });

  it("admits a member, returns its id, and lets it accept the current agreement", async function () {
    const newcomer = at(f.spare[0]!);
    const memberId = await layer.admit(
      chain.wallet(at(f.operator)),
      [newcomer],
      roleMask(Role.Provider),
      referenceHash("x"),
    );
    expect(memberId).to.equal(6n);
    expect(await layer.memberOf(newcomer)).to.deep.equal({ memberId, active: true });
    await layer.acceptCurrentAgreement(chain.wallet(newcomer));
    expect((await layer.member(memberId)).agreementVersion).to.equal((await layer.currentAgreement()).version);
  });

  describe("when the chain refuses a transaction", function () {
    it("throws a TransactionRefusedError naming the custom error and its arguments", async function () {
      const refusal = await layer
        .admit(chain.wallet(at(f.provider)), [at(f.spare[0]!)], roleMask(Role.Consumer), referenceHash("y"))
        .then(
          () => expect.fail("a provider admitted a member"),
          (error: unknown) => error,
        );
      expect(refusal).to.be.instanceOf(TransactionRefusedError);
      const refused = refusal as TransactionRefusedError;
      expect(refused.errorName).to.equal("ConsortiumMissingRole");
      expect(refused.errorArgs).to.deep.equal([f.memberIds.provider, Role.Operator]);
      expect(refused.message).to.match(/^admit on 0x[0-9a-fA-F]{40} was refused: ConsortiumMissingRole\(2, 0\)\.$/);
    });

    it("decodes errors that bubble up from another contract", async function () {
      await mintTo(f, f.consumer.address, parseEuro("10"));
      const refusal = await layer
        .transfer(chain.wallet(at(f.consumer)), at(f.outsider), 1n)
        .catch((error: unknown) => error);
      expect((refusal as TransactionRefusedError).errorName).to.equal("SettlementTokenNotMember");
      expect((refusal as TransactionRefusedError).errorArgs).to.deep.equal([at(f.outsider)]);
    });
  });

  describe("mintForDeposit", function () {
    const ref = referenceHash("SEPA 2026-11-25 0001");

    it("mints once and reports a blind retry as already minted", async function () {
      const first = await layer.mintForDeposit(chain.wallet(at(f.minter)), at(f.consumer), parseEuro("100"), ref);
      expect(first.status).to.equal("minted");
      const again = await layer.mintForDeposit(chain.wallet(at(f.minter)), at(f.consumer), parseEuro("100"), ref);
      expect(again).to.deep.equal({ status: "alreadyMinted", to: at(f.consumer), amount: parseEuro("100") });
      expect(await layer.balanceOf(at(f.consumer))).to.equal(parseEuro("100"));
    });

    it("refuses a second deposit under the same reference, naming both", async function () {
      await layer.mintForDeposit(chain.wallet(at(f.minter)), at(f.consumer), parseEuro("100"), ref);
      await layer.mintForDeposit(chain.wallet(at(f.minter)), at(f.provider), parseEuro("100"), ref).then(
        () => expect.fail("minted twice for one reference"),
        (error: Error) => expect(error.message).to.match(/already minted 100\.00 EUR to .*asks for 100\.00 EUR to/),
      );
    });
  });

  it("redeems in one transaction with a permit and reconciles mints, payouts and refunds", async function () {
    await layer.mintForDeposit(chain.wallet(at(f.minter)), at(f.provider), parseEuro("1000"), referenceHash("dep 1"));
    const paid = await layer.requestRedemption(chain.wallet(at(f.provider)), parseEuro("300"), referenceHash("payout"));
    const open = await layer.requestRedemption(
      chain.wallet(at(f.provider)),
      parseEuro("50"),
      referenceHash("payout 2"),
    );
    const refused = await layer.requestRedemption(chain.wallet(at(f.provider)), parseEuro("20"), referenceHash("p3"));
    await layer.markRedemptionPaid(chain.wallet(at(f.operator)), paid, referenceHash("bank tx 1"));
    await layer.rejectRedemption(chain.wallet(at(f.operator)), refused, referenceHash("name mismatch"));

    const report = await reconcile(layer);
    expect(report.totals).to.deep.include({
      minted: parseEuro("1000"),
      burned: parseEuro("300"),
      refunded: parseEuro("20"),
      pending: parseEuro("50"),
      supply: parseEuro("700"),
      gatewayBalance: parseEuro("50"),
    });
    expect(report.redemptions.map((line) => [line.redemptionId, line.state])).to.deep.equal([
      [paid, "paid"],
      [open, "pending"],
      [refused, "rejected"],
    ]);
    expect(report.redemptions[0]!.bankTxRef).to.equal(referenceHash("bank tx 1"));
    expect(report.redemptions[2]!.refundTo).to.equal(at(f.provider));
    expect(report.checks.every((check) => check.ok)).to.equal(true);
    const text = renderReconciliation(report);
    expect(text).to.contain("Mints (bank deposits)").and.to.contain("rejected").and.to.contain("1,000.00");
  });

  it("flags a supply above the attested reserve", async function () {
    await layer.mintForDeposit(chain.wallet(at(f.minter)), at(f.provider), parseEuro("1000"), referenceHash("dep"));
    const latest = await chain.publicClient.getBlock();
    await layer.attestReserve(
      chain.wallet(at(f.auditor)),
      parseEuro("900"),
      Number(latest.timestamp),
      referenceHash("r2"),
    );
    const report = await reconcile(layer);
    const check = report.checks.find((c) => c.name === "supply <= attested reserve");
    expect(check?.ok).to.equal(false);
    expect(renderReconciliation(report)).to.contain("MISMATCH");
  });

  it("lists every member's accounts with balances", async function () {
    await mintTo(f, f.consumer.address, parseEuro("12.5"));
    const lines = await memberBalances(layer, new Map([[f.memberIds.consumer, "Feinteile Sued KG"]]));
    expect(lines).to.have.length(5);
    const consumer = lines.find((line) => line.memberId === f.memberIds.consumer)!;
    expect(consumer).to.deep.include({
      label: "Feinteile Sued KG",
      roles: "Consumer",
      status: "Active",
      balance: parseEuro("12.5"),
    });
    expect(renderBalances(lines)).to.contain("12.50").and.to.contain("member 1");
  });
});
