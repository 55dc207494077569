/**
 * The SettlementToken tests' network and fixtures (funded accounts, a hand-wired token, contract holders), shared by
 * the files of this directory.
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { network } from "hardhat";

import { parseEuro } from "../../../src/core/money.js";
import { Role, roleMask } from "../../../src/core/membership.js";
import { referenceHash } from "../../../src/core/references.js";
import {
  actors,
  AGREEMENT_V1,
  FOUNDER_METADATA,
  NOTICE_PERIOD,
  settlementLayerFixture,
  type SettlementLayerFixture,
} from "../../helpers/fixtures.js";
import { funder } from "../../helpers/funding.js";
import { spareKey } from "../../helpers/signers.js";

export const connection = await network.create();
export const { ethers, networkHelpers } = connection;
export const deploySettlementLayer = settlementLayerFixture(connection);

export const MAX_SUPPLY = 2n ** 128n - 1n;
export const BALANCE = parseEuro("1000");

export interface FundedFixture extends SettlementLayerFixture {
  fund: (to: string, amount: bigint) => Promise<void>;
}

/** The settlement layer with BALANCE minted to the consumer and to the provider. */
export async function deployFunded(): Promise<FundedFixture> {
  const f = await networkHelpers.loadFixture(deploySettlementLayer);
  const fund = funder(f);
  await fund(f.consumer.address, BALANCE);
  await fund(f.provider.address, BALANCE);
  return { ...f, fund };
}

export async function funded(): Promise<FundedFixture> {
  return networkHelpers.loadFixture(deployFunded);
}

/**
 * A Consortium and a token wired by hand, without a FiatGateway: `gatewayKey` is a plain test account
 * that an operator can bind as gateway, so that tests call `mint` and `burn` directly.
 */
export async function deployHandWired() {
  const who = await actors(connection);
  const gatewayKey = spareKey(who, 0);
  const consortium = await ethers.deployContract(
    "Consortium",
    [[who.operator.address], FOUNDER_METADATA, AGREEMENT_V1, NOTICE_PERIOD],
    who.operator,
  );
  const token = await ethers.deployContract(
    "SettlementToken",
    [await consortium.getAddress(), "Capacity Euro", "CEUR"],
    who.operator,
  );
  await consortium.connect(who.operator).bindToken(await token.getAddress());
  await consortium
    .connect(who.operator)
    .admit([who.provider.address], roleMask(Role.Provider), referenceHash("provider record"));
  return { ...who, consortium, token, gatewayKey };
}

export async function handWired() {
  return networkHelpers.loadFixture(deployHandWired);
}

/** A signer for `address` (a contract's, here), impersonated and given ether for gas. */
export async function impersonate(address: string): Promise<HardhatEthersSigner> {
  await networkHelpers.setBalance(address, 10n ** 20n);
  return ethers.getImpersonatedSigner(address);
}

export interface HeldFixture extends FundedFixture {
  /** A registered contract (a MockObligations, System standing) whose address the tests sign for. */
  holder: HardhatEthersSigner;
  /** A second registered contract, to escrow from the first. */
  otherHolder: HardhatEthersSigner;
}

/** The funded layer with two registered contracts; the consumer approved the first for its whole balance. */
export async function deployWithHolders() {
  const f = await networkHelpers.loadFixture(deployFunded);
  const addresses: string[] = [];
  for (let i = 0; i < 2; i++) {
    const mock = await ethers.deployContract("MockObligations");
    const address = await mock.getAddress();
    await f.consortium.connect(f.operator).registerContract(address);
    await networkHelpers.setBalance(address, 10n ** 20n);
    addresses.push(address);
  }
  await f.token.connect(f.consumer).approve(addresses[0]!, BALANCE);
  return { ...f, addresses };
}

/** {deployWithHolders}, with signers for the two registered contracts (impersonated). */
export async function withHolders(): Promise<HeldFixture> {
  const { addresses, ...f } = await networkHelpers.loadFixture(deployWithHolders);
  const holder = await ethers.getImpersonatedSigner(addresses[0]!);
  const otherHolder = await ethers.getImpersonatedSigner(addresses[1]!);
  return { ...f, holder, otherHolder };
}
