/** Mirrors of the Solidity enums in contracts/types/Listing.sol and ILicenseRegistry; keep the order identical. */

export const MachineKind = { Machine: 0, Service: 1 } as const;
export type MachineKind = (typeof MachineKind)[keyof typeof MachineKind];

export const MachineStatus = { None: 0, Active: 1, Paused: 2, Retired: 3 } as const;
export type MachineStatus = (typeof MachineStatus)[keyof typeof MachineStatus];
export type MachineStatusName = keyof typeof MachineStatus;

export const KeyKind = { Device: 0, Inspector: 1 } as const;
export type KeyKind = (typeof KeyKind)[keyof typeof KeyKind];

export const LicenseStatus = { None: 0, Active: 1, Retired: 2 } as const;
export type LicenseStatus = (typeof LicenseStatus)[keyof typeof LicenseStatus];

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
