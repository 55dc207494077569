/**
 * What every operator job needs: the chain, where the system lives, and from which block its events are
 * read. Jobs are plain functions over the SDK clients (src/contracts, src/core) that return data; the
 * command line (src/cli) parses the flags, calls them and renders their results.
 */
import { CONTRACT_NAMES } from "../contracts/system.js";
import { getAddress, isAddress, type Address } from "viem";

import { CapacityError, type CapacityErrorParameters } from "../core/errors.js";

import { ChannelsClient } from "../contracts/channels.js";
import { MarketRegistry } from "../contracts/registries.js";
import { UsageMeterClient } from "../contracts/meter.js";
import { SettlementLayer } from "../contracts/settlement.js";
import type { ChainContext, MarketAddresses } from "../chain/transact.js";

/** Bad input that the operator can fix: the message says what was wrong and what to do (exit status 2). */
export class OpsInputError extends CapacityError {
  override name = "OpsInputError";
  constructor(message: string, parameters: Omit<CapacityErrorParameters, "kind"> = {}) {
    super(message, { ...parameters, kind: "input" });
  }
}

export interface Ops {
  chain: ChainContext;
  addresses: MarketAddresses;
  /** A block at or before the deployment: event queries start here. */
  fromBlock: bigint;
}

/** The SDK clients of one deployment. */
export function clients(ops: Ops) {
  return {
    layer: new SettlementLayer(ops.chain, ops.addresses),
    market: new MarketRegistry(ops.chain, ops.addresses),
    meter: new UsageMeterClient(ops.chain, ops.addresses),
    channels: new ChannelsClient(ops.chain, ops.addresses),
  };
}

/** The chain's clock: the latest block's timestamp (maturity and deadlines are judged by it, not by this host). */
export async function chainTime(ops: Ops): Promise<number> {
  return Number((await ops.chain.publicClient.getBlock({ blockTag: "latest" })).timestamp);
}

export { CONTRACT_NAMES };

/**
 * Reads a deployment's addresses from JSON: either this project's form (`{"consortium": "0x…", …,
 * "fromBlock": 123}`, keys as in MarketAddresses) or Ignition's `deployed_addresses.json`
 * (`{"SettlementLayer#Consortium": "0x…", …}`). `fromBlock` is undefined where the file does not say.
 */
export function parseAddresses(
  text: string,
  source: string,
): { addresses: MarketAddresses; fromBlock: bigint | undefined } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new OpsInputError(
      `${source} is not JSON (${(error as Error).message}); pass the deployment's addresses file.`,
    );
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new OpsInputError(`${source} must hold a JSON object of contract addresses.`);
  }
  const entries = raw as Record<string, unknown>;
  const lookup = (key: keyof MarketAddresses): unknown => {
    if (entries[key] !== undefined) return entries[key];
    const ignitionKey = Object.keys(entries).find((name) => name.endsWith(`#${CONTRACT_NAMES[key]}`));
    return ignitionKey === undefined ? undefined : entries[ignitionKey];
  };
  const addresses = {} as Record<keyof MarketAddresses, Address>;
  const missing: string[] = [];
  for (const key of Object.keys(CONTRACT_NAMES) as (keyof MarketAddresses)[]) {
    const value = lookup(key);
    if (typeof value !== "string" || !isAddress(value, { strict: false }))
      missing.push(`${key} (${CONTRACT_NAMES[key]})`);
    else addresses[key] = getAddress(value);
  }
  if (missing.length > 0) {
    throw new OpsInputError(
      `${source} lacks a valid address for ${missing.join(", ")}; use the addresses file of a complete deployment ` +
        "(npm run deploy prints them; Ignition keeps them in ignition/deployments/<id>/deployed_addresses.json).",
    );
  }
  const from = entries.fromBlock;
  if (from !== undefined && !(typeof from === "number" && Number.isInteger(from) && from >= 0)) {
    throw new OpsInputError(`${source}: fromBlock must be a block number (a whole number from 0).`);
  }
  return { addresses, fromBlock: from === undefined ? undefined : BigInt(from) };
}
