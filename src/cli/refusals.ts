/**
 * A refused transaction, said so that a person can act on it: the call and the contract by name, the custom
 * error decoded with its arguments named (roles and other enums by name, role hashes by name), members by
 * their registered name, accounts by their member, contracts by their name, amounts in euros and times as
 * dates; then what to do. The raw custom error stays in the message, so it can be looked up.
 */
import type { Address, Hex } from "viem";

import { CapacityError } from "../core/errors.js";
import { formatEuro } from "../core/money.js";
import type { RefusalParam, TransactionRefusedError } from "../chain/transact.js";
import type { Names } from "../ops/names.js";

interface Said {
  reason: string;
  hint?: string;
}

interface Scope {
  arg(name: string): RefusalParam | undefined;
  names: Names;
  sender: Address | undefined;
  /** The refusing contract's name. */
  contractName: string | undefined;
}

type Explainer = (scope: Scope) => Promise<Said>;

const date = (seconds: unknown): string => new Date(Number(seconds) * 1000).toISOString();
const eur = (units: unknown): string => `${formatEuro(BigInt(units as bigint))} EUR`;

async function member(scope: Scope, name = "memberId"): Promise<string> {
  const id = scope.arg(name)?.value;
  return typeof id === "bigint" ? scope.names.member(id) : "the member";
}

async function account(scope: Scope, name = "account"): Promise<string> {
  const value = scope.arg(name)?.value as Address | undefined;
  if (value === undefined) return "the account";
  const owner = await scope.names.accountOwner(value);
  return `account ${value} (${owner.label})`;
}

function contract(scope: Scope, name = "source"): string {
  const value = scope.arg(name)?.value as Address | undefined;
  if (value === undefined) return "a contract";
  const known = scope.names.contract(value);
  return known === undefined ? `the contract at ${value}` : `the ${known} (${value})`;
}

const display = (scope: Scope, name: string): string => scope.arg(name)?.display ?? "?";

