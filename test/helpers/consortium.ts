import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { dataSlice, getAddress, id, type ContractTransactionResponse } from "ethers";
import type { NetworkConnection } from "hardhat/types/network";

import { Role, roleMask } from "../../src/core/membership.js";
import { referenceHash } from "../../src/core/references.js";
import type { Consortium, SettlementToken } from "../../typechain-types/index.js";
import { AGREEMENT_V1, FOUNDER_METADATA, NOTICE_PERIOD, type Actors } from "./fixtures.js";

/** A Consortium and a SettlementToken that names it, deployed by hand and not bound to each other. */
export interface UnboundLayer {
  consortium: Consortium;
  token: SettlementToken;
}

/**
 * Deploys a Consortium founded by `founder` (member 1, the only operator, agreement v1 accepted) and a
 * SettlementToken governed by it, without calling `bindToken`.
 */
export async function deployUnboundLayer(
  connection: NetworkConnection,
  founder: HardhatEthersSigner,
  noticePeriod: bigint = NOTICE_PERIOD,
): Promise<UnboundLayer> {
  const { ethers } = connection;
  const consortium = await ethers.deployContract(
    "Consortium",
    [[founder.address], FOUNDER_METADATA, AGREEMENT_V1, noticePeriod],
    founder,
  );
  const token = await ethers.deployContract(
    "SettlementToken",
    [await consortium.getAddress(), "Capacity Euro", "CEUR"],
    founder,
  );
  return { consortium, token };
}

/**
 * Admits provider, consumer, licensor and auditor to `consortium` in the order the shared fixture does,
 * so that their member ids (2 to 5) match the fixture's; each accepts agreement v1.
 */
export async function admitCast(consortium: Consortium, who: Actors): Promise<void> {
  const cast: [HardhatEthersSigner, Role][] = [
    [who.provider, Role.Provider],
    [who.consumer, Role.Consumer],
    [who.licensor, Role.Licensor],
    [who.auditor, Role.Auditor],
  ];
  for (const [signer, role] of cast) {
    await consortium
      .connect(who.operator)
      .admit([signer.address], roleMask(role), referenceHash(`member ${signer.address}`));
    await consortium.connect(signer).acceptAgreement(AGREEMENT_V1);
  }
}

/** A fixed address derived from `label`, for accounts that never sign anything. */
export function derivedAddress(label: string): string {
  return getAddress(dataSlice(id(label), 12));
}

/** `count` distinct derived addresses named `${label} 0`, `${label} 1`, ... */
export function derivedAddresses(label: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => derivedAddress(`${label} ${index}`));
}

/** Every `StandingChanged(account, standing)` that `token` emitted in the transaction, in order. */
export async function standingChanges(
  token: SettlementToken,
  tx: ContractTransactionResponse,
): Promise<[string, bigint][]> {
  const receipt = await tx.wait();
  if (receipt === null) throw new Error(`No receipt for transaction ${tx.hash}; was it dropped?`);
  const tokenAddress = (await token.getAddress()).toLowerCase();
  const changes: [string, bigint][] = [];
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== tokenAddress) continue;
    const parsed = token.interface.parseLog(log);
    if (parsed?.name === "StandingChanged") changes.push([String(parsed.args[0]), BigInt(parsed.args[1])]);
  }
  return changes;
}

/** The timestamp of the block that included `tx`. */
export async function minedAt(tx: ContractTransactionResponse): Promise<bigint> {
  const receipt = await tx.wait();
  if (receipt === null) throw new Error(`No receipt for transaction ${tx.hash}; was it dropped?`);
  const block = await receipt.getBlock();
  return BigInt(block.timestamp);
}
