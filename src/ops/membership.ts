/**
 * A member's standing over its life: an operator suspends and resumes it, grants and revokes its roles; the
 * member asks to leave (or withdraws the request), and after the notice period the member or an operator
 * removes it. Each job reads the member first: what is so already is "nothing to do" (no transaction, exit
 * status 0), what the Consortium would refuse is refused with what to do instead.
 */
import type { Hex, TransactionReceipt } from "viem";

import { consortiumAbi } from "../generated/abis.js";
import { Role, rolesOf, statusName, type RoleName } from "../core/membership.js";
import { transact, type Wallet } from "../chain/transact.js";
import { chainTime, clients, OpsInputError, type Ops } from "./context.js";
import { memberIdOf } from "./members.js";

export type MembershipAction =
  "suspended" | "resumed" | "exit requested" | "exit cancelled" | "removed" | "role granted" | "role revoked";

/** The member as the Consortium holds it after the change (or as it found it, with nothing to do). */
export interface MembershipChange {
  memberId: bigint;
  action: MembershipAction;
  nothingToDo: boolean;
  status: string;
  roles: RoleName[];
  /** When a requested exit may complete (Unix seconds); 0: no exit requested. */
  exitEffectiveAt: number;
  transaction: Hex | null;
}

/** The Consortium's calls these jobs send, each with its arguments as the ABI types them. */
type ConsortiumCall =
  | { functionName: "suspend"; args: readonly [bigint, Hex] }
  | { functionName: "reinstate"; args: readonly [bigint] }
  | { functionName: "completeExit"; args: readonly [bigint] }
  | { functionName: "requestExit"; args: readonly [] }
  | { functionName: "cancelExit"; args: readonly [] }
  | { functionName: "grantMemberRole"; args: readonly [bigint, Role] }
  | { functionName: "revokeMemberRole"; args: readonly [bigint, Role] };

function send(ops: Ops, wallet: Wallet, call: ConsortiumCall): Promise<TransactionReceipt> {
  const to = { address: ops.addresses.consortium, abi: consortiumAbi } as const;
  switch (call.functionName) {
    case "suspend":
      return transact(ops.chain, wallet, { ...to, functionName: "suspend", args: call.args });
    case "reinstate":
      return transact(ops.chain, wallet, { ...to, functionName: "reinstate", args: call.args });
    case "completeExit":
      return transact(ops.chain, wallet, { ...to, functionName: "completeExit", args: call.args });
    case "requestExit":
      return transact(ops.chain, wallet, { ...to, functionName: "requestExit", args: call.args });
    case "cancelExit":
      return transact(ops.chain, wallet, { ...to, functionName: "cancelExit", args: call.args });
    case "grantMemberRole":
      return transact(ops.chain, wallet, { ...to, functionName: "grantMemberRole", args: call.args });
    case "revokeMemberRole":
      return transact(ops.chain, wallet, { ...to, functionName: "revokeMemberRole", args: call.args });
  }
}

async function standing(ops: Ops, memberId: bigint) {
  const member = await clients(ops).layer.member(memberId);
  return {
    status: statusName(member.status),
    roles: rolesOf(member.roles),
    exitEffectiveAt: Number(member.exitEffectiveAt),
  };
}

/** Sends the call to the Consortium, unless the change holds `already`, and reports the member as it is then. */
async function change(
  ops: Ops,
  wallet: Wallet,
  memberId: bigint,
  action: MembershipAction,
  already: boolean,
  call: ConsortiumCall,
): Promise<MembershipChange> {
  let transaction: Hex | null = null;
  if (!already) {
    transaction = (await send(ops, wallet, call)).transactionHash;
  }
  return { memberId, action, nothingToDo: already, ...(await standing(ops, memberId)), transaction };
}

function exited(memberId: bigint): OpsInputError {
  return new OpsInputError(`Member ${memberId} has left the consortium; its membership cannot change any more.`, {
    code: "member.exited",
    input: { name: "--member", value: memberId.toString() },
  });
}

/** An operator suspends a member (its accounts stop sending and starting business); the reason's hash is recorded. */
export async function suspendMember(ops: Ops, operator: Wallet, memberId: bigint, reasonHash: Hex) {
  await memberIdOf(ops, { memberId });
  const { status } = await standing(ops, memberId);
  if (status === "Exited") throw exited(memberId);
  return change(ops, operator, memberId, "suspended", status === "Suspended", {
    functionName: "suspend",
    args: [memberId, reasonHash],
  });
}

/** An operator lifts a member's suspension. */
export async function resumeMember(ops: Ops, operator: Wallet, memberId: bigint) {
  await memberIdOf(ops, { memberId });
  const { status } = await standing(ops, memberId);
  if (status === "Exited") throw exited(memberId);
  return change(ops, operator, memberId, "resumed", status === "Active", {
    functionName: "reinstate",
    args: [memberId],
  });
}

/** The wallet's member asks to leave: from now it starts no new business; it may complete after the notice period. */
export async function requestExit(ops: Ops, member: Wallet) {
  const memberId = await memberIdOf(ops, { account: member.account.address });
  const { exitEffectiveAt } = await standing(ops, memberId);
  return change(ops, member, memberId, "exit requested", exitEffectiveAt !== 0, {
    functionName: "requestExit",
    args: [],
  });
}

/** The wallet's member withdraws its request to leave. */
export async function cancelExit(ops: Ops, member: Wallet) {
  const memberId = await memberIdOf(ops, { account: member.account.address });
  const { exitEffectiveAt } = await standing(ops, memberId);
  return change(ops, member, memberId, "exit cancelled", exitEffectiveAt === 0, {
    functionName: "cancelExit",
    args: [],
  });
}

/**
 * Removes a member whose exit was requested and whose notice period has passed (the member itself, or an
 * operator). The Consortium refuses while the member has open obligations, naming the contract that holds them.
 */
export async function removeMember(ops: Ops, caller: Wallet, memberId: bigint) {
  await memberIdOf(ops, { memberId });
  const { status, exitEffectiveAt } = await standing(ops, memberId);
  const input = { name: "--member", value: memberId.toString() };
  if (status !== "Exited" && exitEffectiveAt === 0) {
    throw new OpsInputError(`Member ${memberId} has not asked to leave.`, {
      code: "member.exitNotRequested",
      input,
      hint: "The member asks first (capacity member exit, with one of its keys); after the notice period it can be removed.",
    });
  }
  const now = await chainTime(ops);
  if (status !== "Exited" && now < exitEffectiveAt) {
    throw new OpsInputError(
      `Member ${memberId}'s notice period runs until ${new Date(exitEffectiveAt * 1000).toISOString()} ` +
        `(${exitEffectiveAt - now} s from now by the chain's clock).`,
      { code: "member.noticePeriodRunning", input, hint: "Remove it after that." },
    );
  }
  return change(ops, caller, memberId, "removed", status === "Exited", {
    functionName: "completeExit",
    args: [memberId],
  });
}

/** An operator grants or revokes one of a member's roles. */
export async function changeRole(ops: Ops, operator: Wallet, memberId: bigint, role: Role, grant: boolean) {
  await memberIdOf(ops, { memberId });
  const { status, roles } = await standing(ops, memberId);
  if (status === "Exited") throw exited(memberId);
  const holds = roles.some((name) => Role[name] === role);
  const call: ConsortiumCall = grant
    ? { functionName: "grantMemberRole", args: [memberId, role] }
    : { functionName: "revokeMemberRole", args: [memberId, role] };
  return change(ops, operator, memberId, grant ? "role granted" : "role revoked", holds === grant, call);
}
