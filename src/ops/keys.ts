/**
 * A listing's signer keys over its life: a provider adds a key (a new device, a worker's tablet for
 * inspections), revokes one (a device lost or retired: nothing it signs from now on counts), or rotates one
 * (a device replaced: the old key is valid until now, the new one from now, in one transaction). Each job
 * checks what the MachineRegistry would refuse first and says what to do instead, and answers with the
 * key's record as the registry now holds it.
 */
import { getAddress, type Address, type Hex } from "viem";

import { KeyKind } from "../core/listing.js";
import type { Wallet } from "../chain/transact.js";
import { clients, OpsInputError, type Ops } from "./context.js";

export type KeyKindName = keyof typeof KeyKind;

/** A key as the registry holds it. */
export interface KeyRecord {
  key: Address;
  machineId: bigint;
  kind: KeyKindName;
  validFrom: number;
  /** 0: valid until revoked. */
  validUntil: number;
}

export interface KeyChange {
  action: "added" | "revoked" | "rotated";
  keys: KeyRecord[];
  /** The key was revoked before this run: nothing was sent. */
  nothingToDo: boolean;
  transaction: Hex | null;
}

const KIND_NAMES = Object.keys(KeyKind) as KeyKindName[];

async function record(ops: Ops, key: Address): Promise<KeyRecord | undefined> {
  const found = await clients(ops).market.signerKey(key);
  if (found.machineId === 0n) return undefined;
  return {
    key: getAddress(key),
    machineId: found.machineId,
    kind: KIND_NAMES[found.kind]!,
    validFrom: Number(found.validFrom),
    validUntil: Number(found.validUntil),
  };
}

/** The key must be a key of `machineId` (to revoke or rotate it). */
async function keyOf(ops: Ops, machineId: bigint, key: Address): Promise<KeyRecord> {
  const found = await record(ops, key);
  if (found === undefined || found.machineId !== machineId) {
    throw new OpsInputError(
      `${getAddress(key)} is no key of machine ${machineId}` +
        (found === undefined ? "" : ` (it belongs to machine ${found.machineId})`) +
        "; pass a key the listing holds.",
      { code: "key.unknown", input: { name: "--key", value: getAddress(key) } },
    );
  }
  return found;
}

/** The key must be an active key of `machineId` (to rotate it). */
async function activeKeyOf(ops: Ops, machineId: bigint, key: Address): Promise<KeyRecord> {
  const found = await keyOf(ops, machineId, key);
  if (found.validUntil !== 0) {
    throw new OpsInputError(`${found.key} was revoked already (valid until ${found.validUntil}).`, {
      code: "key.revoked",
      input: { name: "--old", value: found.key },
      hint: "Add the new key instead (capacity key add).",
    });
  }
  return found;
}

/** A new key must never have been used by any listing (keys are never reused, so old signatures stay unambiguous). */
async function unusedKey(ops: Ops, key: Address): Promise<void> {
  const found = await record(ops, key);
  if (found !== undefined) {
    throw new OpsInputError(
      `${found.key} is a key of machine ${found.machineId} already (${found.kind}, ` +
        `${found.validUntil === 0 ? "active" : "revoked"}); a key is used once: make a new one on the device.`,
    );
  }
}

/** The provider adds a signer key of `kind` to its listing. */
export async function addKey(
  ops: Ops,
  provider: Wallet,
  input: { machineId: bigint; key: Address; kind: KeyKindName },
): Promise<KeyChange> {
  await unusedKey(ops, input.key);
  const receipt = await clients(ops).market.addKey(provider, input.machineId, input.key, KeyKind[input.kind]);
  const keys = [(await record(ops, input.key))!];
  return { action: "added", keys, nothingToDo: false, transaction: receipt.transactionHash };
}

/** The provider revokes a key: nothing it signs from now on counts; what it signed before still does. */
export async function revokeKey(
  ops: Ops,
  provider: Wallet,
  input: { machineId: bigint; key: Address },
): Promise<KeyChange> {
  const found = await keyOf(ops, input.machineId, input.key);
  if (found.validUntil !== 0) return { action: "revoked", keys: [found], nothingToDo: true, transaction: null };
  const receipt = await clients(ops).market.revokeKey(provider, input.machineId, input.key);
  const keys = [(await record(ops, input.key))!];
  return { action: "revoked", keys, nothingToDo: false, transaction: receipt.transactionHash };
}

/** The provider replaces a key by a new one of the same kind in one transaction. */
export async function rotateKey(
  ops: Ops,
  provider: Wallet,
  input: { machineId: bigint; oldKey: Address; newKey: Address },
): Promise<KeyChange> {
  await activeKeyOf(ops, input.machineId, input.oldKey);
  await unusedKey(ops, input.newKey);
  const receipt = await clients(ops).market.rotateKey(provider, input.machineId, input.oldKey, input.newKey);
  const keys = [(await record(ops, input.oldKey))!, (await record(ops, input.newKey))!];
  return { action: "rotated", keys, nothingToDo: false, transaction: receipt.transactionHash };
}

/** Every key a listing ever had, in the order they were added. */
export async function keysOf(ops: Ops, machineId: bigint): Promise<KeyRecord[]> {
  const { market } = clients(ops);
  const count = await market.machineCount();
  if (machineId < 1n || machineId > count) {
    throw new OpsInputError(
      `There is no machine ${machineId}; machine ids run from 1 to ${count} (\`capacity machine find\`).`,
    );
  }
  const keys = await market.keysOf(machineId);
  return Promise.all(keys.map(async (key) => (await record(ops, key))!));
}
