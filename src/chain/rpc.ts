/**
 * A viem connection to a JSON-RPC node by its URL, for long-running agents that run without the Hardhat
 * runtime (scripts/channel-payer.ts, scripts/channel-payee.ts).
 */
import { createPublicClient, createWalletClient, defineChain, http, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

import type { ChainContext, Wallet } from "./transact.js";
import { errorReason } from "./errors.js";

export interface RpcChain extends ChainContext {
  url: string;
  chainId: number;
  /** A wallet that signs locally with `privateKey` and sends through the node. */
  wallet(privateKey: Hex): Wallet;
}

export interface RpcOptions {
  /** Milliseconds between polls for receipts and blocks (viem's default of 4 s is too slow on a local node). */
  pollingMs?: number;
  /** Blocks to wait after inclusion (1 under QBFT). */
  confirmations?: number;
}

export async function rpcChain(url: string, options: RpcOptions = {}): Promise<RpcChain> {
  const transport = http(url, { retryCount: 2, timeout: 10_000 });
  let chainId: number;
  try {
    chainId = await createPublicClient({ transport }).getChainId();
  } catch (error) {
    throw new Error(
      `Cannot reach a JSON-RPC node at ${url} (${errorReason(error)}); ` + "start the node or fix the URL.",
      { cause: error },
    );
  }
  const chain = defineChain({
    id: chainId,
    name: `chain ${chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [url] } },
  });
  const pollingInterval = options.pollingMs ?? 250;
  return {
    url,
    chainId,
    publicClient: createPublicClient({ chain, transport, pollingInterval }),
    confirmations: options.confirmations ?? 1,
    wallet: (privateKey) =>
      createWalletClient({ account: privateKeyToAccount(privateKey), chain, transport, pollingInterval }),
  };
}
