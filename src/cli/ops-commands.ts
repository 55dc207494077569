/**
 * The operator commands: each parses its flags (errors name the flag and say what it takes), calls one job
 * in src/ops and prints its table, or with --json its result as JSON (amounts in token base units, 1e-6 EUR,
 * as decimal strings). `runOps` never throws: it returns the exit status (0 done, 1 the chain refused or
 * failed, 2 bad input) with what to print, so scripts/ops.ts stays a few lines and tests call it in process.
 */
import type { ParseArgsConfig } from "node:util";

import type { Address } from "viem";

import { MachineKind, MachineStatus, type MachineStatusName } from "../core/listing.js";
import type { Job, Tariff, UnitTier } from "../core/tariff.js";
import { PayeeStore } from "../services/channels/store.js";
import { loadInvoice, renderInvoiceJson, renderInvoiceTable } from "../core/invoice.js";
import { parseRole } from "../core/membership.js";
import { parseEuro } from "../core/money.js";
import { memberBalances, renderBalances } from "../ops/reconciliation.js";
import { referenceHash } from "../core/references.js";
import { SettlementLayer } from "../contracts/settlement.js";
import { TransactionRefusedError, type Wallet } from "../chain/transact.js";
import { OpsInputError, type Ops } from "../ops/context.js";
import { runInvoices, renderInvoiceRun } from "../ops/invoices.js";
import {
  attestReserve,
  configureMinter,
  mint,
  renderMinted,
  renderMinterConfigured,
  renderReserveAttested,
} from "../ops/issuance.js";
import { addKey, keysOf, renderKeyChange, renderKeys, revokeKey, rotateKey } from "../ops/keys.js";
import { findMachines, foundJson, registerMachine, renderFound, renderRegistered } from "../ops/machines.js";
import { acceptAgreement, admitMember, renderAccepted, renderAdmitted } from "../ops/members.js";
import { memberPosition, ordersOf, renderOrders, renderPosition } from "../ops/obligations.js";
import { openChannel, openOrder, renderChannel, renderOrder } from "../ops/orders.js";
import { renderPayout, runPayout } from "../ops/payouts.js";
import { renderRedemption, requestRedemption, settleRedemption } from "../ops/redemptions.js";
import { Flags, readFlags, UsageError } from "./flags.js";

/** What a command runs against: the deployment, and the key that signs (asked for only by commands that send). */
export interface OpsEnv {
  ops: Ops;
  wallet(): Wallet;
}

type Options = NonNullable<ParseArgsConfig["options"]>;

interface Command {
  summary: string;
  flags: Record<string, string>;
  run(flags: Flags, env: OpsEnv): Promise<{ text: string; json: unknown }>;
}

/** Flags every command takes; scripts/ops.ts reads the connection flags before the command runs. */
export const COMMON_FLAGS: Record<string, string> = {
  json: "print the result as JSON instead of a table",
  "rpc-url": "JSON-RPC node (default $OPS_RPC_URL, else http://127.0.0.1:8545)",
  addresses: "the deployment's addresses file (default $OPS_ADDRESSES)",
  help: "this help",
};
const BOOLEAN_FLAGS = new Set(["json", "help", "dry-run", "all", "platform-fees"]);

function list(flags: Flags, name: string): string[] {
  const value = flags.optional(name);
  if (value === undefined) return [];
  return value
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
}

function id(flags: Flags, name: string): bigint {
  const value = flags.bigint(name, 64);
  if (value === 0n) throw new UsageError(`--${name} must be an id from 1; got 0.`);
  return value;
}

function optionalId(flags: Flags, name: string): bigint | undefined {
  return flags.ifGiven(name, (n) => id(flags, n));
}

function addresses(flags: Flags, name: string): Address[] {
  return list(flags, name).map((value) => new Flags({ [name]: value }).address(name));
}

function euroOr(flags: Flags, name: string, fallback: string): bigint {
  return flags.euro(name, fallback);
}

function tiers(flags: Flags): UnitTier[] {
  return list(flags, "tiers").map((part) => {
    const match = /^(\d+):(.+)$/.exec(part);
    if (match === null)
      throw new UsageError(`--tiers takes THRESHOLD:EUR pairs such as 100:0.15,1000:0.10; got "${part}".`);
    try {
      return { threshold: BigInt(match[1]!), pricePerUnit: parseEuro(match[2]!) };
    } catch (error) {
      throw new UsageError(`--tiers: ${(error as Error).message}`);
    }
  });
}

