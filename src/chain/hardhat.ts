/**
 * Glue between a Hardhat network connection and the viem-based SDK in src/: the same code runs on the
 * in-process network and on any JSON-RPC node selected with --network, with that network's settings
 * (config/networks.ts).
 */
import type { NetworkConnection } from "hardhat/types/network";
import { custom, type Address, type EIP1193Provider } from "viem";

import { chainClients, networkSettings, type ChainClients } from "./clients.js";

export type ViemChain = ChainClients;

export async function viemChain(connection: NetworkConnection): Promise<ViemChain> {
  // No retries here: a refused call must surface at once; Hardhat's own provider handles the transport.
  const transport = custom(connection.provider as unknown as EIP1193Provider, { retryCount: 0 });
  return chainClients(transport, networkSettings(connection.networkName));
}

/** The account at `index`, or an error saying how many the network offers. */
export function accountAt(chain: ChainClients, index: number, role: string): Address {
  const account = chain.accounts[index];
  if (account === undefined) {
    throw new Error(
      `The ${role} needs account #${index}, but ${chain.networkName} offers ${chain.accounts.length} accounts; ` +
        `unlock more accounts on the node or configure more keys for this network.`,
    );
  }
  return account;
}
