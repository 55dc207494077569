/**
 * A viem connection to a JSON-RPC node by its URL, for long-running agents and the operator command line,
 * which run without the Hardhat runtime (scripts/channel-payer.ts, scripts/gateway.ts, scripts/ops.ts).
 */
import { http } from "viem";

import { chainClients, WrongChainError, type ChainClients, type ClientSettings } from "./clients.js";
import { errorReason } from "./errors.js";

export interface RpcChain extends ChainClients {
  url: string;
}

export interface RpcOptions extends Omit<ClientSettings, "pollingMs"> {
  /** Milliseconds between polls for receipts and blocks (default 250: viem's 4 s is too slow on a local node). */
  pollingMs?: number;
}

export async function rpcChain(url: string, options: RpcOptions = {}): Promise<RpcChain> {
  const transport = http(url, { retryCount: 2, timeout: 10_000 });
  let clients: ChainClients;
  try {
    clients = await chainClients(transport, { ...options, pollingMs: options.pollingMs ?? 250 });
  } catch (error) {
    if (error instanceof WrongChainError) throw error;
    throw new Error(
      `Cannot reach a JSON-RPC node at ${url} (${errorReason(error)}); ` + "start the node or fix the URL.",
      { cause: error },
    );
  }
  return { url, ...clients };
}
