/** The Consortium tests' network, fixture and member helpers, shared by the files of this directory. */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { network } from "hardhat";

import { Role, roleMask } from "../../../src/core/membership.js";
import { parseEuro } from "../../../src/core/money.js";
import { referenceHash } from "../../../src/core/references.js";
import { AGREEMENT_V1, settlementLayerFixture, type SettlementLayerFixture } from "../../helpers/fixtures.js";

export const connection = await network.create();
export const { ethers, networkHelpers } = connection;
export const { loadFixture, time } = networkHelpers;
export const fixture = settlementLayerFixture(connection);

export const AGREEMENT_V2 = referenceHash("Capacity consortium framework agreement v2 (development)");
export const NEW_MEMBER_METADATA = referenceHash("New member record");
export const REASON = referenceHash("Suspension decision 2025-01");
export const PAYOUT_REF = referenceHash("payout instructions IBAN DE00 0000");
export const AMOUNT = parseEuro("250");
/** The id the next admitted member gets: the fixture admits members 1 to 5. */
export const NEXT_ID = 6n;

export function spareSigner(f: SettlementLayerFixture, index: number): HardhatEthersSigner {
  const signer = f.spare[index];
  if (signer === undefined)
    throw new Error(`The test network has no spare account #${index}; configure more accounts.`);
  return signer;
}

/** Admits a new member (id NEXT_ID and up) with the given accounts and roles; returns its id. */
export async function admitMember(
  f: SettlementLayerFixture,
  accounts: string[],
  roles: number = roleMask(Role.Consumer),
): Promise<bigint> {
  await f.consortium.connect(f.operator).admit(accounts, roles, NEW_MEMBER_METADATA);
  return f.consortium.memberCount();
}

/** Admits a second operator on spare account #0; returns its id. */
export async function admitSecondOperator(f: SettlementLayerFixture): Promise<bigint> {
  const id = await admitMember(f, [spareSigner(f, 0).address], roleMask(Role.Operator));
  await f.consortium.connect(spareSigner(f, 0)).acceptAgreement(AGREEMENT_V1);
  return id;
}

/** Requests the exit of `signer`'s member and lets the notice period pass; returns effectiveAt. */
export async function requestExitAndWait(f: SettlementLayerFixture, signer: HardhatEthersSigner): Promise<bigint> {
  await f.consortium.connect(signer).requestExit();
  const [id] = await f.consortium.memberOf(signer.address);
  const effectiveAt = (await f.consortium.getMember(id)).exitEffectiveAt;
  await time.increaseTo(effectiveAt);
  return effectiveAt;
}

/** Admits a member on spare account #1 and lets it leave; returns its id. */
export async function exitedMember(f: SettlementLayerFixture): Promise<bigint> {
  const signer = spareSigner(f, 1);
  const id = await admitMember(f, [signer.address]);
  await requestExitAndWait(f, signer);
  await f.consortium.connect(signer).completeExit(id);
  return id;
}
