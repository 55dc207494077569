/**
 * The channel agents' SQLite stores as commands open them: the file must exist (opening a path that does not
 * creates an empty store, and a payout over it would find nothing to pay), and it must be the side's own
 * store. A payer's store and a payee's store share table names, so each side is told by its columns, read
 * read-only before the store is opened: opening one side's store as the other's would add that side's
 * tables to it.
 */
import { existsSync, statSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";

import { PayeeStore, PayerStore } from "../services/channels/store.js";
import { OpsInputError } from "./context.js";

export type StoreSide = "payer" | "payee";

const AGENT: Record<StoreSide, string> = {
  payer: "the channel payer agent's (scripts/channel-payer.ts --store)",
  payee: "the channel payee agent's (scripts/channel-payee.ts --store)",
};

/** Which side's store the file at `path` is, by the columns of its `channels` table; undefined if neither. */
export function storeSide(path: string): StoreSide | undefined {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path, { readOnly: true });
  } catch {
    return undefined;
  }
  try {
    const columns = new Set(
      (db.prepare("PRAGMA table_info(channels)").all() as { name: string }[]).map((column) => column.name),
    );
    if (columns.has("payer") && columns.has("claimed")) return "payee";
    if (columns.has("signed") && columns.has("payee")) return "payer";
    return undefined;
  } catch {
    return undefined;
  } finally {
    db.close();
  }
}

/** Refuses a path that is no file, or a store of the other side (or of neither), saying which it is. */
export function requireStore(path: string, side: StoreSide, flag = "--store"): void {
  const input = { name: flag, value: path };
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new OpsInputError(`There is no store at ${path}.`, {
      code: "store.missing",
      input,
      hint: `Pass ${AGENT[side]} SQLite file; nothing is created here.`,
    });
  }
  const found = storeSide(path);
  if (found === side) return;
  const other: StoreSide = side === "payee" ? "payer" : "payee";
  throw new OpsInputError(
    found === other
      ? `${path} is a channel ${other}'s store, not a ${side}'s.`
      : `${path} is no channel store (a SQLite file with the channel agents' tables).`,
    {
      code: found === other ? `store.${other}Given` : "store.notAStore",
      input,
      hint: `This command needs ${AGENT[side]} store.`,
    },
  );
}

/** Opens the payee's store at `path` after requireStore. */
export function openPayeeStore(path: string, flag?: string): PayeeStore {
  requireStore(path, "payee", flag);
  return new PayeeStore({ path });
}

/** Opens the payer's store at `path` after requireStore. */
export function openPayerStore(path: string, flag?: string): PayerStore {
  requireStore(path, "payer", flag);
  return new PayerStore({ path });
}
