/** Admitting a company to the consortium, and naming a member by its id or one of its accounts. */
import type { Address, Hex } from "viem";

import { roleMask, rolesOf, type Role } from "../core/membership.js";
import type { Wallet } from "../chain/transact.js";
import { clients, OpsInputError, type Ops } from "./context.js";

/** Who a command is about: a member id, or one of its accounts. */
export interface Whose {
  memberId?: bigint;
  account?: Address;
}

/**
 * The member id of `who`: the id itself once it is known to exist, or the member an account belongs to. The
 * error says which flag to give when neither is.
 */
export async function memberIdOf(
  ops: Ops,
  who: Whose,
  options: { ask?: string; memberFlag?: string } = {},
): Promise<bigint> {
  const { layer } = clients(ops);
  if (who.memberId !== undefined) {
    const count = await layer.memberCount();
    if (who.memberId < 1n || who.memberId > count) {
      throw new OpsInputError(`There is no member ${who.memberId}; member ids run from 1 to ${count}.`, {
        code: "member.unknown",
        input: { name: options.memberFlag ?? "--member", value: who.memberId.toString() },
      });
    }
    return who.memberId;
  }
  if (who.account !== undefined) {
    const { memberId } = await layer.memberOf(who.account);
    if (memberId === 0n) {
      throw new OpsInputError(`Account ${who.account} belongs to no member; check --account.`, {
        code: "account.notMember",
        input: { name: "--account", value: who.account },
      });
    }
    return memberId;
  }
  throw new OpsInputError(options.ask ?? "Say which member: --member ID or --account 0x….", { code: "member.missing" });
}

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

export interface Accepted {
  memberId: bigint;
  account: Address;
  agreementVersion: number;
  agreementHash: Hex;
  /** "accepted" now, or "already accepted": the member had accepted this version before (nothing sent). */
  status: "accepted" | "already accepted";
}

/** A newly admitted member accepts the framework agreement in force (with one of its accounts). */
export async function acceptAgreement(ops: Ops, member: Wallet): Promise<Accepted> {
  const { layer } = clients(ops);
  const account = member.account.address;
  const { memberId } = await layer.memberOf(account);
  if (memberId === 0n) throw new OpsInputError(`${account} is no member's account; an operator admits it first.`);
  const current = await layer.currentAgreement();
  const { agreementVersion } = await layer.member(memberId);
  const accepted = { memberId, account, agreementVersion: current.version, agreementHash: current.hash };
  if (agreementVersion === current.version) return { ...accepted, status: "already accepted" };
  await layer.acceptCurrentAgreement(member);
  return { ...accepted, status: "accepted" };
}
