/**
 * The one command line, `capacity <group> <command>`: a commander program built from the declarations in
 * src/cli/commands (help, choices and validation come from them). `runCli` never throws and never exits: it
 * returns the exit status (0 done or nothing to do, 1 refused or failed, 2 bad input) with what to print,
 * so scripts/ops.ts stays a few lines and tests run it in process. With --json, stdout holds only JSON: the
 * result, or `{"error": {kind, code, message, input?, hint?}}`.
 */
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from "commander";
import type { Address } from "viem";

import { CapacityError, listChoices, nearest } from "../core/errors.js";
import { TransactionRefusedError } from "../chain/transact.js";
import { checkDeployment } from "../ops/deployment.js";
import { Names } from "../ops/names.js";
import type { Ops } from "../ops/context.js";
import type { AnyCommand, ArgumentDecl, CliEnv, CommandContext, Group, OptionDecl, Output } from "./command.js";
import { GROUPS, TOP_LEVEL } from "./commands/index.js";
import type { ConnectionOptions } from "./connect.js";
import { toJson, type CliOutcome } from "./output.js";
import { text, url } from "./parse.js";
import { describeRefusal } from "./refusals.js";

export type Connect = (options: ConnectionOptions) => Promise<CliEnv>;

/** One run: its output so far, and the parse failure commander reports only as text. */
interface Run {
  stdout: string;
  stderr: string;
  json: boolean;
  /** The command line's path so far, for messages: "capacity member balances". */
  path: string;
  /** Says commander's own refusals (an unknown command, a missing option) as UsageErrors. */
  usage?: (error: { code: string; message: string }) => CapacityError;
  failure?: CapacityError;
  output?: Output;
  command?: Command;
  names?: Names;
  sender?: Address;
}

const EVERY_COMMAND = "Every command:";

function option(decl: OptionDecl, run: Run): Option {
  const option = new Option(decl.flags, decl.description);
  const flag = option.long ?? decl.flags;
  if (decl.choices !== undefined) option.choices(decl.choices);
  const parse = decl.parse;
  if (parse !== undefined) {
    option.argParser((value: string, previous: unknown) => {
      const parsed = guarded(run, () => parse(value, flag));
      return decl.repeatable ? [...((previous as unknown[] | undefined) ?? []), parsed] : parsed;
    });
  } else if (decl.repeatable) {
    option.argParser((value: string, previous: unknown) => [...((previous as string[] | undefined) ?? []), value]);
  }
  if (decl.default !== undefined) option.default(decl.default, decl.defaultDescription);
  if (decl.required === true) option.makeOptionMandatory();
  return option;
}

function argument(decl: ArgumentDecl, run: Run): Argument {
  const argument = new Argument(decl.name, decl.description);
  const parse = decl.parse;
  if (parse !== undefined) {
    const name = decl.name.replace(/[<>[\].]/g, "");
    argument.argParser((value: string, previous: unknown) => {
      const parsed = guarded(run, () => parse(value, name));
      return argument.variadic ? [...((previous as unknown[] | undefined) ?? []), parsed] : parsed;
    });
  }
  return argument;
}

/** Runs a parser; its UsageError is kept for --json and handed to commander as an invalid argument. */
function guarded<T>(run: Run, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof CapacityError)) throw error;
    run.failure = error;
    throw new InvalidArgumentError(error.message);
  }
}

function context(run: Run, connect: Connect, connection: ConnectionOptions): CommandContext {
  let env: Promise<CliEnv> | undefined;
  let ops: Promise<Ops> | undefined;
  const connected = () => (env ??= connect(connection));
  const context: CommandContext = {
    ops: () =>
      (ops ??= connected().then(async ({ ops }) => {
        run.names = new Names(ops);
        await checkDeployment(ops);
        return ops;
      })),
    wallet: async () => {
      const wallet = (await connected()).wallet();
      run.sender = wallet.account.address;
      return wallet;
    },
    account: async () => {
      try {
        return (await context.wallet()).account.address;
      } catch (error) {
        if (error instanceof CapacityError && error.code === "key.missing") return undefined;
        throw error;
      }
    },
    names: async () => run.names ?? new Names(await context.ops()),
  };
  return context;
}

function addCommand(parent: Command, spec: AnyCommand, run: Run, connect: Connect): void {
  const command = parent.command(spec.name).description(spec.summary);
  for (const decl of spec.arguments ?? []) command.addArgument(argument(decl, run));
  for (const decl of spec.options) command.addOption(option(decl, run));
  command.addOption(
    new Option("--json", "print the result as JSON (amounts in token base units, 1e-6 EUR)").helpGroup(EVERY_COMMAND),
  );
  if (spec.chain !== false) {
    command.addOption(
      new Option("--rpc-url <url>", "JSON-RPC node (default $OPS_RPC_URL, else http://127.0.0.1:8545)")
        .argParser((value: string) => guarded(run, () => url(value, "--rpc-url")))
        .helpGroup(EVERY_COMMAND),
    );
    command.addOption(
      new Option("--addresses <file>", "the deployment's addresses file (default $OPS_ADDRESSES)")
        .argParser((value: string) => guarded(run, () => text(value, "--addresses")))
        .helpGroup(EVERY_COMMAND),
    );
  }
  const key = spec.chain === false ? [] : ["Signing key (commands that send): $OPS_PRIVATE_KEY"];
  const after = [...key, ...(spec.help === undefined ? [] : [spec.help])];
  if (after.length > 0) command.addHelpText("after", `\n${after.join("\n\n")}`);
  command.action(async (...args: unknown[]) => {
    const invoked = args[args.length - 1] as Command;
    const options = invoked.opts<ConnectionOptions>();
    run.command = invoked;
    run.output = await spec.run(options as never, context(run, connect, options), args.slice(0, -2));
  });
}

