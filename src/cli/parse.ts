/**
 * The value parsers of the command line's options and arguments. Each takes the text given and the flag it
 * was given for, and returns the value or throws a UsageError that names the flag, says what was wrong, and
 * lists the valid choices where there are few (roles, capabilities) or says what form is wanted.
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";

import { getAddress, isAddress, isHex, type Address, type Hex } from "viem";

import { listChoices, nearest, UsageError } from "../core/errors.js";
import { parseRole, ROLE_NAMES, type Role } from "../core/membership.js";
import { parseEuro } from "../core/money.js";
import { referenceHash } from "../core/references.js";
import { capabilityTag, KNOWN_CAPABILITIES, siteCode } from "../core/vocabulary.js";

/** Parses one option value; `flag` is the option's long name, e.g. "--site". */
export type Parser<T> = (value: string, flag: string) => T;

const bad = (flag: string, value: string, message: string, hint?: string, code = "usage.value"): UsageError =>
  new UsageError(message, { code, input: { name: flag, value }, hint });

/** Parses a comma-separated list with `each`; empty parts are dropped. */
export const list =
  <T>(each: Parser<T>): Parser<T[]> =>
  (value, flag) =>
    value
      .split(",")
      .map((part) => part.trim())
      .filter((part) => part !== "")
      .map((part) => each(part, flag));

export const text: Parser<string> = (value, flag) => {
  if (value.trim() === "") throw bad(flag, value, `${flag} must not be empty.`);
  return value;
};

/** An address; mixed case must carry a valid EIP-55 checksum (a mistyped character changes it). */
export const address: Parser<Address> = (value, flag) => {
  if (!isAddress(value, { strict: false })) {
    throw bad(
      flag,
      value,
      `${flag} must be an address (0x and 40 hex digits); got "${value}".`,
      undefined,
      "address.malformed",
    );
  }
  if (!isAddress(value, { strict: true })) {
    throw bad(
      flag,
      value,
      `${flag}: "${value}" has an EIP-55 checksum (the pattern of upper and lower case) that does not match its digits: a character is mistyped.`,
      "Copy the address again from its source; nothing was sent.",
      "address.checksum",
    );
  }
  return getAddress(value);
};

/** A whole number from `min` to `max`. */
export const int =
  (min = 0, max = Number.MAX_SAFE_INTEGER): Parser<number> =>
  (value, flag) => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw bad(flag, value, `${flag} must be a whole number from ${min} to ${max}; got "${value}".`);
    }
    return Number(value);
  };

/** An id: a whole number from 1, below 2^64. */
export const id: Parser<bigint> = (value, flag) => {
  if (!/^\d+$/.test(value) || BigInt(value) === 0n || BigInt(value) >= 1n << 64n) {
    throw bad(flag, value, `${flag} takes ids (whole numbers from 1); got "${value}".`);
  }
  return BigInt(value);
};

/** A whole number below 2^bits. */
export const uint =
  (bits: number): Parser<bigint> =>
  (value, flag) => {
    if (!/^\d+$/.test(value) || BigInt(value) >= 1n << BigInt(bits)) {
      throw bad(flag, value, `${flag} must be a whole number below 2^${bits}; got "${value}".`);
    }
    return BigInt(value);
  };

/** A euro amount such as 12.50, in token base units. */
export const euro: Parser<bigint> = (value, flag) => {
  try {
    return parseEuro(value);
  } catch (error) {
    throw bad(flag, value, `${flag}: ${(error as Error).message}`, undefined, "amount.malformed");
  }
};

const DURATION = /^(\d+)(s|m|h|d)?$/;
const SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** A duration in seconds: 3600, 90s, 90m, 12h or 30d. */
export const duration: Parser<number> = (value, flag) => {
  const match = DURATION.exec(value.trim());
  if (match === null)
    throw bad(flag, value, `${flag} must be a duration such as 3600, 90m, 12h or 30d; got "${value}".`);
  return Number(match[1]) * SECONDS[(match[2] ?? "s") as keyof typeof SECONDS];
};

