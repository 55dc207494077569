/** Gas of the settlement layer's everyday transactions, each measured on a real transaction. */
import type { NetworkConnection } from "hardhat/types/network";

import { Role, roleMask } from "../src/core/membership.js";
import { parseEuro } from "../src/core/money.js";
import { referenceHash } from "../src/core/references.js";
import { deployCapacityMarket } from "../deploy/deploy.js";
import { gasOf } from "./gas.js";

/**
 * `oz.transfer`: plain OpenZeppelin ERC-20, transfer to an existing holder (the baseline).
 * `token.transfer`: SettlementToken between two members, to an existing holder.
 * `gateway.mint`: FiatGateway mint against a new bank reference, to a member who already holds tokens.
 */
export async function measureSettlementGas(connection: NetworkConnection): Promise<Record<string, number>> {
  const { ethers } = connection;
  const [operator, alice, bob, auditor, minter] = await ethers.getSigners();
  if (
    operator === undefined ||
    alice === undefined ||
    bob === undefined ||
    auditor === undefined ||
    minter === undefined
  ) {
    throw new Error("The benchmark needs five accounts on the network.");
  }

  const plain = await ethers.deployContract("PlainERC20", ["Plain", "PLN", alice.address, parseEuro("1000000")]);
  await (await plain.connect(alice).transfer(bob.address, 1n)).wait();
  const ozTransfer = await gasOf(plain.connect(alice).transfer(bob.address, parseEuro("10")));

  const deployment = await deployCapacityMarket(connection, { deploymentId: `bench-${Date.now()}` });
  const consortium = await ethers.getContractAt("Consortium", deployment.addresses.consortium, operator);
  const token = await ethers.getContractAt("SettlementToken", deployment.addresses.token, operator);
  const gateway = await ethers.getContractAt("FiatGateway", deployment.addresses.gateway, operator);
  for (const [signer, role] of [
    [alice, Role.Consumer],
    [bob, Role.Provider],
    [auditor, Role.Auditor],
  ] as const) {
    await (await consortium.admit([signer.address], roleMask(role), referenceHash(signer.address))).wait();
  }
  await (await gateway.configureMinter(minter.address, parseEuro("1000000"))).wait();
  const now = (await ethers.provider.getBlock("latest"))!.timestamp;
  await (await gateway.connect(auditor).attestReserve(parseEuro("1000000"), now, referenceHash("reserve"))).wait();
  await (await gateway.connect(minter).mint(alice.address, parseEuro("1000"), referenceHash("bench deposit 1"))).wait();
  await (await token.connect(alice).transfer(bob.address, 1n)).wait();

  const tokenTransfer = await gasOf(token.connect(alice).transfer(bob.address, parseEuro("10")));
  const gatewayMint = await gasOf(
    gateway.connect(minter).mint(alice.address, parseEuro("500"), referenceHash("bench deposit 2")),
  );

  return {
    "oz.transfer": ozTransfer,
    "token.transfer": tokenTransfer,
    "gateway.mint": gatewayMint,
  };
}
