/**
 * The durable state of both sides of the micropayment protocol, in SQLite (Node's built-in `node:sqlite`,
 * WAL journal). Every change a side acknowledges is committed before the acknowledgement leaves: the payer
 * commits the voucher it signs before it answers, the payee commits the voucher it receives before it lets
 * the machine go on. `synchronous` says what a commit survives: "NORMAL" a killed process (the default),
 * "FULL" also a power cut, at the price of an fsync per payment.
 */
import type { DatabaseSync } from "node:sqlite";

import type { Address, Hex } from "viem";

import { openDatabase, transaction, type StoreOptions } from "../../store/sqlite.js";

export type { StoreOptions, Synchronous } from "../../store/sqlite.js";

/** Both sides keep the newest voucher of each channel, in the same table. */
const VOUCHERS_TABLE = `CREATE TABLE IF NOT EXISTS vouchers (
  channel_id TEXT PRIMARY KEY, sequence INTEGER NOT NULL, amount TEXT NOT NULL, usage TEXT NOT NULL,
  signature TEXT NOT NULL);`;
const SAVE_VOUCHER =
  "INSERT INTO vouchers (channel_id, sequence, amount, usage, signature) VALUES (?, ?, ?, ?, ?) " +
  "ON CONFLICT (channel_id) DO UPDATE SET sequence = excluded.sequence, amount = excluded.amount, " +
  "usage = excluded.usage, signature = excluded.signature";

type Row = Record<string, unknown>;
const big = (value: unknown): bigint => BigInt(value as string);

/** A voucher as a side keeps it. */
export interface StoredVoucher {
  channelId: Hex;
  sequence: number;
  amount: bigint;
  usage: Hex;
  signature: Hex;
}

function voucherOf(row: Row): StoredVoucher {
  return {
    channelId: row.channel_id as Hex,
    sequence: Number(row.sequence),
    amount: big(row.amount),
    usage: row.usage as Hex,
    signature: row.signature as Hex,
  };
}

/* ------------------------------------------------------------------------------------------ payer side */

/** A channel as its payer keeps it: what it escrowed, what it signed so far, the usage it paid for. */
export interface PayerChannel {
  channelId: Hex;
  payee: Address;
  nonce: bigint;
  deposit: bigint;
  machineId: bigint;
  tariffVersion: number;
  /**
   * When the channel was opened (Unix seconds, the timestamp of the block its nonce names): no increment
   * starting earlier is paid. 0 in a store from before it was kept, until trackChannel reads it.
   */
  openedAt: number;
  /** Cumulative amount of the newest voucher signed. */
  signed: bigint;
  /** Usage paid for so far (the sum of the increments' machine seconds and units). */
  machineSeconds: bigint;
  units: bigint;
  /** Last increment paid for (0: none). */
  sequence: number;
}

export interface PayerCommit {
  channelId: Hex;
  sequence: number;
  amount: bigint;
  machineSeconds: bigint;
  units: bigint;
  device: Address;
  /** The cap period the price counts in. */
  period: number;
  /** Where the increment's period ended: the device's next increment on the channel starts no earlier. */
  periodEnd: number;
  price: bigint;
  usage: Hex;
  signature: Hex;
}

const PAYER_SCHEMA = `
CREATE TABLE IF NOT EXISTS channels (
  channel_id TEXT PRIMARY KEY, payee TEXT NOT NULL, nonce TEXT NOT NULL, deposit TEXT NOT NULL,
  machine_id TEXT NOT NULL, tariff_version INTEGER NOT NULL, signed TEXT NOT NULL,
  machine_seconds TEXT NOT NULL, units TEXT NOT NULL, sequence INTEGER NOT NULL, opened_at INTEGER NOT NULL);
${VOUCHERS_TABLE}
CREATE TABLE IF NOT EXISTS spend (
  device TEXT NOT NULL, period INTEGER NOT NULL, amount TEXT NOT NULL, PRIMARY KEY (device, period));
CREATE TABLE IF NOT EXISTS paid_periods (
  channel_id TEXT NOT NULL, device TEXT NOT NULL, period_end INTEGER NOT NULL, PRIMARY KEY (channel_id, device));
`;

