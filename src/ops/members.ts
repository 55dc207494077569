/** Admitting a company to the consortium. */
import type { Address, Hex } from "viem";

import { renderTable, short } from "../cli/table.js";
import { roleMask, rolesOf, type Role } from "../core/membership.js";
import type { Wallet } from "../chain/transact.js";
import { clients, OpsInputError, type Ops } from "./context.js";

export interface AdmitInput {
  accounts: readonly Address[];
  roles: readonly Role[];
  /** Hash of the member record (company name, register entry) kept off-chain. */
  metadataHash: Hex;
}

export interface Admitted {
  memberId: bigint;
  accounts: Address[];
  roles: string[];
  metadataHash: Hex;
}

/** An operator admits a company with its accounts and roles; the company then accepts the agreement itself. */
export async function admitMember(ops: Ops, operator: Wallet, input: AdmitInput): Promise<Admitted> {
  if (input.accounts.length === 0) throw new OpsInputError("A member needs at least one account (--account 0x…).");
  if (input.roles.length === 0)
    throw new OpsInputError("A member needs at least one role (--roles provider,consumer).");
  const { layer } = clients(ops);
  for (const account of input.accounts) {
    const { memberId } = await layer.memberOf(account);
    if (memberId !== 0n) {
      throw new OpsInputError(`Account ${account} already belongs to member ${memberId}; admit each account once.`);
    }
  }
  const mask = roleMask(...input.roles);
  const memberId = await layer.admit(operator, input.accounts, mask, input.metadataHash);
  return { memberId, accounts: [...input.accounts], roles: rolesOf(mask), metadataHash: input.metadataHash };
}

export function renderAdmitted(a: Admitted): string {
  return renderTable(
    [
      { header: "member", value: (row: Admitted) => row.memberId.toString(), align: "right" },
      { header: "roles", value: (row) => row.roles.join(", ") },
      { header: "accounts", value: (row) => row.accounts.map(short).join(", ") },
      { header: "record hash", value: (row) => short(row.metadataHash) },
    ],
    [a],
    "Member admitted (each of its accounts must now accept the framework agreement)",
  );
}

export interface Accepted {
  memberId: bigint;
  account: Address;
  agreementVersion: number;
  agreementHash: Hex;
}

/** A newly admitted member accepts the framework agreement in force (with one of its accounts). */
export async function acceptAgreement(ops: Ops, member: Wallet): Promise<Accepted> {
  const { layer } = clients(ops);
  const account = member.account.address;
  const { memberId } = await layer.memberOf(account);
  if (memberId === 0n) throw new OpsInputError(`${account} is no member's account; an operator admits it first.`);
  const current = await layer.currentAgreement();
  const { agreementVersion } = await layer.member(memberId);
  if (agreementVersion === current.version) {
    throw new OpsInputError(`Member ${memberId} accepted agreement v${current.version} already; nothing to do.`);
  }
  await layer.acceptCurrentAgreement(member);
  return { memberId, account, agreementVersion: current.version, agreementHash: current.hash };
}

export function renderAccepted(a: Accepted): string {
  return `Member ${a.memberId} (${short(a.account)}) accepted framework agreement v${a.agreementVersion} (${short(a.agreementHash)}).`;
}
