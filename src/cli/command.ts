/**
 * A command of the command line, declared as data: its name and summary, its options (flags, help text, the
 * parser that validates the value, choices, default), and what it runs. src/cli/program.ts turns the
 * declarations into one commander program, so the help is generated from them; `run` gets the parsed
 * options and a context that connects to the deployment and signs only when the command asks for it.
 */
import type { Address } from "viem";

import type { Wallet } from "../chain/transact.js";
import type { Ops } from "../ops/context.js";
import type { Names } from "../ops/names.js";
import type { Parser } from "./parse.js";

export interface OptionDecl {
  /** Commander's flags: "--order <id>" (a value), "--dry-run" (a switch), "--text <text>" with `repeatable`. */
  flags: string;
  description: string;
  parse?: Parser<unknown>;
  choices?: readonly string[];
  /** The parsed value used when the option is not given, and how the help shows it. */
  default?: unknown;
  defaultDescription?: string;
  required?: boolean;
  /** The option may be given several times; the values are collected in order. */
  repeatable?: boolean;
}

export interface ArgumentDecl {
  /** Commander's form: "<file>", "[files...]". */
  name: string;
  description: string;
  parse?: Parser<unknown>;
}

/** What a command runs against, as the process (or a test) connects it. */
export interface CliEnv {
  ops: Ops;
  /** The signing key's wallet; throws a UsageError when no key is set. */
  wallet(): Wallet;
}

/** What `run` may ask for; each is set up on first use. */
export interface CommandContext {
  /** The deployment, connected and checked (every address holds the contract the file says). */
  ops(): Promise<Ops>;
  /** The signing key's wallet ($OPS_PRIVATE_KEY). */
  wallet(): Promise<Wallet>;
  /** The signing key's account, or undefined when no key is set (for reads that default to "mine"). */
  account(): Promise<Address | undefined>;
  names(): Promise<Names>;
}

/** A command's result: the data printed with --json, the text printed without; exit status 0 unless said. */
export interface Output {
  json: unknown;
  text: string;
  exitCode?: 0 | 1;
}

export interface CommandSpec<O> {
  name: string;
  /** One line for the lists; who runs it in brackets, e.g. "(operator)". */
  summary: string;
  /** More help, shown after the options. */
  help?: string;
  options: readonly OptionDecl[];
  arguments?: readonly ArgumentDecl[];
  /** Reads or writes the chain (default true): takes --rpc-url and --addresses. */
  chain?: boolean;
  run(options: O, context: CommandContext, args: readonly unknown[]): Promise<Output>;
}

/** A command of any options' type, as the program keeps them. */
export type AnyCommand = CommandSpec<never>;

export interface Group {
  name: string;
  summary: string;
  commands: readonly AnyCommand[];
}

/** Declares a command; `O` is the shape of its parsed options (commander's camelCase names). */
export function defineCommand<O>(spec: CommandSpec<O>): AnyCommand {
  return spec as unknown as AnyCommand;
}

/**
 * A command that signs: it runs one job with the deployment, the signing key's wallet and its options, and
 * renders what the job returns (the JSON is the job's result as it is).
 */
export function signedCommand<O, R>(spec: {
  name: string;
  summary: string;
  help?: string;
  options: readonly OptionDecl[];
  job(ops: Ops, wallet: Wallet, options: O): Promise<R>;
  render(result: R): string;
}): AnyCommand {
  return defineCommand<O>({
    name: spec.name,
    summary: spec.summary,
    help: spec.help,
    options: spec.options,
    async run(options, context) {
      const result = await spec.job(await context.ops(), await context.wallet(), options);
      return { json: result, text: spec.render(result) };
    },
  });
}

/** An option with a value, parsed by `parse`. */
export function option(
  flags: string,
  description: string,
  parse?: Parser<unknown>,
  more: Partial<OptionDecl> = {},
): OptionDecl {
  return { flags, description, parse, ...more };
}

/** An option that must be given. */
export function required(flags: string, description: string, parse?: Parser<unknown>): OptionDecl {
  return { flags, description, parse, required: true };
}