/** A point in time: Unix seconds, or a date (2026-03-01, 2026-03-01T12:00:00Z); as Unix seconds. */
export const time: Parser<number> = (value, flag) => {
  if (/^\d+$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  if (Number.isNaN(ms))
    throw bad(flag, value, `${flag} must be a date such as 2026-03-01 or Unix seconds; got "${value}".`);
  return Math.floor(ms / 1000);
};

/** A reference (bank reference, document) as the hash that goes on chain; a 32-byte hash is kept. */
export const reference: Parser<Hex> = (value, flag) => {
  if (value.trim() === "")
    throw bad(flag, value, `${flag} must not be empty: give the reference text or its 32-byte hash.`);
  return referenceHash(value);
};

/** A 32-byte hex id, such as a channel id. */
export const bytes32: Parser<Hex> = (value, flag) => {
  if (!isHex(value) || value.length !== 66)
    throw bad(flag, value, `${flag} must be 0x and 64 hex digits; got "${value}".`);
  return value.toLowerCase() as Hex;
};

export const url: Parser<string> = (value, flag) => {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw bad(flag, value, `${flag} must be a URL such as http://127.0.0.1:8545; got "${value}".`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw bad(flag, value, `${flag} must be an http:// or https:// URL; got "${value}".`);
  }
  return value;
};

/** A role name (any case), with the roles listed when it is none. */
export const role: Parser<Role> = (value, flag) => {
  try {
    return parseRole(value);
  } catch {
    const near = nearest(value, ROLE_NAMES);
    throw bad(
      flag,
      value,
      `${flag}: "${value}" is not a role; use one of ${listChoices(ROLE_NAMES)}.`,
      near === undefined ? undefined : `Did you mean ${near}?`,
      "role.unknown",
    );
  }
};

/**
 * A capability of the consortium's catalogue (src/core/vocabulary.ts), or a 32-byte tag for one outside it.
 * A name the catalogue does not know is refused with the nearest name and the whole catalogue.
 */
export const capability: Parser<string> = (value, flag) => {
  const name = value.trim().toLowerCase();
  if (isHex(name) && name.length === 66) return capabilityTag(name);
  if ((KNOWN_CAPABILITIES as readonly string[]).includes(name)) return name;
  const near = nearest(name, KNOWN_CAPABILITIES);
  throw bad(
    flag,
    value,
    `${flag}: "${value}" is not a capability of the catalogue${near === undefined ? "" : `; did you mean ${near}`}?`,
    `The catalogue: ${listChoices(KNOWN_CAPABILITIES)} (or a capability's 32-byte tag).`,
    "capability.unknown",
  );
};

/** A site code: ISO 3166-2 region and plant number, as in DE-HH-01 (Hamburg, plant 01). */
const SITE = /^[A-Z]{2}-[A-Z0-9]{1,3}-[0-9]{2,3}$/;

/** A site code of the form the registry's listings use: COUNTRY-REGION-PLANT, such as DE-HH-01 or DE-BY-02. */
export const site: Parser<string> = (value, flag) => {
  const code = value.trim();
  const upper = code.toUpperCase();
  if (!SITE.test(upper)) {
    throw bad(
      flag,
      value,
      `${flag} takes a site code COUNTRY-REGION-PLANT (ISO 3166-2 region and plant number), such as DE-HH-01 or DE-BY-02; ` +
        `"${value}" is none.`,
      SITE.test(upper.replace(/\s+/g, "-")) ? `Did you mean ${upper.replace(/\s+/g, "-")}?` : undefined,
      "site.malformed",
    );
  }
  siteCode(upper);
  return upper;
};

/** A file that exists; its path as given. */
export const existingFile: Parser<string> = (value, flag) => {
  if (!existsSync(value) || !statSync(value).isFile()) {
    throw bad(flag, value, `${flag} names no file: ${resolve(value)} does not exist.`, undefined, "file.missing");
  }
  return value;
};

/** One of `choices` (any case), as the choice is written. */
export const oneOf =
  <T extends string>(choices: readonly T[]): Parser<T> =>
  (value, flag) => {
    const found = choices.find((choice) => choice.toLowerCase() === value.trim().toLowerCase());
    if (found === undefined) throw bad(flag, value, `${flag} must be one of ${listChoices(choices)}; got "${value}".`);
    return found;
  };
