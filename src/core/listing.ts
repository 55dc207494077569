/**
 * Listings: the Solidity enums of contracts/types/Listing.sol and ILicenseRegistry (generated from the
 * compiler's AST into src/generated/enums.ts by `npm run abis`), and a signer key as the MachineRegistry
 * records it.
 */
import { KeyKind, LicenseStatus, MachineKind, MachineStatus } from "../generated/enums.js";

export { KeyKind, LicenseStatus, MachineKind, MachineStatus };
export type MachineStatusName = keyof typeof MachineStatus;

/** A signer key as the MachineRegistry records it (struct SignerKey, contracts/types/Listing.sol). */
export interface SignerKey {
  machineId: bigint;
  /** Unix seconds: the key signs periods that start at or after this. */
  validFrom: number;
  /** 0: not revoked; else the key signs only periods that end before this. */
  validUntil: number;
  kind: KeyKind;
}

function nameOf<T extends Record<string, number>>(table: T, value: number, what: string): keyof T {
  const entry = Object.entries(table).find(([, v]) => v === value);
  if (entry === undefined) throw new Error(`${value} is not a ${what}.`);
  return entry[0] as keyof T;
}

export const machineStatusName = (status: number): MachineStatusName => nameOf(MachineStatus, status, "machine status");
export const machineKindName = (kind: number): keyof typeof MachineKind => nameOf(MachineKind, kind, "machine kind");

/** Parses a status name case-insensitively, with an error that lists the valid names. */
export function parseMachineStatus(name: string): MachineStatus {
  const names = Object.keys(MachineStatus).filter((n) => n !== "None") as MachineStatusName[];
  const found = names.find((candidate) => candidate.toLowerCase() === name.trim().toLowerCase());
  if (found === undefined) throw new Error(`"${name}" is not a listing status; use one of ${names.join(", ")}.`);
  return MachineStatus[found];
}
