/**
 * A deployment's addresses checked once, when a system is connected: that code exists at each address, that
 * it answers as the contract the address is given for (a view only that contract has), and that the
 * contracts are wired to each other (the meter's token is the token named, and so on). All of it is one
 * multicall; only for an address that does not answer is its code read, to say which of the two it is.
 * Without this a wrong address surfaces later as a raw revert or "returned no data" from whatever call
 * happens to reach it first.
 */
import { isAddressEqual, type Abi, type Address, type ContractFunctionParameters, type PublicClient } from "viem";

import {
  consortiumAbi,
  fiatGatewayAbi,
  licenseRegistryAbi,
  machineRegistryAbi,
  paymentChannelsAbi,
  readingVerifierAbi,
  settlementTokenAbi,
  usageMeterAbi,
} from "../generated/abis.js";
import { isDeployless } from "../chain/multicall.js";
import type { MarketAddresses } from "../chain/transact.js";

export type ContractKey = keyof MarketAddresses;

/** The contract each address of a deployment is for. */
export const CONTRACT_NAMES = {
  consortium: "Consortium",
  token: "SettlementToken",
  gateway: "FiatGateway",
  licenseRegistry: "LicenseRegistry",
  machineRegistry: "MachineRegistry",
  usageMeter: "UsageMeter",
  readingVerifier: "ReadingVerifier",
  paymentChannels: "PaymentChannels",
} as const satisfies Record<ContractKey, string>;

const ABIS: Record<ContractKey, Abi> = {
  consortium: consortiumAbi,
  token: settlementTokenAbi,
  gateway: fiatGatewayAbi,
  licenseRegistry: licenseRegistryAbi,
  machineRegistry: machineRegistryAbi,
  usageMeter: usageMeterAbi,
  readingVerifier: readingVerifierAbi,
  paymentChannels: paymentChannelsAbi,
};

/**
 * Per contract: first a view no other contract of the system has (it answers only as that contract), then the
 * views that name the contracts it works with. A view's `wired` is the contract whose address it returns.
 */
const CHECKS: Record<ContractKey, readonly { view: string; wired?: ContractKey }[]> = {
  consortium: [{ view: "memberCount" }, { view: "token", wired: "token" }],
  token: [
    { view: "gateway", wired: "gateway" },
    { view: "consortium", wired: "consortium" },
  ],
  gateway: [{ view: "pendingTotal" }],
  licenseRegistry: [{ view: "licenseCount" }, { view: "consortium", wired: "consortium" }],
  machineRegistry: [
    { view: "licenseRegistry", wired: "licenseRegistry" },
    { view: "consortium", wired: "consortium" },
  ],
  usageMeter: [
    { view: "registry", wired: "machineRegistry" },
    { view: "token", wired: "token" },
    { view: "consortium", wired: "consortium" },
  ],
  readingVerifier: [{ view: "meter", wired: "usageMeter" }],
  paymentChannels: [
    { view: "minChallengePeriod" },
    { view: "token", wired: "token" },
    { view: "consortium", wired: "consortium" },
  ],
};

/** ", the address ${source} gives the MachineRegistry" where the addresses name it for another contract too. */
function alias(addresses: Partial<MarketAddresses>, key: ContractKey, source: string): string {
  const address = addresses[key]!;
  const other = (Object.keys(CONTRACT_NAMES) as ContractKey[]).find(
    (k) => k !== key && addresses[k] !== undefined && isAddressEqual(addresses[k], address),
  );
  return other === undefined ? "" : `, the address ${source} gives the ${CONTRACT_NAMES[other]}`;
}

/** One thing wrong with a deployment's addresses. */
export interface SystemProblem {
  /** noCode: nothing deployed there; wrongContract: another contract is; miswired: wired to another deployment. */
  kind: "noCode" | "wrongContract" | "miswired";
  contract: ContractKey;
  address: Address;
  problem: string;
}

/** Some of a deployment's addresses are wrong: each problem names the contract, its address and what is wrong. */
export class SystemAddressError extends Error {
  override name = "SystemAddressError";
  constructor(
    readonly problems: readonly SystemProblem[],
    hint: string,
  ) {
    super([...problems.map(({ problem }) => problem), hint].join("\n"));
  }
}

/**
 * Checks the addresses given (all of a deployment's, or some: a settlement layer alone) and throws a
 * SystemAddressError listing every problem. `source` names where the addresses came from, for the messages
 * (default "the addresses").
 */
export async function verifySystem(
  client: PublicClient,
  addresses: Partial<MarketAddresses>,
  source = "the addresses",
): Promise<void> {
  const given = (Object.keys(CHECKS) as ContractKey[]).filter((key) => addresses[key] !== undefined);
  const checks = given.flatMap((contract) => CHECKS[contract].map(({ view, wired }) => ({ contract, view, wired })));
  const results = await client.multicall({
    contracts: checks.map(
      ({ contract, view }) =>
        ({ address: addresses[contract]!, abi: ABIS[contract], functionName: view }) as ContractFunctionParameters,
    ),
    allowFailure: true,
    deployless: isDeployless(client),
  });
  const chain = client.chain === undefined ? "this chain" : `chain ${client.chain.id}`;
  const problems: SystemProblem[] = [];
  for (const contract of given) {
    const address = addresses[contract]!;
    const name = CONTRACT_NAMES[contract];
    const answers = checks.flatMap((check, i) => (check.contract === contract ? [{ ...check, ...results[i]! }] : []));
    if (answers[0]!.status === "failure") {
      const deployed = (await client.getCode({ address })) !== undefined;
      const problem = deployed
        ? `The contract at ${address} (the ${name} in ${source}) does not answer as the ${name} ` +
          `(${answers[0]!.view}() failed): another contract is deployed there${alias(addresses, contract, source)}.`
        : `No contract at ${address} (the ${name} in ${source}): nothing is deployed there on ${chain}.`;
      problems.push({ kind: deployed ? "wrongContract" : "noCode", contract, address, problem });
      continue;
    }
    for (const answer of answers) {
      const expected = answer.wired === undefined ? undefined : addresses[answer.wired];
      if (answer.wired === undefined || expected === undefined) continue;
      const actual = answer.status === "success" ? (answer.result as Address) : undefined;
      if (actual !== undefined && isAddressEqual(actual, expected)) continue;
      const problem =
        `The ${name} at ${address} works with the ${CONTRACT_NAMES[answer.wired]} at ${actual ?? "(no answer)"}, ` +
        `but the ${CONTRACT_NAMES[answer.wired]} in ${source} is ${expected}: they mix two deployments.`;
      problems.push({ kind: "miswired", contract, address, problem });
    }
  }
  if (problems.length > 0) {
    throw new SystemAddressError(
      problems,
      `Use the addresses of the deployment on ${chain}, all from one file (npm run deploy prints it; Ignition ` +
        "keeps it in ignition/deployments/<id>/deployed_addresses.json), or connect to the chain it was deployed on.",
    );
  }
}
