/**
 * The environment of scripts/ops.ts and scripts/payout.ts (and the addresses file of scripts/gateway.ts): a
 * JSON-RPC node by its URL, the deployment's addresses file, and the signing key from $OPS_PRIVATE_KEY (a
 * command line is visible to every user of the machine; the key is read only by commands that send).
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

import { OpsInputError, parseAddresses } from "../ops/context.js";
import type { MarketAddresses } from "../chain/transact.js";
import { privateKeyFromEnv, type Flags } from "./flags.js";
import { firstConfirmedBlock } from "../../deploy/journal.js";
import type { OpsEnv } from "./ops-commands.js";
import { rpcChain } from "../chain/rpc.js";

export async function connectRpc(flags: Flags): Promise<OpsEnv> {
  const url = flags.url("rpc-url", process.env.OPS_RPC_URL || "http://127.0.0.1:8545");
  const file = flags.optional("addresses") ?? process.env.OPS_ADDRESSES;
  if (file === undefined || file === "") {
    throw new OpsInputError(
      "Say where the deployment lives: --addresses FILE (or $OPS_ADDRESSES), a JSON file of its contract addresses.",
    );
  }
  const { addresses, fromBlock } = await readAddressesFile(file);
  const chain = await rpcChain(url);
  return {
    ops: { chain, addresses, fromBlock },
    wallet: () => chain.wallet(privateKeyFromEnv("OPS_PRIVATE_KEY", "signing account")),
  };
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
    throw new OpsInputError(`Cannot read the addresses file ${file} (${(error as Error).message}).`);
  }
  const { addresses, fromBlock } = parseAddresses(text, file);
  return { addresses, fromBlock: fromBlock ?? (await firstConfirmedBlock(join(dirname(file), "journal.jsonl"))) ?? 0n };
}
