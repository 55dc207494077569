/** Mirrors of the Solidity enums in contracts/types/Membership.sol; keep the order identical. */

export const Role = { Operator: 0, Provider: 1, Consumer: 2, Licensor: 3, Auditor: 4 } as const;
export type Role = (typeof Role)[keyof typeof Role];
export type RoleName = keyof typeof Role;

export const MemberStatus = { None: 0, Active: 1, Suspended: 2, Exited: 3 } as const;
export type MemberStatus = (typeof MemberStatus)[keyof typeof MemberStatus];

export const AccountStanding = { None: 0, Frozen: 1, Member: 2, System: 3, Leaving: 4 } as const;
export type AccountStanding = (typeof AccountStanding)[keyof typeof AccountStanding];

export const ROLE_NAMES = Object.keys(Role) as RoleName[];

/** The role bitmap the Consortium stores: role `r` is bit `1 << r`. */
export function roleMask(...roles: Role[]): number {
  return roles.reduce<number>((mask, role) => mask | (1 << role), 0);
}

/** The names of the roles in a bitmap, in enum order. */
export function rolesOf(mask: number): RoleName[] {
  return ROLE_NAMES.filter((name) => (mask & (1 << Role[name])) !== 0);
}

/** Parses a role name case-insensitively, with an error that lists the valid names. */
export function parseRole(name: string): Role {
  const found = ROLE_NAMES.find((candidate) => candidate.toLowerCase() === name.trim().toLowerCase());
  if (found === undefined) throw new Error(`"${name}" is not a role; use one of ${ROLE_NAMES.join(", ")}.`);
  return Role[found];
}

export function statusName(status: number): keyof typeof MemberStatus {
  const entry = Object.entries(MemberStatus).find(([, value]) => value === status);
  if (entry === undefined) throw new Error(`${status} is not a member status.`);
  return entry[0] as keyof typeof MemberStatus;
}
