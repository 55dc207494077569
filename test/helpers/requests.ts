/**
 * Clients over a Hardhat connection that record their JSON-RPC requests: which methods, and in how many round
 * trips (requests sent together, before any of them was answered, are one round trip).
 */
import type { NetworkConnection } from "hardhat/types/network";
import { custom } from "viem";

import { chainClients, networkSettings, type ChainClients } from "../../src/chain/clients.js";

export interface CountedChain {
  chain: ChainClients;
  /** The methods requested since the last reset, in the order they were sent. */
  requests(): string[];
  /** Round trips since the last reset: a request sent after an answer arrived starts a new one. */
  roundTrips(): number;
  reset(): void;
}

export async function countedChain(connection: NetworkConnection): Promise<CountedChain> {
  let log: ({ sent: string } | "answered")[] = [];
  const transport = custom(
    {
      request: async ({ method, params }: { method: string; params?: unknown[] | object }) => {
        log.push({ sent: method });
        try {
          return await connection.provider.request({ method, params });
        } finally {
          log.push("answered");
        }
      },
    },
    { retryCount: 0 },
  );
  const chain = await chainClients(transport, networkSettings(connection.networkName));
  log = [];
  return {
    chain,
    requests: () => log.flatMap((entry) => (entry === "answered" ? [] : [entry.sent])),
    roundTrips: () => {
      let trips = 0;
      let answered = true;
      for (const entry of log) {
        if (entry === "answered") answered = true;
        else if (answered) [trips, answered] = [trips + 1, false];
      }
      return trips;
    },
    reset: () => {
      log = [];
    },
  };
}
