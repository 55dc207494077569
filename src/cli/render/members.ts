/** Tables for membership: admissions, agreements, suspensions, exits and roles. */
import type { AccountChange, Transfer } from "../../ops/accounts.js";
import type { MembershipChange } from "../../ops/membership.js";
import type { Accepted, Admitted } from "../../ops/members.js";
import { formatEuro } from "../../core/money.js";
import { renderTable, short } from "../table.js";

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

export function renderAccepted(a: Accepted): string {
  const agreement = `framework agreement v${a.agreementVersion} (${short(a.agreementHash)})`;
  return a.status === "accepted"
    ? `Member ${a.memberId} (${short(a.account)}) accepted ${agreement}.`
    : `Member ${a.memberId} accepted ${agreement} already; nothing to do.`;
}

const when = (seconds: number): string => (seconds === 0 ? "-" : new Date(seconds * 1000).toISOString());

export function renderMembershipChange(c: MembershipChange): string {
  const title = c.nothingToDo
    ? `Member ${c.memberId}: ${c.action} already; nothing to do`
    : `Member ${c.memberId} ${c.action} (tx ${c.transaction})`;
  return renderTable(
    [
      { header: "member", value: (r: MembershipChange) => r.memberId.toString(), align: "right" },
      { header: "status", value: (r) => r.status },
      { header: "roles", value: (r) => r.roles.join(", ") || "-" },
      { header: "leaves from", value: (r) => when(r.exitEffectiveAt) },
    ],
    [c],
    title,
  );
}

export function renderAccountChange(c: AccountChange): string {
  const title = c.nothingToDo
    ? `${c.account} is ${c.action === "added" ? "an account of" : "no longer an account of"} member ${c.memberId} already; nothing to do`
    : `Account ${c.account} ${c.action} (tx ${c.transaction})`;
  return renderTable(
    [{ header: `accounts of member ${c.memberId}`, value: (account: string) => account }],
    c.accounts,
    title,
  );
}

export function renderTransfer(t: Transfer): string {
  const between = t.internal
    ? `between accounts of member ${t.fromMember}`
    : `from member ${t.fromMember} to member ${t.toMember}`;
  return `Transferred ${formatEuro(t.amount)} EUR ${between}: ${t.from} -> ${t.to} (tx ${t.transaction}).`;
}
