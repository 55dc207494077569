/**
 * The environment of the command line (and the addresses file of scripts/gateway.ts): a JSON-RPC node by its
 * URL, the deployment's addresses file, and the signing key from $OPS_PRIVATE_KEY (a command line is visible
 * to every user of the machine; the key is read only by commands that send).
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

import type { Hex } from "viem";

import { UsageError } from "../core/errors.js";
import { OpsInputError, parseAddresses } from "../ops/context.js";
import type { MarketAddresses } from "../chain/transact.js";
import { firstConfirmedBlock } from "../../deploy/journal.js";
import { rpcChain } from "../chain/rpc.js";
import type { CliEnv } from "./command.js";
import { url } from "./parse.js";

/** The connection options every chain command takes. */
export interface ConnectionOptions {
  rpcUrl?: string;
  addresses?: string;
}

/** The node at --rpc-url (else $OPS_RPC_URL, else http://127.0.0.1:8545) and the deployment of --addresses. */
export async function connectRpc(options: ConnectionOptions): Promise<CliEnv> {
  const node = options.rpcUrl ?? url(process.env.OPS_RPC_URL || "http://127.0.0.1:8545", "$OPS_RPC_URL");
  const file = options.addresses ?? process.env.OPS_ADDRESSES;
  if (file === undefined || file === "") {
    throw new OpsInputError(
      "Say where the deployment lives: --addresses FILE (or $OPS_ADDRESSES), a JSON file of its contract addresses.",
      { code: "addresses.missing", hint: "npm run deploy prints the OPS_ADDRESSES line to export." },
    );
  }
  const { addresses, fromBlock } = await readAddressesFile(file);
  const chain = await rpcChain(node);
  return {
    ops: { chain, addresses, fromBlock },
    wallet: () => chain.wallet(privateKeyFromEnv("OPS_PRIVATE_KEY")),
  };
}

/** The signing key from the environment variable `name`. */
export function privateKeyFromEnv(name: string): Hex {
  const value = process.env[name];
  if (value === undefined || value === "") {
    throw new UsageError(`Set ${name} to the signing account's private key (0x and 64 hex digits).`, {
      code: "key.missing",
      hint: "This command sends a transaction, and signs it with that key.",
    });
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) {
    throw new UsageError(`${name} must be a private key: 0x and 64 hex digits.`, { code: "key.malformed" });
  }
  return value as Hex;
}

/**
 * A deployment's addresses file (see parseAddresses) and the block its events start at: the file's own
 * `fromBlock`, else, for Ignition's deployed_addresses.json, the first block of the deployment by the
 * journal beside it, else 0 (every query then reads the chain from its start).
 */
export async function readAddressesFile(file: string): Promise<{ addresses: MarketAddresses; fromBlock: bigint }> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new OpsInputError(`Cannot read the addresses file ${file} (${(error as Error).message}).`, {
      code: "addresses.unreadable",
      input: { name: "--addresses", value: file },
    });
  }
  const { addresses, fromBlock } = parseAddresses(text, file);
  return { addresses, fromBlock: fromBlock ?? (await firstConfirmedBlock(join(dirname(file), "journal.jsonl"))) ?? 0n };
}
