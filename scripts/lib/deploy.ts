/** Deploys the whole system with its Ignition module and the parameters file of the selected network. */
import { existsSync } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

import type { DeploymentParameters } from "@nomicfoundation/ignition-core";
import type { NetworkConnection } from "hardhat/types/network";
import { getAddress, type Address } from "viem";

import CapacityMarketModule from "../../ignition/modules/CapacityMarket.js";
import { renderTable } from "../../src/format/table.js";
import type { MarketAddresses } from "../../src/sdk/transact.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const ZERO_HASH = `0x${"0".repeat(64)}`;
const ZERO_ADDRESS = `0x${"0".repeat(40)}`;

export interface Deployment {
  addresses: MarketAddresses;
  /** A block at or before the deployment, to read its events from. */
  fromBlock: bigint;
  deploymentId: string;
  parametersFile: string;
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
 * Ignition keeps a journal per deployment id, so a deployment that stopped half way picks up where it stopped.
 */
export async function deployCapacityMarket(
  connection: NetworkConnection,
  options: { deploymentId: string; parametersFile?: string },
): Promise<Deployment> {
  const parametersFile = options.parametersFile ?? parametersFileFor(connection.networkName);
  const parameters = await readParameters(parametersFile);
  const fromBlock = BigInt(await connection.ethers.provider.getBlockNumber());
  const repaired = await repairJournal(`${ROOT}/ignition/deployments/${options.deploymentId}/journal.jsonl`);
  if (repaired.length > 0) console.log(`Resuming: ${repaired.join("; ")}.`);
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
  };
}

/**
 * Repairs what a deployment killed at the wrong moment leaves at the end of Ignition's journal, which
 * Ignition itself cannot resume from: a last line cut off in the middle of its write, and futures whose
 * only record is their initialisation (killed before Ignition recorded the transaction it was about to
 * send, so nothing was sent for them). Both are dropped, and Ignition runs those futures afresh. Returns
 * what it dropped, in words; a journal without such records is left untouched.
 */
export async function repairJournal(file: string): Promise<string[]> {
  if (!existsSync(file)) return [];
  const lines = (await readFile(file, "utf8")).split("\n").filter((line) => line.trim() !== "");
  const repaired: string[] = [];
  const records: { line: string; record: { type?: string; futureId?: string } }[] = [];
  for (const [i, line] of lines.entries()) {
    try {
      records.push({ line, record: JSON.parse(line) as { type?: string; futureId?: string } });
    } catch (error) {
      if (i !== lines.length - 1)
        throw new Error(`Ignition's journal ${file} is corrupt at line ${i + 1}.`, { cause: error });
      repaired.push("dropped the journal's last line, cut off when the deployment was killed");
    }
  }
  const recordsOf = new Map<string, number>();
  for (const { record } of records) {
    if (record.futureId !== undefined) recordsOf.set(record.futureId, (recordsOf.get(record.futureId) ?? 0) + 1);
  }
  const orphan = (record: { type?: string; futureId?: string }) =>
    record.futureId !== undefined &&
    record.type?.endsWith("_EXECUTION_STATE_INITIALIZE") === true &&
    recordsOf.get(record.futureId) === 1;
  for (const { record } of records.filter(({ record }) => orphan(record))) {
    repaired.push(`${record.futureId} had not sent anything yet and starts again`);
  }
  if (repaired.length === 0) return [];
  const kept = records.filter(({ record }) => !orphan(record)).map(({ line }) => `${line}\n`);
  await writeFile(`${file}.repair`, kept.join(""));
  await rename(`${file}.repair`, file);
  return repaired;
}

/** The deployment's addresses as a table, one contract per row. */
export function renderAddresses(addresses: MarketAddresses): string {
  return renderTable(
    [
      { header: "contract", value: (row: [string, Address]) => row[0] },
      { header: "address", value: (row: [string, Address]) => row[1] },
    ],
    Object.entries(addresses) as [string, Address][],
  );
}
