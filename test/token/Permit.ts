import { expect } from "chai";
import { TypedDataEncoder, ZeroHash } from "ethers";
import { network } from "hardhat";

import { parseEuro } from "../../src/core/money.js";
import { referenceHash } from "../../src/core/references.js";
import { settlementLayerFixture, type SettlementLayerFixture } from "../helpers/fixtures.js";
import { funder } from "../helpers/funding.js";
import { highSTwin, permitDomain, recoveredSigner, signPermit } from "../helpers/permit.js";

const connection = await network.create();
const { ethers, networkHelpers } = connection;
const { time } = networkHelpers;
const deploySettlementLayer = settlementLayerFixture(connection);

const BALANCE = parseEuro("1000");
const VALUE = parseEuro("250");
const PAYOUT = referenceHash("payout instructions of the consumer");

interface PermitFixture extends SettlementLayerFixture {
  gatewayAddress: string;
  /** A deadline an hour after the fixture's last block. */
  deadline: bigint;
}

/** The settlement layer with BALANCE minted to the consumer, who signs the permits. */
async function deployPermitFixture(): Promise<PermitFixture> {
  const f = await networkHelpers.loadFixture(deploySettlementLayer);
  await funder(f)(f.consumer.address, BALANCE);
  return {
    ...f,
    gatewayAddress: await f.gateway.getAddress(),
    deadline: BigInt(await time.latest()) + 3600n,
  };
}

async function permitFixture(): Promise<PermitFixture> {
  return networkHelpers.loadFixture(deployPermitFixture);
}