export class PayerStore {
  readonly #db: DatabaseSync;
  readonly #channel;
  readonly #voucher;
  readonly #spent;
  readonly #advance;
  readonly #saveVoucher;
  readonly #addSpend;
  readonly #paidUntil;
  readonly #savePeriod;

  constructor(options: StoreOptions) {
    this.#db = openDatabase(options, PAYER_SCHEMA);
    // A store from before the opening time was kept: 0 until trackChannel reads it from the chain.
    const columns = this.#db.prepare("PRAGMA table_info(channels)").all() as Row[];
    if (!columns.some((column) => column.name === "opened_at")) {
      this.#db.exec("ALTER TABLE channels ADD COLUMN opened_at INTEGER NOT NULL DEFAULT 0");
    }
    this.#paidUntil = this.#db.prepare("SELECT period_end FROM paid_periods WHERE channel_id = ? AND device = ?");
    this.#savePeriod = this.#db.prepare(
      "INSERT INTO paid_periods (channel_id, device, period_end) VALUES (?, ?, ?) " +
        "ON CONFLICT (channel_id, device) DO UPDATE SET period_end = excluded.period_end",
    );
    this.#channel = this.#db.prepare("SELECT * FROM channels WHERE channel_id = ?");
    this.#voucher = this.#db.prepare("SELECT * FROM vouchers WHERE channel_id = ?");
    this.#spent = this.#db.prepare("SELECT amount FROM spend WHERE device = ? AND period = ?");
    this.#advance = this.#db.prepare(
      "UPDATE channels SET signed = ?, machine_seconds = ?, units = ?, sequence = ? WHERE channel_id = ? AND sequence = ?",
    );
    this.#saveVoucher = this.#db.prepare(SAVE_VOUCHER);
    this.#addSpend = this.#db.prepare(
      "INSERT INTO spend (device, period, amount) VALUES (?, ?, ?) " +
        "ON CONFLICT (device, period) DO UPDATE SET amount = CAST(CAST(amount AS INTEGER) + CAST(excluded.amount AS INTEGER) AS TEXT)",
    );
  }

  /** Registers a channel the payer opened; keeps what is stored if it is known already. */
  addChannel(channel: Omit<PayerChannel, "signed" | "machineSeconds" | "units" | "sequence">): void {
    this.#db
      .prepare(
        "INSERT INTO channels (channel_id, payee, nonce, deposit, machine_id, tariff_version, signed, machine_seconds, units, sequence, opened_at) " +
          "VALUES (?, ?, ?, ?, ?, ?, '0', '0', '0', 0, ?) ON CONFLICT (channel_id) DO NOTHING",
      )
      .run(
        channel.channelId,
        channel.payee,
        channel.nonce.toString(),
        channel.deposit.toString(),
        channel.machineId.toString(),
        channel.tariffVersion,
        channel.openedAt,
      );
  }

  /** Records a top-up: the channel's deposit is now `deposit`. */
  setDeposit(channelId: Hex, deposit: bigint): void {
    this.#db.prepare("UPDATE channels SET deposit = ? WHERE channel_id = ?").run(deposit.toString(), channelId);
  }

  /** Records when the channel was opened, for a channel registered by a store from before it was kept. */
  setOpenedAt(channelId: Hex, openedAt: number): void {
    this.#db.prepare("UPDATE channels SET opened_at = ? WHERE channel_id = ?").run(openedAt, channelId);
  }

  channel(channelId: Hex): PayerChannel | undefined {
    const row = this.#channel.get(channelId) as Row | undefined;
    if (row === undefined) return undefined;
    return {
      channelId: row.channel_id as Hex,
      payee: row.payee as Address,
      nonce: big(row.nonce),
      deposit: big(row.deposit),
      machineId: big(row.machine_id),
      tariffVersion: Number(row.tariff_version),
      openedAt: Number(row.opened_at),
      signed: big(row.signed),
      machineSeconds: big(row.machine_seconds),
      units: big(row.units),
      sequence: Number(row.sequence),
    };
  }

  /** The newest voucher signed on the channel, with the increment number it paid for. */
  newestVoucher(channelId: Hex): StoredVoucher | undefined {
    const row = this.#voucher.get(channelId) as Row | undefined;
    return row === undefined ? undefined : voucherOf(row);
  }

  /** What `device` was paid in its cap period `period`. */
  spent(device: Address, period: number): bigint {
    const row = this.#spent.get(device.toLowerCase(), period) as Row | undefined;
    return row === undefined ? 0n : big(row.amount);
  }

  /**
   * Where the newest increment `device` signed on the channel and the payer paid ended (undefined: none paid
   * yet, or only by a store from before it was kept).
   */
  paidUntil(channelId: Hex, device: Address): number | undefined {
    const row = this.#paidUntil.get(channelId, device.toLowerCase()) as Row | undefined;
    return row === undefined ? undefined : Number(row.period_end);
  }

  /**
   * Commits a payment: the channel advances to the increment `sequence` (which must be the next one), the
   * voucher becomes the newest, the device's spending in the period grows by the price, and its paid periods
   * on the channel now end where the increment's did. All or nothing.
   */
  commit(payment: PayerCommit): void {
    transaction(this.#db, () => {
      const changed = this.#advance.run(
        payment.amount.toString(),
        payment.machineSeconds.toString(),
        payment.units.toString(),
        payment.sequence,
        payment.channelId,
        payment.sequence - 1,
      ).changes;
      if (changed !== 1) {
        throw new Error(`Channel ${payment.channelId} is not at increment ${payment.sequence - 1}; nothing committed.`);
      }
      this.#saveVoucher.run(
        payment.channelId,
        payment.sequence,
        payment.amount.toString(),
        payment.usage,
        payment.signature,
      );
      this.#addSpend.run(payment.device.toLowerCase(), payment.period, payment.price.toString());
      this.#savePeriod.run(payment.channelId, payment.device.toLowerCase(), payment.periodEnd);
    });
  }

  close(): void {
    this.#db.close();
  }
}

