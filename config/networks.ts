/**
 * Per-network settings: chain id, EVM target, gas price policy and confirmations.
 *
 * Private proof-of-authority chains differ from the in-process Hardhat network in exactly these
 * points (often no PUSH0, often gas price 0, finality after one block under QBFT), so they are
 * settings per network and never hard-coded anywhere else. `hardhat.config.ts`, the deployment
 * scripts and the off-chain tools all read them from here.
 */

/** EVM versions the compiler can target, oldest first. */
export const EVM_TARGETS = ["london", "paris", "shanghai", "cancun", "prague"] as const;
export type EvmTarget = (typeof EVM_TARGETS)[number];

/** What the chain charges for gas: `zero` for free-gas PoA chains, `auto` to ask the node, or a fixed wei price. */
export type GasPricePolicy = "zero" | "auto" | bigint;

export interface ChainSettings {
  /** How Hardhat reaches the chain: in process (EDR) or over JSON-RPC. */
  kind: "in-process" | "json-rpc";
  chainId: number;
  /** The newest EVM version every node of the chain runs; contracts are compiled for it. */
  evmTarget: EvmTarget;
  gasPrice: GasPricePolicy;
  /** Blocks to wait after a transaction before it counts as final (1 under QBFT / IBFT 2.0). */
  confirmations: number;
}

/** The EVM version that the in-process network and the default build use. */
export const DEFAULT_EVM_TARGET: EvmTarget = "prague";

type Env = Record<string, string | undefined>;

/** The networks configured in hardhat.config.ts. */
export const NETWORK_NAMES = ["default", "poaSim", "localhost", "poa"] as const;
export type NetworkName = (typeof NETWORK_NAMES)[number];

export function isNetworkName(name: string): name is NetworkName {
  return (NETWORK_NAMES as readonly string[]).includes(name);
}

/**
 * Reads the settings of every network this project knows, from defaults and the environment.
 * Every variable read here is listed, with a comment, in `.env.example`.
 */
export function chainSettings(env: Env = process.env): Record<NetworkName, ChainSettings> {
  return {
    // The embedded default: Hardhat's in-process network.
    default: {
      kind: "in-process",
      chainId: 31337,
      evmTarget: DEFAULT_EVM_TARGET,
      gasPrice: "auto",
      confirmations: 1,
    },
    // In process, but shaped like a typical private PoA chain: no PUSH0 (paris) and free gas.
    poaSim: {
      kind: "in-process",
      chainId: 1337,
      evmTarget: "paris",
      gasPrice: "zero",
      confirmations: 1,
    },
    // An out-of-process node on loopback (hardhat node or anvil).
    localhost: {
      kind: "json-rpc",
      chainId: readInt(env, "LOCALHOST_CHAIN_ID", 31337),
      evmTarget: readEvmTarget(env, "LOCALHOST_EVM_TARGET", "paris"),
      gasPrice: readGasPrice(env, "LOCALHOST_GAS_PRICE", "auto"),
      confirmations: readInt(env, "LOCALHOST_CONFIRMATIONS", 1),
    },
    // The consortium's private PoA chain (Hyperledger Besu QBFT or similar).
    poa: {
      kind: "json-rpc",
      chainId: readInt(env, "POA_CHAIN_ID", 0),
      evmTarget: readEvmTarget(env, "POA_EVM_TARGET", "paris"),
      gasPrice: readGasPrice(env, "POA_GAS_PRICE", "zero"),
      confirmations: readInt(env, "POA_CONFIRMATIONS", 1),
    },
  };
}

/**
 * The network a Hardhat command runs on: `--network <name>` / `--network=<name>` on the command
 * line, else `HARDHAT_NETWORK`, else Hardhat's in-process `default` network.
 */
export function selectedNetwork(argv: readonly string[] = process.argv, env: Env = process.env): string {
  for (const [i, arg] of argv.entries()) {
    const next = argv[i + 1];
    if (arg === "--network" && next !== undefined) return next;
    if (arg.startsWith("--network=")) return arg.slice("--network=".length);
  }
  return env.HARDHAT_NETWORK || "default";
}

/** The EVM target to compile for: `EVM_TARGET` if set, else the selected network's own target. */
export function evmTargetFor(network: string, env: Env = process.env): EvmTarget {
  if (env.EVM_TARGET !== undefined && env.EVM_TARGET !== "") return parseEvmTarget("EVM_TARGET", env.EVM_TARGET);
  return isNetworkName(network) ? chainSettings(env)[network].evmTarget : DEFAULT_EVM_TARGET;
}

/** The name Hardhat's in-process network (EDR) uses for the hardfork that a compiler EVM target means. */
export function edrHardfork(target: EvmTarget): string {
  return target === "paris" ? "merge" : target;
}

export function parseEvmTarget(source: string, value: string): EvmTarget {
  if ((EVM_TARGETS as readonly string[]).includes(value)) return value as EvmTarget;
  throw new Error(
    `${source}="${value}" is not an EVM target this project builds for; use one of ${EVM_TARGETS.join(", ")}.`,
  );
}

export function parseGasPrice(source: string, value: string): GasPricePolicy {
  if (value === "zero" || value === "0") return "zero";
  if (value === "auto") return "auto";
  if (/^[0-9]+$/.test(value)) return BigInt(value);
  throw new Error(
    `${source}="${value}" is not a gas price policy; use "zero" (free-gas PoA), "auto" (ask the node) or a price in wei.`,
  );
}

function readEvmTarget(env: Env, name: string, fallback: EvmTarget): EvmTarget {
  const value = env[name];
  return value === undefined || value === "" ? fallback : parseEvmTarget(name, value);
}

function readGasPrice(env: Env, name: string, fallback: GasPricePolicy): GasPricePolicy {
  const value = env[name];
  return value === undefined || value === "" ? fallback : parseGasPrice(name, value);
}

function readInt(env: Env, name: string, fallback: number): number {
  const value = env[name];
  if (value === undefined || value === "") return fallback;
  if (!/^[0-9]+$/.test(value)) throw new Error(`${name}="${value}" is not a whole number.`);
  return Number(value);
}