describe("Permit (EIP-2612)", function () {
  describe("EIP-712 domain", function () {
    it("is the token's name, version 1, this chain and this contract", async function () {
      const { token } = await permitFixture();
      const domain = await permitDomain(token);
      const { chainId } = await ethers.provider.getNetwork();
      expect(domain.name).to.equal("Capacity Euro");
      expect(domain.version).to.equal("1");
      expect(domain.chainId).to.equal(chainId);
      expect(domain.verifyingContract).to.equal(await token.getAddress());
      expect(await token.DOMAIN_SEPARATOR()).to.equal(TypedDataEncoder.hashDomain(domain));
    });
  });

  describe("permit", function () {
    describe("when the owner signed it for this token and chain", function () {
      it("sets the allowance, emits Approval and bumps the nonce", async function () {
        const { token, consumer, provider, deadline } = await permitFixture();
        expect(await token.nonces(consumer.address)).to.equal(0n);
        const { v, r, s } = await signPermit(token, consumer, provider.address, VALUE, deadline);
        await expect(token.connect(provider).permit(consumer.address, provider.address, VALUE, deadline, v, r, s))
          .to.emit(token, "Approval")
          .withArgs(consumer.address, provider.address, VALUE);
        expect(await token.allowance(consumer.address, provider.address)).to.equal(VALUE);
        expect(await token.nonces(consumer.address)).to.equal(1n);
      });

      it("may be submitted by anyone, even a key that is no member's", async function () {
        const { token, consumer, provider, outsider, deadline } = await permitFixture();
        const { v, r, s } = await signPermit(token, consumer, provider.address, VALUE, deadline);
        await token.connect(outsider).permit(consumer.address, provider.address, VALUE, deadline, v, r, s);
        expect(await token.allowance(consumer.address, provider.address)).to.equal(VALUE);
      });

      it("is valid until the deadline itself", async function () {
        const { token, consumer, provider, deadline } = await permitFixture();
        const { v, r, s } = await signPermit(token, consumer, provider.address, VALUE, deadline);
        await time.setNextBlockTimestamp(deadline);
        await token.connect(provider).permit(consumer.address, provider.address, VALUE, deadline, v, r, s);
        expect(await token.allowance(consumer.address, provider.address)).to.equal(VALUE);
      });

      it("takes effect while the token is paused (approvals are not transfers)", async function () {
        const { token, operator, consumer, provider, deadline } = await permitFixture();
        await token.connect(operator).pause();
        const { v, r, s } = await signPermit(token, consumer, provider.address, VALUE, deadline);
        await token.connect(provider).permit(consumer.address, provider.address, VALUE, deadline, v, r, s);
        expect(await token.allowance(consumer.address, provider.address)).to.equal(VALUE);
      });

      it("lets the spender move the tokens", async function () {
        const { token, consumer, provider, deadline } = await permitFixture();
        const { v, r, s } = await signPermit(token, consumer, provider.address, VALUE, deadline);
        await token.connect(provider).permit(consumer.address, provider.address, VALUE, deadline, v, r, s);
        await expect(
          token.connect(provider).transferFrom(consumer.address, provider.address, VALUE),
        ).to.changeTokenBalances(ethers, token, [consumer, provider], [-VALUE, VALUE]);
      });
    });

    describe("when it was signed for another chain", function () {
      it("reverts with ERC2612InvalidSigner", async function () {
        const { token, consumer, provider, deadline } = await permitFixture();
        const { chainId } = await ethers.provider.getNetwork();
        const permit = await signPermit(token, consumer, provider.address, VALUE, deadline, {
          domain: { chainId: chainId + 1n },
        });
        const recovered = await recoveredSigner(token, permit, { nonce: 0n });
        expect(recovered).to.not.equal(consumer.address);
        await expect(
          token
            .connect(provider)
            .permit(consumer.address, provider.address, VALUE, deadline, permit.v, permit.r, permit.s),
        )
          .to.be.revertedWithCustomError(token, "ERC2612InvalidSigner")
          .withArgs(recovered, consumer.address);
      });
    });

    describe("when it was signed for another contract", function () {
      async function secondToken() {
        const f = await permitFixture();
        const other = await ethers.deployContract("SettlementToken", [f.consortium, "Capacity Euro", "CEUR"]);
        return { ...f, other };
      }

      it("reverts with ERC2612InvalidSigner", async function () {
        const { token, other, consumer, provider, deadline } = await secondToken();
        const permit = await signPermit(other, consumer, provider.address, VALUE, deadline);
        expect(permit.domain.verifyingContract).to.equal(await other.getAddress());
        const recovered = await recoveredSigner(token, permit, { nonce: 0n });
        expect(recovered).to.not.equal(consumer.address);
        await expect(
          token
            .connect(provider)
            .permit(consumer.address, provider.address, VALUE, deadline, permit.v, permit.r, permit.s),
        )
          .to.be.revertedWithCustomError(token, "ERC2612InvalidSigner")
          .withArgs(recovered, consumer.address);
      });

      it("is valid on the contract it was signed for", async function () {
        const { token, other, consumer, provider, deadline } = await secondToken();
        const { v, r, s } = await signPermit(other, consumer, provider.address, VALUE, deadline);
        await other.connect(provider).permit(consumer.address, provider.address, VALUE, deadline, v, r, s);
        expect(await other.allowance(consumer.address, provider.address)).to.equal(VALUE);
        expect(await token.allowance(consumer.address, provider.address)).to.equal(0n);
      });
    });

    describe("when the deadline has passed", function () {
      it("reverts with ERC2612ExpiredSignature", async function () {
        const { token, consumer, provider, deadline } = await permitFixture();
        const { v, r, s } = await signPermit(token, consumer, provider.address, VALUE, deadline);
        await time.setNextBlockTimestamp(deadline + 1n);
        await expect(token.connect(provider).permit(consumer.address, provider.address, VALUE, deadline, v, r, s))
          .to.be.revertedWithCustomError(token, "ERC2612ExpiredSignature")
          .withArgs(deadline);
      });
    });

    describe("when its nonce was used already (replay)", function () {
      it("reverts with ERC2612InvalidSigner", async function () {
        const { token, consumer, provider, deadline } = await permitFixture();
        const permit = await signPermit(token, consumer, provider.address, VALUE, deadline);
        const submit = () =>
          token
            .connect(provider)
            .permit(consumer.address, provider.address, VALUE, deadline, permit.v, permit.r, permit.s);
        await submit();
        await token.connect(provider).transferFrom(consumer.address, provider.address, VALUE);
        await expect(submit())
          .to.be.revertedWithCustomError(token, "ERC2612InvalidSigner")
          .withArgs(await recoveredSigner(token, permit, { nonce: 1n }), consumer.address);
        expect(await token.allowance(consumer.address, provider.address)).to.equal(0n);
      });
    });

    describe("when its nonce is ahead of the owner's", function () {
      it("reverts with ERC2612InvalidSigner", async function () {
        const { token, consumer, provider, deadline } = await permitFixture();
        const permit = await signPermit(token, consumer, provider.address, VALUE, deadline, { nonce: 1n });
        await expect(
          token
            .connect(provider)
            .permit(consumer.address, provider.address, VALUE, deadline, permit.v, permit.r, permit.s),
        )
          .to.be.revertedWithCustomError(token, "ERC2612InvalidSigner")
          .withArgs(await recoveredSigner(token, permit, { nonce: 0n }), consumer.address);
      });
    });

    describe("when the value differs from the one signed", function () {
      it("reverts with ERC2612InvalidSigner", async function () {
        const { token, consumer, provider, deadline } = await permitFixture();
        const permit = await signPermit(token, consumer, provider.address, VALUE, deadline);
        const recovered = await recoveredSigner(token, permit, { value: VALUE + 1n });
        await expect(
          token
            .connect(provider)
            .permit(consumer.address, provider.address, VALUE + 1n, deadline, permit.v, permit.r, permit.s),
        )
          .to.be.revertedWithCustomError(token, "ERC2612InvalidSigner")
          .withArgs(recovered, consumer.address);
      });
    });

    describe("when the signature is the high-s twin of a valid one", function () {
      it("reverts with ECDSAInvalidSignatureS", async function () {
        const { token, consumer, provider, deadline } = await permitFixture();
        const permit = await signPermit(token, consumer, provider.address, VALUE, deadline);
        const twin = highSTwin(permit);
        expect(BigInt(twin.s)).to.be.greaterThan(BigInt(permit.s));
        await expect(
          token.connect(provider).permit(consumer.address, provider.address, VALUE, deadline, twin.v, twin.r, twin.s),
        )
          .to.be.revertedWithCustomError(token, "ECDSAInvalidSignatureS")
          .withArgs(twin.s);
      });

      it("leaves the original signature usable", async function () {
        const { token, consumer, provider, deadline } = await permitFixture();
        const permit = await signPermit(token, consumer, provider.address, VALUE, deadline);
        const twin = highSTwin(permit);
        await expect(
          token.connect(provider).permit(consumer.address, provider.address, VALUE, deadline, twin.v, twin.r, twin.s),
        ).to.be.revertedWithCustomError(token, "ECDSAInvalidSignatureS");
        expect(await token.nonces(consumer.address)).to.equal(0n);
        await token
          .connect(provider)
          .permit(consumer.address, provider.address, VALUE, deadline, permit.v, permit.r, permit.s);
        expect(await token.allowance(consumer.address, provider.address)).to.equal(VALUE);
      });
    });

    describe("when the signature recovers no address", function () {
      it("reverts with ECDSAInvalidSignature", async function () {
        const { token, consumer, provider, deadline } = await permitFixture();
        await expect(
          token.connect(provider).permit(consumer.address, provider.address, VALUE, deadline, 27, ZeroHash, ZeroHash),
        ).to.be.revertedWithCustomError(token, "ECDSAInvalidSignature");
      });
    });

    describe("when someone other than the owner signed it", function () {
      it("reverts with ERC2612InvalidSigner naming the signer and the owner", async function () {
        const { token, consumer, provider, outsider, deadline } = await permitFixture();
        const { v, r, s } = await signPermit(token, consumer, provider.address, VALUE, deadline, { signer: outsider });
        await expect(token.connect(provider).permit(consumer.address, provider.address, VALUE, deadline, v, r, s))
          .to.be.revertedWithCustomError(token, "ERC2612InvalidSigner")
          .withArgs(outsider.address, consumer.address);
      });
    });
  });

  describe("requestRedemptionWithPermit", function () {
    describe("when the permit is valid", function () {
      it("approves, locks the tokens and requests the redemption in one transaction", async function () {
        const { token, gateway, consumer, memberIds, gatewayAddress, deadline } = await permitFixture();
        const { v, r, s } = await signPermit(token, consumer, gatewayAddress, VALUE, deadline);
        const tx = gateway.connect(consumer).requestRedemptionWithPermit(VALUE, PAYOUT, deadline, v, r, s);
        await expect(tx).to.emit(token, "Approval").withArgs(consumer.address, gatewayAddress, VALUE);
        await expect(tx)
          .to.emit(gateway, "RedemptionRequested")
          .withArgs(1n, memberIds.consumer, consumer.address, VALUE, PAYOUT);
        await expect(tx).to.changeTokenBalances(ethers, token, [consumer, gatewayAddress], [-VALUE, VALUE]);
        expect(await token.nonces(consumer.address)).to.equal(1n);
        expect(await token.allowance(consumer.address, gatewayAddress)).to.equal(0n);
        expect(await gateway.pendingTotal()).to.equal(VALUE);
      });

      it("returns the new redemption's id", async function () {
        const { token, gateway, consumer, gatewayAddress, deadline } = await permitFixture();
        const { v, r, s } = await signPermit(token, consumer, gatewayAddress, VALUE, deadline);
        expect(
          await gateway.connect(consumer).requestRedemptionWithPermit.staticCall(VALUE, PAYOUT, deadline, v, r, s),
        ).to.equal(1n);
      });
    });

    describe("when someone front-ran the same permit", function () {
      it("still requests the redemption with the allowance the permit set", async function () {
        const { token, gateway, consumer, outsider, memberIds, gatewayAddress, deadline } = await permitFixture();
        const { v, r, s } = await signPermit(token, consumer, gatewayAddress, VALUE, deadline);
        await token.connect(outsider).permit(consumer.address, gatewayAddress, VALUE, deadline, v, r, s);
        expect(await token.nonces(consumer.address)).to.equal(1n);
        const tx = gateway.connect(consumer).requestRedemptionWithPermit(VALUE, PAYOUT, deadline, v, r, s);
        await expect(tx)
          .to.emit(gateway, "RedemptionRequested")
          .withArgs(1n, memberIds.consumer, consumer.address, VALUE, PAYOUT);
        await expect(tx).to.changeTokenBalances(ethers, token, [consumer, gatewayAddress], [-VALUE, VALUE]);
        expect(await token.nonces(consumer.address)).to.equal(1n);
      });
    });

    describe("when the permit is invalid and nothing was approved", function () {
      it("reverts with ERC20InsufficientAllowance", async function () {
        const { token, gateway, consumer, outsider, gatewayAddress, deadline } = await permitFixture();
        const { v, r, s } = await signPermit(token, consumer, gatewayAddress, VALUE, deadline, { signer: outsider });
        await expect(gateway.connect(consumer).requestRedemptionWithPermit(VALUE, PAYOUT, deadline, v, r, s))
          .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
          .withArgs(gatewayAddress, 0n, VALUE);
      });
    });

    describe("when the permit expired but an earlier approval covers the amount", function () {
      it("requests the redemption with the approval", async function () {
        const { token, gateway, consumer, gatewayAddress, deadline } = await permitFixture();
        const { v, r, s } = await signPermit(token, consumer, gatewayAddress, VALUE, deadline);
        await token.connect(consumer).approve(gatewayAddress, VALUE);
        await time.setNextBlockTimestamp(deadline + 1n);
        await expect(
          gateway.connect(consumer).requestRedemptionWithPermit(VALUE, PAYOUT, deadline, v, r, s),
        ).to.changeTokenBalances(ethers, token, [consumer, gatewayAddress], [-VALUE, VALUE]);
        expect(await token.nonces(consumer.address)).to.equal(0n);
      });
    });

    describe("when the requesting member is suspended", function () {
      it("reverts with ConsortiumMemberSuspended and leaves the permit unused", async function () {
        const { token, consortium, gateway, operator, consumer, memberIds, gatewayAddress, deadline } =
          await permitFixture();
        const { v, r, s } = await signPermit(token, consumer, gatewayAddress, VALUE, deadline);
        await consortium.connect(operator).suspend(memberIds.consumer, referenceHash("suspension"));
        await expect(gateway.connect(consumer).requestRedemptionWithPermit(VALUE, PAYOUT, deadline, v, r, s))
          .to.be.revertedWithCustomError(consortium, "ConsortiumMemberSuspended")
          .withArgs(memberIds.consumer);
        expect(await token.nonces(consumer.address)).to.equal(0n);
        expect(await token.allowance(consumer.address, gatewayAddress)).to.equal(0n);
      });
    });
  });
});
