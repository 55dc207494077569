/**
 * Command-line glue for the long-running scripts: flags read with `node:util`'s parseArgs and checked one
 * by one with errors that name the flag and say what it takes, keys from the environment (a command line
 * is visible to every user of the machine), one JSON line per event on stdout; a service run with its log
 * and its stop signal, and its exit status (0 done, 1 failed, 2 refused: bad input, or a refusal that
 * waiting cannot change).
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

import { getAddress, isAddress, type Address, type Hex } from "viem";

import { parseEuro } from "../core/money.js";
import { createLog } from "../services/runtime/log.js";
import { ConfigRefused, processStop, ServiceRefused, type ServiceContext } from "../services/runtime/lifecycle.js";
import { StoreLocked } from "../store/sqlite.js";
import { ListenError } from "../transport/server.js";

/** Bad input: the script prints the message and its usage, and exits with status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** The flags given, as strings (or booleans for boolean flags); unknown flags and stray arguments are refused. */
export function readFlags(
  options: Options,
  argv = process.argv.slice(2),
): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Record<
      string,
      string | boolean | undefined
    >;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * A flag line of a usage text: two spaces, `--name`, then either one space and its value's placeholder (a
 * string flag), or two spaces or the line's end (a boolean flag).
 */
const FLAG_LINE = /^ {2}--([a-z][a-z0-9-]*)(?: (\S+))?(?: {2}|$)/;

/**
 * The flags a usage text documents, as parseArgs options: every line `  --name VALUE  what it does` is a
 * string flag, `  --name  what it does` a boolean one, and `--help` is always known. The usage is then the
 * one list of what a script accepts; a flag it does not document is refused.
 */
export function usageFlags(usage: string): Options {
  const options: Options = { help: { type: "boolean" } };
  for (const line of usage.split("\n")) {
    const match = FLAG_LINE.exec(line);
    if (match === null) continue;
    const [, name, value] = match as unknown as [string, string, string | undefined];
    if (name in options) throw new Error(`The usage documents --${name} twice.`);
    options[name] = { type: value === undefined ? "boolean" : "string" };
  }
  return options;
}

const DURATION = /^(\d+)(s|m|h|d)?$/;
const SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** Reads and checks flags; each getter throws a UsageError naming the flag. */
export class Flags {
  constructor(readonly values: Record<string, string | boolean | undefined>) {}

  #raw(name: string, fallback?: string): string {
    const value = this.values[name] ?? fallback;
    if (typeof value !== "string" || value === "") throw new UsageError(`--${name} is required.`);
    return value;
  }

  string(name: string, fallback?: string): string {
    return this.#raw(name, fallback);
  }

  optional(name: string): string | undefined {
    const value = this.values[name];
    return typeof value === "string" ? value : undefined;
  }

  /** `read(name)` if the flag was given, else undefined: for flags whose absence means "not set". */
  ifGiven<T>(name: string, read: (name: string) => T): T | undefined {
    return this.optional(name) === undefined ? undefined : read(name);
  }

  address(name: string, fallback?: string): Address {
    const value = this.#raw(name, fallback);
    if (!isAddress(value, { strict: false })) {
      throw new UsageError(`--${name} must be an address (0x and 40 hex digits); got "${value}".`);
    }
    return getAddress(value);
  }

  /** A whole number from `min` to `max`. */
  int(name: string, fallback?: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const value = this.#raw(name, fallback?.toString());
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new UsageError(`--${name} must be a whole number from ${min} to ${max}; got "${value}".`);
    }
    return Number(value);
  }

  /** A number (decimals allowed) from `min` to `max`. */
  number(name: string, fallback?: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const value = this.#raw(name, fallback?.toString());
    if (!/^\d+(\.\d+)?$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new UsageError(`--${name} must be a number from ${min} to ${max}; got "${value}".`);
    }
    return Number(value);
  }

  /** A duration in seconds: 3600, 90s, 90m, 12h or 30d; at least `min` seconds. */
  duration(name: string, fallback?: string, min = 0): number {
    const text = this.#raw(name, fallback);
    const match = DURATION.exec(text.trim());
    if (match === null) {
      throw new UsageError(`--${name} must be a duration such as 3600, 90m, 12h or 30d; got "${text}".`);
    }
    const seconds = Number(match[1]) * SECONDS[(match[2] ?? "s") as keyof typeof SECONDS];
    if (seconds < min) throw new UsageError(`--${name} must be at least ${min} s; got "${text}".`);
    return seconds;
  }

  /** Ids (whole numbers from 1) separated by commas; empty when the flag is not given. */
  ids(name: string): bigint[] {
    const value = this.optional(name);
    if (value === undefined) return [];
    return value
      .split(",")
      .map((part) => part.trim())
      .filter((part) => part !== "")
      .map((part) => {
        if (!/^\d+$/.test(part) || BigInt(part) === 0n || BigInt(part) >= 1n << 64n) {
          throw new UsageError(`--${name} takes ids (whole numbers from 1) separated by commas; got "${part}".`);
        }
        return BigInt(part);
      });
  }

  bigint(name: string, bits: number): bigint {
    const value = this.#raw(name);
    if (!/^\d+$/.test(value) || BigInt(value) >= 1n << BigInt(bits)) {
      throw new UsageError(`--${name} must be a whole number below 2^${bits}; got "${value}".`);
    }
    return BigInt(value);
  }

  /** A euro amount such as 12.50, in token base units. */
  euro(name: string, fallback?: string): bigint {
    const value = this.#raw(name, fallback);
    try {
      return parseEuro(value);
    } catch (error) {
      throw new UsageError(`--${name}: ${(error as Error).message}`);
    }
  }

  url(name: string, fallback?: string): string {
    const value = this.#raw(name, fallback);
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new UsageError(`--${name} must be a URL such as http://127.0.0.1:8545; got "${value}".`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new UsageError(`--${name} must be an http:// or https:// URL; got "${value}".`);
    }
    return value;
  }

  oneOf<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const value = this.#raw(name, fallback);
    if (!(choices as readonly string[]).includes(value)) {
      throw new UsageError(`--${name} must be one of ${choices.join(", ")}; got "${value}".`);
    }
    return value as T;
  }
}

