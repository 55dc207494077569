/** Deploys the whole system with its Ignition module and the parameters file of the selected network. */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

import type { DeploymentParameters } from "@nomicfoundation/ignition-core";
import type { NetworkConnection } from "hardhat/types/network";
import { getAddress, type Address } from "viem";

import { chainSettings, isNetworkName } from "../config/networks.js";
import CapacityMarketModule from "../ignition/modules/CapacityMarket.js";
import { renderTable } from "../src/cli/table.js";
import type { MarketAddresses } from "../src/chain/transact.js";
import { recoverUnrecordedSends, repairJournal } from "./journal.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const ZERO_HASH = `0x${"0".repeat(64)}`;
const ZERO_ADDRESS = `0x${"0".repeat(40)}`;

export interface Deployment {
  addresses: MarketAddresses;
  /** A block at or before the deployment, to read its events from. */
  fromBlock: bigint;
  deploymentId: string;
  parametersFile: string;
  /** Ignition's deployed_addresses.json, for a node outside this process (none for the in-process network). */
  addressesFile?: string;
}

export function parametersFileFor(networkName: string): string {
  return `${ROOT}ignition/parameters/${networkName}.json`;
}

type Parameters = Record<string, Record<string, unknown>>;

/**
 * Checks a parameters file before anything is sent: every hash a real deployment needs is set, every
 * address is well formed. Returns the problems found, each with what to do about it.
 */
export function parameterProblems(parameters: Parameters, file: string): string[] {
  const own = parameters.SettlementLayer;
  if (own === undefined) return [`${file} has no "SettlementLayer" section.`];
  const problems: string[] = [];
  for (const key of ["agreementHash", "founderMetadata"]) {
    const value = own[key];
    if (typeof value !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(value) || value === ZERO_HASH) {
      problems.push(
        `${file}: SettlementLayer.${key} must be a nonzero 32-byte hash (0x + 64 hex digits); ` +
          `use the keccak-256 of the document (npm run hash -- <file>).`,
      );
    }
  }
  for (const key of ["gatewayAdmin", "masterMinter"]) {
    const value = own[key];
    if (value === undefined) continue;
    if (typeof value !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(value) || value === ZERO_ADDRESS) {
      problems.push(
        `${file}: SettlementLayer.${key} must be a nonzero address, or be left out to default to the deployer.`,
      );
    }
  }
  const period = parameters.CapacityMarket?.minChallengePeriod;
  if (
    period !== undefined &&
    (typeof period !== "number" || !Number.isInteger(period) || period < 1 || period >= 2 ** 24)
  ) {
    problems.push(
      `${file}: CapacityMarket.minChallengePeriod must be a whole number of seconds from 1 to 16777215 ` +
        "(the shortest time a payee has to claim after a payer starts closing a channel).",
    );
  }
  const grace = parameters.CapacityMarket?.reportGrace;
  if (
    grace !== undefined &&
    (typeof grace !== "number" || !Number.isInteger(grace) || grace < 0 || grace > 30 * 86400)
  ) {
    problems.push(
      `${file}: CapacityMarket.reportGrace must be a whole number of seconds from 0 to 2592000 (30 days): how long ` +
        "after an order's expiry reports that ended by it still land before the consumer may close it.",
    );
  }
  const notice = own.noticePeriod;
  if (notice !== undefined && (typeof notice !== "number" || !Number.isInteger(notice) || notice < 0)) {
    problems.push(`${file}: SettlementLayer.noticePeriod must be a whole number of seconds.`);
  }
  return problems;
}

export async function readParameters(file: string): Promise<Parameters> {
  if (!existsSync(file)) {
    throw new Error(`No Ignition parameters for this network: create ${file} (see ignition/parameters/default.json).`);
  }
  const parameters = JSON.parse(await readFile(file, "utf8")) as Parameters;
  const problems = parameterProblems(parameters, file);
  if (problems.length > 0) throw new Error(`Cannot deploy with these parameters:\n- ${problems.join("\n- ")}`);
  return parameters;
}

/**
 * Deploys (or, with the same deploymentId on a persistent chain, resumes) the whole system: the settlement
 * layer (Consortium, SettlementToken, FiatGateway), the licence and machine registries, the usage meter and
 * the payment channels.
 * Ignition keeps a journal per deployment id, so a deployment that stopped half way picks up where it stopped;
 * what a kill at the wrong moment leaves in the journal is repaired first (see ./journal.ts).
 */
export async function deployCapacityMarket(
  connection: NetworkConnection,
  options: { deploymentId: string; parametersFile?: string },
): Promise<Deployment> {
  const parametersFile = options.parametersFile ?? parametersFileFor(connection.networkName);
  const parameters = await readParameters(parametersFile);
  const fromBlock = BigInt(await connection.ethers.provider.getBlockNumber());
  if (connection.networkConfig.type === "http") {
    // Only a node outside this process keeps a journal (and a chain) to resume from.
    const journal = `${ROOT}ignition/deployments/${options.deploymentId}/journal.jsonl`;
    const name = connection.networkName;
    const repaired = [
      ...(await repairJournal(journal)),
      ...(await recoverUnrecordedSends(journal, connection.provider, {
        requiredConfirmations: isNetworkName(name) ? chainSettings()[name].confirmations : 1,
      })),
    ];
    if (repaired.length > 0) console.log(`Resuming: ${repaired.join("; ")}.`);
  }
  const deployed = await connection.ignition.deploy(CapacityMarketModule, {
    parameters: parameters as DeploymentParameters,
    deploymentId: options.deploymentId,
    displayUi: false,
  });
  const address = async (contract: { getAddress(): Promise<string> }): Promise<Address> =>
    getAddress(await contract.getAddress());
  return {
    addresses: {
      consortium: await address(deployed.consortium),
      token: await address(deployed.token),
      gateway: await address(deployed.gateway),
      licenseRegistry: await address(deployed.licenseRegistry),
      machineRegistry: await address(deployed.machineRegistry),
      usageMeter: await address(deployed.usageMeter),
      readingVerifier: await address(deployed.readingVerifier),
      paymentChannels: await address(deployed.paymentChannels),
    },
    fromBlock,
    deploymentId: options.deploymentId,
    parametersFile,
    ...(connection.networkConfig.type === "http"
      ? { addressesFile: `${ROOT}ignition/deployments/${options.deploymentId}/deployed_addresses.json` }
      : {}),
  };
}

/**
 * The deployment's addresses as a table, one contract per row; given the addresses file of a deployment on a
 * node, then the line to export for the command line (`capacity …` reads $OPS_ADDRESSES).
 */
export function renderAddresses(addresses: MarketAddresses, addressesFile?: string): string {
  const table = renderTable(
    [
      { header: "contract", value: (row: [string, Address]) => row[0] },
      { header: "address", value: (row: [string, Address]) => row[1] },
    ],
    Object.entries(addresses) as [string, Address][],
  );
  if (addressesFile === undefined) return table;
  const quoted = /^[\w@%+=:,./-]+$/.test(addressesFile) ? addressesFile : `'${addressesFile.replace(/'/g, "'\\''")}'`;
  return `${table}\n\nFor the command line (npx capacity …), with OPS_RPC_URL set to this node's URL:\n  export OPS_ADDRESSES=${quoted}`;
}