/** Every command as `group command  summary`, for the program's help. */
function overview(groups: readonly Group[], topLevel: readonly AnyCommand[]): string {
  const rows = [
    ...groups.flatMap((group) => group.commands.map((c) => [`${group.name} ${c.name}`, c.summary] as const)),
    ...topLevel.map((c) => [c.name, c.summary] as const),
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  return `\nEvery command:\n${rows.map(([name, summary]) => `  ${name.padEnd(width)}  ${summary}`).join("\n")}\n\nSee \`capacity <group> <command> --help\` for its options.`;
}

function program(run: Run, connect: Connect, groups: readonly Group[], topLevel: readonly AnyCommand[]): Command {
  const root = new Command("capacity")
    .description("The consortium's command line: members, machines, orders, channels, invoices, payouts, the token.")
    .usage("<group> <command> [options]")
    .helpCommand(false)
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({
      writeOut: (text) => (run.stdout += text),
      writeErr: (text) => {
        if (!run.json) run.stderr += text;
      },
      outputError: (message) => {
        if (run.json) return;
        const code = /^error: unknown command/.test(message) ? "commander.unknownCommand" : "";
        const said = run.failure ?? (code === "" ? undefined : run.usage?.({ code, message }));
        run.stderr += `${run.path}: ${said?.message ?? message.replace(/^error: /, "").trimEnd()}\n`;
      },
    });
  root.addHelpText("after", overview(groups, topLevel));
  for (const group of groups) {
    const node = root.command(group.name).description(group.summary).usage("<command> [options]").helpCommand(false);
    for (const spec of group.commands) addCommand(node, spec, run, connect);
  }
  for (const spec of topLevel) addCommand(root, spec, run, connect);
  return root;
}

/** The command an argv names (as far as it names one), and the first word that names none. */
function resolve(root: Command, argv: readonly string[]): { command: Command; unknown?: string } {
  let command = root;
  for (const word of argv) {
    if (word.startsWith("-") || command.commands.length === 0) break;
    const next = command.commands.find((c) => c.name() === word);
    if (next === undefined) return { command, unknown: word };
    command = next;
  }
  return { command };
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** Commander's own refusal (an unknown word or option, a missing value) as a UsageError. */
function usageFailure(error: { code: string; message: string }, root: Command, argv: readonly string[]): CapacityError {
  const { command, unknown } = resolve(root, argv);
  if (error.code === "commander.unknownCommand" && unknown !== undefined) {
    const names = command.commands.map((c) => c.name());
    const near = nearest(unknown, names);
    return new CapacityError(
      `"${unknown}" is not a command${command === root ? "" : ` of ${command.name()}`}; use one of ${listChoices(names)}.`,
      {
        kind: "usage",
        code: "usage.unknownCommand",
        input: { name: "command", value: unknown },
        hint: near === undefined ? undefined : `Did you mean ${near}?`,
      },
    );
  }
  if (error.code === "commander.help") {
    return new CapacityError(`Name a command: ${commandPath(command)} <command>.`, {
      kind: "usage",
      code: "usage.noCommand",
    });
  }
  return new CapacityError(error.message.replace(/^error: /, ""), {
    kind: "usage",
    code: `usage.${error.code.replace(/^commander\./, "")}`,
  });
}

/** Runs the command line `argv` (without the program name); `connect` gives the deployment and the key. */
export async function runCli(
  argv: readonly string[],
  connect: Connect,
  groups: readonly Group[] = GROUPS,
  topLevel: readonly AnyCommand[] = TOP_LEVEL,
): Promise<CliOutcome> {
  const run: Run = { stdout: "", stderr: "", json: argv.includes("--json"), path: "capacity" };
  const root = program(run, connect, groups, topLevel);
  run.path = commandPath(resolve(root, argv).command);
  run.usage = (error) => usageFailure(error, root, argv);
  let failure: CapacityError;
  try {
    await root.parseAsync([...argv], { from: "user" });
    const output = run.output!;
    run.stdout += `${run.json ? toJson(output.json) : output.text}\n`;
    return { exitCode: output.exitCode ?? 0, stdout: run.stdout, stderr: run.stderr };
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0 && error.code !== "commander.help")
        return { exitCode: 0, stdout: run.stdout, stderr: run.stderr };
      failure = run.failure ?? usageFailure(error, root, argv);
      if (run.json) return { exitCode: 2, stdout: `${toJson({ error: failure })}\n`, stderr: "" };
      // A group without a command: commander printed its help only; say what is missing first.
      const said = error.code === "commander.help" ? `${run.path}: ${failure.message}\n\n` : "";
      return { exitCode: 2, stdout: run.stdout, stderr: `${said}${run.stderr}` };
    }
    failure = await asCapacityError(error, run);
  }
  if (run.json) return { exitCode: failure.exitCode, stdout: `${toJson({ error: failure })}\n`, stderr: "" };
  const help = failure.kind === "usage" && run.command !== undefined ? `\n${run.command.helpInformation()}` : "";
  return { exitCode: failure.exitCode, stdout: "", stderr: `${run.stderr}${run.path}: ${failure.message}\n${help}` };
}

async function asCapacityError(error: unknown, run: Run): Promise<CapacityError> {
  if (error instanceof TransactionRefusedError) return describeRefusal(error, run.names, run.sender);
  if (error instanceof CapacityError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new CapacityError(message, { kind: "failed", code: "failed", cause: error });
}
