/**
 * The environment of scripts/ops.ts and scripts/payout.ts: a JSON-RPC node by its URL, the deployment's
 * addresses file, and the signing key from $OPS_PRIVATE_KEY (a command line is visible to every user of the
 * machine; the key is read only by commands that send).
 */
import { readFileSync } from "node:fs";

import { OpsInputError, parseAddresses } from "../../src/ops/context.js";
import { privateKeyFromEnv, type Flags } from "./cli.js";
import type { OpsEnv } from "./ops-commands.js";
import { rpcChain } from "./rpc.js";

export async function connectRpc(flags: Flags): Promise<OpsEnv> {
  const url = flags.url("rpc-url", process.env.OPS_RPC_URL || "http://127.0.0.1:8545");
  const file = flags.optional("addresses") ?? process.env.OPS_ADDRESSES;
  if (file === undefined || file === "") {
    throw new OpsInputError(
      "Say where the deployment lives: --addresses FILE (or $OPS_ADDRESSES), a JSON file of its contract addresses.",
    );
  }
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new OpsInputError(`Cannot read the addresses file ${file} (${(error as Error).message}).`);
  }
  const { addresses, fromBlock } = parseAddresses(text, file);
  const chain = await rpcChain(url);
  return {
    ops: { chain, addresses, fromBlock },
    wallet: () => chain.wallet(privateKeyFromEnv("OPS_PRIVATE_KEY", "signing account")),
  };
}