/* ------------------------------------------------------------------------------------------ payee side */

/** A channel as its payee keeps it: its terms as last seen on chain, and what it was paid off-chain. */
export interface PayeeChannel {
  channelId: Hex;
  payer: Address;
  payee: Address;
  nonce: bigint;
  machineId: bigint;
  tariffVersion: number;
  /** On-chain state as last seen. */
  deposit: bigint;
  claimed: bigint;
  deadline: number;
  closing: boolean;
  /** Usage acknowledged so far and the last increment (0: none). */
  machineSeconds: bigint;
  units: bigint;
  sequence: number;
}

/**
 * The increment the payee asked the payer to pay and has no answer for yet. It is kept until it is
 * acknowledged, so that a payee restarted while the answer was on its way asks for the very same increment
 * again: the payer may have paid it already, and pays each increment number for one usage only.
 */
export interface PendingIncrement {
  channelId: Hex;
  sequence: number;
  /** The increment as JSON (see usageToJson). */
  increment: string;
  deviceSignature: Hex;
}

/** One acknowledged payment, kept for audit: the device-signed increment and the voucher paying for it. */
export interface PayeePayment {
  channelId: Hex;
  sequence: number;
  price: bigint;
  amount: bigint;
  usage: Hex;
  increment: string;
  deviceSignature: Hex;
  voucherSignature: Hex;
}

const PAYEE_SCHEMA = `
CREATE TABLE IF NOT EXISTS channels (
  channel_id TEXT PRIMARY KEY, payer TEXT NOT NULL, payee TEXT NOT NULL, nonce TEXT NOT NULL,
  machine_id TEXT NOT NULL, tariff_version INTEGER NOT NULL, deposit TEXT NOT NULL, claimed TEXT NOT NULL,
  deadline INTEGER NOT NULL, closing INTEGER NOT NULL, machine_seconds TEXT NOT NULL, units TEXT NOT NULL,
  sequence INTEGER NOT NULL);
${VOUCHERS_TABLE}
CREATE TABLE IF NOT EXISTS payments (
  channel_id TEXT NOT NULL, sequence INTEGER NOT NULL, price TEXT NOT NULL, amount TEXT NOT NULL,
  usage TEXT NOT NULL, increment TEXT NOT NULL, device_signature TEXT NOT NULL, voucher_signature TEXT NOT NULL,
  PRIMARY KEY (channel_id, sequence));
CREATE TABLE IF NOT EXISTS claims (
  channel_id TEXT NOT NULL, amount TEXT NOT NULL, tx TEXT NOT NULL, PRIMARY KEY (channel_id, amount));
CREATE TABLE IF NOT EXISTS pending (
  channel_id TEXT PRIMARY KEY, sequence INTEGER NOT NULL, increment TEXT NOT NULL, device_signature TEXT NOT NULL);
`;