function reference(flags: Flags, name: string): `0x${string}` {
  return referenceHash(flags.string(name));
}

const COMMANDS: Record<string, Command> = {
  admit: {
    summary: "admit a company (operator)",
    flags: {
      accounts: "the company's accounts, comma-separated",
      roles: "its roles, comma-separated: Provider, Consumer, Licensor, Auditor, Operator",
      record: "the member record (company name, register entry) or its 32-byte hash",
    },
    async run(flags, env) {
      const accounts = addresses(flags, "accounts");
      const roles = list(flags, "roles").map((name) => {
        try {
          return parseRole(name);
        } catch (error) {
          throw new UsageError(`--roles: ${(error as Error).message}`);
        }
      });
      const result = await admitMember(env.ops, env.wallet(), {
        accounts,
        roles,
        metadataHash: reference(flags, "record"),
      });
      return { text: renderAdmitted(result), json: result };
    },
  },
  "accept-agreement": {
    summary: "accept the framework agreement in force (a newly admitted member)",
    flags: {},
    async run(_flags, env) {
      const result = await acceptAgreement(env.ops, env.wallet());
      return { text: renderAccepted(result), json: result };
    },
  },
  "register-machine": {
    summary: "list a machine or service with its tariff (provider)",
    flags: {
      kind: "Machine (default) or Service",
      site: "site code, e.g. DE-HH-01",
      capabilities: "capability names, comma-separated (laser-cutting,sheet-metal)",
      uri: "where the specification lives (ipfs://… or https://…)",
      spec: "the specification document's text reference or 32-byte hash",
      keys: "signer key addresses (device or inspector), comma-separated",
      "price-per-hour": "EUR per machine hour (default 0)",
      "price-per-unit": "EUR per part (default 0)",
      "price-per-inspection": "EUR per inspection (default 0)",
      "setup-fee": "EUR once per order (default 0)",
      "minimum-charge": "EUR at least per used order (default 0)",
      tiers: "volume prices THRESHOLD:EUR, comma-separated (100:0.15,1000:0.10)",
      licenses: "licence ids the tariff counts products for, comma-separated",
    },
    async run(flags, env) {
      const kind = flags.oneOf("kind", ["Machine", "Service"] as const, "Machine");
      const tariff: Tariff = {
        pricePerHour: euroOr(flags, "price-per-hour", "0"),
        pricePerUnit: euroOr(flags, "price-per-unit", "0"),
        pricePerInspection: euroOr(flags, "price-per-inspection", "0"),
        setupFee: euroOr(flags, "setup-fee", "0"),
        minimumCharge: euroOr(flags, "minimum-charge", "0"),
        tiers: tiers(flags),
        licenseIds: flags.ids("licenses").map(Number),
      };
      const result = await registerMachine(env.ops, env.wallet(), {
        kind: kind as keyof typeof MachineKind,
        site: flags.string("site"),
        capabilities: list(flags, "capabilities"),
        metadataURI: flags.string("uri"),
        metadataHash: reference(flags, "spec"),
        keys: addresses(flags, "keys"),
        tariff,
      });
      return { text: renderRegistered(result), json: result };
    },
  },
  keys: {
    summary: "a listing's signer keys, active and revoked (anyone)",
    flags: { machine: "the listing's machine id" },
    async run(flags, env) {
      const machineId = id(flags, "machine");
      const keys = await keysOf(env.ops, machineId);
      return { text: renderKeys(machineId, keys), json: keys };
    },
  },
  "add-key": {
    summary: "add a signer key to a listing: a new device, or a worker's tablet for inspections (provider)",
    flags: { machine: "the listing's machine id", key: "the new key's address", kind: "device (default) or inspector" },
    async run(flags, env) {
      const kind = flags.oneOf("kind", ["device", "inspector"] as const, "device");
      const result = await addKey(env.ops, env.wallet(), {
        machineId: id(flags, "machine"),
        key: flags.address("key"),
        kind: kind === "device" ? "Device" : "Inspector",
      });
      return { text: renderKeyChange(result), json: result };
    },
  },
  "revoke-key": {
    summary: "revoke a signer key: nothing it signs from now on counts (provider)",
    flags: { machine: "the listing's machine id", key: "the key's address" },
    async run(flags, env) {
      const result = await revokeKey(env.ops, env.wallet(), {
        machineId: id(flags, "machine"),
        key: flags.address("key"),
      });
      return { text: renderKeyChange(result), json: result };
    },
  },
  "rotate-key": {
    summary: "replace a signer key by a new one of the same kind in one transaction (provider)",
    flags: { machine: "the listing's machine id", old: "the key to retire", new: "the new key's address" },
    async run(flags, env) {
      const result = await rotateKey(env.ops, env.wallet(), {
        machineId: id(flags, "machine"),
        oldKey: flags.address("old"),
        newKey: flags.address("new"),
      });
      return { text: renderKeyChange(result), json: result };
    },
  },
  find: {
    summary: "find machines by capability, site and price, with a quote for a job",
    flags: {
      capability: "capability name, e.g. laser-cutting",
      site: "only this site code",
      status: "Active (default: bookable now), Paused, Retired or any",
      parts: "price a job of this many parts",
      "seconds-per-part": "machine seconds per part of the job (default 0)",
      inspections: "inspections in the job (default 0)",
      "max-price": "only listings whose quote for the job is at most this many EUR",
      "max-price-per-hour": "only listings at most this many EUR per machine hour",
    },
    async run(flags, env) {
      const statuses = [
        ...(Object.keys(MachineStatus) as MachineStatusName[]).filter((s) => s !== "None"),
        "any",
      ] as const;
      const status = flags.oneOf("status", statuses, "Active") as Exclude<MachineStatusName, "None"> | "any";
      const job: Job | undefined =
        flags.optional("parts") === undefined
          ? undefined
          : {
              parts: BigInt(flags.int("parts")),
              secondsPerPart: BigInt(flags.int("seconds-per-part", 0)),
              inspections: flags.int("inspections", 0, 0, 2 ** 32 - 1),
            };
      const results = await findMachines(env.ops, {
        capability: flags.string("capability"),
        status,
        site: flags.optional("site"),
        job,
        maxPrice: flags.ifGiven("max-price", (n) => flags.euro(n)),
        maxPricePerHour: flags.ifGiven("max-price-per-hour", (n) => flags.euro(n)),
      });
      return { text: renderFound(results), json: results.map(foundJson) };
    },
  },
  "open-order": {
    summary: "book a machine: an escrowed order under the tariff in force (consumer)",
    flags: {
      machine: "the listing id",
      budget: "EUR to escrow",
      "expires-in": "how long the order runs (default 30d)",
      "dispute-window": "how long each invoice may be disputed (default 1d)",
      capability: "the capability booked (optional)",
    },
    async run(flags, env) {
      const result = await openOrder(env.ops, env.wallet(), {
        machineId: id(flags, "machine"),
        budget: flags.euro("budget"),
        expiresIn: flags.duration("expires-in", "30d"),
        disputeWindow: flags.duration("dispute-window", "1d"),
        capability: flags.optional("capability"),
      });
      return { text: renderOrder(result), json: result };
    },
  },
  "open-channel": {
    summary: "open a payment channel to a provider's account (consumer)",
    flags: {
      payee: "the provider's account",
      deposit: "EUR to escrow",
      "expires-in": "how long the channel runs (default 7d)",
      "challenge-period": "how long the payee may claim after a unilateral close (default: the contract's minimum)",
      salt: "a number to tell apart channels opened in one block (default 1)",
    },
    async run(flags, env) {
      const result = await openChannel(env.ops, env.wallet(), {
        payee: flags.address("payee"),
        deposit: flags.euro("deposit"),
        expiresIn: flags.duration("expires-in", "7d"),
        challengePeriod: flags.ifGiven("challenge-period", (n) => flags.duration(n, "0")),
        salt: flags.ifGiven("salt", (n) => flags.int(n, undefined, 0, 2 ** 32 - 1)),
      });
      return { text: renderChannel(result), json: result };
    },
  },
  balances: {
    summary: "a member's balances and obligations",
    flags: {
      member: "the member id",
      account: "or one of its accounts",
      all: "or every member's accounts and balances",
    },
    async run(flags, env) {
      if (flags.values.all === true) {
        const lines = await memberBalances(new SettlementLayer(env.ops.chain, env.ops.addresses));
        return { text: renderBalances(lines), json: lines };
      }
      const account = flags.ifGiven("account", (n) => flags.address(n));
      const result = await memberPosition(env.ops, { memberId: optionalId(flags, "member"), account });
      return { text: renderPosition(result), json: result };
    },
  },
  orders: {
    summary: "orders with their escrow and invoices",
    flags: { provider: "only this provider member's", consumer: "only this consumer member's" },
    async run(flags, env) {
      const result = await ordersOf(env.ops, {
        provider: optionalId(flags, "provider"),
        consumer: optionalId(flags, "consumer"),
      });
      return { text: renderOrders(result, "Orders"), json: result };
    },
  },
  payout: {
    summary: "claim worthwhile channels and withdraw matured charges, in at most two transactions (payee)",
    flags: {
      store: "the payee agent's SQLite store (default: no channels)",
      "min-claim": "claim a channel only if it adds at least this many EUR (default 0)",
      margin: "claim anything new this close to a channel's deadline (default 1h)",
      "dry-run": "plan and simulate, send nothing",
      "platform-fees": "also withdraw the platform fees collected (operators)",
      batch: "most channels per claimMany and orders per settleAndWithdraw (default 100)",
    },
    async run(flags, env) {
      const path = flags.optional("store");
      const store = path === undefined ? undefined : openStore(path);
      try {
        const result = await runPayout(env.ops, env.wallet(), {
          store,
          minClaim: euroOr(flags, "min-claim", "0"),
          margin: flags.duration("margin", "1h"),
          dryRun: flags.values["dry-run"] === true,
          batchSize: flags.int("batch", 100, 1, 10_000),
          platformFees: flags.values["platform-fees"] === true,
        });
        return { text: renderPayout(result), json: result };
      } finally {
        store?.close();
      }
    },
  },
  invoice: {
    summary: "the invoice run: settle matured invoices and issue new ones, in one transaction (anyone)",
    flags: {
      orders: "only these order ids, comma-separated",
      provider: "only this provider member's orders",
      "dry-run": "show what would be settled and issued, send nothing",
    },
    async run(flags, env) {
      const orderIds = flags.ifGiven("orders", (n) => flags.ids(n));
      const result = await runInvoices(env.ops, env.wallet(), {
        orderIds,
        provider: optionalId(flags, "provider"),
        dryRun: flags.values["dry-run"] === true,
      });
      return { text: renderInvoiceRun(result), json: result };
    },
  },
  "invoice-show": {
    summary: "an invoice as a document, rebuilt and checked from the chain",
    flags: { order: "the order id", number: "the invoice number (from 1)" },
    async run(flags, env) {
      const doc = await loadInvoice(
        env.ops.chain.publicClient,
        env.ops.addresses.usageMeter,
        id(flags, "order"),
        flags.int("number", undefined, 1, 2 ** 32 - 1),
        { registry: env.ops.addresses.machineRegistry, fromBlock: env.ops.fromBlock },
      ).catch((error: unknown) => {
        throw new OpsInputError((error as Error).message);
      });
      return { text: renderInvoiceTable(doc), json: JSON.parse(renderInvoiceJson(doc)) as unknown };
    },
  },
  "configure-minter": {
    summary: "let an account mint up to an allowance against bank deposits (master minter)",
    flags: { minter: "the minter's account", allowance: "EUR it may mint from now on (replaces what it had left)" },
    async run(flags, env) {
      const result = await configureMinter(env.ops, env.wallet(), flags.address("minter"), flags.euro("allowance"));
      return { text: renderMinterConfigured(result), json: result };
    },
  },
  "attest-reserve": {
    summary: "attest the fiat reserve backing the token (auditor)",
    flags: {
      reserve: "EUR held in the bank",
      report: "the audit report's reference or its 32-byte hash",
      "as-of": "Unix seconds the reserve was counted at (default: the chain's time now)",
    },
    async run(flags, env) {
      const result = await attestReserve(env.ops, env.wallet(), {
        reserve: flags.euro("reserve"),
        reportHash: reference(flags, "report"),
        asOf: flags.ifGiven("as-of", (n) => flags.int(n, undefined, 1, 2 ** 40 - 1)),
      });
      return { text: renderReserveAttested(result), json: result };
    },
  },
  mint: {
    summary: "mint tokens against one bank deposit; retrying the same deposit mints nothing (minter)",
    flags: {
      to: "the member account credited",
      amount: "EUR deposited",
      "bank-ref": "the bank transaction's reference or its 32-byte hash (one deposit, one reference)",
    },
    async run(flags, env) {
      const result = await mint(env.ops, env.wallet(), {
        to: flags.address("to"),
        amount: flags.euro("amount"),
        bankRef: reference(flags, "bank-ref"),
      });
      return { text: renderMinted(result), json: result };
    },
  },
  redeem: {
    summary: "ask to redeem tokens for a bank payout (member)",
    flags: { amount: "EUR to redeem", "payout-ref": "the payout instructions (IBAN, remittance text) or their hash" },
    async run(flags, env) {
      const result = await requestRedemption(
        env.ops,
        env.wallet(),
        flags.euro("amount"),
        reference(flags, "payout-ref"),
      );
      return { text: renderRedemption(result), json: result };
    },
  },
  "redemption-paid": {
    summary: "mark a redemption paid by the bank: its tokens are burned (operator)",
    flags: { id: "the redemption id", "bank-ref": "the bank transaction reference or its hash" },
    async run(flags, env) {
      const result = await settleRedemption(env.ops, env.wallet(), id(flags, "id"), {
        paid: reference(flags, "bank-ref"),
      });
      return { text: renderRedemption(result), json: result };
    },
  },
  "redemption-reject": {
    summary: "reject a redemption: its tokens go back (operator)",
    flags: { id: "the redemption id", reason: "the written reason or its hash" },
    async run(flags, env) {
      const result = await settleRedemption(env.ops, env.wallet(), id(flags, "id"), {
        rejected: reference(flags, "reason"),
      });
      return { text: renderRedemption(result), json: result };
    },
  },
};