const EXPLAIN: Record<string, Explainer> = {
  async ConsortiumMissingRole(s) {
    const role = display(s, "role");
    const id = s.arg("memberId")?.value as bigint;
    const own = s.sender === undefined ? undefined : await s.names.accountOwner(s.sender);
    const who =
      own?.memberId === id
        ? `account ${s.sender} lacks the role ${role} (${own.label})`
        : `${await member(s)} lacks the role ${role}`;
    return {
      reason: who,
      hint: `Sign with an account of a member that holds ${role} ($OPS_PRIVATE_KEY), or an operator grants it (capacity member grant-role --member ${id} --role ${role}).`,
    };
  },
  async SettlementTokenMissingRole(s) {
    return rolesInBusiness(s);
  },
  async PaymentChannelsMissingRole(s) {
    return rolesInBusiness(s);
  },
  async ConsortiumNotMember(s) {
    return {
      reason: `${display(s, "account")} is no member's account`,
      hint: "An operator admits its company (capacity member admit), or a member adds it (capacity account add).",
    };
  },
  async SettlementTokenNotMember(s) {
    return EXPLAIN.ConsortiumNotMember!(s);
  },
  async ConsortiumAccountRemoved(s) {
    return {
      reason: `${display(s, "account")} was removed from ${await member(s)}`,
      hint: "Sign with one of its active accounts.",
    };
  },
  async ConsortiumMemberSuspended(s) {
    const id = display(s, "memberId");
    return {
      reason: `${await member(s)} is suspended`,
      hint: `An operator resumes it (capacity member resume --member ${id}).`,
    };
  },
  async ConsortiumMemberExited(s) {
    return { reason: `${await member(s)} has left the consortium` };
  },
  async ConsortiumAgreementNotAccepted(s) {
    return {
      reason: `${await member(s)} accepted framework agreement v${display(s, "acceptedVersion")}, not v${display(s, "currentVersion")} in force`,
      hint: "It accepts the agreement in force first (capacity member accept-agreement).",
    };
  },
  async ConsortiumOpenObligations(s) {
    return {
      reason: `${await member(s)} still has ${display(s, "count")} open obligation(s) at ${contract(s)}`,
      hint: "Close its orders and channels and withdraw its payouts first (capacity member balances shows them).",
    };
  },
  async ConsortiumAccountInUse(s) {
    return {
      reason: `${await account(s)} still carries ${display(s, "count")} obligation(s) at ${contract(s)}`,
      hint: "Close the channels it pays from or is paid on first (capacity channel close, capacity channel settle).",
    };
  },
  async ConsortiumLastOperator(s) {
    return {
      reason: `${await member(s)} is the consortium's last operator in good standing`,
      hint: "Admit or grant another operator first.",
    };
  },
  async ConsortiumNoticePeriodRunning(s) {
    return {
      reason: `${await member(s)}'s notice period runs until ${date(s.arg("effectiveAt")?.value)}`,
      hint: "Remove it after that.",
    };
  },
  async ConsortiumNotExitingMember(s) {
    return {
      reason: `${display(s, "caller")} is neither an account of ${await member(s)} nor an operator's`,
      hint: "Sign with one of those.",
    };
  },
  async AccessControlUnauthorizedAccount(s) {
    const role = display(s, "neededRole");
    const where = s.contractName ?? "the contract's";
    return {
      reason: `${await account(s)} lacks the ${where} role ${role}`,
      hint:
        role === "MASTER_MINTER_ROLE"
          ? "Sign with the master minter's key; the gateway's admin grants the role."
          : "An account holding the role's admin role grants it.",
    };
  },
  async MachineRegistryNotOwner(s) {
    return {
      reason: `listing ${display(s, "machineId")} is not ${await member(s)}'s`,
      hint: "Sign with a key of the provider that listed it.",
    };
  },
  async MachineRegistryProviderNotInBusiness(s) {
    return {
      reason: `the provider of listing ${display(s, "machineId")}, ${await member(s, "provider")}, is not in good standing`,
    };
  },
  async UsageMeterNotConsumer(s) {
    return {
      reason: `${await member(s)} is not the consumer of order ${display(s, "orderId")}`,
      hint: "Sign with a key of the order's consumer.",
    };
  },
  async UsageMeterNotExpired(s) {
    return {
      reason: `order ${display(s, "orderId")} runs until ${date(s.arg("expiresAt")?.value)}; its consumer closes it only after that`,
      hint: "Wait, or ask the provider to close it.",
    };
  },
  async UsageMeterReportGraceRunning(s) {
    return {
      reason: `order ${display(s, "orderId")}'s report grace runs until ${date(s.arg("closableAt")?.value)}`,
      hint: "Close it after that.",
    };
  },
  async UsageMeterAuditorIsParty(s) {
    return {
      reason: `${await member(s)} is a party to the order of dispute ${display(s, "disputeId")}`,
      hint: "An auditor of a third member resolves it.",
    };
  },
  async UsageMeterDisputeWindowPassed(s) {
    return {
      reason: `the dispute window of report ${display(s, "sequence")} of order ${display(s, "orderId")} ended ${date(s.arg("endedAt")?.value)}`,
    };
  },
  async UsageMeterDisputeTooLarge(s) {
    return {
      reason: `order ${display(s, "orderId")} has ${eur(s.arg("available")?.value)} of unsettled charges to dispute, less than ${eur(s.arg("amount")?.value)}`,
      hint: "Dispute at most that much.",
    };
  },
  async FiatGatewayAllowanceExceeded(s) {
    return {
      reason: `minter ${display(s, "minter")} may mint ${eur(s.arg("allowance")?.value)} more, less than ${eur(s.arg("amount")?.value)}`,
      hint: "The master minter raises its allowance (capacity treasury configure-minter).",
    };
  },
  async PaymentChannelsDeadlineNotReached(s) {
    return {
      reason: `channel ${display(s, "channelId")} may be settled from ${date(s.arg("deadline")?.value)}`,
      hint: "Settle it after that.",
    };
  },
};

async function rolesInBusiness(s: Scope): Promise<Said> {
  const role = display(s, "role");
  return {
    reason: `${await account(s)} may not do business as ${role}`,
    hint: `Its member must hold the role ${role}, be in good standing, not be leaving, and have accepted the framework agreement in force (capacity member accept-agreement).`,
  };
}

/** The refusal as an error to print: exit status 1, kind "refused", the call and reason by name, what to do. */
export async function describeRefusal(
  refusal: TransactionRefusedError,
  names: Names | undefined,
  sender: Address | undefined,
): Promise<CapacityError> {
  const address = refusal.target.address as Hex | undefined;
  const contractName = address === undefined ? undefined : names?.contract(address);
  const call =
    refusal.target.functionName === undefined
      ? refusal.call
      : `${refusal.target.functionName} on ${contractName === undefined ? "" : `${contractName} `}${address ?? ""}`.trim();
  const named = refusal.named;
  if (named === undefined) {
    return new CapacityError(`${call} failed: ${refusal.message.replace(/^.* failed: /, "")}`, {
      kind: "refused",
      code: "chain.failed",
      cause: refusal,
    });
  }
  const params = new Map(refusal.params.map((p) => [p.name, p]));
  const explainer = EXPLAIN[refusal.errorName!];
  let said: Said | undefined;
  if (explainer !== undefined && names !== undefined) {
    const scope: Scope = { arg: (n) => params.get(n), names, sender, contractName };
    said = await explainer(scope).catch(() => undefined);
  }
  return new CapacityError(`${call} was refused with ${named}${said === undefined ? "" : `: ${said.reason}`}.`, {
    kind: "refused",
    code: `refused.${refusal.errorName}`,
    hint: said?.hint,
    details: refusal.message,
    cause: refusal,
  });
}