export class PayeeStore {
  readonly #db: DatabaseSync;
  readonly #channel;
  readonly #voucher;
  readonly #advance;
  readonly #saveVoucher;
  readonly #savePayment;
  readonly #pending;
  readonly #savePending;
  readonly #clearPending;

  constructor(options: StoreOptions) {
    this.#db = openDatabase(options, PAYEE_SCHEMA);
    // Prepared once: saving the pending increment is on every payment's path.
    this.#savePending = this.#db.prepare(
      "INSERT INTO pending (channel_id, sequence, increment, device_signature) VALUES (?, ?, ?, ?) " +
        "ON CONFLICT (channel_id) DO UPDATE SET sequence = excluded.sequence, increment = excluded.increment, " +
        "device_signature = excluded.device_signature",
    );
    this.#pending = this.#db.prepare("SELECT * FROM pending WHERE channel_id = ?");
    this.#clearPending = this.#db.prepare("DELETE FROM pending WHERE channel_id = ? AND sequence <= ?");
    this.#channel = this.#db.prepare("SELECT * FROM channels WHERE channel_id = ?");
    this.#voucher = this.#db.prepare("SELECT * FROM vouchers WHERE channel_id = ?");
    this.#advance = this.#db.prepare(
      "UPDATE channels SET machine_seconds = ?, units = ?, sequence = ? WHERE channel_id = ? AND sequence = ?",
    );
    this.#saveVoucher = this.#db.prepare(SAVE_VOUCHER);
    this.#savePayment = this.#db.prepare(
      "INSERT INTO payments (channel_id, sequence, price, amount, usage, increment, device_signature, voucher_signature) " +
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    );
  }

  /** Registers a channel the payee accepted; keeps what is stored if it is known already. */
  addChannel(
    channel: Omit<PayeeChannel, "machineSeconds" | "units" | "sequence" | "claimed" | "closing"> &
      Partial<Pick<PayeeChannel, "claimed" | "closing">>,
  ): void {
    this.#db
      .prepare(
        "INSERT INTO channels (channel_id, payer, payee, nonce, machine_id, tariff_version, deposit, claimed, deadline, closing, machine_seconds, units, sequence) " +
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '0', '0', 0) ON CONFLICT (channel_id) DO NOTHING",
      )
      .run(
        channel.channelId,
        channel.payer.toLowerCase(),
        channel.payee.toLowerCase(),
        channel.nonce.toString(),
        channel.machineId.toString(),
        channel.tariffVersion,
        channel.deposit.toString(),
        (channel.claimed ?? 0n).toString(),
        channel.deadline,
        channel.closing === true ? 1 : 0,
      );
  }

  channel(channelId: Hex): PayeeChannel | undefined {
    const row = this.#channel.get(channelId) as Row | undefined;
    return row === undefined ? undefined : this.#channelOf(row);
  }

  channels(): PayeeChannel[] {
    return (this.#db.prepare("SELECT * FROM channels ORDER BY channel_id").all() as Row[]).map((row) =>
      this.#channelOf(row),
    );
  }

  #channelOf(row: Row): PayeeChannel {
    return {
      channelId: row.channel_id as Hex,
      payer: row.payer as Address,
      payee: row.payee as Address,
      nonce: big(row.nonce),
      machineId: big(row.machine_id),
      tariffVersion: Number(row.tariff_version),
      deposit: big(row.deposit),
      claimed: big(row.claimed),
      deadline: Number(row.deadline),
      closing: Number(row.closing) === 1,
      machineSeconds: big(row.machine_seconds),
      units: big(row.units),
      sequence: Number(row.sequence),
    };
  }

  /** Records the channel's on-chain state as just seen. */
  observe(channelId: Hex, state: { deposit: bigint; claimed: bigint; deadline: number; closing: boolean }): void {
    this.#db
      .prepare("UPDATE channels SET deposit = ?, claimed = ?, deadline = ?, closing = ? WHERE channel_id = ?")
      .run(state.deposit.toString(), state.claimed.toString(), state.deadline, state.closing ? 1 : 0, channelId);
  }

  newestVoucher(channelId: Hex): StoredVoucher | undefined {
    const row = this.#voucher.get(channelId) as Row | undefined;
    return row === undefined ? undefined : voucherOf(row);
  }

  payments(channelId: Hex): PayeePayment[] {
    return (
      this.#db.prepare("SELECT * FROM payments WHERE channel_id = ? ORDER BY sequence").all(channelId) as Row[]
    ).map((row) => ({
      channelId: row.channel_id as Hex,
      sequence: Number(row.sequence),
      price: big(row.price),
      amount: big(row.amount),
      usage: row.usage as Hex,
      increment: row.increment as string,
      deviceSignature: row.device_signature as Hex,
      voucherSignature: row.voucher_signature as Hex,
    }));
  }

  /** The increment waiting for the payer's answer, if any. */
  pending(channelId: Hex): PendingIncrement | undefined {
    const row = this.#pending.get(channelId) as Row | undefined;
    if (row === undefined) return undefined;
    return {
      channelId: row.channel_id as Hex,
      sequence: Number(row.sequence),
      increment: row.increment as string,
      deviceSignature: row.device_signature as Hex,
    };
  }

  /** Keeps `pending` as the increment waiting for the payer's answer (there is at most one per channel). */
  savePending(pending: PendingIncrement): void {
    this.#savePending.run(pending.channelId, pending.sequence, pending.increment, pending.deviceSignature);
  }

  /** Forgets the pending increment `sequence` (the payer refused it: it signed nothing for it). */
  dropPending(channelId: Hex, sequence: number): void {
    this.#clearPending.run(channelId, sequence);
  }

  /**
   * Commits an acknowledged payment: the channel advances to the increment (which must be the next one), the
   * voucher becomes the newest, the increment and voucher are kept for audit, the increment is no longer
   * pending. All or nothing.
   */
  acknowledge(payment: PayeePayment, usage: { machineSeconds: bigint; units: bigint }): void {
    transaction(this.#db, () => {
      const changed = this.#advance.run(
        usage.machineSeconds.toString(),
        usage.units.toString(),
        payment.sequence,
        payment.channelId,
        payment.sequence - 1,
      ).changes;
      if (changed !== 1) {
        throw new Error(`Channel ${payment.channelId} is not at increment ${payment.sequence - 1}; nothing committed.`);
      }
      this.#savePayment.run(
        payment.channelId,
        payment.sequence,
        payment.price.toString(),
        payment.amount.toString(),
        payment.usage,
        payment.increment,
        payment.deviceSignature,
        payment.voucherSignature,
      );
      this.#saveVoucher.run(
        payment.channelId,
        payment.sequence,
        payment.amount.toString(),
        payment.usage,
        payment.voucherSignature,
      );
      this.#clearPending.run(payment.channelId, payment.sequence);
    });
  }

  /** Records a claim sent on-chain. */
  recordClaim(channelId: Hex, amount: bigint, tx: Hex): void {
    this.#db
      .prepare("INSERT INTO claims (channel_id, amount, tx) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
      .run(channelId, amount.toString(), tx);
  }

  /** The claims the payee sent for the channel, oldest first: the total claimed with each and its transaction. */
  claims(channelId: Hex): { amount: bigint; tx: Hex }[] {
    return (
      this.#db.prepare("SELECT amount, tx FROM claims WHERE channel_id = ? ORDER BY rowid").all(channelId) as Row[]
    ).map((row) => ({ amount: big(row.amount), tx: row.tx as Hex }));
  }

  close(): void {
    this.#db.close();
  }
}