function openStore(path: string): PayeeStore {
  try {
    return new PayeeStore({ path });
  } catch (error) {
    throw new UsageError(`--store: cannot open ${path} as a payee store (${(error as Error).message}).`);
  }
}

export const COMMAND_NAMES = Object.keys(COMMANDS);

export function usage(command?: string): string {
  const describe = (flags: Record<string, string>) =>
    Object.entries(flags)
      .map(([name, text]) => `  --${name.padEnd(22)} ${text}`)
      .join("\n");
  const spec = command === undefined ? undefined : COMMANDS[command];
  if (spec !== undefined) {
    return `Usage: ops ${command} [flags]\n\n${spec.summary}\n\n${describe(spec.flags)}\n${describe(COMMON_FLAGS)}\n\nSigning key: $OPS_PRIVATE_KEY`;
  }
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(18)} ${c.summary}`);
  return `Usage: OPS_PRIVATE_KEY=0x... npx tsx scripts/ops.ts <command> [flags]\n\nCommands:\n${lines.join("\n")}\n\nEvery command:\n${describe(COMMON_FLAGS)}\n\nSee \`ops <command> --help\` for its flags.`;
}

/** JSON with bigints as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
}

export interface OpsOutcome {
  exitCode: 0 | 1 | 2;
  stdout: string;
  stderr: string;
}

/** Parses the command line and its flags (the command first); with them, `connect` gives the environment. */
export async function runOps(argv: readonly string[], connect: (flags: Flags) => Promise<OpsEnv>): Promise<OpsOutcome> {
  const [name, ...rest] = argv;
  const json = rest.includes("--json");
  const fail = (exitCode: 1 | 2, kind: string, message: string, help = ""): OpsOutcome =>
    json
      ? { exitCode, stdout: `${toJson({ error: { kind, message } })}\n`, stderr: "" }
      : { exitCode, stdout: "", stderr: `ops${name === undefined ? "" : ` ${name}`}: ${message}\n${help}` };
  if (name === undefined || name === "--help" || name === "help")
    return { exitCode: name === undefined ? 2 : 0, stdout: `${usage()}\n`, stderr: "" };
  const command = COMMANDS[name];
  if (command === undefined) {
    return fail(2, "usage", `"${name}" is not a command; use one of ${COMMAND_NAMES.join(", ")}.`, `\n${usage()}\n`);
  }
  try {
    const options: Options = {};
    for (const flag of [...Object.keys(command.flags), ...Object.keys(COMMON_FLAGS)]) {
      options[flag] = { type: BOOLEAN_FLAGS.has(flag) ? "boolean" : "string" };
    }
    const flags = new Flags(readFlags(options, [...rest]));
    if (flags.values.help === true) return { exitCode: 0, stdout: `${usage(name)}\n`, stderr: "" };
    const env = await connect(flags);
    const result = await command.run(flags, env);
    return { exitCode: 0, stdout: `${json ? toJson(result.json) : result.text}\n`, stderr: "" };
  } catch (error) {
    if (error instanceof UsageError) return fail(2, "usage", error.message, `\n${usage(name)}\n`);
    if (error instanceof OpsInputError) return fail(2, "input", error.message);
    if (error instanceof TransactionRefusedError) return fail(1, "refused", error.message);
    return fail(1, "failed", error instanceof Error ? error.message : String(error));
  }
}
