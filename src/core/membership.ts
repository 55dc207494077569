/**
 * Membership: the Solidity enums of contracts/types/Membership.sol (generated from the compiler's AST into
 * src/generated/enums.ts by `npm run abis`) and the role bitmap.
 */
import { AccountStanding, MemberStatus, Role, RoleNames } from "../generated/enums.js";

export { AccountStanding, MemberStatus, Role };
export type RoleName = keyof typeof Role;

export const ROLE_NAMES: RoleName[] = [...RoleNames];

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