/** A private key from the environment variable `name`. */
export function privateKeyFromEnv(name: string, what: string): Hex {
  const value = process.env[name];
  if (value === undefined || value === "") {
    throw new UsageError(`Set ${name} to the ${what}'s private key (0x and 64 hex digits).`);
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) {
    throw new UsageError(`${name} must be a private key: 0x and 64 hex digits.`);
  }
  return value as Hex;
}

/** Prints one event as a JSON line on stdout (bigints as decimal strings). */
export function emit(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(
    `${JSON.stringify({ event, ...fields }, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value))}\n`,
  );
}

/** Errors that refuse the input or the setup for good: the process exits with status 2, without the usage. */
function refusedForGood(error: unknown): boolean {
  return error instanceof ServiceRefused || error instanceof StoreLocked || error instanceof ListenError;
}

/**
 * Runs a script's `main` with the flags of the command line, as its usage documents them (see {usageFlags});
 * `--help` prints the usage and exits 0. A UsageError or a ConfigRefused (the chain shows the configuration
 * wrong) is printed with the usage (exit status 2), another refusal for good (ServiceRefused, a store in use,
 * a port taken) with its message (exit status 2), any other error with its message (exit status 1).
 */
export function runScript(
  name: string,
  usage: string,
  main: (flags: Flags) => Promise<void>,
  argv = process.argv.slice(2),
): void {
  const run = async () => {
    const flags = new Flags(readFlags(usageFlags(usage), argv));
    if (flags.values.help === true) {
      process.stdout.write(`${usage}\n`);
      return;
    }
    await main(flags);
  };
  run().catch((error: unknown) => {
    if (error instanceof UsageError || error instanceof ConfigRefused) {
      process.stderr.write(`${name}: ${error.message}\n\n${usage}\n`);
      process.exit(2);
    }
    process.stderr.write(`${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(refusedForGood(error) ? 2 : 1);
  });
}

/**
 * Runs a long-running service as {runScript} does, with its log (JSON lines on stdout) and its stop signal
 * (SIGINT, SIGTERM, or the npm that started it gone); `main` resolves with the exit status (default 0) once
 * the service has stopped.
 */
export function runService(
  name: string,
  usage: string,
  main: (flags: Flags, context: ServiceContext) => Promise<number | void>,
  argv = process.argv.slice(2),
): void {
  runScript(
    name,
    usage,
    async (flags) => {
      const log = createLog(name);
      const stop = processStop(log);
      let code: number | void;
      try {
        code = await main(flags, { signal: stop.signal, log });
      } finally {
        stop.release();
      }
      process.exit(code ?? 0);
    },
    argv,
  );
}
