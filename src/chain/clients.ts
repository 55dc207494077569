/**
 * The one place viem clients are built. A Hardhat connection (src/chain/hardhat.ts) and a bare JSON-RPC URL
 * (src/chain/rpc.ts) bring their transport here and get the same shape back: a public client and wallets on a
 * chain defined with the node's chain id, checked against the network's configured one, the network's gas
 * price policy and its confirmations (config/networks.ts).
 */
import {
  createPublicClient,
  createWalletClient,
  defineChain,
  size,
  type Address,
  type ChainFees,
  type Hex,
  type LocalAccount,
  type Transport,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";

import { chainSettings, isNetworkName, type GasPricePolicy } from "../../config/networks.js";
import type { ChainContext, Wallet } from "./transact.js";

/** What a connection is configured with; everything left out is taken from the node or viem's defaults. */
export interface ClientSettings {
  /** The network's name, for messages (default: "chain <id>"). */
  networkName?: string;
  /** The chain id the network is configured for; the node must report it. 0 or absent: whatever the node says. */
  chainId?: number;
  /** What transactions signed here pay for gas (default "auto": ask the node). */
  gasPrice?: GasPricePolicy;
  /** Blocks to wait after inclusion (default 1: final under QBFT / IBFT 2.0). */
  confirmations?: number;
  /** Milliseconds between polls for receipts and blocks (default: viem's). */
  pollingMs?: number;
}

/**
 * A wallet's signer: an account the node signs for (its address, 20 bytes), or a key held here (a viem
 * LocalAccount or its private key, 32 bytes), which signs locally while the node only relays.
 */
export type Signer = Address | LocalAccount | Hex;

/** The clients of one chain, however it is reached. */
export interface ChainClients extends ChainContext {
  networkName: string;
  chainId: number;
  /** The accounts the node signs for, in order (none on a node that keeps no keys). */
  accounts: Address[];
  wallet(signer: Signer): Wallet;
}

/** The node answering is of another chain than the network is configured for. */
export class WrongChainError extends Error {
  override name = "WrongChainError";
  constructor(
    readonly networkName: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(
      `The node of network "${networkName}" is chain ${actual}, but the network is configured for chain ` +
        `${expected}: connect to the network's node, or correct its chain id (config/networks.ts, .env).`,
    );
  }
}

/** The settings config/networks.ts holds for a network by name (only the name, for a network it does not know). */
export function networkSettings(name: string, env: Record<string, string | undefined> = process.env): ClientSettings {
  if (!isNetworkName(name)) return { networkName: name };
  const { chainId, gasPrice, confirmations } = chainSettings(env)[name];
  return { networkName: name, chainId, gasPrice, confirmations };
}

/**
 * Asks the node for its chain id and accounts, refuses a node of another chain than the configured one, and
 * builds the clients. Errors of the transport (an unreachable node) are thrown as they are, for the caller to
 * name the node.
 */
export async function chainClients(transport: Transport, settings: ClientSettings = {}): Promise<ChainClients> {
  const [chainId, accounts] = await Promise.all([
    createPublicClient({ transport }).getChainId(),
    nodeAccounts(transport),
  ]);
  const networkName = settings.networkName ?? `chain ${chainId}`;
  if (settings.chainId !== undefined && settings.chainId !== 0 && settings.chainId !== chainId) {
    throw new WrongChainError(networkName, settings.chainId, chainId);
  }
  const chain = defineChain({
    id: chainId,
    name: networkName,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [] } },
    fees: feesOf(settings.gasPrice),
  });
  const pollingInterval = settings.pollingMs;
  return {
    networkName,
    chainId,
    accounts,
    publicClient: createPublicClient({ chain, transport, pollingInterval }),
    confirmations: settings.confirmations ?? 1,
    wallet: (signer) => createWalletClient({ account: accountOf(signer), chain, transport, pollingInterval }),
  };
}

/** The accounts the node signs for; none where it does not offer eth_accounts (hosted and read-only nodes). */
async function nodeAccounts(transport: Transport): Promise<Address[]> {
  try {
    return await createWalletClient({ transport }).getAddresses();
  } catch {
    return [];
  }
}

/**
 * Fees for transactions signed here (a node that signs applies its own configuration): none for "auto", so
 * that viem asks the node; else the fixed price, 0 on a free-gas chain, as the one price per gas, whatever
 * the transaction type.
 */
function feesOf(policy: GasPricePolicy | undefined): ChainFees | undefined {
  if (policy === undefined || policy === "auto") return undefined;
  const price = policy === "zero" ? 0n : policy;
  return {
    estimateFeesPerGas: async ({ type }) =>
      type === "legacy" ? { gasPrice: price } : { maxFeePerGas: price, maxPriorityFeePerGas: price },
  };
}

function accountOf(signer: Signer): Address | LocalAccount {
  if (typeof signer !== "string") return signer;
  const bytes = size(signer);
  if (bytes === 20) return signer;
  if (bytes === 32) return privateKeyToAccount(signer);
  throw new Error(
    `A wallet needs an account's address (20 bytes) or a private key (32 bytes), not ${bytes} bytes of hex.`,
  );
}
