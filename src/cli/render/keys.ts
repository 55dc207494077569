/** Tables for a listing's signer keys. */
import type { KeyChange, KeyRecord } from "../../ops/keys.js";
import { renderTable } from "../table.js";

const KEY_COLUMNS = [
  { header: "key", value: (k: KeyRecord) => k.key },
  { header: "machine", value: (k: KeyRecord) => k.machineId.toString(), align: "right" as const },
  { header: "kind", value: (k: KeyRecord) => k.kind },
  { header: "valid from", value: (k: KeyRecord) => new Date(k.validFrom * 1000).toISOString() },
  {
    header: "valid until",
    value: (k: KeyRecord) => (k.validUntil === 0 ? "(active)" : new Date(k.validUntil * 1000).toISOString()),
  },
];

export function renderKeys(machineId: bigint, keys: readonly KeyRecord[]): string {
  return renderTable(KEY_COLUMNS, keys, `Signer keys of machine ${machineId}`);
}

export function renderKeyChange(change: KeyChange): string {
  if (change.nothingToDo) {
    const [key] = change.keys;
    return renderTable(KEY_COLUMNS, change.keys, `${key?.key} was ${change.action} already; nothing to do`);
  }
  return renderTable(KEY_COLUMNS, change.keys, `Key ${change.action} (tx ${change.transaction})`);
}
