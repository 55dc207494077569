/** Options several commands share: who a command is about, a listing's tariff, a dry run. */
import type { Address } from "viem";

import type { Tariff, UnitTier } from "../core/tariff.js";
import { UsageError } from "../core/errors.js";
import type { Whose } from "../ops/members.js";
import { option, required, type CommandContext, type OptionDecl } from "./command.js";
import { address, euro, id, list } from "./parse.js";

export const memberOption = (description = "the member id"): OptionDecl => ({
  flags: "--member <id>",
  description,
  parse: id,
});

export const accountOption = (description = "or one of its accounts"): OptionDecl => ({
  flags: "--account <address>",
  description,
  parse: address,
});

export const machineOption: OptionDecl = required("--machine <id>", "the listing id", id);

export const dryRunOption: OptionDecl = { flags: "--dry-run", description: "plan and simulate, send nothing" };

export interface WhoseOptions {
  member?: bigint;
  account?: Address;
}

/** --member or --account, else the signing key's account (for "my …" reads), else neither. */
export async function whose(options: WhoseOptions, context: CommandContext): Promise<Whose> {
  if (options.member !== undefined || options.account !== undefined) {
    return { memberId: options.member, account: options.account };
  }
  return { account: await context.account() };
}

const tier = (value: string, flag: string): UnitTier => {
  const match = /^(\d+):(.+)$/.exec(value);
  if (match === null) {
    throw new UsageError(`${flag} takes THRESHOLD:EUR pairs such as 100:0.15,1000:0.10; got "${value}".`, {
      code: "tariff.tier",
      input: { name: flag, value },
    });
  }
  return { threshold: BigInt(match[1]!), pricePerUnit: euro(match[2]!, flag) };
};

/** The tariff options of register and tariff; every price defaults to 0. */
export const TARIFF_OPTIONS: readonly OptionDecl[] = [
  {
    flags: "--price-per-hour <eur>",
    description: "EUR per machine hour",
    parse: euro,
    default: 0n,
    defaultDescription: "0",
  },
  { flags: "--price-per-unit <eur>", description: "EUR per part", parse: euro, default: 0n, defaultDescription: "0" },
  {
    flags: "--price-per-inspection <eur>",
    description: "EUR per inspection",
    parse: euro,
    default: 0n,
    defaultDescription: "0",
  },
  { flags: "--setup-fee <eur>", description: "EUR once per order", parse: euro, default: 0n, defaultDescription: "0" },
  {
    flags: "--minimum-charge <eur>",
    description: "EUR at least per used order",
    parse: euro,
    default: 0n,
    defaultDescription: "0",
  },
  option("--tiers <pairs>", "volume prices THRESHOLD:EUR, comma-separated (100:0.15,1000:0.10)", list(tier)),
  option("--licenses <ids>", "licence ids the tariff counts products for, comma-separated", list(id)),
];

export interface TariffOptions {
  pricePerHour: bigint;
  pricePerUnit: bigint;
  pricePerInspection: bigint;
  setupFee: bigint;
  minimumCharge: bigint;
  tiers?: UnitTier[];
  licenses?: bigint[];
}

export function tariffOf(options: TariffOptions): Tariff {
  return {
    pricePerHour: options.pricePerHour,
    pricePerUnit: options.pricePerUnit,
    pricePerInspection: options.pricePerInspection,
    setupFee: options.setupFee,
    minimumCharge: options.minimumCharge,
    tiers: options.tiers ?? [],
    licenseIds: (options.licenses ?? []).map(Number),
  };
}
