/**
 * Glue between a Hardhat network connection and the viem-based SDK in src/: the same code runs on the
 * in-process network and on any JSON-RPC node selected with --network.
 */
import type { NetworkConnection } from "hardhat/types/network";
import {
  createPublicClient,
  createWalletClient,
  custom,
  defineChain,
  getAddress,
  type Address,
  type EIP1193Provider,
  type LocalAccount,
} from "viem";

import { chainSettings, isNetworkName } from "../../config/networks.js";
import type { ChainContext, Wallet } from "./transact.js";

export interface ViemChain extends ChainContext {
  networkName: string;
  chainId: number;
  /** The accounts the node or Hardhat signs for, in order. */
  accounts: Address[];
  /** A wallet for an account the node signs for, or for a key held here (it signs, the node only relays). */
  wallet(account: Address | LocalAccount): Wallet;
}

export async function viemChain(connection: NetworkConnection): Promise<ViemChain> {
  // No retries here: a refused call must surface at once; Hardhat's own provider handles the transport.
  const transport = custom(connection.provider as unknown as EIP1193Provider, { retryCount: 0 });
  const [chainIdHex, rawAccounts] = await Promise.all([
    connection.provider.request({ method: "eth_chainId" }) as Promise<string>,
    connection.provider.request({ method: "eth_accounts" }) as Promise<string[]>,
  ]);
  const chainId = Number(chainIdHex);
  const name = connection.networkName;
  const chain = defineChain({
    id: chainId,
    name,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [] } },
  });
  const publicClient = createPublicClient({ chain, transport });
  const confirmations = isNetworkName(name) ? chainSettings()[name].confirmations : 1;
  return {
    networkName: name,
    chainId,
    publicClient,
    confirmations,
    accounts: rawAccounts.map((account) => getAddress(account)),
    wallet: (account) => createWalletClient({ account, chain, transport }),
  };
}

/** The account at `index`, or an error saying how many the network offers. */
export function accountAt(chain: ViemChain, index: number, role: string): Address {
  const account = chain.accounts[index];
  if (account === undefined) {
    throw new Error(
      `The ${role} needs account #${index}, but ${chain.networkName} offers ${chain.accounts.length} accounts; ` +
        `unlock more accounts on the node or configure more keys for this network.`,
    );
  }
  return account;
}
