/*
SettlementToken EIP-2612 permit
├── a valid permit sets the allowance, emits Approval and bumps the nonce
├── rejected: wrong chain id, wrong contract, another signer (ERC2612InvalidSigner)
├── rejected: expired deadline (ERC2612ExpiredSignature)
├── rejected: the same permit twice (nonce reused -> ERC2612InvalidSigner)
├── rejected: the high-s twin of a valid signature (ECDSAInvalidSignatureS)
└── FiatGateway.requestRedemptionWithPermit: one transaction; still works if someone front-ran the permit
*/
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { expect } from "chai";
import { network } from "hardhat";

import { parseEuro } from "../../src/sdk/money.js";
import { referenceHash } from "../../src/sdk/references.js";
import { permitTypes } from "../../src/sdk/typed-data.js";
import { mintTo, settlementLayerFixture } from "../helpers/fixtures.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const layer = settlementLayerFixture(connection);

/** secp256k1 group order: a signature (r, s) has the twin (r, n - s) with the other parity. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

interface PermitValue {
  owner: string;
  spender: string;
  value: bigint;
  nonce: bigint;
  deadline: bigint;
}

async function funded() {
  const f = await layer();
  await mintTo(f, f.consumer.address, parseEuro("1000"));
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const domain = { name: await f.token.name(), version: "1", chainId, verifyingContract: await f.token.getAddress() };
  const deadline = BigInt(await networkHelpers.time.latest()) + 3600n;
  const value: PermitValue = {
    owner: f.consumer.address,
    spender: f.provider.address,
    value: parseEuro("50"),
    nonce: 0n,
    deadline,
  };
  return { ...f, domain, value };
}

async function sign(signer: HardhatEthersSigner, domain: object, value: PermitValue) {
  const mutableTypes = { Permit: permitTypes.Permit.map((field) => ({ ...field })) };
  return ethers.Signature.from(await signer.signTypedData(domain, mutableTypes, value));
}

describe("SettlementToken permit (EIP-2612)", function () {
  it("sets the allowance, emits Approval and bumps the nonce", async function () {
    const { token, consumer, provider, domain, value } = await networkHelpers.loadFixture(funded);
    const sig = await sign(consumer, domain, value);
    await expect(token.permit(value.owner, value.spender, value.value, value.deadline, sig.v, sig.r, sig.s))
      .to.emit(token, "Approval")
      .withArgs(consumer.address, provider.address, value.value);
    expect(await token.allowance(consumer.address, provider.address)).to.equal(value.value);
    expect(await token.nonces(consumer.address)).to.equal(1n);
    expect(await token.DOMAIN_SEPARATOR()).to.equal(ethers.TypedDataEncoder.hashDomain(domain));
  });

  describe("rejected", function () {
    it("signed for another chain id: ERC2612InvalidSigner", async function () {
      const { token, consumer, domain, value } = await networkHelpers.loadFixture(funded);
      const sig = await sign(consumer, { ...domain, chainId: 1n }, value);
      const recovered = ethers.verifyTypedData(domain, { Permit: [...permitTypes.Permit] }, value, sig);
      expect(recovered).to.not.equal(consumer.address);
      await expect(token.permit(value.owner, value.spender, value.value, value.deadline, sig.v, sig.r, sig.s))
        .to.be.revertedWithCustomError(token, "ERC2612InvalidSigner")
        .withArgs(recovered, consumer.address);
    });

    it("signed for another deployment of the token: ERC2612InvalidSigner", async function () {
      const { token, consortium, consumer, domain, value } = await networkHelpers.loadFixture(funded);
      const other = await ethers.deployContract("SettlementToken", [
        await consortium.getAddress(),
        domain.name,
        "CEUR",
      ]);
      const sig = await sign(consumer, { ...domain, verifyingContract: await other.getAddress() }, value);
      const recovered = ethers.verifyTypedData(domain, { Permit: [...permitTypes.Permit] }, value, sig);
      await expect(token.permit(value.owner, value.spender, value.value, value.deadline, sig.v, sig.r, sig.s))
        .to.be.revertedWithCustomError(token, "ERC2612InvalidSigner")
        .withArgs(recovered, consumer.address);
    });

    it("signed by someone other than the owner: ERC2612InvalidSigner", async function () {
      const { token, consumer, outsider, domain, value } = await networkHelpers.loadFixture(funded);
      const sig = await sign(outsider, domain, value);
      await expect(token.permit(value.owner, value.spender, value.value, value.deadline, sig.v, sig.r, sig.s))
        .to.be.revertedWithCustomError(token, "ERC2612InvalidSigner")
        .withArgs(outsider.address, consumer.address);
    });

    it("past its deadline: ERC2612ExpiredSignature", async function () {
      const { token, consumer, domain, value } = await networkHelpers.loadFixture(funded);
      const expired = { ...value, deadline: BigInt(await networkHelpers.time.latest()) - 1n };
      const sig = await sign(consumer, domain, expired);
      await expect(token.permit(expired.owner, expired.spender, expired.value, expired.deadline, sig.v, sig.r, sig.s))
        .to.be.revertedWithCustomError(token, "ERC2612ExpiredSignature")
        .withArgs(expired.deadline);
    });

    it("used a second time (nonce reused): ERC2612InvalidSigner", async function () {
      const { token, consumer, domain, value } = await networkHelpers.loadFixture(funded);
      const sig = await sign(consumer, domain, value);
      await token.permit(value.owner, value.spender, value.value, value.deadline, sig.v, sig.r, sig.s);
      const recovered = ethers.verifyTypedData(
        domain,
        { Permit: [...permitTypes.Permit] },
        { ...value, nonce: 1n },
        sig,
      );
      await expect(token.permit(value.owner, value.spender, value.value, value.deadline, sig.v, sig.r, sig.s))
        .to.be.revertedWithCustomError(token, "ERC2612InvalidSigner")
        .withArgs(recovered, consumer.address);
    });

    it("the high-s twin of a valid signature: ECDSAInvalidSignatureS", async function () {
      const { token, domain, consumer, value } = await networkHelpers.loadFixture(funded);
      const sig = await sign(consumer, domain, value);
      const twinS = ethers.toBeHex(SECP256K1_N - BigInt(sig.s), 32);
      const twinV = sig.v === 27 ? 28 : 27;
      await expect(token.permit(value.owner, value.spender, value.value, value.deadline, twinV, sig.r, twinS))
        .to.be.revertedWithCustomError(token, "ECDSAInvalidSignatureS")
        .withArgs(twinS);
      // The original low-s signature still works: nothing was consumed.
      await token.permit(value.owner, value.spender, value.value, value.deadline, sig.v, sig.r, sig.s);
    });
  });

  describe("FiatGateway.requestRedemptionWithPermit", function () {
    async function gatewayPermit() {
      const f = await funded();
      const value = { ...f.value, spender: await f.gateway.getAddress(), value: parseEuro("200") };
      return { ...f, gatewayValue: value, sig: await sign(f.consumer, f.domain, value) };
    }

    it("locks the tokens in one transaction", async function () {
      const {
        gateway,
        token,
        consumer,
        memberIds,
        gatewayValue: v,
        sig,
      } = await networkHelpers.loadFixture(gatewayPermit);
      const payout = referenceHash("payout");
      await expect(
        gateway.connect(consumer).requestRedemptionWithPermit(v.value, payout, v.deadline, sig.v, sig.r, sig.s),
      )
        .to.emit(gateway, "RedemptionRequested")
        .withArgs(1n, memberIds.consumer, consumer.address, v.value, payout);
      expect(await token.balanceOf(await gateway.getAddress())).to.equal(v.value);
      expect(await token.allowance(consumer.address, await gateway.getAddress())).to.equal(0n);
    });

    it("still goes through when someone submitted the same permit first", async function () {
      const {
        gateway,
        token,
        consumer,
        outsider,
        gatewayValue: v,
        sig,
      } = await networkHelpers.loadFixture(gatewayPermit);
      await token.connect(outsider).permit(v.owner, v.spender, v.value, v.deadline, sig.v, sig.r, sig.s);
      await expect(
        gateway
          .connect(consumer)
          .requestRedemptionWithPermit(v.value, referenceHash("p"), v.deadline, sig.v, sig.r, sig.s),
      ).to.emit(gateway, "RedemptionRequested");
      expect(await gateway.pendingTotal()).to.equal(v.value);
    });

    it("fails with the allowance error when the permit is invalid and nothing was approved", async function () {
      const { gateway, token, consumer, gatewayValue: v, sig } = await networkHelpers.loadFixture(gatewayPermit);
      await expect(
        gateway
          .connect(consumer)
          .requestRedemptionWithPermit(v.value + 1n, referenceHash("p"), v.deadline, sig.v, sig.r, sig.s),
      )
        .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
        .withArgs(await gateway.getAddress(), 0n, v.value + 1n);
    });
  });
});
